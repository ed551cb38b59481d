"""Content blocks for images, audio and video, and the byte-level work behind them.

The helpers `image_block`, `audio_block`, `video_block` and
`video_frames_block` turn what a user has at hand (a local path, bytes, an
http(s) URL, a numpy array, a PIL image) into LangChain standard content
blocks, which `ChatQwenOmni` converts to Omni's wire shapes:

```python
from langchain_core.messages import HumanMessage
from langchain_qwen_omni import audio_block, image_block

HumanMessage(
    content_blocks=[
        {"type": "text", "text": "What is in this picture?"},
        image_block("photo.jpg"),
    ]
)
```

Local files are not read by the helpers: a path becomes a standard block
carrying the absolute path in `extras["path"]`, sealed for this process (see
`path_seal`: a block naming a file that did not come from a helper here is
never read), and the file is read and
base64-encoded when a request is built, once per call, in a worker thread on
the async paths (`ainvoke`, `astream`), so the event loop never waits on a
large file. The helpers only check that the file exists and sniff its type
from its first bytes. In-memory media (bytes, arrays, PIL images) are
base64-encoded right away into `base64` + `mime_type` blocks.

Mime types come from the content (magic bytes), then from the file suffix,
so a mislabelled file still reaches the API with its true type.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import mimetypes
import os
import re
import secrets
import struct
import sys
import zlib
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, cast

from langchain_qwen_omni.errors import OmniInputError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence

    from langchain_core.messages.content import (
        AudioContentBlock,
        ImageContentBlock,
        VideoContentBlock,
    )

__all__ = [
    "AUDIO_FORMATS",
    "Kind",
    "audio_block",
    "audio_format",
    "b64decode_checked",
    "b64decode_steps",
    "b64encode",
    "data_url",
    "image_block",
    "kind_of",
    "mime_for_kind",
    "path_is_sealed",
    "path_seal",
    "read_media_file",
    "sniff_mime_type",
    "url_scheme",
    "video_block",
    "video_frames_block",
]

Kind = Literal["image", "audio", "video"]
"""The three kinds of non-text input Omni takes."""

SNIFF_BYTES = 64
"""Bytes of a file's head that `sniff_mime_type` needs."""

_CHUNK = 3 * 256 * 1024
"""Bytes encoded per step: a multiple of 3, so pieces join into valid base64.

Encoding or decoding a large file in one call holds the GIL for tens of
milliseconds; in steps of 768 KiB, other threads (the event loop) get the
interpreter back every few milliseconds.
"""

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


def _guess_from_name(name: str) -> str | None:
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


# ------------------------------------------------------- base64 and data URLs
def b64encode(data: bytes | memoryview) -> str:
    """Standard base64 of `data`, encoded in steps so other threads keep running."""
    view = memoryview(data)
    pieces = [
        base64.b64encode(view[i : i + _CHUNK]) for i in range(0, len(view), _CHUNK)
    ]
    return b"".join(pieces).decode("ascii")


_B64_STEP = _CHUNK // 3 * 4  # characters decoded per step, a multiple of 4
_B64_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="


def b64decode_checked(data: str, *, head_only: bool = False) -> tuple[str, bytes]:
    """Check that `data` is valid base64; return it (whitespace removed) and bytes.

    Decodes in steps of about 1 MiB, so other threads keep running. With
    `head_only=True` only the first `SNIFF_BYTES` decoded bytes are kept
    (enough to sniff the type) while the rest is still checked. Line breaks
    and spaces (as in MIME-wrapped base64) are removed first.

    Raises:
        ValueError: If `data` is not valid standard base64; the message says why.
    """
    keep = SNIFF_BYTES if head_only else None
    try:
        return data, b64decode_steps(data, keep=keep)
    except ValueError:
        if not re.search(r"\s", data):
            raise
    data = "".join(data.split())
    return data, b64decode_steps(data, keep=keep)


