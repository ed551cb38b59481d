"""Faults the emulator can inject, so clients can be tested against bad days.

A real API throttles, fails, drops connections and stalls; a client is only
as good as its behaviour then. DashScope also fails in ways an OpenAI client
does not expect: an error frame inside a 200 stream (`inband_error`), a
moderation refusal of the input or of the answer (`moderation`), a 200 whose
body is JSON or HTML (`json_body`, `html_body`). A `Fault` describes one
such failure, and it reaches a request in one of two ways:

- per scenario: `emu.inject(Fault.rate_limit(retry_after=0.1), times=2)`
  queues it for the next matching requests (`match=` picks requests whose
  body contains a marker, which keeps concurrent tests deterministic);
- per request: an `x-omni-fault` header, e.g. `rate_limit; retry_after=0.1`
  or `cut; after_events=3` (`Fault.header()` writes it), which also works
  when the emulator runs in another process.

The module is pure apart from `fault_response`, which the app calls to
answer, stall or drop a request before any answer byte goes out. Fault
values are checked when the fault is built: NaN, infinite and negative
numbers are refused, delays are at most `MAX_DELAY_SECONDS` and oversized
text at most `MAX_OVERSIZED_BYTES`, so no header can make the server stall
forever or build an answer that exhausts its memory.
"""

from __future__ import annotations

import asyncio
import dataclasses
import inspect
import json
import math
import socket
import struct
import threading
import uuid
from typing import TYPE_CHECKING, Any, Literal, get_args
from urllib.parse import quote, unquote

from langchain_qwen_omni.emulator.errors import EmulatorError, error_body, rate_limited

if TYPE_CHECKING:
    from collections.abc import Mapping

    from starlette.requests import Request
    from starlette.responses import Response

    from langchain_qwen_omni.emulator.options import EmulatorOptions

__all__ = [
    "FAULT_HEADER",
    "HTML_PAGE",
    "MALFORMED_EVENT",
    "MAX_DELAY_SECONDS",
    "MAX_OVERSIZED_BYTES",
    "Fault",
    "FaultKind",
    "FaultPlan",
    "fault_response",
    "inband_frame",
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
    "inband_error",
    "moderation",
    "json_body",
    "html_body",
    "stall_before_first_event",
]

_KINDS = ", ".join(get_args(FaultKind))

