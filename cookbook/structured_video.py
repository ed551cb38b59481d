"""Structured extraction from a video with `with_structured_output`.

Run it:

    python cookbook/structured_video.py --video clip.mp4
    python cookbook/structured_video.py --emulator

`with_structured_output(Schema)` makes the model fill a pydantic class (or a
TypedDict, or a JSON schema) instead of writing prose, so its answer about a
video goes straight into your program: here a title, the scenes, whether
anyone speaks, and the mood. The video goes in as a normal media block; the
model both watches and listens.
"""

from __future__ import annotations

from pathlib import Path

import _samples
from _common import endpoint, recipe_parser
from langchain_core.messages import HumanMessage
from pydantic import BaseModel, Field

from langchain_qwen_omni import ChatQwenOmni, video_block


class VideoFacts(BaseModel):
    """Facts about a short video."""

    title: str = Field(description="A short title for the video")
    scenes: list[str] = Field(description="What happens, one sentence per scene")
    has_speech: bool = Field(description="Whether anyone speaks in the sound track")
    mood: str = Field(description="The mood, in one or two words")


def main(argv: list[str] | None = None) -> int:
    """Run the recipe; returns the process exit code."""
    parser = recipe_parser(__doc__)
    parser.add_argument("--video", type=Path, help="a video file (default: generated)")
    args = parser.parse_args(argv)

    with _samples.sample_dir() as folder, endpoint(args) as connection:
        model = ChatQwenOmni(model=args.model, **connection)
        extractor = model.with_structured_output(VideoFacts)
        clip = args.video or _samples.video(folder)
        facts = extractor.invoke(
            [
                HumanMessage(
                    content_blocks=[
                        video_block(clip),
                        {"type": "text", "text": "Extract the facts of this video."},
                    ]
                )
            ]
        )
    assert isinstance(facts, VideoFacts)
    print(facts.model_dump_json(indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
