"""Faults the emulator can inject, so clients can be tested against bad days.

A real API throttles, fails, drops connections and stalls; a client is only
as good as its behaviour then. A `Fault` describes one such failure, and it
reaches a request in one of two ways:

- per scenario: `emu.inject(Fault.rate_limit(retry_after=0.1), times=2)`
  queues it for the next matching requests (`match=` picks requests whose
  body contains a marker, which keeps concurrent tests deterministic);
- per request: an `x-omni-fault` header, e.g. `rate_limit; retry_after=0.1`
  or `cut; after_events=3` (`Fault.header()` writes it), which also works
  when the emulator runs in another process.

The module is pure apart from `fault_response`, which the app calls to
answer, stall or drop a request before any answer byte goes out.
"""

from __future__ import annotations

import asyncio
import dataclasses
import inspect
import json
import socket
import struct
import threading
from typing import TYPE_CHECKING, Any, Literal, get_args

from langchain_qwen_omni.emulator.errors import EmulatorError, error_body, rate_limited

if TYPE_CHECKING:
    from collections.abc import Mapping

    from starlette.requests import Request
    from starlette.responses import Response

    from langchain_qwen_omni.emulator.options import EmulatorOptions

__all__ = [
    "FAULT_HEADER",
    "MALFORMED_EVENT",
    "Fault",
    "FaultKind",
    "FaultPlan",
    "fault_response",
    "oversized_text",
    "request_fault",
]

FAULT_HEADER = "x-omni-fault"
"""Request header that injects a fault into that request alone."""

FaultKind = Literal[
    "rate_limit",
    "server_error",
    "unauthorized",
    "reset",
    "cut",
    "malformed",
    "slow",
    "oversized",
]

_KINDS = ", ".join(get_args(FaultKind))

MALFORMED_EVENT = b'data: {"choices": [{"delta": {"content": \n\n'
"""A garbled SSE event: its data is truncated JSON, as from a broken proxy."""
OVERSIZED_FILLER = "oversized "
"""Repeated to build the text of an oversized answer, so tests can rebuild it."""
DEFAULT_OVERSIZED_BYTES = 8 * 1024 * 1024

_SERVER_ERROR_MESSAGES = {
    500: ("InternalError", "An internal error has occured, please try again later."),
    502: ("BadGateway", "Bad gateway, please try again later."),
    503: ("ServiceUnavailable", "The service is unavailable, please try again later."),
    504: ("GatewayTimeout", "Gateway timeout, please try again later."),
}