def b64decode_steps(data: str, *, keep: int | None = None) -> bytes:
    """Decode strict standard base64 in steps of about 1 MiB.

    One C call over megabytes would hold the GIL for tens of milliseconds;
    between steps other threads (the event loop) run. With `keep`, only the
    first `keep` decoded bytes are returned, but every step is still checked.

    Raises:
        ValueError: If `data` is not valid standard base64; the message says why.
    """
    if not data:
        msg = "it is empty"
        raise ValueError(msg)
    if not data.isascii():
        msg = "it holds non-ASCII characters, outside the base64 alphabet"
        raise ValueError(msg)
    if len(data) % 4:
        msg = f"its length ({len(data)}) is not a multiple of 4 (missing padding?)"
        raise ValueError(msg)
    if data.find("=", 0, len(data) - 2) != -1:
        msg = "it has '=' padding before its end"
        raise ValueError(msg)
    pieces: list[bytes] = []
    kept = 0
    for start in range(0, len(data), _B64_STEP):
        step = data[start : start + _B64_STEP]
        if keep is not None and kept >= keep:
            # Past the head only the alphabet needs checking: a `translate`
            # is several times cheaper than decoding what would be dropped.
            if step.encode("ascii").translate(None, _B64_ALPHABET):
                msg = "it is not valid base64 (a character outside the alphabet)"
                raise ValueError(msg)
            continue
        try:
            piece = base64.b64decode(step, validate=True)
        except binascii.Error as exc:
            msg = f"it is not valid base64 ({exc})"
            raise ValueError(msg) from None
        pieces.append(piece)
        kept += len(piece)
    joined = b"".join(pieces)
    return joined if keep is None else joined[:keep]


def data_url(b64: str, mime_type: str | None = None) -> str:
    """A base64 data URL: `data:<mime>;base64,<data>`, or `data:;base64,<data>`.

    Omni documents images with their type (`data:image/png;base64,...`) and
    audio and video without one (`data:;base64,...`).
    """
    return f"data:{mime_type or ''};base64,{b64}"


_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*):")


def url_scheme(text: str) -> str | None:
    """The lower-case scheme of a URL (`"https"`, `"data"`), or `None` for a path.

    A Windows drive letter (`C:/`) is a path, not a scheme.
    """
    match = _SCHEME.match(text)
    if match is None or re.match(r"^[A-Za-z]:[\\/]", text):
        return None
    return match.group(1).lower()


def read_media_file(path: str | os.PathLike[str]) -> bytes:
    """Read a whole media file, turning OS errors into `OmniInputError`.

    Raises:
        OmniInputError: If the file is missing, a directory or unreadable.
    """
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise _unreadable(path, exc) from None


def _read_head(path: Path) -> bytes:
    try:
        with path.open("rb") as file:
            return file.read(SNIFF_BYTES)
    except OSError as exc:
        raise _unreadable(path, exc) from None


def _unreadable(path: str | os.PathLike[str], exc: OSError) -> OmniInputError:
    return OmniInputError(
        f"Cannot read the media file {os.fspath(path)!r} "
        f"({exc.strerror or type(exc).__name__}). "
        "Pass an existing file, bytes, or an http(s) URL."
    )


# ------------------------------------------------------------ block helpers
_HELPERS: dict[Kind, str] = {
    "image": "image_block",
    "audio": "audio_block",
    "video": "video_block",
}


def _wrong_kind(kind: Kind, found: str, what: str) -> OmniInputError:
    other = kind_of(found)
    hint = (
        f"use {_HELPERS[other]}() for it"
        if other and other != kind
        else f"pass {'an' if kind == 'image' else 'a'} {kind} file"
    )
    return OmniInputError(
        f"{what[:1].upper()}{what[1:]} is {found}, not {kind}: {hint}."
    )


def _typed_mime(kind: Kind, head: bytes, name: str | None, given: str | None) -> str:
    """The mime type of `kind` media: sniffed, else given, else from the name."""
    what = repr(name) if name else f"the {kind} data"
    sniffed = sniff_mime_type(head)
    if sniffed is not None:
        mime = mime_for_kind(sniffed, kind)
        if mime is None:
            raise _wrong_kind(kind, sniffed, what)
        return mime
    for candidate in (given, _guess_from_name(name) if name else None):
        if candidate is None:
            continue
        mime = mime_for_kind(candidate, kind)
        if mime is None:
            raise _wrong_kind(kind, candidate, what)
        return mime
    msg = (
        f"Cannot tell the {kind} format of {what} from its content"
        f"{' or suffix' if name else ''}. Pass mime_type=..., e.g. "
        f"{_EXAMPLE_MIME[kind]!r}, if the API accepts it."
    )
    raise OmniInputError(msg)


_EXAMPLE_MIME: dict[Kind, str] = {
    "image": "image/png",
    "audio": "audio/mpeg",
    "video": "video/mp4",
}


