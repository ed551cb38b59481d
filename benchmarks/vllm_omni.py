r"""A self-hosted vLLM-Omni server: time to first audio and throughput.

Not part of `make bench` and never run in CI: it needs a GPU server. Point
it at one (`vllm serve Qwen/Qwen3-Omni-30B-A3B-Instruct --omni`, see the
README's "Self-hosting with vLLM-Omni"):

    python -m benchmarks.vllm_omni --base-url http://gpu-box:8000/v1 \\
        --model Qwen/Qwen3-Omni-30B-A3B-Instruct --requests 32 --concurrency 8

or rehearse it offline against the emulator's vllm-omni dialect (its
figures say nothing about a GPU; they check the script and the client):

    python -m benchmarks.vllm_omni --emulator

Measured in one run, alternating, for `ChatQwenOmni(dialect="vllm-omni")`
and for the raw openai SDK loop that reads the same stream (speech from
`delta.content` of `modality: "audio"` chunks, each a WAV file decoded with
soundfile), so each line is a ratio to the raw SDK, with the absolute
figures beside it:

- time to first audio: request sent -> first speech sample in hand, one
  request at a time (median); also time to first text;
- throughput: `--requests` spoken answers, `--concurrency` at a time
  (`abatch` with `max_concurrency` against `asyncio.gather` under a
  semaphore): seconds of speech per wall second, and answers per minute.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import io
import statistics
import sys
import time
from typing import TYPE_CHECKING, cast

import openai
import soundfile as sf

from benchmarks._timing import Result, table
from langchain_qwen_omni import ChatQwenOmni, OmniAudio

if TYPE_CHECKING:
    from collections.abc import Iterator

    from langchain_core.language_models import LanguageModelInput

QUESTIONS = (
    "Introduce yourself in two sentences.",
    "Describe a sunrise over the sea.",
    "Give three tips for a good night's sleep.",
    "Explain what a rainbow is to a child.",
)
TTFA_TARGET = 1.05
"""The client may add at most 5 % to the server's time to first audio."""
THROUGHPUT_TARGET = 1.10
"""Wall time of the batch: at most 10 % over the raw SDK's."""


class _Timings:
    def __init__(self) -> None:
        self.first_text: float | None = None
        self.first_audio: float | None = None
        self.audio_seconds = 0.0


async def raw_sdk(
    client: openai.AsyncOpenAI, model: str, prompt: str, voice: str
) -> _Timings:
    """The loop a user writes without this package, against vLLM-Omni's stream."""
    timings = _Timings()
    start = time.perf_counter()
    stream = await client.chat.completions.create(
        model=model,
        messages=[{"role": "user", "content": prompt}],
        modalities=["text", "audio"],
        stream=True,
        stream_options={"include_usage": True},
        extra_body={"speaker": voice},
    )
    async for chunk in stream:
        if not chunk.choices or not chunk.choices[0].delta.content:
            continue
        content = chunk.choices[0].delta.content
        if (chunk.model_extra or {}).get("modality") == "audio":
            samples, rate = sf.read(
                io.BytesIO(base64.b64decode(content)), dtype="int16"
            )
            timings.audio_seconds += len(samples) / rate
            if timings.first_audio is None:
                timings.first_audio = time.perf_counter() - start
        elif timings.first_text is None:
            timings.first_text = time.perf_counter() - start
    return timings


async def omni(llm: ChatQwenOmni, prompt: str) -> _Timings:
    """The same answer through `ChatQwenOmni.astream`, speech decoded at the end."""
    timings = _Timings()
    start = time.perf_counter()
    chunks = []
    async for chunk in llm.astream(prompt):
        chunks.append(chunk)
        if timings.first_audio is None and chunk.additional_kwargs.get("audio", {}).get(
            "data"
        ):
            timings.first_audio = time.perf_counter() - start
        if timings.first_text is None and chunk.text:
            timings.first_text = time.perf_counter() - start
    timings.audio_seconds = OmniAudio.from_chunks(chunks).duration
    return timings


def _median(values: list[float | None]) -> float:
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else float("nan")