@dataclasses.dataclass(frozen=True)
class Fault:
    """One failure to inject; build it with the class methods.

    Attributes:
        kind: What goes wrong.
        status: HTTP status of `rate_limit`, `server_error` and
            `unauthorized` answers.
        retry_after: Seconds sent in `Retry-After` (429 and 5xx); `None` sends
            no header, so clients fall back to their own backoff.
        after_events: How many SSE events go out before a `cut` or a
            `malformed` event.
        chunk_delay: Seconds between SSE events of a `slow` answer.
        first_byte_delay: Seconds a `slow` answer waits before its headers.
        size: Characters of extra text in an `oversized` answer's first event.
    """

    kind: FaultKind
    status: int = 0
    retry_after: float | None = None
    after_events: int = 0
    chunk_delay: float = 0.0
    first_byte_delay: float = 0.0
    size: int = 0

    def __post_init__(self) -> None:
        """Reject faults that cannot happen, at once rather than mid-request."""
        if self.kind not in get_args(FaultKind):
            msg = f"unknown fault kind {self.kind!r}; known: {_KINDS}"
            raise ValueError(msg)
        numbers = {
            "retry_after": self.retry_after or 0.0,
            "after_events": self.after_events,
            "chunk_delay": self.chunk_delay,
            "first_byte_delay": self.first_byte_delay,
            "size": self.size,
        }
        for name, value in numbers.items():
            if value < 0:
                msg = f"Fault {name} must be >= 0, got {value!r}"
                raise ValueError(msg)

    # --- constructors ---

    @classmethod
    def rate_limit(cls, retry_after: float | None = None) -> Fault:
        """A 429 `limit_requests` answer with the documented body."""
        return cls("rate_limit", status=429, retry_after=retry_after)

    @classmethod
    def server_error(cls, status: int = 500, retry_after: float | None = None) -> Fault:
        """A 5xx answer (500 `InternalError`, 503 `ServiceUnavailable`, ...).

        Raises:
            ValueError: For a status outside 500..599.
        """
        if not 500 <= status <= 599:  # noqa: PLR2004 - the 5xx range
            msg = f"server_error status must be 5xx, got {status}"
            raise ValueError(msg)
        return cls("server_error", status=status, retry_after=retry_after)

    @classmethod
    def unauthorized(cls) -> Fault:
        """A 401 `invalid_api_key` answer, as for a wrong key or region."""
        return cls("unauthorized", status=401)

    @classmethod
    def reset(cls) -> Fault:
        """Drop the connection (TCP reset) before the first response byte."""
        return cls("reset")

    @classmethod
    def cut(cls, after_events: int) -> Fault:
        """Abort the connection after `after_events` SSE events."""
        return cls("cut", after_events=after_events)

    @classmethod
    def malformed(cls, after_events: int = 1) -> Fault:
        """Send a garbled event (truncated JSON) after `after_events` events."""
        return cls("malformed", after_events=after_events)

    @classmethod
    def slow(cls, chunk_delay: float = 0.0, first_byte_delay: float = 0.0) -> Fault:
        """Stall before the headers and/or between events, to exercise timeouts."""
        return cls("slow", chunk_delay=chunk_delay, first_byte_delay=first_byte_delay)

    @classmethod
    def oversized(cls, size: int = DEFAULT_OVERSIZED_BYTES) -> Fault:
        """Put `size` extra characters of text in the answer's first event."""
        return cls("oversized", size=size)

    # --- the per-request header ---

    def header(self) -> str:
        """This fault as an `x-omni-fault` header value (see `from_header`)."""
        parts: list[str] = [self.kind]
        constructor = inspect.signature(getattr(Fault, self.kind))
        for name, parameter in constructor.parameters.items():
            value = getattr(self, name)
            if value is not None and value != parameter.default:
                parts.append(f"{name}={value:g}")
        return "; ".join(parts)

    @classmethod
    def from_header(cls, value: str) -> Fault:
        """Parse `kind; name=value; ...`, e.g. `rate_limit; retry_after=0.1`.

        Raises:
            ValueError: For an unknown kind or parameter, or a bad number.
        """
        kind, *params = (part.strip() for part in value.split(";"))
        constructor = getattr(cls, kind, None) if kind in get_args(FaultKind) else None
        if constructor is None:
            msg = (
                f"unknown fault kind {kind!r}; known: {', '.join(get_args(FaultKind))}"
            )
            raise ValueError(msg)
        kwargs: dict[str, Any] = {}
        for param in filter(None, params):
            name, _, number = param.partition("=")
            name = name.strip()
            try:
                kwargs[name] = _number(name, number.strip())
            except ValueError:
                msg = f"{param!r} is not name=number"
                raise ValueError(msg) from None
        try:
            fault: Fault = constructor(**kwargs)
        except TypeError:
            msg = f"{kind} takes no parameter among {sorted(kwargs)}"
            raise ValueError(msg) from None
        return fault

    # --- what the fault does (pure) ---

    def error(self) -> EmulatorError | None:
        """The HTTP error answer of this fault, or None if it is no HTTP error."""
        if self.kind == "rate_limit":
            return rate_limited(self.retry_after)
        if self.kind == "unauthorized":
            body = error_body(
                "Incorrect API key provided. For details, see: "
                "https://www.alibabacloud.com/help/en/model-studio/"
                "error-code#apikey-error",
                code="invalid_api_key",
            )
            return EmulatorError(401, body)
        if self.kind != "server_error":
            return None
        type_, message = _SERVER_ERROR_MESSAGES.get(
            self.status, ("InternalError", "Internal server error.")
        )
        headers = (
            {} if self.retry_after is None else {"retry-after": f"{self.retry_after:g}"}
        )
        body = error_body(message, type_=type_, code=type_)
        return EmulatorError(self.status, body, headers)

    def apply(self, options: EmulatorOptions) -> None:
        """Set the request's own options copy for a `cut` or a `slow` stream."""
        if self.kind == "cut":
            options.cut_after_events = self.after_events
        elif self.kind == "slow" and self.chunk_delay:
            options.chunk_delay = self.chunk_delay

    def rewrite(self, events: list[bytes]) -> list[bytes]:
        """The SSE events to send instead of `events` (garbled or oversized)."""
        if self.kind == "malformed":
            at = min(self.after_events, len(events))
            return [*events[:at], MALFORMED_EVENT, *events[at:]]
        if self.kind == "oversized" and events:
            return [_oversized_event(events[0], self.size), *events]
        return events


def _number(name: str, text: str) -> float:
    integral = {"status", "after_events", "size"}
    return int(text) if name in integral else float(text)


def oversized_text(size: int) -> str:
    """The extra text of `Fault.oversized(size)`, for tests to compare with."""
    repeats = size // len(OVERSIZED_FILLER) + 1
    return (OVERSIZED_FILLER * repeats)[:size]


