"""Video question: ask about a local video file; Omni sees it and hears it.

Run it:

    python cookbook/video_question.py --video clip.mp4
    python cookbook/video_question.py --emulator

`video_block` sends a video file whole: the model watches the frames and
listens to the sound track. One video file per request, up to 150 s on
qwen3-omni-flash (40 s on the turbo models), and a local file goes as base64,
so keep it under about 7 MB or pass an http(s) URL. For longer videos see
`long_video_summary.py`, which cuts them.
"""

from __future__ import annotations

from pathlib import Path

import _samples
from _common import endpoint, recipe_parser
from langchain_core.messages import HumanMessage

from langchain_qwen_omni import ChatQwenOmni, video_block


def main(argv: list[str] | None = None) -> int:
    """Run the recipe; returns the process exit code."""
    parser = recipe_parser(__doc__)
    parser.add_argument("--video", type=Path, help="a video file (default: generated)")
    parser.add_argument(
        "--question", default="What happens in this video, and what do you hear?"
    )
    args = parser.parse_args(argv)

    with _samples.sample_dir() as folder, endpoint(args) as connection:
        model = ChatQwenOmni(model=args.model, **connection)
        clip = args.video or _samples.video(folder)
        message = HumanMessage(
            content_blocks=[
                video_block(clip),
                {"type": "text", "text": args.question},
            ]
        )
        for chunk in model.stream([message]):
            print(chunk.text, end="", flush=True)
        print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
