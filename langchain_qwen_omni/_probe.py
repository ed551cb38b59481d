"""Cheap facts about media bytes: format, image size, audio and video duration.

Pure functions over bytes that never fetch anything. Image sizes come from the
file header (no decode); durations come from soundfile for WAV, FLAC and OGG
and from PyAV, imported only when needed, for everything else. A probe that
cannot tell returns `None` rather than guessing: the rules then skip that
check, and the API remains the judge.
"""

from __future__ import annotations

import io
import logging
from functools import lru_cache
from typing import Any

from langchain_qwen_omni.errors import OmniInputError
from langchain_qwen_omni.media import b64decode_steps, sniff_mime_type

logger = logging.getLogger(__name__)

__all__ = [
    "audio_duration",
    "decode_data_url",
    "image_size",
    "sniff_format",
    "video_duration",
]

_JPEG_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
"""JPEG start-of-frame markers (DHT, JPG and DAC share the range but are not)."""
_JPEG_STANDALONE = frozenset({0x01, *range(0xD0, 0xDA)})
"""JPEG markers without a length field."""
_SOUNDFILE_FORMATS = frozenset({"wav", "flac", "ogg"})
_FORMAT_OF_MIME = {
    "image/png": "png",
    "image/jpeg": "jpeg",
    "image/gif": "gif",
    "image/bmp": "bmp",
    "image/webp": "webp",
    "image/tiff": "tiff",
    "image/heic": "heic",
    "image/avif": "avif",
    "audio/wav": "wav",
    "audio/flac": "flac",
    "audio/ogg": "ogg",
    "audio/amr": "amr",
    "audio/mpeg": "mp3",
    "audio/aac": "aac",
    "audio/mp4": "m4a",
    "video/3gpp": "3gp",
    "video/mp4": "mp4",
    "video/quicktime": "mov",
    "video/x-msvideo": "avi",
    "video/x-matroska": "mkv",
    "video/webm": "webm",
    "video/x-flv": "flv",
    "video/x-ms-wmv": "wmv",
}


def sniff_format(data: bytes) -> str | None:
    """Name the container format from the first bytes, or `None` if unknown.

    Content decides, not file names: users pass bytes whose origin is lost.
    """
    return _FORMAT_OF_MIME.get(sniff_mime_type(data) or "")


# --- data URLs ------------------------------------------------------------------


def decode_data_url(url: str, *, keep: int | None = None) -> tuple[str, bytes, int]:
    """Split a base64 data URL into its mime type, decoded bytes and their size.

    Decoded strictly, in steps that let other threads (the event loop) run:
    characters outside the alphabet (URL-safe base64, spaces, line breaks)
    raise instead of being skipped, as the API would not skip them either.
    With `keep`, only the first `keep` bytes are returned (a header is all an
    image check needs); the whole text is still checked, and the size is
    that of all the data.

    Raises:
        OmniInputError: The URL is not `data:[<mime>][;...];base64,<data>` or
            its data is not valid base64. The message never repeats the data.
    """
    comma = url.find(",")
    if url[:5].lower() != "data:" or comma < 0:
        msg = "a data URL must look like 'data:<mime>;base64,<data>'"
        raise OmniInputError(msg)
    header = url[5:comma]
    if not header.lower().endswith(";base64"):
        msg = (
            f"the data URL header 'data:{header[:60]}' does not end in ';base64': "
            "Omni accepts only base64 data URLs ('data:<mime>;base64,<data>')"
        )
        raise OmniInputError(msg)
    mime = header.split(";", 1)[0].strip().lower()
    encoded = url[comma + 1 :]
    if not encoded:  # empty media: the rules say so in their own words
        return mime, b"", 0
    try:
        data = b64decode_steps(encoded, keep=keep)
    except ValueError as exc:
        msg = f"the data URL's data is not valid base64: {exc}"
        raise OmniInputError(msg) from None
    size = len(encoded) // 4 * 3 - encoded.count("=", len(encoded) - 2)
    return mime, data, size


# --- images -------------------------------------------------------------------


def image_size(data: bytes) -> tuple[int, int] | None:
    """Return `(width, height)` read from the header of a PNG, JPEG, GIF, WEBP or BMP.

    Only the header is read, so a 10 MB photo costs a few hundred byte reads.
    `None` for other formats or a header too short to tell.
    """
    readers = {
        "png": _png_size,
        "jpeg": _jpeg_size,
        "gif": _gif_size,
        "webp": _webp_size,
        "bmp": _bmp_size,
    }
    kind = sniff_format(data)
    reader = readers.get(kind or "")
    return reader(data) if reader else None


