"""Long video summary: describe a video longer than the model accepts.

Run it:

    python cookbook/long_video_summary.py --video lecture.mp4
    python cookbook/long_video_summary.py --emulator --seconds 200

qwen3-omni-flash takes a video file of at most 150 s (the turbo models 40 s),
and a base64 item of at most 10 MB. `create_video_describer` cuts a longer
local video into segments that fit (re-encoded, keeping the sound track) or
samples it into frame sequences, describes the parts concurrently, and
merges them into one answer with timestamps. Its progress arrives as
`describe_video_progress` custom callback events, printed here as each part
finishes. Needs the `video` extra (PyAV).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import _samples
from _common import endpoint, recipe_parser
from langchain_core.callbacks import BaseCallbackHandler

from langchain_qwen_omni import ChatQwenOmni, create_video_describer


def clock(seconds: float | None) -> str:
    """Seconds as mm:ss."""
    if seconds is None:
        return "end"
    return f"{int(seconds) // 60:02d}:{int(seconds) % 60:02d}"


class PrintProgress(BaseCallbackHandler):
    """Print a line as each part of the video is described."""

    def on_custom_event(self, name: str, data: Any, **kwargs: Any) -> None:
        """Receive the describer's progress events."""
        del kwargs
        if name == "describe_video_progress":
            span = f"{clock(data['start'])}-{clock(data['end'])}"
            print(f"  part {data['done']}/{data['total']} described ({span})")


def main(argv: list[str] | None = None) -> int:
    """Run the recipe; returns the process exit code."""
    parser = recipe_parser(__doc__)
    parser.add_argument("--video", type=Path, help="a video file (default: generated)")
    parser.add_argument(
        "--seconds", type=float, default=200.0, help="length of the generated video"
    )
    parser.add_argument("--question", default="Summarize this video with timestamps.")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument(
        "--strategy", choices=["auto", "segments", "frames"], default="auto"
    )
    args = parser.parse_args(argv)

    with _samples.sample_dir() as folder, endpoint(args) as connection:
        clip = args.video or _samples.video(
            folder, "long.mp4", seconds=args.seconds, size=(128, 96), fps=4
        )
        describer = create_video_describer(
            ChatQwenOmni(model=args.model, **connection),
            allowed_dirs=[clip.parent],
            max_concurrency=args.concurrency,
            strategy=args.strategy,
        )
        print(f"Describing {clip.name} with {args.model}:")
        result = describer.invoke(
            {"video": str(clip), "question": args.question},
            config={"callbacks": [PrintProgress()]},
        )

    print(f"\nHow: {result.strategy}, because {result.reason}")
    for segment in result.segments:
        print(f"[{clock(segment.start)}-{clock(segment.end)}] {segment.text}")
    print(f"\nSummary: {result.answer}")
    print("tokens:", result.usage)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