async def _first_audio(
    llm: ChatQwenOmni, client: openai.AsyncOpenAI, args: argparse.Namespace
) -> list[Result]:
    ours: list[_Timings] = []
    raw: list[_Timings] = []
    for index in range(args.rounds):  # alternating which goes first
        prompt = QUESTIONS[index % len(QUESTIONS)]
        if index % 2:
            raw.append(await raw_sdk(client, args.model, prompt, args.voice))
            ours.append(await omni(llm, prompt))
        else:
            ours.append(await omni(llm, prompt))
            raw.append(await raw_sdk(client, args.model, prompt, args.voice))
    ours_audio = _median([t.first_audio for t in ours])
    raw_audio = _median([t.first_audio for t in raw])
    ours_text = _median([t.first_text for t in ours])
    raw_text = _median([t.first_text for t in raw])
    return [
        Result(
            "time to first audio / raw SDK",
            ours_audio / raw_audio,
            TTFA_TARGET,
            f"{ours_audio * 1000:.0f} ms vs {raw_audio * 1000:.0f} ms, median of "
            f"{args.rounds}",
        ),
        Result(
            "time to first text / raw SDK",
            ours_text / raw_text,
            TTFA_TARGET,
            f"{ours_text * 1000:.0f} ms vs {raw_text * 1000:.0f} ms",
        ),
    ]


async def _throughput(
    llm: ChatQwenOmni, client: openai.AsyncOpenAI, args: argparse.Namespace
) -> list[Result]:
    prompts = [QUESTIONS[i % len(QUESTIONS)] for i in range(args.requests)]
    gate = asyncio.Semaphore(args.concurrency)

    async def one_raw(prompt: str) -> _Timings:
        async with gate:
            return await raw_sdk(client, args.model, prompt, args.voice)

    start = time.perf_counter()
    raw = await asyncio.gather(*(one_raw(p) for p in prompts))
    raw_wall = time.perf_counter() - start
    start = time.perf_counter()
    answers = await llm.abatch(
        cast("list[LanguageModelInput]", prompts),
        config={"max_concurrency": args.concurrency},
    )
    ours_wall = time.perf_counter() - start
    speech = sum(OmniAudio.from_message(a).duration for a in answers)
    raw_speech = sum(t.audio_seconds for t in raw)
    return [
        Result(
            f"abatch({args.requests}, {args.concurrency} at once) / raw SDK",
            ours_wall / raw_wall,
            THROUGHPUT_TARGET,
            f"{speech / ours_wall:.2f} s of speech per second, "
            f"{len(answers) / ours_wall * 60:.1f} answers/min "
            f"(raw SDK {raw_speech / raw_wall:.2f}, {len(raw) / raw_wall * 60:.1f})",
        )
    ]


@contextlib.contextmanager
def _server(args: argparse.Namespace) -> Iterator[str]:
    if not args.emulator:
        yield args.base_url
        return
    from langchain_qwen_omni.emulator import OmniEmulator  # noqa: PLC0415 - dry runs only

    with OmniEmulator(dialect="vllm-omni", chunk_delay=0.005) as emulator:
        yield emulator.base_url


async def measure(args: argparse.Namespace) -> list[Result]:
    """Every line, against the server `args` names."""
    with _server(args) as base_url:
        llm = ChatQwenOmni(
            model=args.model,
            dialect="vllm-omni",
            base_url=base_url,
            api_key=args.api_key,
            modalities=["text", "audio"],
            voice=args.voice,
            timeout=args.timeout,
        )
        client = openai.AsyncOpenAI(
            base_url=base_url, api_key=args.api_key, timeout=args.timeout
        )
        await omni(llm, "warm up")
        await raw_sdk(client, args.model, "warm up", args.voice)
        results = await _first_audio(llm, client, args)
        results += await _throughput(llm, client, args)
        await client.close()
    return results


def main(argv: list[str] | None = None) -> int:
    """Parse the options, measure, print the table; 1 if a target is missed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", default="http://localhost:8000/v1")
    parser.add_argument("--model", default="Qwen/Qwen3-Omni-30B-A3B-Instruct")
    parser.add_argument("--api-key", default="EMPTY")
    parser.add_argument("--voice", default="Ethan")
    parser.add_argument("--rounds", type=int, default=6, help="first-audio samples")
    parser.add_argument("--requests", type=int, default=16)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--timeout", type=float, default=600.0)
    parser.add_argument(
        "--emulator", action="store_true", help="dry run against the local emulator"
    )
    args = parser.parse_args(argv)
    try:
        results = asyncio.run(measure(args))
    except openai.APIConnectionError as exc:
        print(f"No vLLM-Omni server at {args.base_url}: {exc}", file=sys.stderr)
        return 2
    print(table(results))
    return 0 if all(result.ok for result in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
