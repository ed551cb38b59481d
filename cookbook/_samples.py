"""Small sample media for the recipes: an image, a WAV, a short MP4.

Recipes use these when you pass no file of your own, so every recipe runs
as is. The media are made here, in a few milliseconds, not downloaded:
a picture of coloured shapes (Pillow), a short melody (soundfile), and a
video of a moving square with a beeping sound track (PyAV, the `video`
extra).
"""

from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import soundfile as sf

if TYPE_CHECKING:
    from collections.abc import Iterator

    import numpy.typing as npt

__all__ = ["image", "images", "sample_dir", "video", "wav"]

IMAGE_URL = "https://dashscope.oss-cn-beijing.aliyuncs.com/images/dog_and_girl.jpeg"
"""A public photo from Model Studio's own samples, for recipes that take a URL."""

_PALETTE = ((230, 57, 70), (29, 53, 87), (69, 123, 157), (244, 162, 97))


@contextlib.contextmanager
def sample_dir() -> Iterator[Path]:
    """A temporary folder for generated media, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="qwen-omni-cookbook-") as folder:
        yield Path(folder)


def _picture(width: int, height: int, seed: int) -> npt.NDArray[np.uint8]:
    """An RGB picture: a gradient sky, a sun, and a square whose place varies."""
    ys, xs = np.mgrid[0:height, 0:width]
    picture = np.empty((height, width, 3), dtype=np.uint8)
    picture[..., 0] = 120 + 100 * ys // height
    picture[..., 1] = 170 + 60 * ys // height
    picture[..., 2] = 235
    sun = (xs - width * 0.8) ** 2 + (ys - height * 0.25) ** 2 < (height * 0.12) ** 2
    picture[sun] = (250, 200, 40)
    side = max(height // 4, 2)
    left = (seed * max(width // 12, 1)) % max(width - side, 1)
    top = height - side - height // 10
    picture[top : top + side, left : left + side] = _PALETTE[seed % len(_PALETTE)]
    return picture


def image(
    folder: Path,
    name: str = "sample.png",
    *,
    width: int = 320,
    height: int = 240,
    seed: int = 0,
) -> Path:
    """Write a picture of coloured shapes; the suffix picks PNG or JPEG."""
    from PIL import Image  # noqa: PLC0415  # the `images` extra, when needed

    path = folder / name
    Image.fromarray(_picture(width, height, seed)).save(path)
    return path


def images(folder: Path, count: int = 4) -> list[Path]:
    """Write `count` different pictures into `folder` and return their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    return [image(folder, f"picture-{i}.png", seed=i) for i in range(count)]


def _melody(seconds: float, sample_rate: int) -> npt.NDArray[np.float32]:
    """A few notes of a major scale, each with a soft attack and release."""
    notes = (261.6, 293.7, 329.6, 349.2, 392.0, 440.0, 493.9, 523.3)
    t = np.arange(round(seconds * sample_rate)) / sample_rate
    note = (t * 4).astype(int) % len(notes)  # four notes a second
    envelope = np.sin(np.pi * ((t * 4) % 1.0)) ** 2
    return (0.4 * envelope * np.sin(2 * np.pi * np.take(notes, note) * t)).astype(
        np.float32
    )


def wav(folder: Path, name: str = "sample.wav", *, seconds: float = 2.0) -> Path:
    """Write a short melody as a 16 kHz mono WAV."""
    path = folder / name
    sample_rate = 16_000
    sf.write(path, _melody(seconds, sample_rate), sample_rate, subtype="PCM_16")
    return path


def video(
    folder: Path,
    name: str = "sample.mp4",
    *,
    seconds: float = 3.0,
    size: tuple[int, int] = (160, 120),
    fps: int = 8,
) -> Path:
    """Write an MP4 of a moving square with chimes on its sound track.

    Small frames, a low frame rate and a sound track that chimes for one
    second in every ten (AAC encodes silence far faster than sound) keep even
    a long video quick to make, which the long-video recipe relies on.
    """
    import av  # noqa: PLC0415  # the `video` extra, when needed

    path = folder / name
    width, height = size
    sample_rate = 16_000
    with av.open(str(path), mode="w") as container:
        picture_stream = container.add_stream("mpeg4", rate=fps)
        picture_stream.width, picture_stream.height = width, height
        picture_stream.pix_fmt = "yuv420p"
        sound_stream = container.add_stream("aac", rate=sample_rate)
        for index in range(round(seconds * fps)):
            frame = av.VideoFrame.from_ndarray(
                _picture(width, height, seed=index), format="rgb24"
            )
            container.mux(picture_stream.encode(frame))
        container.mux(picture_stream.encode())
        melody = _melody(seconds, sample_rate)
        melody[(np.arange(len(melody)) // sample_rate) % 10 != 0] = 0
        step = 1024
        for start in range(0, len(melody), step):
            piece = melody[start : start + step].reshape(1, -1)
            sound = av.AudioFrame.from_ndarray(piece, format="fltp", layout="mono")
            sound.sample_rate = sample_rate
            sound.pts = start
            container.mux(sound_stream.encode(sound))
        container.mux(sound_stream.encode())
    return path