def _png_size(data: bytes) -> tuple[int, int] | None:
    if len(data) < 24 or data[12:16] != b"IHDR":  # noqa: PLR2004
        return None
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def _gif_size(data: bytes) -> tuple[int, int] | None:
    if len(data) < 10:  # noqa: PLR2004
        return None
    return int.from_bytes(data[6:8], "little"), int.from_bytes(data[8:10], "little")


def _bmp_size(data: bytes) -> tuple[int, int] | None:
    if len(data) < 26:  # noqa: PLR2004
        return None
    if int.from_bytes(data[14:18], "little") == 12:  # noqa: PLR2004  # OS/2 core header
        return (
            int.from_bytes(data[18:20], "little"),
            int.from_bytes(data[20:22], "little"),
        )
    width = int.from_bytes(data[18:22], "little", signed=True)
    height = int.from_bytes(data[22:26], "little", signed=True)
    return abs(width), abs(height)  # a negative height means top-down rows


def _webp_size(data: bytes) -> tuple[int, int] | None:
    chunk = data[12:16]
    if chunk == b"VP8 " and len(data) >= 30 and data[23:26] == b"\x9d\x01\x2a":  # noqa: PLR2004
        width = int.from_bytes(data[26:28], "little") & 0x3FFF
        height = int.from_bytes(data[28:30], "little") & 0x3FFF
        return width, height
    if chunk == b"VP8L" and len(data) >= 25 and data[20] == 0x2F:  # noqa: PLR2004
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8X" and len(data) >= 30:  # noqa: PLR2004
        return (
            int.from_bytes(data[24:27], "little") + 1,
            int.from_bytes(data[27:30], "little") + 1,
        )
    return None


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    """Walk the marker segments up to the first start-of-frame."""
    pos = 2
    end = len(data)
    while pos + 4 <= end:
        if data[pos] != 0xFF:  # noqa: PLR2004
            return None
        marker = data[pos + 1]
        if marker == 0xFF:  # noqa: PLR2004  # fill byte
            pos += 1
            continue
        if marker in _JPEG_STANDALONE:
            pos += 2
            continue
        if marker in _JPEG_SOF:
            if pos + 9 > end:
                return None
            height = int.from_bytes(data[pos + 5 : pos + 7], "big")
            width = int.from_bytes(data[pos + 7 : pos + 9], "big")
            return width, height
        pos += 2 + int.from_bytes(data[pos + 2 : pos + 4], "big")
    return None


# --- durations ----------------------------------------------------------------


def audio_duration(data: bytes) -> float | None:
    """Seconds of audio in a file's bytes, or `None` when it cannot be told.

    soundfile reads WAV, FLAC and OGG headers; other formats (MP3, AAC, AMR,
    3GP, M4A) need PyAV, which is optional: without it they are not measured.
    """
    if sniff_format(data) in _SOUNDFILE_FORMATS:
        import soundfile  # noqa: PLC0415  # native library, loaded on first use

        try:
            info = soundfile.info(io.BytesIO(data))
        except (RuntimeError, ValueError, TypeError):  # soundfile.LibsndfileError
            logger.debug("soundfile could not read the audio header", exc_info=True)
            return None
        if not info.samplerate:
            return None
        return float(info.frames) / float(info.samplerate)
    return _av_duration(data)


def video_duration(data: bytes) -> float | None:
    """Seconds of a video file via PyAV; `None` without PyAV or on failure."""
    return _av_duration(data)


def _av_duration(data: bytes) -> float | None:
    av = _load_av()
    if av is None:
        return None
    try:
        with av.open(io.BytesIO(data), mode="r") as container:
            if container.duration is not None:
                return float(container.duration) / float(av.time_base)
            durations = [
                float(stream.duration * stream.time_base)
                for stream in container.streams
                if stream.duration is not None and stream.time_base is not None
            ]
    except (av.FFmpegError, ValueError, OSError):
        logger.debug("PyAV could not read the media", exc_info=True)
        return None
    return max(durations) if durations else None


@lru_cache(maxsize=1)
def _load_av() -> Any:  # the optional module itself
    """Import PyAV once; without it, log a single debug line and measure nothing."""
    try:
        import av  # noqa: PLC0415  # optional and heavy: imported on first use
    except ImportError:
        logger.debug(
            "PyAV is not installed: durations of video and MP3/AAC/AMR/3GP audio "
            "are not checked before sending (install langchain-qwen-omni[video])."
        )
        return None
    return av
