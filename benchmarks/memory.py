"""Peak memory of a ten-minute spoken answer, as a multiple of its PCM.

Each way of receiving the answer runs in a fresh process against an emulator
in another process. After a warm-up call (imports, SDK clients, allocator
arenas), the child resets the kernel's peak-RSS mark (`/proc/self/clear_refs`)
and reports its peak resident memory above the resident memory it started
from, divided by the answer's PCM (28.8 MB). 1.0 is the PCM alone; a message
that also carries the base64 string needs 2.33.

Run: `python -m benchmarks.memory`.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import resource
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if __package__ in (None, ""):  # run as a script: make `benchmarks` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._speech_emulator import pcm_bytes, speech_emulator
from benchmarks._timing import Result, table

if TYPE_CHECKING:
    from collections.abc import Callable

SECONDS = 600.0
PROMPT = "Tell me a long story."
SPEECH: Any = {"voice": "Cherry", "format": "wav"}
PLAYBACK = 0.05
"""Live playback keeps a few pieces, not the answer (0.05: 1.4 MB of 28.8)."""

# scenario: (target, what it does)
SCENARIOS: dict[str, tuple[float, str]] = {
    "invoke": (2.5, "invoke, then OmniAudio.from_message"),
    "stream": (2.0, "list(stream()), then OmniAudio.from_chunks"),
    "iter_pcm": (PLAYBACK, "iter_pcm(stream()), each piece played and dropped"),
    "aiter_pcm": (PLAYBACK, "aiter_pcm(astream()), each piece played and dropped"),
    "core_floor": (
        float("inf"),
        (
            "reference for stream() playback: a minimal langchain-core chat model "
            "streaming as many chunks of as many bytes, each dropped by the caller"
        ),
    ),
    "chain": (2.5, "(prompt | model).stream() summed with +, then from_message"),
    "raw_sdk": (float("inf"), "raw openai SDK loop: decode each piece, join"),
}


def _rss_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def _peak_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _reset_peak() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def _scenario(name: str, base_url: str) -> Callable[[], int]:  # noqa: C901
    """The measured call of a scenario; returns the PCM bytes it received."""
    from langchain_core.prompts import ChatPromptTemplate  # noqa: PLC0415

    from langchain_qwen_omni import (  # noqa: PLC0415
        ChatQwenOmni,
        OmniAudio,
        aiter_pcm,
        iter_pcm,
    )

    model = ChatQwenOmni(
        base_url=base_url, api_key="bench", modalities=["text", "audio"], timeout=600
    )

    def invoke() -> int:
        message = model.invoke(PROMPT)
        return len(OmniAudio.from_message(message).pcm)

    def stream() -> int:
        chunks = list(model.stream(PROMPT))
        return len(OmniAudio.from_chunks(chunks).pcm)

    def played() -> int:
        return sum(len(pcm) for pcm in iter_pcm(model.stream(PROMPT)))

    def aplayed() -> int:
        async def play() -> int:
            return sum([len(pcm) async for pcm in aiter_pcm(model.astream(PROMPT))])

        return asyncio.run(play())

    def chain() -> int:
        pipeline = ChatPromptTemplate.from_messages([("human", "{q}")]) | model
        total: Any = None
        for chunk in pipeline.stream({"q": PROMPT}):
            total = chunk if total is None else total + chunk
        assert total is not None
        return len(OmniAudio.from_message(total).pcm)

    def raw_sdk() -> int:
        import openai  # noqa: PLC0415

        client = openai.OpenAI(base_url=base_url, api_key="bench")
        pcm: list[bytes] = []
        for event in client.chat.completions.create(
            model="qwen3-omni-flash",
            messages=[{"role": "user", "content": PROMPT}],
            modalities=["text", "audio"],
            audio=SPEECH,
            stream=True,
        ):
            audio: Any = event.choices[0].delta.audio if event.choices else None
            if audio is not None and audio.data:
                pcm.append(base64.b64decode(audio.data))
        return len(b"".join(pcm))

    def core_floor() -> int:
        return sum(len(c.content) for c in _core_model().stream(PROMPT))

    return {
        "core_floor": core_floor,
        "invoke": invoke,
        "stream": stream,
        "iter_pcm": played,
        "aiter_pcm": aplayed,
        "chain": chain,
        "raw_sdk": raw_sdk,
    }[name]


def _trim() -> None:
    """Hand freed heap back to the kernel, so the baseline is what is in use."""
    import contextlib  # noqa: PLC0415
    import ctypes  # noqa: PLC0415
    import gc  # noqa: PLC0415

    gc.collect()
    with contextlib.suppress(OSError, AttributeError):  # not glibc: no trim
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def _core_model() -> Any:
    """A minimal langchain-core chat model streaming what the emulator sends.

    Each chunk carries 4,800 one-byte characters (the size of a speech
    piece as PCM) as its text, so `stream()`'s own keeping of every chunk,
    not this package, is what its peak measures.
    """
    from langchain_core.language_models import BaseChatModel  # noqa: PLC0415
    from langchain_core.messages import AIMessageChunk  # noqa: PLC0415
    from langchain_core.outputs import ChatGenerationChunk  # noqa: PLC0415

    from benchmarks._speech_emulator import PIECE, answer_text  # noqa: PLC0415

    pieces = pcm_bytes(SECONDS) // PIECE
    words = answer_text(SECONDS).split()

    class Floor(BaseChatModel):
        @property
        def _llm_type(self) -> str:
            return "floor"

        def _generate(self, *args: Any, **kwargs: Any) -> Any:
            raise NotImplementedError

        def _stream(self, *_args: Any, **_kwargs: Any) -> Any:
            for i in range(pieces):
                if i % (pieces // len(words)) == 0:
                    yield ChatGenerationChunk(message=AIMessageChunk(content=""))
                payload = chr(65 + i % 26) * PIECE
                yield ChatGenerationChunk(message=AIMessageChunk(content=payload))

    return Floor()


def _child(name: str, base_url: str, warm_url: str) -> dict[str, float]:
    """In the fresh process: warm up on a short answer, reset the peak, measure.

    The warm-up loads modules and builds SDK clients; its answer is short so
    that the allocator's state (heap size, mmap threshold) is that of a
    process meeting a long answer for the first time.
    """
    _scenario(name, warm_url)()
    run = _scenario(name, base_url)
    _trim()
    baseline = _rss_kb()
    exact = _reset_peak()
    received = run()
    return {
        "peak_kb": _peak_kb() - baseline,
        "received": received,
        "exact": float(exact),
    }


def measure(name: str, base_url: str, warm_url: str) -> dict[str, float]:
    """Run one scenario in a fresh interpreter and return its report."""
    out = subprocess.run(  # noqa: S603
        [
            sys.executable,
            *("-m", "benchmarks.memory", "--child", name, base_url, warm_url),
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    report: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return report


def run(scenarios: list[str] | None = None) -> list[Result]:
    """Peak RSS above baseline / PCM, per scenario."""
    pcm = pcm_bytes(SECONDS)
    results = []
    with speech_emulator(SECONDS) as base_url, speech_emulator(1.0) as warm_url:
        for name in scenarios or list(SCENARIOS):
            target, what = SCENARIOS[name]
            report = measure(name, base_url, warm_url)
            if report["received"] != pcm:
                msg = f"{name} received {report['received']} of {pcm} PCM bytes"
                raise AssertionError(msg)
            peak = report["peak_kb"] * 1024
            note = "" if report["exact"] else " (peak since start: no clear_refs)"
            label = (
                f"memory {name} (reference)"
                if target == float("inf")
                else (f"memory {name}")
            )
            results.append(
                Result(
                    f"{label}: peak RSS / PCM",
                    peak / pcm,
                    target,
                    f"{what}; {peak / 1e6:.1f} MB above baseline for "
                    f"{pcm / 1e6:.1f} MB of PCM ({SECONDS / 60:.0f} min){note}",
                )
            )
    return results


def main(argv: list[str] | None = None) -> int:
    """Print the table, or act as the measured child process."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", nargs=3, metavar=("SCENARIO", "URL", "WARM_URL"))
    parser.add_argument("scenarios", nargs="*", choices=[*SCENARIOS, []])
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(_child(*args.child)))
        return 0
    results = run(args.scenarios or None)
    print(table(results))
    return 0 if all(result.ok for result in results) else 1


if __name__ == "__main__":
    sys.exit(main())