MALFORMED_EVENT = b'data: {"choices": [{"delta": {"content": \n\n'
"""A garbled SSE event: its data is truncated JSON, as from a broken proxy."""
OVERSIZED_FILLER = "oversized "
"""Repeated to build the text of an oversized answer, so tests can rebuild it."""
DEFAULT_OVERSIZED_BYTES = 8 * 1024 * 1024
MAX_OVERSIZED_BYTES = 64 * 1024 * 1024
"""Largest `oversized` text: big enough for any client test, small enough to serve."""
MAX_DELAY_SECONDS = 3600.0
"""Longest delay or `Retry-After` a fault may ask for."""
MAX_TEXT = 2000
"""Longest code or message an `inband_error` may carry."""
INBAND_AFTER_EVENTS = 3
"""Default events before an in-band error: the role delta and some text."""
THROTTLED_MESSAGE = "Allocated quota exceeded, please increase your quota limit."
MODERATION_MESSAGES = {
    "input": "<400> InternalError.Algo.DataInspectionFailed: Input text data may "
    "contain inappropriate content.",
    "output": "<400> InternalError.Algo.DataInspectionFailed: Output data may "
    "contain inappropriate content.",
}
"""DashScope's moderation refusals, newer wording (see the facts doc)."""
HTML_PAGE = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>Tengine</center>\r\n"
    "</body>\r\n</html>\r\n"
)
"""The page of `Fault.html_body()`: a gateway's error page, sent with status 200."""
_TEXT_FIELDS = frozenset({"code", "message", "side"})
_INTEGRAL_FIELDS = frozenset({"status", "after_events", "size"})

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
        code: The error code of an `inband_error`.
        message: The error message of an `inband_error`.
        side: What `moderation` refuses: `"input"` or `"output"`.
        seconds: How long `stall_before_first_event` waits after the headers.
    """

    kind: FaultKind
    status: int = 0
    retry_after: float | None = None
    after_events: int = 0
    chunk_delay: float = 0.0
    first_byte_delay: float = 0.0
    size: int = 0
    code: str = ""
    message: str = ""
    side: str = ""
    seconds: float = 0.0

    def __post_init__(self) -> None:
        """Reject faults that cannot happen, at once rather than mid-request.

        Raises:
            ValueError: For an unknown kind, a number that is NaN, infinite,
                negative or over its bound, or a bad text field.
        """
        if self.kind not in get_args(FaultKind):
            msg = f"unknown fault kind {self.kind!r}; known: {_KINDS}"
            raise ValueError(msg)
        bounds = {
            "retry_after": (self.retry_after or 0.0, MAX_DELAY_SECONDS),
            "after_events": (self.after_events, math.inf),
            "chunk_delay": (self.chunk_delay, MAX_DELAY_SECONDS),
            "first_byte_delay": (self.first_byte_delay, MAX_DELAY_SECONDS),
            "seconds": (self.seconds, MAX_DELAY_SECONDS),
            "size": (self.size, MAX_OVERSIZED_BYTES),
        }
        for name, (value, bound) in bounds.items():
            _check_number(name, value, bound)
        for name in _TEXT_FIELDS:
            value = getattr(self, name)
            if not isinstance(value, str) or len(value) > MAX_TEXT:
                msg = f"Fault {name} must be text of at most {MAX_TEXT} characters"
                raise ValueError(msg)
        if self.kind == "moderation" and self.side not in ("input", "output"):
            msg = f"moderation side must be 'input' or 'output', got {self.side!r}"
            raise ValueError(msg)
        if self.kind == "inband_error" and not self.code:
            msg = "inband_error needs an error code, e.g. 'Throttling.AllocationQuota'"
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
        """Put `size` extra characters of text in the answer's first event.

        Raises:
            ValueError: For more than `MAX_OVERSIZED_BYTES`.
        """
        return cls("oversized", size=size)

    @classmethod
    def inband_error(
        cls,
        code: str = "Throttling.AllocationQuota",
        message: str = THROTTLED_MESSAGE,
        after_events: int = INBAND_AFTER_EVENTS,
        status: int | None = None,
    ) -> Fault:
        """Answer 200, stream `after_events` events, then DashScope's error frame.

        The frame is `event:error`, a `:HTTP_STATUS/<status>` comment and
        `data:{"code", "message", "request_id"}`, as DashScope sends it; the
        stream ends there. `status` defaults to 429 for `Throttling*` codes,
        400 for moderation and 500 otherwise.
        """
        if status is None:
            status = _inband_status(code)
        return cls(
            "inband_error",
            code=code,
            message=message,
            after_events=after_events,
            status=status,
        )

    @classmethod
    def moderation(
        cls, side: str = "input", after_events: int = INBAND_AFTER_EVENTS
    ) -> Fault:
        """A moderation refusal (`data_inspection_failed`).

        `side="input"`: HTTP 400 with the documented body, before any answer.
        `side="output"`: the answer starts, then after `after_events` events
        an in-band `DataInspectionFailed` error frame stops it.
        """
        return cls("moderation", side=side, after_events=after_events)

    @classmethod
    def json_body(cls) -> Fault:
        """Answer HTTP 200 with a JSON error body instead of an event stream."""
        return cls("json_body")

    @classmethod
    def html_body(cls) -> Fault:
        """Answer HTTP 200 with a gateway's HTML error page instead of events."""
        return cls("html_body")

    @classmethod
    def stall_before_first_event(cls, seconds: float = 30.0) -> Fault:
        """Send the 200 headers, then nothing for `seconds`, then the answer.

        A client whose read timeout is shorter sees a stall before the first
        event (to retry); one with a longer timeout gets the whole answer.
        """
        return cls("stall_before_first_event", seconds=seconds)

    # --- the per-request header ---

    def header(self) -> str:
        """This fault as an `x-omni-fault` header value (see `from_header`)."""
        parts: list[str] = [self.kind]
        constructor = inspect.signature(getattr(Fault, self.kind))
        for name, parameter in constructor.parameters.items():
            value = getattr(self, name)
            if value is None or value == parameter.default:
                continue
            if isinstance(value, str):
                text = quote(value, safe=".,:/_-()'<>")
            elif isinstance(value, int):
                text = str(value)
            else:
                text = f"{value:g}" if float(f"{value:g}") == value else repr(value)
            parts.append(f"{name}={text}")
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
            msg = f"unknown fault kind {kind!r}; known: {_KINDS}"
            raise ValueError(msg)
        kwargs: dict[str, Any] = {}
        for param in filter(None, params):
            name, _, text = param.partition("=")
            name = name.strip()
            try:
                kwargs[name] = _value(name, text.strip())
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
        if self.kind == "moderation" and self.side == "input":
            body = error_body(
                MODERATION_MESSAGES["input"],
                type_="data_inspection_failed",
                code="data_inspection_failed",
            )
            return EmulatorError(400, body)
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
        """The SSE events to send instead of `events`.

        Garbled (`malformed`), grown (`oversized`), or ended by an in-band
        error frame (`inband_error`, output `moderation`).
        """
        if self.kind == "malformed":
            at = min(self.after_events, len(events))
            return [*events[:at], MALFORMED_EVENT, *events[at:]]
        if self.kind == "oversized" and events:
            return [_oversized_event(events[0], self.size), *events]
        if self.kind == "inband_error" or (
            self.kind == "moderation" and self.side == "output"
        ):
            chunks = events[:-1] if events and events[-1] == _DONE else events
            return [*chunks[: self.after_events], self.frame()]
        return events

    def frame(self) -> bytes:
        """The in-band error frame of an `inband_error` or output `moderation`."""
        if self.kind == "moderation":
            return inband_frame(
                "DataInspectionFailed", MODERATION_MESSAGES["output"], 400
            )
        return inband_frame(self.code, self.message, self.status)

    @property
    def stall(self) -> float:
        """Seconds to wait between the headers and the first event."""
        return self.seconds if self.kind == "stall_before_first_event" else 0.0