def _url_block(kind: Kind, url: str, mime_type: str | None) -> dict[str, Any]:
    scheme = url_scheme(url)
    if scheme not in {"http", "https", "data"}:
        msg = (
            f"{url[:60]!r} is not an http(s) or data URL: Omni fetches only "
            f"http:// and https:// URLs. Pass a local file as a path "
            f"({_HELPERS[kind]}('path/to/file')) or upload it and pass its "
            "https URL."
        )
        raise OmniInputError(msg)
    if scheme == "data":
        declared = url[5:].partition(",")[0].partition(";")[0].strip().lower()
        if declared and mime_for_kind(declared, kind) is None and kind_of(declared):
            raise _wrong_kind(kind, declared, "the data URL")
    block: dict[str, Any] = {"type": kind, "url": url}
    if mime_type:
        block["mime_type"] = mime_type
    return block


def _path_block(kind: Kind, path: str | os.PathLike[str], given: str | None) -> Any:
    resolved = Path(os.path.abspath(Path(path).expanduser()))  # noqa: PTH100  # keep symlinks
    if not resolved.is_file():
        state = "is a directory" if resolved.is_dir() else "does not exist"
        msg = (
            f"No {kind} file at {str(resolved)!r}: the path {state}. "
            "Pass an existing file, bytes, or an http(s) URL."
        )
        raise OmniInputError(msg)
    mime = _typed_mime(kind, _read_head(resolved), str(resolved), given)
    extras = {"path": str(resolved), "seal": path_seal(str(resolved))}
    return {"type": kind, "mime_type": mime, "extras": extras}


_SEAL_KEY = secrets.token_bytes(32)
"""This process's key for `path_seal`; never stored or sent anywhere."""


def path_seal(path: str) -> str:
    """A seal proving that a helper in this process made a local-file block.

    The converter reads `extras["path"]` only when the seal matches, so a
    block that arrives from elsewhere (a client's JSON forwarded by a server,
    a message loaded from storage) can never choose a file to upload.
    """
    return hmac.new(_SEAL_KEY, os.fsencode(path), hashlib.sha256).hexdigest()


def path_is_sealed(path: str, seal: object) -> bool:
    """Whether `seal` is this process's seal of `path` (constant-time check)."""
    return isinstance(seal, str) and hmac.compare_digest(seal, path_seal(path))


def _bytes_block(kind: Kind, data: bytes | memoryview, given: str | None) -> Any:
    if not len(data):
        msg = f"The {kind} data is empty (0 bytes)."
        raise OmniInputError(msg)
    mime = _typed_mime(kind, bytes(data[:SNIFF_BYTES]), None, given)
    return {"type": kind, "base64": b64encode(data), "mime_type": mime}


def _is_instance_of(value: object, module: str, name: str) -> bool:
    """`isinstance` against a class of a module only if it is already imported.

    Keeps numpy and Pillow out of memory for users who never pass them: a
    value cannot be a numpy array unless numpy was imported.
    """
    loaded = sys.modules.get(module)
    cls = getattr(loaded, name, None)
    return isinstance(cls, type) and isinstance(value, cls)


def _is_ndarray(value: object) -> bool:
    return _is_instance_of(value, "numpy", "ndarray")


def _is_pil_image(value: object) -> bool:
    return _is_instance_of(value, "PIL.Image", "Image")


_ACCEPTED: dict[Kind, str] = {
    "image": "a path, bytes, an http(s) URL, a numpy array or a PIL image",
    "audio": "a path, bytes, an http(s) URL, numpy samples with sample_rate, "
    "or an OmniAudio",
    "video": "a path, bytes or an http(s) URL",
}


def _block(
    kind: Kind,
    source: object,
    mime_type: str | None,
    encode: Callable[[object], bytes | None] | None = None,
) -> Any:
    """A block from a URL string, a path or bytes; else from `encode(source)`.

    `encode` turns the kind's in-memory sources (arrays, images, speech)
    into file bytes, or returns `None` for a source it does not take.
    """
    if isinstance(source, str):
        if url_scheme(source) is not None:
            return _url_block(kind, source, mime_type)
        return _path_block(kind, source, mime_type)
    if isinstance(source, os.PathLike):
        return _path_block(kind, cast("os.PathLike[str]", source), mime_type)
    if isinstance(source, (bytes, bytearray, memoryview)):
        return _bytes_block(kind, memoryview(source), mime_type)
    encoded = encode(source) if encode is not None else None
    if encoded is None:
        msg = (
            f"{_HELPERS[kind]}() cannot take a {type(source).__name__}; "
            f"pass {_ACCEPTED[kind]}."
        )
        raise OmniInputError(msg)
    return _bytes_block(kind, encoded, None)


