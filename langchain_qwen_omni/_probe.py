"""What media bytes are: their type, image size, audio and video duration.

Pure functions over bytes that never fetch anything. The type comes from
magic numbers (content decides, not file names: users pass bytes whose
origin is lost), then from a name's suffix. Image sizes come from the file
header (no decode); durations come from soundfile for WAV, FLAC and OGG and
from PyAV, imported only when needed, for everything else. A probe that
cannot tell returns `None` rather than guessing: the rules then skip that
check, and the API remains the judge.
"""

from __future__ import annotations

import io
import logging
import mimetypes
import re
import struct
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, NamedTuple, cast

logger = logging.getLogger(__name__)

__all__ = [
    "AUDIO_FORMATS",
    "SNIFF_BYTES",
    "Kind",
    "VideoFacts",
    "audio_duration",
    "audio_format",
    "guess_mime_from_name",
    "image_size",
    "kind_of",
    "mime_for_kind",
    "sniff_format",
    "sniff_mime_type",
    "video_duration",
    "video_facts",
]

Kind = Literal["image", "audio", "video"]
"""The three kinds of non-text input Omni takes."""

SNIFF_BYTES = 64
"""Bytes of a file's head that `sniff_mime_type` needs."""

# ------------------------------------------------------------------ sniffing
_RIFF_TYPES = {b"WEBP": "image/webp", b"WAVE": "audio/wav", b"AVI ": "video/x-msvideo"}
_ASF_GUID = bytes.fromhex("3026b2758e66cf11a6d900aa0062ce6c")
_BMP_HEADER_SIZES = {12, 40, 52, 56, 64, 108, 124}


def _ftyp_mime(brand: bytes) -> str:
    """ISO base media files (MP4, MOV, 3GP, M4A, HEIC, AVIF) by their brand."""
    if brand in {b"heic", b"heix", b"heim", b"heis", b"mif1", b"msf1"}:
        return "image/heic"
    if brand in {b"avif", b"avis"}:
        return "image/avif"
    if brand in {b"M4A ", b"M4B ", b"M4P "}:
        return "audio/mp4"
    if brand.startswith(b"3g"):
        return "video/3gpp"
    if brand == b"qt  ":
        return "video/quicktime"
    return "video/mp4"


def _mpeg_sync_mime(head: bytes) -> str | None:
    """MPEG audio frames without a container: MP3, or AAC in ADTS."""
    if len(head) < 2 or head[0] != 0xFF or head[1] & 0xE0 != 0xE0:  # noqa: PLR2004
        return None
    layer = (head[1] >> 1) & 0b11
    if layer == 0:
        return "audio/aac" if head[1] & 0xF0 == 0xF0 else None  # noqa: PLR2004
    return "audio/mpeg"


def sniff_mime_type(data: bytes | memoryview) -> str | None:  # noqa: C901, PLR0911
    """The mime type of media bytes from their magic numbers, or `None`.

    Reads only the first `SNIFF_BYTES` bytes. Recognizes what Omni accepts
    (PNG, JPEG, GIF, WebP, BMP, TIFF, HEIC, AVIF; WAV, MP3, AAC, AMR, 3GP,
    M4A, FLAC, OGG; MP4, MOV, AVI, MKV, WebM, FLV, WMV). Containers that hold
    sound or pictures (MP4, 3GP) are reported as video; `mime_for_kind`
    renames them for audio.
    """
    head = bytes(data[:SNIFF_BYTES])
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head[:6] in {b"GIF87a", b"GIF89a"}:
        return "image/gif"
    if head.startswith(b"RIFF") and len(head) >= 12:  # noqa: PLR2004
        return _RIFF_TYPES.get(head[8:12])
    if head[:4] in {b"II*\x00", b"MM\x00*"}:
        return "image/tiff"
    if head[4:8] == b"ftyp" and len(head) >= 12:  # noqa: PLR2004
        return _ftyp_mime(head[8:12])
    if head.startswith(b"BM") and len(head) >= 18:  # noqa: PLR2004
        (dib_size,) = struct.unpack_from("<I", head, 14)
        return "image/bmp" if dib_size in _BMP_HEADER_SIZES else None
    simple = {
        b"fLaC": "audio/flac",
        b"OggS": "audio/ogg",
        b"#!AMR": "audio/amr",
        b"ID3": "audio/mpeg",
        b"FLV\x01": "video/x-flv",
        _ASF_GUID: "video/x-ms-wmv",
    }
    for magic, mime in simple.items():
        if head.startswith(magic):
            return mime
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "video/webm" if b"webm" in head else "video/x-matroska"
    return _mpeg_sync_mime(head)


def kind_of(mime_type: str | None) -> Kind | None:
    """`"image"`, `"audio"` or `"video"` for a mime type, else `None`."""
    top = (mime_type or "").partition("/")[0].strip().lower()
    return cast("Kind", top) if top in {"image", "audio", "video"} else None


_AS_AUDIO = {"video/mp4": "audio/mp4", "video/3gpp": "audio/3gpp"}


def mime_for_kind(mime_type: str | None, kind: Kind) -> str | None:
    """The mime type to label `kind` media with, or `None` if it is another kind.

    Containers that hold either sound or pictures (MP4, 3GP) are sniffed as
    video; for audio input they are named as audio.
    """
    if mime_type is None:
        return None
    if kind == "audio" and mime_type in _AS_AUDIO:
        return _AS_AUDIO[mime_type]
    return mime_type if kind_of(mime_type) == kind else None


