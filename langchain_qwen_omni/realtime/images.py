"""Camera frames for a realtime session: JPEG, at most 1080p and 256 KB of base64.

JPEG bytes and files are checked as they are; numpy arrays and PIL images
(the `images` extra) are scaled down to fit 1080p and encoded at the best
JPEG quality that fits the size limit.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from langchain_qwen_omni._probe import image_size
from langchain_qwen_omni.errors import OmniInputError

__all__ = [
    "IMAGE_MAX_BASE64_BYTES",
    "IMAGE_MAX_LONG_SIDE",
    "IMAGE_MAX_SHORT_SIDE",
    "prepare_image",
]

IMAGE_MAX_BASE64_BYTES = 256 * 1024
"""The documented cap on one frame, measured as base64."""
IMAGE_MAX_LONG_SIDE = 1920
IMAGE_MAX_SHORT_SIDE = 1080
"""1080p: the largest frame the API takes."""
_JPEG_MAGIC = b"\xff\xd8\xff"
_QUALITIES = (90, 80, 70, 60, 50, 40, 30)


def _base64_size(size: int) -> int:
    return (size + 2) // 3 * 4


def prepare_image(source: Any) -> bytes:
    """JPEG bytes of one frame, within the documented limits.

    Args:
        source: JPEG bytes, a path to a JPEG file, an H x W x 3 uint8 numpy
            array, or a PIL image (arrays and PIL images need the `images`
            extra).

    Raises:
        OmniInputError: For a missing file, content that is not JPEG, or a
            JPEG larger than 1080p or 256 KB of base64.
    """
    if isinstance(source, (str, Path)):
        path = Path(source)
        if not path.is_file():
            msg = f"Cannot send the image {str(path)!r}: no such file."
            raise OmniInputError(msg)
        return _checked_jpeg(path.read_bytes(), repr(str(path)))
    if isinstance(source, (bytes, bytearray, memoryview)):
        return _checked_jpeg(bytes(source), "the image bytes")
    return _encode(source)


def _checked_jpeg(data: bytes, what: str) -> bytes:
    if not data.startswith(_JPEG_MAGIC):
        msg = (
            f"{what} is not a JPEG: realtime sessions take JPEG frames only. "
            "Pass a numpy array or PIL image to have it encoded."
        )
        raise OmniInputError(msg)
    encoded = _base64_size(len(data))
    if encoded > IMAGE_MAX_BASE64_BYTES:
        msg = (
            f"{what} is {encoded:,} bytes as base64, over the limit of "
            f"{IMAGE_MAX_BASE64_BYTES:,}: send a smaller frame (720p at JPEG "
            "quality 80 fits), or pass the pixels as a numpy array to have them fitted."
        )
        raise OmniInputError(msg)
    size = image_size(data)
    if size is not None and not _fits(*size):
        width, height = size
        msg = (
            f"{what} is {width}x{height}, larger than 1080p "
            f"({IMAGE_MAX_LONG_SIDE}x{IMAGE_MAX_SHORT_SIDE}): scale it down, or "
            "pass the pixels as a numpy array to have them fitted."
        )
        raise OmniInputError(msg)
    return data


def _fits(width: int, height: int) -> bool:
    return (
        max(width, height) <= IMAGE_MAX_LONG_SIDE
        and min(width, height) <= IMAGE_MAX_SHORT_SIDE
    )


def _encode(source: Any) -> bytes:
    """Encode pixels as JPEG: scaled into 1080p, at the best quality that fits."""
    try:
        from PIL import Image  # noqa: PLC0415  # the `images` extra
    except ImportError as exc:
        msg = (
            f"Sending a {type(source).__name__} as an image needs Pillow: "
            'pip install "langchain-qwen-omni[images]", or pass JPEG bytes.'
        )
        raise OmniInputError(msg) from exc
    image = _as_pil(source, Image)
    scale = min(
        IMAGE_MAX_LONG_SIDE / max(image.size),
        IMAGE_MAX_SHORT_SIDE / min(image.size),
        1.0,
    )
    if scale < 1.0:
        size = (max(1, int(image.width * scale)), max(1, int(image.height * scale)))
        image = image.resize(size)
    rgb = image.convert("RGB")
    while True:
        for quality in _QUALITIES:
            buffer = io.BytesIO()
            rgb.save(buffer, format="JPEG", quality=quality)
            if _base64_size(buffer.tell()) <= IMAGE_MAX_BASE64_BYTES:
                return buffer.getvalue()
        # even the lowest quality is too large (noise-like pixels): smaller
        width, height = rgb.size
        rgb = rgb.resize((max(1, width * 3 // 4), max(1, height * 3 // 4)))


def _as_pil(source: Any, image_module: Any) -> Any:
    if isinstance(source, image_module.Image):
        return source
    import numpy as np  # noqa: PLC0415

    if isinstance(source, np.ndarray):
        if source.dtype != np.uint8 or source.ndim not in (2, 3):
            msg = (
                "An image array must be H x W (grey) or H x W x 3 uint8, got "
                f"{source.dtype} of shape {source.shape}."
            )
            raise OmniInputError(msg)
        return image_module.fromarray(source)
    msg = (
        f"Cannot send {type(source).__name__} as an image: pass JPEG bytes, a "
        "JPEG path, a numpy array or a PIL image."
    )
    raise OmniInputError(msg)
