"""Streamed speech held once, as decoded PCM, and encoded to base64 on demand.

A stream's speech goes into one growing `PcmBuffer`; the messages built from
the stream carry `PcmSpan`s (a buffer and a byte range) instead of base64
strings. Base64 is made only when someone reads a message's audio data, and
`OmniAudio` takes the PCM itself, without a copy once the stream has ended.
"""

from __future__ import annotations

import binascii
import io
import sys
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

__all__ = [
    "B64Piece",
    "PcmBuffer",
    "PcmSpan",
    "decode_b64",
    "decode_wire_b64",
    "encode_b64",
    "join_b64",
    "join_pcm",
]


if sys.version_info >= (3, 11):

    def decode_b64(data: str | bytes) -> bytes:
        """Decode strict base64 (no stray characters), without an ASCII copy.

        Raises:
            binascii.Error: If `data` is not valid base64.
        """
        return binascii.a2b_base64(data, strict_mode=True)

else:  # pragma: no cover - Python 3.10 has no strict mode
    import base64

    def decode_b64(data: str | bytes) -> bytes:
        """Decode strict base64 (no stray characters).

        Raises:
            binascii.Error: If `data` is not valid base64.
        """
        return base64.b64decode(data, validate=True)


def decode_wire_b64(data: str) -> bytes:
    """Decode one speech piece from the wire, padded or not.

    The official samples join the pieces' base64 and decode once, so real
    pieces may come without their `=` padding; each must still decode alone.

    Raises:
        binascii.Error: If `data` is not base64, padded or unpadded.
    """
    missing = -len(data) % 4
    return decode_b64(data + "=" * missing if missing in (1, 2) else data)


def encode_b64(pcm: bytes | bytearray | memoryview) -> str:
    """Base64 of `pcm`, as the ASCII string messages carry."""
    return binascii.b2a_base64(pcm, newline=False).decode("ascii")


class PcmBuffer:
    """One stream's decoded speech, appended piece by piece.

    The bytes live in a `BytesIO`, which grows in place and, once the stream
    has ended, hands its whole content over as one `bytes` without copying
    (`freeze`). Until then a span is read through a short-lived buffer view,
    under a lock: a callback handler may read a chunk from another thread
    while the stream writes, and a live view blocks writes.
    """

    __slots__ = ("_frozen", "_io", "_lock")

    def __init__(self) -> None:
        """Start empty."""
        self._io: io.BytesIO | None = io.BytesIO()
        self._frozen: bytes | None = None
        self._lock = threading.Lock()

    def __len__(self) -> int:
        """Bytes written so far."""
        if self._io is None:
            return len(self._frozen or b"")
        return self._io.tell()

    def append(self, pcm: bytes) -> int:
        """Add PCM at the end; return the new length.

        Raises:
            RuntimeError: If the buffer was frozen.
        """
        with self._lock:
            if self._io is None:
                msg = "this speech buffer was frozen at the end of its stream"
                raise RuntimeError(msg)
            self._io.write(pcm)
            return self._io.tell()

    def freeze(self) -> bytes:
        """End the buffer; return all its bytes (the same object every time)."""
        with self._lock:
            if self._io is not None:
                self._frozen, self._io = self._io.getvalue(), None
            return self._frozen or b""

    def pcm(self, start: int, end: int) -> bytes:
        """The bytes in `[start, end)`: the frozen bytes themselves when whole."""
        frozen = self._frozen
        if frozen is not None:
            if start == 0 and end == len(frozen):
                return frozen
            return frozen[start:end]
        with self._lock, self._view() as view, view[start:end] as part:
            return bytes(part)

    def b64(self, start: int, end: int) -> str:
        """Base64 of the bytes in `[start, end)`."""
        frozen = self._frozen
        if frozen is not None:
            with memoryview(frozen) as view, view[start:end] as part:
                return encode_b64(part)
        with self._lock, self._view() as view, view[start:end] as part:
            return encode_b64(part)

    def _view(self) -> memoryview:
        # Under the lock, and released at once: a live view blocks writes.
        if self._io is None:  # frozen meanwhile
            return memoryview(self._frozen or b"")
        return self._io.getbuffer()

    def __copy__(self) -> PcmBuffer:
        """Shared, not copied: spans only ever read written bytes."""
        return self

    def __deepcopy__(self, memo: dict[int, object]) -> PcmBuffer:
        """Shared, not copied: spans only ever read written bytes."""
        return self


class PcmSpan:
    """A byte range of a `PcmBuffer`: the speech of one message."""

    __slots__ = ("buffer", "end", "start")

    def __init__(self, buffer: PcmBuffer, start: int, end: int) -> None:
        """Point at `[start, end)` of `buffer`."""
        self.buffer = buffer
        self.start = start
        self.end = end

    def __len__(self) -> int:
        """Length in bytes."""
        return self.end - self.start

    def __repr__(self) -> str:
        """Show the range, not the bytes."""
        return f"PcmSpan({self.start}, {self.end})"

    def follows(self, other: PcmSpan) -> bool:
        """Whether this span starts where `other` ends, in the same buffer."""
        return self.buffer is other.buffer and self.start == other.end

    def __copy__(self) -> PcmSpan:
        """Immutable: shared."""
        return self

    def __deepcopy__(self, memo: dict[int, object]) -> PcmSpan:
        """Immutable: shared."""
        return self


B64Piece = str | PcmSpan
"""A piece of speech base64: a string, or a span still held as PCM."""


def _runs(pieces: Iterable[B64Piece]) -> Iterator[B64Piece]:
    """The pieces, with spans that continue each other coalesced into one."""
    pending: PcmSpan | None = None
    for piece in pieces:
        if isinstance(piece, PcmSpan):
            if pending is not None and piece.follows(pending):
                pending = PcmSpan(pending.buffer, pending.start, piece.end)
                continue
            if pending is not None:
                yield pending
            pending = piece
            continue
        if pending is not None:
            yield pending
            pending = None
        yield piece
    if pending is not None:
        yield pending


def join_b64(pieces: Iterable[B64Piece]) -> str:
    """The base64 of the pieces, joined once.

    Valid base64 of the whole when every piece but the last has a length
    divisible by three, as the stream assembler's pieces do.
    """
    parts = [
        run.buffer.b64(run.start, run.end) if isinstance(run, PcmSpan) else run
        for run in _runs(pieces)
    ]
    return parts[0] if len(parts) == 1 else "".join(parts)


def join_pcm(pieces: Iterable[B64Piece]) -> bytes:
    """The PCM of the pieces: one span of a frozen buffer costs no copy.

    Raises:
        binascii.Error: If a string piece is not valid base64.
    """
    parts = [
        run.buffer.pcm(run.start, run.end)
        if isinstance(run, PcmSpan)
        else decode_b64(run)
        for run in _runs(pieces)
    ]
    return parts[0] if len(parts) == 1 else b"".join(parts)
