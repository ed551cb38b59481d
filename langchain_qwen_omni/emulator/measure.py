"""Decoding and measuring the request's inline media, once per data URL.

Data URLs are decoded here with the standard library, strictly (the header
must end in `;base64`, the data must be canonical base64 with its padding),
and measured with the pure probes of `langchain_qwen_omni._probe` (format,
image size, audio duration; video duration and frame size with PyAV, when
installed). Remote URLs are never fetched, so they are never measured.

The rules and the answer of one request both need these facts, and multi-turn
conversations send the same media again and again, so measurements are kept
in a small cache keyed by the URL text, bounded by the total size of the URLs
it holds; the decoded bytes themselves are not kept.
"""

from __future__ import annotations

import base64
import binascii
import collections
import dataclasses
import threading
from typing import TYPE_CHECKING

from langchain_qwen_omni import _probe

if TYPE_CHECKING:
    from langchain_qwen_omni.emulator.facts import MediaKind
    from langchain_qwen_omni.emulator.wire import MediaRef

__all__ = [
    "DataUrlError",
    "Measured",
    "decode_data_url",
    "measure",
    "measure_data",
]

_CACHE_BUDGET_CHARS = 64 * 1024 * 1024
"""Most URL characters the cache keeps as keys (about 64 MB)."""


class DataUrlError(ValueError):
    """A data URL the API could not read (not base64, or no `;base64` header)."""


@dataclasses.dataclass(frozen=True)
class Measured:
    """What the emulator could tell about one inline medium."""

    size: int
    """Decoded bytes."""
    format: str | None
    """Container format sniffed from the bytes, e.g. `"png"`, `"wav"`."""
    width: int | None = None
    height: int | None = None
    seconds: float | None = None


def decode_data_url(url: str) -> tuple[str, bytes]:
    """Split `data:<mime>;base64,<data>` into its mime type and decoded bytes.

    Raises:
        DataUrlError: No comma, a header without `;base64`, or data that is
            not canonical base64 (characters outside the alphabet, missing
            padding). The message never repeats the data.
    """
    header, comma, data = url.partition(",")
    if not comma or header[:5].lower() != "data:":
        msg = "a data URL must look like 'data:<mime>;base64,<data>'"
        raise DataUrlError(msg)
    if not header.lower().endswith(";base64"):
        msg = "the data URL header does not end in ';base64'"
        raise DataUrlError(msg)
    try:
        decoded = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError) as exc:
        msg = f"the data URL's data is not valid base64 ({exc})"
        raise DataUrlError(msg) from None
    return header[5:].split(";", 1)[0].strip().lower(), decoded


def measure_data(data: bytes, kind: MediaKind) -> Measured:
    """Measure decoded media bytes of one kind (unknown facts stay `None`)."""
    fmt = _probe.sniff_format(data)
    if kind == "image":
        size = _probe.image_size(data)
        if size is None:
            return Measured(len(data), fmt)
        return Measured(len(data), fmt, width=size[0], height=size[1])
    if kind == "audio":
        return Measured(len(data), fmt, seconds=_probe.audio_duration(data))
    seconds, size, _ = _probe.video_facts(data)
    width, height = size if size is not None else (None, None)
    return Measured(len(data), fmt, width=width, height=height, seconds=seconds)


def measure(ref: MediaRef) -> Measured | None:
    """Measure an inline medium; `None` for a remote URL, which is not fetched.

    Raises:
        DataUrlError: The data URL cannot be decoded (cached like a success).
    """
    if not ref.inline:
        return None
    return _CACHE.get(ref.url, ref.kind)


class _MeasureCache:
    """Measurements by URL text, least recently used first out, bounded in size."""

    def __init__(self, budget: int) -> None:
        self._budget = budget
        self._used = 0
        self._lock = threading.Lock()
        self._items: collections.OrderedDict[
            tuple[str, MediaKind], Measured | DataUrlError
        ] = collections.OrderedDict()

    def get(self, url: str, kind: MediaKind) -> Measured:
        key = (url, kind)
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
        if found is None:
            try:
                found = measure_data(decode_data_url(url)[1], kind)
            except DataUrlError as exc:
                found = exc
            self._keep(key, found)
        if isinstance(found, DataUrlError):
            raise found
        return found

    def _keep(self, key: tuple[str, MediaKind], value: Measured | DataUrlError) -> None:
        cost = len(key[0])
        if cost > self._budget:
            return
        with self._lock:
            if key in self._items:
                return
            self._items[key] = value
            self._used += cost
            while self._used > self._budget:
                (url, _), _ = self._items.popitem(last=False)
                self._used -= len(url)


_CACHE = _MeasureCache(_CACHE_BUDGET_CHARS)