def _encode_image(source: object) -> bytes | None:
    if _is_ndarray(source):
        return _png_from_array(source)
    if _is_pil_image(source):
        return _png_from_pil(source)
    return None


def _encode_audio(sample_rate: int | None) -> Callable[[object], bytes | None]:
    def encode(source: object) -> bytes | None:
        if _is_ndarray(source):
            return _wav_from_array(source, sample_rate)
        if _is_instance_of(source, "langchain_qwen_omni.audio", "OmniAudio"):
            return cast("bytes", source.to_wav_bytes())  # type: ignore[attr-defined]
        return None

    return encode


def image_block(source: Any, *, mime_type: str | None = None) -> ImageContentBlock:
    """A standard image block from a path, bytes, URL, numpy array or PIL image.

    Args:
        source: A local path (`str` or `Path`, read when the request is
            built), image bytes, an http(s) or data URL, an HxWx3 (or HxW,
            HxWx4) `uint8` numpy array (encoded to PNG), or a PIL image
            (encoded to PNG).
        mime_type: The type to use when the content does not tell
            (e.g. a URL or an unusual format); sniffed content wins.

    Returns:
        `{"type": "image", ...}` with `url`, `base64` + `mime_type`, or
        `mime_type` + `extras["path"]` for a local file.

    Raises:
        OmniInputError: For a missing file, content that is not an image, a
            non-http(s) URL, or an array of the wrong shape or type.
    """
    return cast("ImageContentBlock", _block("image", source, mime_type, _encode_image))


def audio_block(
    source: Any, *, sample_rate: int | None = None, mime_type: str | None = None
) -> AudioContentBlock:
    """A standard audio block from a path, bytes, URL, numpy samples or `OmniAudio`.

    Args:
        source: A local path (`str` or `Path`, read when the request is
            built), audio file bytes (WAV, MP3, AAC, AMR, 3GP, M4A, ...), an
            http(s) or data URL, numpy samples (1-D mono or 2-D
            frames x channels, float in [-1, 1] or int16/int32; encoded to
            16-bit WAV), or an `OmniAudio` (a spoken answer, sent back as WAV).
        sample_rate: Samples per second; required with a numpy array.
        mime_type: The type to use when the content does not tell, e.g.
            `"audio/mpeg"` for a URL without a suffix; sniffed content wins.

    Returns:
        `{"type": "audio", ...}` with `url`, `base64` + `mime_type`, or
        `mime_type` + `extras["path"]` for a local file.

    Raises:
        OmniInputError: For a missing file, content that is not audio, a
            non-http(s) URL, an array of the wrong shape, or no `sample_rate`.
    """
    encode = _encode_audio(sample_rate)
    return cast("AudioContentBlock", _block("audio", source, mime_type, encode))


def video_block(source: Any, *, mime_type: str | None = None) -> VideoContentBlock:
    """A standard video block from a path, bytes or URL (a video file).

    Omni hears the file's audio track too. Files larger than 7 MB are best
    sent by URL: a base64 data URL is capped at 10 MiB.

    Args:
        source: A local path (`str` or `Path`, read when the request is
            built), video file bytes (MP4, MOV, AVI, MKV, FLV, WMV, ...), or
            an http(s) or data URL.
        mime_type: The type to use when the content does not tell.

    Returns:
        `{"type": "video", ...}` with `url`, `base64` + `mime_type`, or
        `mime_type` + `extras["path"]` for a local file.

    Raises:
        OmniInputError: For a missing file, content that is not video, or a
            non-http(s) URL.
    """
    return cast("VideoContentBlock", _block("video", source, mime_type))


