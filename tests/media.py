"""Tiny test media, generated in memory: images, audio files and videos.

Every function returns the bytes of a complete, valid file, small and quick to
make (a few milliseconds each), and is cached, so tests can call them freely.
Sizes and durations are parameters because the rules under test depend on
them (image sides and aspect ratio, audio and video seconds, file bytes).

    from tests import media

    media.png(32, 16)                  # PNG bytes, 32 px wide, 16 px high
    media.jpeg(64, 64)                 # JPEG bytes
    media.rgb_array(8, 4)              # HxWx3 uint8 array (H=4, W=8)
    media.wav(seconds=0.5)             # 16-bit PCM WAV, mono
    media.flac(seconds=0.5)            # FLAC
    media.mp3(seconds=0.5)             # MP3 (libsndfile >= 1.1)
    media.ogg(seconds=0.5)             # OGG Vorbis
    media.mp4(seconds=2.0)             # MP4: mpeg4 video and an AAC audio track
    media.wav_of_size(7 * 1024 * 1024) # a silent WAV of exactly that many bytes
    media.write(tmp_path / "a.wav", media.wav())  # save and return the path
"""

from __future__ import annotations

import io
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np
import soundfile as sf

if TYPE_CHECKING:
    from pathlib import Path

__all__ = [
    "WAV_HEADER_BYTES",
    "flac",
    "jpeg",
    "mp3",
    "mp4",
    "ogg",
    "png",
    "rgb_array",
    "tone",
    "wav",
    "wav_of_size",
    "write",
]

WAV_HEADER_BYTES = 44
"""Header size of a plain 16-bit PCM WAV written by `wav` and `wav_of_size`."""


def rgb_array(width: int = 16, height: int = 16, seed: int = 0) -> np.ndarray:
    """An HxWx3 uint8 image: a colour gradient (varies with `seed`)."""
    ys, xs = np.mgrid[0:height, 0:width]
    red = (xs * 255 // max(width - 1, 1) + seed * 40) % 256
    green = (ys * 255 // max(height - 1, 1) + seed * 80) % 256
    blue = np.full_like(red, (seed * 97) % 256)
    return np.stack([red, green, blue], axis=-1).astype(np.uint8)


@lru_cache(maxsize=64)
def _image(width: int, height: int, image_format: str, seed: int) -> bytes:
    from PIL import Image  # noqa: PLC0415  # heavy, and only some tests need it

    buffer = io.BytesIO()
    Image.fromarray(rgb_array(width, height, seed)).save(buffer, format=image_format)
    return buffer.getvalue()


def png(width: int = 16, height: int = 16, seed: int = 0) -> bytes:
    """PNG bytes of a `width` x `height` RGB image."""
    return _image(width, height, "PNG", seed)


def jpeg(width: int = 16, height: int = 16, seed: int = 0) -> bytes:
    """JPEG bytes of a `width` x `height` RGB image."""
    return _image(width, height, "JPEG", seed)


def tone(
    seconds: float = 0.5, sample_rate: int = 16_000, frequency: float = 440.0
) -> np.ndarray:
    """Mono float32 samples of a sine tone at half scale."""
    t = np.arange(round(seconds * sample_rate), dtype=np.float32) / sample_rate
    return (0.5 * np.sin(2 * np.pi * frequency * t)).astype(np.float32)


@lru_cache(maxsize=64)
def _audio(
    seconds: float, sample_rate: int, file_format: str, subtype: str | None
) -> bytes:
    buffer = io.BytesIO()
    sf.write(
        buffer,
        tone(seconds, sample_rate),
        sample_rate,
        format=file_format,
        subtype=subtype,
    )
    return buffer.getvalue()


def wav(seconds: float = 0.5, sample_rate: int = 16_000) -> bytes:
    """A mono 16-bit PCM WAV of a tone."""
    return _audio(seconds, sample_rate, "WAV", "PCM_16")


def flac(seconds: float = 0.5, sample_rate: int = 16_000) -> bytes:
    """A mono FLAC of a tone."""
    return _audio(seconds, sample_rate, "FLAC", "PCM_16")


def mp3(seconds: float = 0.5, sample_rate: int = 16_000) -> bytes:
    """A mono MP3 of a tone (libsndfile 1.1 or newer encodes MP3)."""
    return _audio(seconds, sample_rate, "MP3", "MPEG_LAYER_III")


def ogg(seconds: float = 0.5, sample_rate: int = 16_000) -> bytes:
    """A mono OGG Vorbis of a tone."""
    return _audio(seconds, sample_rate, "OGG", "VORBIS")


def wav_of_size(size: int, sample_rate: int = 16_000) -> bytes:
    """A silent mono 16-bit WAV of exactly `size` bytes (`size` even, >= 44).

    For size limits: quick to make however large, and a valid file whose
    duration is `(size - 44) / 2 / sample_rate` seconds.
    """
    if size < WAV_HEADER_BYTES or size % 2:
        msg = f"size must be even and at least {WAV_HEADER_BYTES}, got {size}"
        raise ValueError(msg)
    buffer = io.BytesIO()
    samples = np.zeros((size - WAV_HEADER_BYTES) // 2, dtype=np.int16)
    sf.write(buffer, samples, sample_rate, format="WAV", subtype="PCM_16")
    data = buffer.getvalue()
    assert len(data) == size, (len(data), size)
    return data


@lru_cache(maxsize=16)
def mp4(
    seconds: float = 2.0,
    *,
    width: int = 32,
    height: int = 32,
    fps: int = 4,
    audio: bool = True,
) -> bytes:
    """An MP4 (mpeg4 video, AAC audio track unless `audio=False`).

    Low frame rate, tiny frames and a track that is silent after a half-second
    beep keep long videos cheap: 60 s encode in about a tenth of a second.
    """
    import av  # noqa: PLC0415  # heavy, and only some tests need it

    sample_rate = 16_000
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format="mp4") as container:
        video = container.add_stream("mpeg4", rate=fps)
        video.width, video.height = width, height
        video.pix_fmt = "yuv420p"
        sound = container.add_stream("aac", rate=sample_rate) if audio else None
        for index in range(round(seconds * fps)):
            picture = av.VideoFrame.from_ndarray(
                rgb_array(width, height, seed=index), format="rgb24"
            )
            container.mux(video.encode(picture))
        container.mux(video.encode())
        if sound is not None:
            samples = tone(seconds, sample_rate)
            samples[sample_rate // 2 :] = 0  # silence encodes ~30x faster than a tone
            step = 1024
            for start in range(0, len(samples), step):
                piece = samples[start : start + step].reshape(1, -1)
                frame = av.AudioFrame.from_ndarray(piece, format="fltp", layout="mono")
                frame.sample_rate = sample_rate
                frame.pts = start
                container.mux(sound.encode(frame))
            container.mux(sound.encode())
    return buffer.getvalue()


def write(path: Path, data: bytes) -> Path:
    """Write `data` to `path` (parents created) and return the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def sealed(path: str | Path) -> dict[str, str]:
    """The `extras` of a local-file block as `image_block(path)` makes them."""
    from langchain_qwen_omni.media import path_seal  # noqa: PLC0415

    return {"path": str(path), "seal": path_seal(str(path))}