def guess_mime_from_name(name: str) -> str | None:
    """The mime type a file name's suffix suggests, or `None`."""
    suffix = Path(name).suffix.lower()
    return _SUFFIX_MIME.get(suffix) or mimetypes.guess_type(f"x{suffix}")[0]


_SUFFIX_MIME = {
    ".m4a": "audio/mp4",
    ".aac": "audio/aac",
    ".amr": "audio/amr",
    ".3gp": "video/3gpp",
    ".3gpp": "video/3gpp",
    ".flac": "audio/flac",
    ".mkv": "video/x-matroska",
    ".webp": "image/webp",
    ".heic": "image/heic",
    ".avif": "image/avif",
    ".flv": "video/x-flv",
    ".wmv": "video/x-ms-wmv",
}
"""Suffixes that `mimetypes` does not know on every platform."""

# ------------------------------------------------------------ audio format
AUDIO_FORMATS: dict[str, str] = {
    "audio/wav": "wav",
    "audio/x-wav": "wav",
    "audio/wave": "wav",
    "audio/vnd.wave": "wav",
    "audio/mpeg": "mp3",
    "audio/mp3": "mp3",
    "audio/mpeg3": "mp3",
    "audio/x-mpeg-3": "mp3",
    "audio/aac": "aac",
    "audio/x-aac": "aac",
    "audio/aacp": "aac",
    "audio/mp4": "aac",
    "audio/x-m4a": "aac",
    "audio/m4a": "aac",
    "audio/amr": "amr",
    "audio/amr-wb": "amr",
    "audio/3gp": "3gp",
    "audio/3gpp": "3gpp",
    "audio/3gpp2": "3gpp",
    "video/3gpp": "3gpp",
    "audio/flac": "flac",
    "audio/x-flac": "flac",
    "audio/ogg": "ogg",
    "audio/opus": "opus",
    "audio/webm": "webm",
}
"""The `input_audio.format` value per mime type.

Omni documents AMR, WAV, 3GP, 3GPP, AAC and MP3; M4A (AAC in MP4) is sent
as `aac`. Other formats are sent under their own name for the API to judge.
"""

_SUFFIX_FORMATS = {
    ".wav": "wav",
    ".wave": "wav",
    ".mp3": "mp3",
    ".aac": "aac",
    ".m4a": "aac",
    ".amr": "amr",
    ".3gp": "3gp",
    ".3gpp": "3gpp",
    ".flac": "flac",
    ".ogg": "ogg",
    ".oga": "ogg",
    ".opus": "opus",
    ".webm": "webm",
}


def audio_format(mime_type: str | None = None, url: str | None = None) -> str | None:
    """The `input_audio.format` for a mime type, else for a URL's path suffix.

    Other `audio/<name>` types give `<name>`, as LangChain labels OpenAI's
    `input_audio` format `f` as `audio/<f>`. The URL's query string and
    fragment are ignored (`https://x/a.MP3?sig=1` is `mp3`). Returns `None`
    when neither tells.
    """
    if mime_type:
        essence = mime_type.partition(";")[0].strip().lower()
        if essence in AUDIO_FORMATS:
            return AUDIO_FORMATS[essence]
        top, _, sub = essence.partition("/")
        sub = sub.removeprefix("x-")
        if top == "audio" and sub.isalnum() and sub.isascii():
            return sub  # e.g. `audio/3gpp` made by LangChain from format "3gpp"
    if url and not url.startswith("data:"):
        path = re.split(r"[?#]", url, maxsplit=1)[0]
        return _SUFFIX_FORMATS.get(Path(path.rpartition("/")[2]).suffix.lower())
    return None


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
    return video_facts(data).seconds


def video_duration(data: bytes) -> float | None:
    """Seconds of a video file via PyAV; `None` without PyAV or on failure."""
    return video_facts(data).seconds


class VideoFacts(NamedTuple):
    """What a video file's header tells; `None` where it cannot be told."""

    seconds: float | None
    size: tuple[int, int] | None
    """Width and height of the first video stream's frames."""
    has_sound: bool | None
    """Whether a sound track exists."""


_UNKNOWN_VIDEO = VideoFacts(None, None, None)


def video_facts(data: bytes) -> VideoFacts:
    """Duration, frame size and sound of a media file, in one pass over its header.

    All `None` without PyAV or when the container cannot be read.
    """
    av = _load_av()
    if av is None:
        return _UNKNOWN_VIDEO
    try:
        with av.open(io.BytesIO(data), mode="r") as container:
            size = next(
                (
                    (int(stream.width), int(stream.height))
                    for stream in container.streams.video
                    if stream.width and stream.height
                ),
                None,
            )
            sound = bool(container.streams.audio)
            if container.duration is not None:
                seconds = float(container.duration) / float(av.time_base)
                return VideoFacts(seconds, size, sound)
            durations = [
                float(stream.duration * stream.time_base)
                for stream in container.streams
                if stream.duration is not None and stream.time_base is not None
            ]
    except (av.FFmpegError, ValueError, OSError):
        logger.debug("PyAV could not read the media", exc_info=True)
        return _UNKNOWN_VIDEO
    return VideoFacts(max(durations, default=None), size, sound)


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
