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
_UNSAFE = ('"', "\\")


def _needs_no_escaping(text: str) -> bool:
    """True if `json.dumps(text)` would be `"text"`: printable ASCII, no quote."""
    for start in range(0, len(text), _WINDOW):
        window = text[start : start + _WINDOW]
        if not (window.isascii() and window.isprintable()):
            return False
        if any(char in window for char in _UNSAFE):
            return False
    return True


def _lift(value: Any, large: list[str], nonce: str) -> Any:
    """A copy of the JSON tree with large safe strings replaced by markers."""
    if isinstance(value, str):
        if len(value) >= LARGE and _needs_no_escaping(value):
            large.append(value)
            return _MARK.format(nonce=nonce, index=len(large) - 1)
        return value
    if isinstance(value, dict):
        return {key: _lift(item, large, nonce) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_lift(item, large, nonce) for item in value]
    return value


def encode_body(payload: dict[str, Any]) -> bytes:
    """Encode a request body as compact UTF-8 JSON, splicing large strings in."""
    large: list[str] = []
    nonce = secrets.token_hex(8)
    skeleton = json.dumps(_lift(payload, large, nonce), separators=(",", ":"))
    if not large:
        return skeleton.encode()
    pieces: list[bytes] = []
    rest = skeleton
    for index, text in enumerate(large):
        # json.dumps writes the NUL marks as \u0000 escapes.
        marker = json.dumps(_MARK.format(nonce=nonce, index=index))[1:-1]
        head, rest = rest.split(marker, 1)
        pieces.extend((head.encode(), text.encode("ascii")))
    pieces.append(rest.encode())
    return b"".join(pieces)
