"""Video as frames: sample images from a video and send them as one sequence.

Run it:

    python cookbook/video_frames.py --video clip.mp4 --fps 2
    python cookbook/video_frames.py --emulator

Instead of a video file, Omni also takes a video as a list of images
(`{"type": "video", "video": [...]}`): 2 to 128 frames on qwen3-omni-flash,
4 to 80 on the turbo models. Frames are lighter than the file and work for
any length, but carry no sound. Here PyAV decodes the video and keeps about
`--fps` frames a second; `video_frames_block` turns the numpy frames into
the block. Too many frames are evenly subsampled, with one warning, when
the request is built.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, cast

import _samples
import av  # the `video` extra (PyAV)
from _common import endpoint, recipe_parser
from langchain_core.messages import HumanMessage

from langchain_qwen_omni import ChatQwenOmni, video_frames_block

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt


def sample_frames(path: Path, fps: float) -> list[npt.NDArray[np.uint8]]:
    """Decode the video and keep about `fps` RGB frames per second."""
    frames = []
    next_time = 0.0
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            if frame.time is not None and frame.time + 1e-6 >= next_time:
                frames.append(
                    cast("npt.NDArray[np.uint8]", frame.to_ndarray(format="rgb24"))
                )
                next_time += 1.0 / fps
    return frames


def main(argv: list[str] | None = None) -> int:
    """Run the recipe; returns the process exit code."""
    parser = recipe_parser(__doc__)
    parser.add_argument("--video", type=Path, help="a video file (default: generated)")
    parser.add_argument("--fps", type=float, default=2.0, help="frames per second")
    parser.add_argument("--question", default="What moves in these frames, and how?")
    args = parser.parse_args(argv)

    with _samples.sample_dir() as folder, endpoint(args) as connection:
        model = ChatQwenOmni(model=args.model, **connection)
        clip = args.video or _samples.video(folder, seconds=4.0)
        frames = sample_frames(clip, args.fps)
        print(f"{len(frames)} frames from {clip.name}")
        message = HumanMessage(
            content_blocks=[
                video_frames_block(frames),
                {"type": "text", "text": args.question},
            ]
        )
        print(model.invoke([message]).text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