def _oversized_event(first: bytes, size: int) -> bytes:
    """A text event of `size` characters, with the stream's own id and model."""
    try:
        template = json.loads(first.removeprefix(b"data: "))
    except ValueError:
        template = {}
    chunk = {
        "id": template.get("id", "chatcmpl-oversized"),
        "object": "chat.completion.chunk",
        "created": template.get("created", 0),
        "model": template.get("model", ""),
        "choices": [
            {
                "index": 0,
                "delta": {"content": oversized_text(size)},
                "finish_reason": None,
            }
        ],
    }
    return b"data: " + json.dumps(chunk).encode() + b"\n\n"


@dataclasses.dataclass
class _Entry:
    fault: Fault
    remaining: int | None
    match: str | None


class FaultPlan:
    """The queue of scenario faults, shared by tests and the app; thread-safe.

    Each request takes the first queued fault whose `match` it satisfies;
    a fault leaves the queue once used `times` times.
    """

    def __init__(self) -> None:
        """Start with no fault queued."""
        self._lock = threading.Lock()
        self._entries: list[_Entry] = []
        self._fired: list[Fault] = []

    def add(
        self, fault: Fault, *, times: int | None = 1, match: str | None = None
    ) -> None:
        """Queue `fault` for the next `times` matching requests (`None`: all).

        Args:
            fault: What goes wrong.
            times: How many requests it hits; `None` hits every matching one.
            match: Only requests whose raw JSON body contains this text, e.g.
                an ASCII marker in the prompt; `None` matches every request.

        Raises:
            ValueError: For `times` below 1.
        """
        if times is not None and times < 1:
            msg = f"times must be at least 1 or None, got {times}"
            raise ValueError(msg)
        with self._lock:
            self._entries.append(_Entry(fault, times, match))

    def take(self, body: bytes) -> Fault | None:
        """The fault for a request with this raw body, counted as used."""
        with self._lock:
            for entry in self._entries:
                if entry.match is not None and entry.match.encode() not in body:
                    continue
                if entry.remaining is not None:
                    entry.remaining -= 1
                    if entry.remaining == 0:
                        self._entries.remove(entry)
                self._fired.append(entry.fault)
                return entry.fault
        return None

    @property
    def pending(self) -> int:
        """How many queued faults are still waiting for a request."""
        with self._lock:
            return len(self._entries)

    @property
    def fired(self) -> list[Fault]:
        """Scenario faults used so far, in order (a copy)."""
        with self._lock:
            return list(self._fired)

    def clear(self) -> None:
        """Drop every queued fault and the record of used ones."""
        with self._lock:
            self._entries.clear()
            self._fired.clear()


def request_fault(
    headers: Mapping[str, str], body: bytes, plan: FaultPlan
) -> Fault | None:
    """The fault for one request: its header's, else the plan's next match.

    Raises:
        ValueError: For an `x-omni-fault` header that does not parse.
    """
    if header := headers.get(FAULT_HEADER):
        return Fault.from_header(header)
    return plan.take(body)


async def fault_response(fault: Fault, request: Request) -> Response | None:
    """Answer, drop or stall a request before its answer starts.

    Returns the error response of a `rate_limit`, `server_error` or
    `unauthorized` fault; for a
    `reset`, drops the connection and returns a response that is never sent;
    for a `slow` fault, waits `first_byte_delay` and returns None, as for
    faults that act on the stream itself.
    """
    from starlette.responses import JSONResponse, Response  # noqa: PLC0415 - options import this module; keep it light

    if (error := fault.error()) is not None:
        return JSONResponse(error.body, status_code=error.status, headers=error.headers)
    if fault.kind == "reset":
        _reset_connection(request)
        await asyncio.sleep(0)  # let the server see the connection lost
        return Response(status_code=204)
    if fault.first_byte_delay:
        await asyncio.sleep(fault.first_byte_delay)
    return None


_LINGER_NOW = struct.pack("ii", 1, 0)
"""SO_LINGER on with a zero timeout: closing sends RST instead of FIN."""


def _reset_connection(request: Request) -> None:
    """Reset the request's TCP connection, as a crashed proxy would.

    uvicorn does not hand the transport to the app, but its receive callable
    is a method of the object that holds it.

    Raises:
        RuntimeError: When run by a server that does not expose it.
    """
    holder = getattr(request.receive, "__self__", None)
    transport = getattr(holder, "transport", None)
    if transport is None:
        msg = "the reset fault needs the emulator's uvicorn server"
        raise RuntimeError(msg)
    sock = transport.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_NOW)
    transport.abort()
