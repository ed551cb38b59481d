"""Base64 and URLs of media: encode and decode in steps, check and parse URLs.

One URL check (`check_media_url`) and one data-URL parser (`parse_data_url`)
serve the block helpers and the converter alike, so a URL is judged the same
way wherever it enters. Large base64 is encoded and decoded in steps of
about 1 MiB: one C call over megabytes would hold the GIL for tens of
milliseconds, and between steps other threads (the event loop) run.
"""

from __future__ import annotations

import binascii
import re
from typing import Literal

from langchain_qwen_omni.errors import OmniInputError

__all__ = [
    "b64decode_steps",
    "b64encode",
    "b64size",
    "check_base64",
    "check_media_url",
    "data_url",
    "parse_data_url",
    "url_scheme",
]

_CHUNK = 3 * 256 * 1024
"""Bytes encoded per step: a multiple of 3, so pieces join into valid base64."""
_B64_STEP = _CHUNK // 3 * 4
"""Characters decoded per step, a multiple of 4."""
_B64_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*):")
_DRIVE = re.compile(r"^[A-Za-z]:[\\/]")
_SHOWN_URL = 80
"""Characters of a refused URL quoted in an error (data URLs can be megabytes)."""
_HELPERS = {"image": "image_block", "audio": "audio_block", "video": "video_block"}


def b64encode(data: bytes | memoryview) -> str:
    """Standard base64 of `data`, encoded in steps so other threads keep running."""
    view = memoryview(data)
    pieces = [
        binascii.b2a_base64(view[i : i + _CHUNK], newline=False)
        for i in range(0, len(view), _CHUNK)
    ]
    return b"".join(pieces).decode("ascii")


def b64size(data: str) -> int:
    """Decoded size of valid base64, from its length alone."""
    return len(data) // 4 * 3 - data.count("=", max(len(data) - 2, 0))


def b64decode_steps(data: str, *, keep: int | None = None) -> bytes:
    """Decode strict standard base64 in steps of about 1 MiB.

    With `keep`, only the first `keep` decoded bytes are returned (a header
    is all an image check needs), but every step is still checked.

    Raises:
        ValueError: If `data` is not valid standard base64; the message says
            why and never repeats the data.
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
        step = data[start : start + _B64_STEP].encode("ascii")
        # A `translate` checks the alphabet several times faster than a
        # validating decode; past the head nothing more is needed.
        if step.translate(None, _B64_ALPHABET):
            msg = "it is not valid base64 (a character outside the alphabet)"
            raise ValueError(msg)
        if keep is not None and kept >= keep:
            continue
        try:
            piece = binascii.a2b_base64(step)
        except binascii.Error as exc:
            msg = f"it is not valid base64 ({exc})"
            raise ValueError(msg) from None
        pieces.append(piece)
        kept += len(piece)
    joined = b"".join(pieces)
    return joined if keep is None else joined[:keep]


def check_base64(data: str, *, keep: int | None = None) -> tuple[str, bytes]:
    """Check that `data` is valid base64; return it (whitespace removed) and bytes.

    Line breaks and spaces (as in MIME-wrapped base64) are removed first, since
    the API would refuse them; with `keep`, only the first decoded bytes are
    returned.

    Raises:
        ValueError: If `data` is not valid standard base64; the message says why.
    """
    try:
        return data, b64decode_steps(data, keep=keep)
    except ValueError:
        if not re.search(r"\s", data):
            raise
    data = "".join(data.split())
    return data, b64decode_steps(data, keep=keep)


def data_url(b64: str, mime_type: str | None = None) -> str:
    """A base64 data URL: `data:<mime>;base64,<data>`, or `data:;base64,<data>`.

    Omni documents images with their type (`data:image/png;base64,...`) and
    audio and video without one (`data:;base64,...`).
    """
    return f"data:{mime_type or ''};base64,{b64}"


def url_scheme(text: str) -> str | None:
    """The lower-case scheme of a URL (`"https"`, `"data"`), or `None` for a path.

    A Windows drive letter (`C:/`) is a path, not a scheme.
    """
    match = _SCHEME.match(text)
    if match is None or _DRIVE.match(text):
        return None
    return match.group(1).lower()


def parse_data_url(url: str) -> tuple[str | None, str]:
    """`(mime type or None, base64 payload)` of `data:[<mime>][;...];base64,<data>`.

    Raises:
        ValueError: The URL is not a base64 data URL; the message quotes only
            its header.
    """
    comma = url.find(",")
    if url[:5].lower() != "data:" or comma < 0:
        msg = "a data URL must look like 'data:<mime>;base64,<data>'"
        raise ValueError(msg)
    header = url[5:comma]
    if not header.lower().endswith(";base64"):
        msg = (
            f"the data URL header 'data:{header[:60]}' does not end in ';base64': "
            "Omni accepts only base64 data URLs ('data:<mime>;base64,<data>')"
        )
        raise ValueError(msg)
    mime = header.split(";", 1)[0].strip().lower() or None
    return mime, url[comma + 1 :]


def check_media_url(
    url: str, kind: str, where: str | None = None
) -> Literal["remote", "data"]:
    """Tell a remote URL from a data URL; refuse every other scheme and paths.

    Raises:
        OmniInputError: For `file://`, other schemes and bare paths, naming
            `where` (when given), the URL (shortened) and the helper to use.
    """
    scheme = url_scheme(url)
    if scheme in {"http", "https"}:
        return "remote"
    if scheme == "data":
        return "data"
    shown = url if len(url) <= _SHOWN_URL else url[: _SHOWN_URL - 3] + "..."
    what = "a local path" if scheme in {None, "file"} else f"its scheme {scheme!r}"
    helper = _HELPERS.get(kind, "image_block")
    prefix = f"{where}: " if where else ""
    msg = (
        f"{prefix}{shown!r} is refused ({what}): Omni takes only http://, "
        f"https:// and data: URLs. For a local file use {helper}('path/to/file'), "
        "which the request reads and encodes; for a remote file give its https URL."
    )
    raise OmniInputError(msg)
