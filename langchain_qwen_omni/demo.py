"""The offline demo behind `make demo` and `qwen-omni demo`.

It starts the bundled emulator, streams a spoken answer from `ChatQwenOmni`,
prints the text as it arrives and saves the speech to a WAV file.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from langchain_core.messages import AIMessageChunk

from langchain_qwen_omni.audio import OmniAudio
from langchain_qwen_omni.chat_models import ChatQwenOmni

if TYPE_CHECKING:
    from collections.abc import Callable

    from langchain_core.messages import BaseMessageChunk

__all__ = ["run_demo"]

DEMO_PROMPT = "Introduce yourself in one sentence, out loud."


def run_demo(
    output: str | Path = "demo-output/omni-demo.wav",
    *,
    echo: Callable[[str], object] = print,
) -> Path:
    """Stream a spoken answer from the emulator and save its speech.

    Args:
        output: Where to write the speech; the suffix picks the format.
        echo: Receives the text to show (pieces of the answer, then a summary).

    Returns:
        The path of the saved speech.
    """
    from langchain_qwen_omni.emulator import OmniEmulator  # noqa: PLC0415  # optional extra

    target = Path(output)
    target.parent.mkdir(parents=True, exist_ok=True)
    with OmniEmulator() as emulator:
        model = ChatQwenOmni(
            base_url=emulator.base_url,
            api_key="emulator",
            modalities=["text", "audio"],
            voice="Cherry",
        )
        echo(f"Emulator listening at {emulator.base_url}\n")
        echo(f"> {DEMO_PROMPT}\n")
        chunks: list[BaseMessageChunk] = []
        for chunk in model.stream(DEMO_PROMPT):
            chunks.append(chunk)
            if chunk.text:
                echo(chunk.text)
        audio = OmniAudio.from_chunks(chunks)
        audio.save(target)
    usage = next(
        (
            c.usage_metadata
            for c in chunks
            if isinstance(c, AIMessageChunk) and c.usage_metadata
        ),
        None,
    )
    tokens = f", {usage['total_tokens']} tokens" if usage else ""
    echo(
        f"\n\nSaved {audio.duration:.2f} s of speech ({audio.sample_rate} Hz mono"
        f"{tokens}) to {target.resolve()}\n"
    )
    return target
