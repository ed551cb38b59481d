"""Settings and records of the emulated realtime endpoint.

`RealtimeOptions` are read when a session opens (a running emulator picks up
changes on the next connection); the `x-omni-realtime` handshake header
overrides the numeric ones per connection, which also works when the
emulator runs in another process. `RealtimeState` keeps what tests read
back: every session with the client events it received.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import threading
from typing import Any

__all__ = [
    "REALTIME_HEADER",
    "RealtimeOptions",
    "RealtimeState",
    "RecordedSession",
    "parse_header",
]

REALTIME_HEADER = "x-omni-realtime"
"""Per-connection overrides, e.g. `speed=0; transcripts=Hi there|Thanks`."""


def _texts(value: str) -> tuple[str, ...]:
    return tuple(text.strip() for text in value.split("|") if text.strip())


_HEADER_FIELDS: dict[str, Any] = {
    "speed": float,
    "session_seconds": float,
    "drop_after_audio_deltas": int,
    "first_audio_delay": float,
    "speech_seconds_per_char": float,
    "max_speech_seconds": float,
    "transcripts": _texts,
    "answers": _texts,
}


@dataclasses.dataclass
class RealtimeOptions:
    """How the emulated realtime endpoint behaves."""

    speed: float = 1.0
    """Pace of spoken answers as a multiple of real time (2.0 twice as fast);
    0 sends them as fast as possible."""
    transcripts: tuple[str, ...] = ()
    """Scripted transcripts of the user's turns, in order (cycled); empty
    describes each turn's audio instead, e.g. `(1.2 s of speech)`."""
    answers: tuple[str, ...] = ()
    """Scripted answer texts, in order (cycled); empty answers by quoting the
    user's transcript (or the tools' results)."""
    session_seconds: float = 120 * 60
    """The session cap: the connection closes this long after it opened."""
    drop_after_audio_deltas: int | None = None
    """Drop the connection (close code 1011) after this many audio deltas of
    an answer, as a network failure would."""
    drop_times: int | None = 1
    """How many connections the drop hits; `None` hits every one."""
    audio_piece_bytes: tuple[int, ...] = (4801, 4799, 4800)
    """Byte sizes of the speech deltas, cycled; odd sizes split samples."""
    speech_seconds_per_char: float = 0.03
    """Speech length per character of answer text."""
    min_speech_seconds: float = 0.5
    max_speech_seconds: float = 10.0
    first_audio_delay: float = 0.0
    """Seconds between the end of the user's turn and the answer's first event."""
    unauthorized: bool = False
    """Refuse every handshake with HTTP 401, as for a bad key."""

    def __post_init__(self) -> None:
        """Refuse settings that cannot work."""
        if self.speed < 0 or self.session_seconds <= 0 or self.first_audio_delay < 0:
            msg = "speed and first_audio_delay must be >= 0, session_seconds > 0"
            raise ValueError(msg)
        if not self.audio_piece_bytes or min(self.audio_piece_bytes) <= 0:
            msg = "audio_piece_bytes must be positive sizes"
            raise ValueError(msg)
        self.transcripts = tuple(self.transcripts)
        self.answers = tuple(self.answers)

    def with_header(self, header: str | None) -> RealtimeOptions:
        """A copy with the header's overrides applied.

        Raises:
            ValueError: For an unknown name or a value that is not a number.
        """
        return dataclasses.replace(self, **parse_header(header))


def parse_header(header: str | None) -> dict[str, Any]:
    """`speed=0; transcripts=Hi|Thanks` as option overrides (texts split on `|`).

    Raises:
        ValueError: For an unknown name or a value that is not a number.
    """
    overrides: dict[str, Any] = {}
    for part in (header or "").split(";"):
        if not part.strip():
            continue
        name, _, value = part.partition("=")
        name = name.strip()
        convert = _HEADER_FIELDS.get(name)
        if convert is None:
            msg = f"unknown option {name!r}; known: {', '.join(_HEADER_FIELDS)}"
            raise ValueError(msg)
        try:
            overrides[name] = convert(value.strip())
        except ValueError as exc:
            msg = f"{name} must be a number, got {value.strip()!r}"
            raise ValueError(msg) from exc
    return overrides


@dataclasses.dataclass
class RecordedSession:
    """One realtime connection as the emulator saw it."""

    model: str
    headers: dict[str, str]
    """Handshake headers with lower-case names."""
    events: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    """Client events in order; `audio` and `image` payloads are replaced by
    their decoded sizes (`audio_bytes`, `image_bytes`)."""
    audio: bytearray = dataclasses.field(default_factory=bytearray)
    """Every input audio byte appended (16 kHz mono PCM16)."""
    images: list[bytes] = dataclasses.field(default_factory=list)
    """Every image frame appended."""
    closed: str | None = None
    """How the connection ended: `client`, `finished`, `cap`, `dropped`, `refused`."""

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        """The client events of one type."""
        return [event for event in list(self.events) if event.get("type") == kind]

    def record(self, event: dict[str, Any]) -> None:
        """Keep a client event with its media as sizes (the bytes go to `audio`)."""
        kept = dict(event)
        for field, target in (("audio", "audio_bytes"), ("image", "image_bytes")):
            payload = kept.pop(field, None)
            if isinstance(payload, str):
                try:
                    data = base64.b64decode(payload, validate=True)
                except (binascii.Error, ValueError):
                    kept[target] = -1
                    continue
                kept[target] = len(data)
        self.events.append(kept)


class RealtimeState:
    """Options, records and shared counters of the realtime endpoint (thread-safe)."""

    def __init__(self, options: RealtimeOptions | None = None) -> None:
        """Start with no sessions."""
        self.options = options if options is not None else RealtimeOptions()
        self._lock = threading.Lock()
        self._sessions: list[RecordedSession] = []
        self._drops = 0
        self._turns = 0
        self._answers = 0

    @property
    def sessions(self) -> list[RecordedSession]:
        """Sessions so far, oldest first (a copy of the list)."""
        with self._lock:
            return list(self._sessions)

    def open(self, model: str, headers: dict[str, str]) -> RecordedSession:
        """Record a new session."""
        record = RecordedSession(model=model, headers=headers)
        with self._lock:
            self._sessions.append(record)
        return record

    def take_drop(self, options: RealtimeOptions) -> bool:
        """Whether this connection gets the drop fault (counts it)."""
        if options.drop_after_audio_deltas is None:
            return False
        with self._lock:
            if options.drop_times is not None and self._drops >= options.drop_times:
                return False
            self._drops += 1
            return True

    def next_transcript(self, options: RealtimeOptions) -> str | None:
        """The next scripted transcript, counted across connections; `None` if none."""
        if not options.transcripts:
            return None
        with self._lock:
            self._turns += 1
            return options.transcripts[(self._turns - 1) % len(options.transcripts)]

    def next_answer(self, options: RealtimeOptions) -> str | None:
        """The next scripted answer, counted across connections; `None` if none."""
        if not options.answers:
            return None
        with self._lock:
            self._answers += 1
            return options.answers[(self._answers - 1) % len(options.answers)]

    def clear(self) -> None:
        """Forget sessions and reset the fault and script counters."""
        with self._lock:
            self._sessions.clear()
            self._drops = 0
            self._turns = 0
            self._answers = 0

    def reset(self, **options: Any) -> RealtimeOptions:
        """Fresh options (with these changes) and no records; returns the options."""
        self.options = RealtimeOptions(**options)
        self.clear()
        return self.options
