"""The request body as JSON bytes, built so that large media never stall a thread.

Media travel as data URLs of several megabytes. Handing the dict to the openai
SDK would JSON-encode it on the event loop (about 50 ms for 9 MB), and even in
a worker thread one C-level `json.dumps` holds the GIL for that long, which
stalls the event loop all the same. So large strings are lifted out, the rest
is encoded (small and quick), and the large strings are spliced back in as
bytes. A large string is spliced raw only after a check, in windows that each
hold the GIL briefly, that it needs no JSON escaping; base64 data URLs never do.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

__all__ = ["encode_body"]

LARGE = 64 * 1024
"""Strings at least this long are spliced instead of encoded."""
_WINDOW = 1024 * 1024
_MARK = "\x00omni-large-{nonce}-{index}\x00"
"""Placeholder of a lifted string; the nonce keeps user text from matching it."""
_PLAIN = bytes(range(0x20, 0x7F)).translate(None, b'"\\')
"""ASCII bytes that `json.dumps` writes as they are: printable, no quote or
backslash (it escapes DEL too)."""


def _as_plain_json(text: str) -> bytes | None:
    """`text` as ASCII bytes if JSON needs no escape in it, else `None`.

    Checked window by window (a fast `translate` each), so no single step
    holds the GIL for long; the windows' bytes are what gets spliced.
    """
    if not text.isascii():
        return None
    windows: list[bytes] = []
    for start in range(0, len(text), _WINDOW):
        window = text[start : start + _WINDOW].encode("ascii")
        if window.translate(None, _PLAIN):
            return None
        windows.append(window)
    return b"".join(windows)


def _lift(value: Any, large: list[bytes], nonce: str) -> Any:
    """A copy of the JSON tree with large plain strings replaced by markers."""
    if isinstance(value, str):
        if len(value) >= LARGE and (plain := _as_plain_json(value)) is not None:
            large.append(plain)
            return _MARK.format(nonce=nonce, index=len(large) - 1)
        return value
    if isinstance(value, dict):
        return {key: _lift(item, large, nonce) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_lift(item, large, nonce) for item in value]
    return value


def encode_body(payload: dict[str, Any]) -> bytes:
    """Encode a request body as compact UTF-8 JSON, splicing large strings in."""
    large: list[bytes] = []
    nonce = secrets.token_hex(8)
    skeleton = json.dumps(_lift(payload, large, nonce), separators=(",", ":"))
    if not large:
        return skeleton.encode()
    pieces: list[bytes] = []
    rest = skeleton
    for index, plain in enumerate(large):
        # json.dumps writes the NUL marks as \u0000 escapes.
        marker = json.dumps(_MARK.format(nonce=nonce, index=index))[1:-1]
        head, rest = rest.split(marker, 1)
        pieces.extend((head.encode(), plain))
    pieces.append(rest.encode())
    return b"".join(pieces)
