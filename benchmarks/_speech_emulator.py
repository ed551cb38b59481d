"""An emulator, in its own process, that answers with long speech.

`python -m benchmarks._speech_emulator --seconds 600` serves answers of 600 s
of speech (24 kHz int16 mono: 28.8 MB of PCM) in 4,800-byte pieces, 6,000 of
them, with the text of a spoken answer of that length (150 words a minute).
The client under test runs in another process, so the emulator's memory and
CPU never count against it.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from langchain_qwen_omni.emulator.process import listening_process

if TYPE_CHECKING:
    from collections.abc import Iterator

PIECE = 4800
"""Bytes of PCM per speech delta: 0.1 s, as the API sends."""
WORDS_PER_MINUTE = 150


def answer_text(seconds: float, words: int | None = None) -> str:
    """The words of an answer spoken in `seconds` (150 a minute by default)."""
    if words is None:
        words = max(1, int(seconds / 60 * WORDS_PER_MINUTE))
    return " ".join(f"word{i}" for i in range(words))


def pcm_bytes(seconds: float) -> int:
    """Bytes of PCM the emulator sends for `seconds` of speech."""
    return int(seconds * 24_000) * 2


@contextlib.contextmanager
def speech_emulator(
    seconds: float, *, words: int | None = None, transcript: bool = False
) -> Iterator[str]:
    """Run the emulator process; yield its base URL.

    Args:
        seconds: Speech per answer.
        words: Words per answer, one text delta each; 150 a minute if None.
        transcript: Send the text in `delta.audio.transcript` (the older
            placement) instead of `delta.content`.
    """
    command = [sys.executable, "-m", "benchmarks._speech_emulator"]
    command += ["--seconds", str(seconds)]
    if words is not None:
        command += ["--words", str(words)]
    if transcript:
        command.append("--transcript")
    repository = Path(__file__).resolve().parent.parent
    with listening_process(command, cwd=repository) as base_url:
        yield base_url


def main() -> None:
    """Serve until terminated."""
    from langchain_qwen_omni.emulator.server import serve  # noqa: PLC0415

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, required=True)
    parser.add_argument("--words", type=int, default=None)
    parser.add_argument("--transcript", action="store_true")
    args = parser.parse_args()
    text = answer_text(args.seconds, args.words)
    serve(
        port=0,
        log_level="warning",
        answer=text,
        transcript_mode="transcript" if args.transcript else "content",
        audio_piece_sizes=(PIECE,),
        speech_seconds_per_char=args.seconds / len(text),
        min_speech_seconds=args.seconds,
        max_speech_seconds=args.seconds,
    )


if __name__ == "__main__":
    main()
