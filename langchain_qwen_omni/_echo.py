"""Show a streamed answer at the terminal while passing its chunks on.

Shared by the one-shot and the interactive `qwen-omni chat`: the answer's
text goes to stdout as it arrives, reasoning (thinking mode) to stderr,
dimmed, so a pipe receives the answer alone; its speech, if any, plays as
it streams or is collected (`hear`).
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from langchain_core.messages import BaseMessage
    from rich.console import Console

    from langchain_qwen_omni.audio import OmniAudio
    from langchain_qwen_omni.playback import AudioDevice

__all__ = ["echo_answer", "hear"]


def echo_answer(
    chunks: Iterable[BaseMessage], console: Console, received: list[str] | None = None
) -> Iterator[BaseMessage]:
    """Print each chunk's reasoning and text, then yield the chunk.

    Ends the answer's line once the stream ends, also when it breaks.

    Args:
        chunks: The chunks of a stream (or one invoked message).
        console: The stderr console, for reasoning.
        received: Collects the text printed so far, which stays known
            when the stream fails half-way.
    """
    thinking = False
    try:
        for chunk in chunks:
            reasoning = chunk.additional_kwargs.get("reasoning_content")
            if isinstance(reasoning, str) and reasoning:
                if not thinking:
                    console.print("Thinking: ", style="dim", end="")
                    thinking = True
                console.print(reasoning, style="dim italic", end="", markup=False)
            if text := chunk.text:
                if thinking:
                    console.print()
                    thinking = False
                sys.stdout.write(text)
                sys.stdout.flush()
                if received is not None:
                    received.append(text)
            yield chunk
    finally:
        sys.stdout.write("\n")
        sys.stdout.flush()


def hear(
    chunks: Iterable[BaseMessage], *, spoken: bool, player: AudioDevice | None
) -> OmniAudio | None:
    """Consume an answer's chunks; return its speech, played live with a player.

    Args:
        chunks: The answer's chunks (typically from `echo_answer`).
        spoken: Whether the answer carries speech to collect.
        player: Where the speech plays as it arrives; None plays nothing.

    Returns:
        The speech, or None when the answer is not spoken.
    """
    if player is not None:
        from langchain_qwen_omni.playback import play_stream  # noqa: PLC0415

        return play_stream(chunks, device=player)
    if not spoken:
        for _ in chunks:
            pass
        return None
    from langchain_qwen_omni.audio import OmniAudio  # noqa: PLC0415

    return OmniAudio.from_chunks(chunks)