_DONE = b"data: [DONE]\n\n"


def _value(name: str, text: str) -> Any:
    """A header parameter's value: text for text fields, else a number."""
    if name in _TEXT_FIELDS:
        return unquote(text)
    return int(text) if name in _INTEGRAL_FIELDS else float(text)


def _check_number(name: str, value: float, bound: float) -> None:
    """Refuse NaN, infinities, negatives and values over `bound`."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        msg = f"Fault {name} must be a number, got {value!r}"
        raise ValueError(msg)  # noqa: TRY004 - one error type for every bad value
    if not math.isfinite(value):
        msg = f"Fault {name} must be a finite number, got {value!r}"
        raise ValueError(msg)
    if value < 0:
        msg = f"Fault {name} must be >= 0, got {value!r}"
        raise ValueError(msg)
    if value > bound:
        msg = f"Fault {name} must be at most {bound:g}, got {value!r}"
        raise ValueError(msg)


def _inband_status(code: str) -> int:
    lowered = code.replace("_", "").lower()
    if lowered.startswith("throttling"):
        return 429
    if "datainspectionfailed" in lowered:
        return 400
    return 500


def inband_frame(code: str, message: str, status: int) -> bytes:
    """DashScope's in-band error frame, byte for byte as its docs show it."""
    data = json.dumps(
        {"code": code, "message": message, "request_id": str(uuid.uuid4())},
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return f"event:error\n:HTTP_STATUS/{status}\ndata:{data}\n\n".encode()


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

    Returns the error response of a `rate_limit`, `server_error`,
    `unauthorized` or input `moderation` fault, and the 200 answer of a
    `json_body` or `html_body` fault; for a `reset`, drops the connection and
    returns a response that is never sent; for a `slow` fault, waits
    `first_byte_delay` and returns None, as for faults that act on the
    stream itself.
    """
    from starlette.responses import (  # noqa: PLC0415 - options import this module; keep it light
        HTMLResponse,
        JSONResponse,
        Response,
    )

    if (error := fault.error()) is not None:
        return JSONResponse(error.body, status_code=error.status, headers=error.headers)
    if fault.kind == "json_body":
        body = error_body(
            _SERVER_ERROR_MESSAGES[500][1], type_="InternalError", code="InternalError"
        )
        return JSONResponse(body, status_code=200)
    if fault.kind == "html_body":
        return HTMLResponse(HTML_PAGE, status_code=200)
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
