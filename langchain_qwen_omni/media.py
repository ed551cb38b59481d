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

import hashlib
import hmac
import os
import secrets
import struct
import sys
import zlib
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from langchain_qwen_omni._codec import b64encode, check_media_url, url_scheme
from langchain_qwen_omni._probe import (
    SNIFF_BYTES,
    Kind,
    guess_mime_from_name,
    kind_of,
    mime_for_kind,
    sniff_mime_type,
)
from langchain_qwen_omni.errors import OmniInputError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence

    from langchain_core.messages.content import (
        AudioContentBlock,
        ImageContentBlock,
        VideoContentBlock,
    )

__all__ = [
    "audio_block",
    "image_block",
    "path_is_sealed",
    "path_seal",
    "read_media_file",
    "read_media_head",
    "video_block",
    "video_frames_block",
]


# ------------------------------------------------------------ local files
def read_media_file(path: str | os.PathLike[str]) -> bytes:
    """Read a whole media file, turning OS errors into `OmniInputError`.

    Raises:
        OmniInputError: If the file is missing, a directory or unreadable.
    """
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise _unreadable(path, exc) from None


def read_media_head(path: str | os.PathLike[str], where: str | None = None) -> bytes:
    """The first bytes of a media file (enough to sniff its type).

    Raises:
        OmniInputError: If the file is missing, a directory or unreadable;
            prefixed with `where` when given.
    """
    try:
        return _read_head(Path(path))
    except OmniInputError as exc:
        if where is None:
            raise
        msg = f"{where}: {exc}"
        raise OmniInputError(msg) from None


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
    for candidate in (given, guess_mime_from_name(name) if name else None):
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
    if check_media_url(url, kind) == "data":
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
    source: Any,
    *,
    sample_rate: int | None = None,
    mime_type: str | None = None,
    transcript: str | None = None,
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
        transcript: What is said in the audio, if known (kept in
            `extras["transcript"]`). Models that take one audio file per
            request hear only the latest; earlier ones are sent as this text.

    Returns:
        `{"type": "audio", ...}` with `url`, `base64` + `mime_type`, or
        `mime_type` + `extras["path"]` for a local file.

    Raises:
        OmniInputError: For a missing file, content that is not audio, a
            non-http(s) URL, an array of the wrong shape, or no `sample_rate`.
    """
    encode = _encode_audio(sample_rate)
    block = _block("audio", source, mime_type, encode)
    if transcript is not None:
        if not isinstance(transcript, str):
            kind = type(transcript).__name__
            msg = f"audio_block(transcript=...) must be a string, not {kind}."
            raise OmniInputError(msg)
        block.setdefault("extras", {})["transcript"] = transcript
    return cast("AudioContentBlock", block)


def video_block(
    source: Any,
    *,
    mime_type: str | None = None,
    fps: float | None = None,
    max_pixels: int | None = None,
) -> VideoContentBlock:
    """A standard video block from a path, bytes or URL (a video file).

    Omni hears the file's audio track too. Files larger than 7 MB are best
    sent by URL: a base64 data URL is capped at 10 MiB.

    Args:
        source: A local path (`str` or `Path`, read when the request is
            built), video file bytes (MP4, MOV, AVI, MKV, FLV, WMV, ...), or
            an http(s) or data URL.
        mime_type: The type to use when the content does not tell.
        fps: Frames per second the model should sample (the API's default
            is 2); sent next to the video part, as Qwen's own clients do.
        max_pixels: Largest frame, in pixels, the model should keep.

    Returns:
        `{"type": "video", ...}` with `url`, `base64` + `mime_type`, or
        `mime_type` + `extras["path"]` for a local file; `fps` and
        `max_pixels` in `extras`.

    Raises:
        OmniInputError: For a missing file, content that is not video, a
            non-http(s) URL, or an `fps`/`max_pixels` that is not positive.
    """
    block = _block("video", source, mime_type)
    block.update(_sampling_extras(block.get("extras"), fps, max_pixels))
    return cast("VideoContentBlock", block)


def _sampling_extras(
    extras: dict[str, Any] | None, fps: float | None, max_pixels: int | None
) -> dict[str, Any]:
    """`{"extras": ...}` with the checked video sampling options, or `{}`."""
    options: dict[str, Any] = {}
    if fps is not None:
        if (
            isinstance(fps, bool)
            or not isinstance(fps, (int, float))
            or not 0 < fps < float("inf")
        ):
            msg = f"fps must be a positive number of frames per second, got {fps!r}."
            raise OmniInputError(msg)
        options["fps"] = float(fps)
    if max_pixels is not None:
        if (
            isinstance(max_pixels, bool)
            or not isinstance(max_pixels, int)
            or max_pixels <= 0
        ):
            msg = f"max_pixels must be a positive number of pixels, got {max_pixels!r}."
            raise OmniInputError(msg)
        options["max_pixels"] = max_pixels
    return {"extras": {**(extras or {}), **options}} if options else {}


def video_frames_block(
    frames: Iterable[Any] | Any,
    *,
    fps: float | None = None,
    max_pixels: int | None = None,
) -> VideoContentBlock:
    """A video given as a sequence of images (frames), in order.

    Omni takes a list of frame images as `{"type": "video", "video": [...]}`;
    this block carries the frames as standard image blocks in
    `extras["frames"]`, and the converter turns each into a URL or an image
    data URL. The number of frames a model accepts (e.g. 2..128 for
    qwen3-omni-flash, 2..2,048 for Qwen3.5-Omni) is checked, or the frames
    evenly subsampled, when the request is built.

    Args:
        frames: Anything `image_block` takes, one per frame (paths, bytes,
            URLs, HxWx3 arrays, PIL images, or ready image blocks), or one
            NxHxWx3 `uint8` numpy array.
        fps: How many frames per second of the original the images stand
            for, sent next to the part (as for `video_block`).
        max_pixels: Largest frame, in pixels, the model should keep.

    Returns:
        `{"type": "video", "extras": {"frames": [<image block>, ...]}}`.

    Raises:
        OmniInputError: If there are no frames, a frame is not an image, or
            `fps`/`max_pixels` is not positive.
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
    block: dict[str, Any] = {"type": "video", "extras": {"frames": blocks}}
    block.update(_sampling_extras(block["extras"], fps, max_pixels))
    return cast("VideoContentBlock", block)


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