def video_frames_block(frames: Iterable[Any] | Any) -> VideoContentBlock:
    """A video given as a sequence of images (frames), in order.

    Omni takes a list of frame images as `{"type": "video", "video": [...]}`;
    this block carries the frames as standard image blocks in
    `extras["frames"]`, and the converter turns each into a URL or an image
    data URL. The number of frames a model accepts (e.g. 2..128 for
    qwen3-omni-flash) is checked, or the frames evenly subsampled, when the
    request is built.

    Args:
        frames: Anything `image_block` takes, one per frame (paths, bytes,
            URLs, HxWx3 arrays, PIL images, or ready image blocks), or one
            NxHxWx3 `uint8` numpy array.

    Returns:
        `{"type": "video", "extras": {"frames": [<image block>, ...]}}`.

    Raises:
        OmniInputError: If there are no frames or a frame is not an image.
    """
    if _is_ndarray(frames) and getattr(frames, "ndim", 0) == 4:  # noqa: PLR2004
        items: Sequence[Any] = list(frames)
    elif isinstance(frames, (str, bytes, os.PathLike)) or _is_ndarray(frames):
        msg = (
            "video_frames_block() takes a sequence of frames (or an NxHxWx3 "
            "array); for a single video file use video_block()."
        )
        raise OmniInputError(msg)
    else:
        items = list(frames)
    if not items:
        msg = "video_frames_block() needs at least one frame."
        raise OmniInputError(msg)
    blocks: list[dict[str, Any]] = []
    for index, frame in enumerate(items):
        if isinstance(frame, dict) and frame.get("type") == "image":
            blocks.append(frame)
            continue
        try:
            blocks.append(cast("dict[str, Any]", image_block(frame)))
        except OmniInputError as exc:
            msg = f"Frame {index}: {exc}"
            raise OmniInputError(msg) from None
    return cast("VideoContentBlock", {"type": "video", "extras": {"frames": blocks}})


# ------------------------------------------------------------ array encoding
def _png_from_array(array: Any) -> bytes:
    """PNG bytes of an HxW, HxWx3 or HxWx4 uint8 array, without Pillow."""
    shape = tuple(array.shape)
    channels = shape[2] if len(shape) == 3 else 1  # noqa: PLR2004
    color_types = {1: 0, 3: 2, 4: 6}  # grey, RGB, RGBA
    if (
        str(array.dtype) != "uint8"
        or len(shape) not in {2, 3}
        or (channels not in color_types)
    ):
        msg = (
            f"An image array must be HxWx3 (or HxW, HxWx4) uint8; got shape "
            f"{shape} of {array.dtype}. Convert with "
            "`(array * 255).clip(0, 255).astype('uint8')` for float pixels."
        )
        raise OmniInputError(msg)
    height, width = shape[0], shape[1]
    if not height or not width:
        msg = f"An image array must not be empty; got shape {shape}."
        raise OmniInputError(msg)
    rows = array.reshape(height, width * channels)
    raw = b"".join(b"\x00" + rows[y].tobytes() for y in range(height))

    def chunk(tag: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(tag + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, color_types[channels], 0, 0, 0)
    return b"".join(
        (
            b"\x89PNG\r\n\x1a\n",
            chunk(b"IHDR", header),
            chunk(b"IDAT", zlib.compress(raw, 6)),
            chunk(b"IEND", b""),
        )
    )


def _png_from_pil(image: Any) -> bytes:
    import io  # noqa: PLC0415  # only PIL users need it

    buffer = io.BytesIO()
    if image.mode not in {"RGB", "RGBA", "L", "LA", "P", "1", "I;16"}:
        image = image.convert("RGB")
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _wav_from_array(samples: Any, sample_rate: int | None) -> bytes:
    """16-bit WAV bytes of mono or frames x channels samples, via soundfile."""
    import io  # noqa: PLC0415  # only array users need it

    if (
        not isinstance(sample_rate, int)
        or isinstance(sample_rate, bool)
        or (sample_rate <= 0)
    ):
        msg = (
            "audio_block() needs sample_rate=<samples per second> with numpy "
            "samples, e.g. audio_block(samples, sample_rate=16000); "
            f"got {sample_rate!r}."
        )
        raise OmniInputError(msg)
    shape = tuple(samples.shape)
    max_channels = 8
    if len(shape) not in {1, 2} or (len(shape) == 2 and shape[1] > max_channels):  # noqa: PLR2004
        msg = (
            f"Audio samples must be 1-D (mono) or 2-D (frames, channels); got shape "
            f"{shape}. Transpose a (channels, frames) array with `samples.T`."
        )
        raise OmniInputError(msg)
    if samples.dtype.kind != "f" and str(samples.dtype) not in {"int16", "int32"}:
        msg = (
            f"Audio samples must be float (in [-1, 1]), int16 or int32; got "
            f"{samples.dtype}."
        )
        raise OmniInputError(msg)
    if not shape[0]:
        msg = "The audio is empty: the samples array has no frames."
        raise OmniInputError(msg)
    import soundfile as sf  # noqa: PLC0415  # imported lazily: heavy native lib

    buffer = io.BytesIO()
    sf.write(buffer, samples, sample_rate, format="WAV", subtype="PCM_16")
    return buffer.getvalue()
