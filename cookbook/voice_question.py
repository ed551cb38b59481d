"""Voice question: ask out loud, hear the answer while it streams, keep it.

Run it:

    python cookbook/voice_question.py --seconds 5            # speak into the microphone
    python cookbook/voice_question.py --question q.wav       # or ask with a sound file
    python cookbook/voice_question.py --emulator

Needs the `playback` extra (`pip install "langchain-qwen-omni[playback]"`).
`record(seconds=...)` captures the question as `OmniAudio`, which
`audio_block` sends as WAV; `play_stream` plays the spoken answer piece by
piece as it arrives and returns all of it as `OmniAudio`, whose `repr` is a
one-line summary (and a player in a notebook). Without a sound device the
recipe says why, asks a generated sample question instead, and saves the
answer without playing it.
"""

from __future__ import annotations

import sys
from pathlib import Path

import _samples
from _common import endpoint, recipe_parser
from langchain_core.messages import HumanMessage

from langchain_qwen_omni import ChatQwenOmni, OmniAudio, audio_block
from langchain_qwen_omni.playback import (
    OmniDeviceError,
    play_stream,
    probe_output,
    record,
)

NO_DEVICE = (ModuleNotFoundError, OmniDeviceError)


def main(argv: list[str] | None = None) -> int:
    """Run the recipe; returns the process exit code."""
    parser = recipe_parser(__doc__)
    parser.add_argument("--question", type=Path, help="a sound file to ask with")
    parser.add_argument("--seconds", type=float, default=5.0, help="recording length")
    parser.add_argument("--voice", default="Cherry")
    parser.add_argument("--out", type=Path, default=Path("voice-answer.wav"))
    args = parser.parse_args(argv)

    with _samples.sample_dir() as folder, endpoint(args) as connection:
        question: Path | OmniAudio
        if args.question is not None:
            question = args.question
        else:
            try:
                print(f"Recording {args.seconds:g} s: ask your question.")
                question = record(seconds=args.seconds)
            except NO_DEVICE as exc:
                print(f"Cannot record: {exc} Asking a sample.", file=sys.stderr)
                question = _samples.wav(folder)
        message = HumanMessage(
            content_blocks=[
                {"type": "text", "text": "Answer the question you hear, briefly."},
                audio_block(question),
            ]
        )
        model = ChatQwenOmni(
            model=args.model,
            modalities=["text", "audio"],
            voice=args.voice,
            **connection,
        )
        try:
            probe_output()  # check before the request: playback starts mid-answer
            answer = play_stream(model.stream([message]))
        except NO_DEVICE as exc:
            print(f"Not played: {exc} Saving it only.", file=sys.stderr)
            answer = OmniAudio.from_chunks(model.stream([message]))

    print(answer.transcript)
    print(repr(answer))  # a one-line summary; a notebook shows a player
    answer.save(args.out)
    print(f"Saved to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
