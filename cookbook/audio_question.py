"""Audio question: ask about a local sound file (speech, music, noises).

Run it:

    python cookbook/audio_question.py --audio question.mp3
    python cookbook/audio_question.py --emulator

`audio_block` takes a path (WAV, MP3, AAC, AMR, 3GP, M4A, ...), bytes, an
http(s) URL, or numpy samples with their `sample_rate`. Omni takes one audio
per request, up to 20 minutes on qwen3-omni-flash (3 minutes on the turbo
models); the package checks that before anything is sent.
"""

from __future__ import annotations

from pathlib import Path

import _samples
from _common import endpoint, recipe_parser
from langchain_core.messages import HumanMessage

from langchain_qwen_omni import ChatQwenOmni, audio_block


def main(argv: list[str] | None = None) -> int:
    """Run the recipe; returns the process exit code."""
    parser = recipe_parser(__doc__)
    parser.add_argument("--audio", type=Path, help="a sound file (default: generated)")
    parser.add_argument(
        "--question",
        default="What do you hear? Transcribe any speech, else describe the sound.",
    )
    args = parser.parse_args(argv)

    with _samples.sample_dir() as folder, endpoint(args) as connection:
        model = ChatQwenOmni(model=args.model, **connection)
        sound = args.audio or _samples.wav(folder)
        message = HumanMessage(
            content_blocks=[
                audio_block(sound),
                {"type": "text", "text": args.question},
            ]
        )
        answer = model.invoke([message])
        print(f"{sound.name}:", answer.text)
        print("tokens:", answer.usage_metadata)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
