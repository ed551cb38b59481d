"""The emulator's ASGI app: routing, recording, validation and streaming.

The app is a thin shell over pure functions: `validate_request` decides
whether to refuse, `build_answer` decides what to answer, and
`stream_events` decides how the bytes go out (delays, cuts). Each of those
can grow new behaviour without changes here.

Whatever a body holds, the answer is a stream or an error in the documented
envelope: a body that breaks a rule or the answer builder (nesting deeper
than the parser allows, numbers out of range, shapes no rule foresaw) gets
a 400 `invalid_parameter_error`, never a 500.
"""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import json
import logging
import threading
import time
import uuid
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Route, WebSocketRoute

from langchain_qwen_omni.emulator.answers import encode_events, whole_completion
from langchain_qwen_omni.emulator.errors import EmulatorError, invalid_parameter
from langchain_qwen_omni.emulator.faults import (
    FAULT_HEADER,
    Fault,
    fault_response,
    request_fault,
)
from langchain_qwen_omni.emulator.options import EmulatorOptions
from langchain_qwen_omni.emulator.realtime import REALTIME_PATH, realtime_endpoint
from langchain_qwen_omni.emulator.realtime_options import RealtimeState
from langchain_qwen_omni.emulator.script import ScriptMismatchError
from langchain_qwen_omni.emulator.script_http import SCRIPT_PATH, script_endpoint
from langchain_qwen_omni.emulator.tools import build_answer
from langchain_qwen_omni.emulator.validation import validate_request
from langchain_qwen_omni.emulator.vllm_answers import build_vllm_answer
from langchain_qwen_omni.emulator.vllm_rules import bad_request, validate_vllm_request

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable, Iterator

    from starlette.requests import Request

__all__ = [
    "CHAT_PATHS",
    "RecordedRequest",
    "RequestLog",
    "StreamCutError",
    "create_app",
    "error_response",
    "stream_events",
]

CHAT_PATHS = ("/compatible-mode/v1/chat/completions", "/v1/chat/completions")
"""Where chat completions are served: DashScope's path and the bare OpenAI one."""
WRITE_BATCH_BYTES = 64 * 1024
"""Largest write when events are not delayed."""
_CLOSING_POLL_SECONDS = 0.05
logger = logging.getLogger(__name__)
INVALID_JSON_KEY = "_invalid_json"
"""Key under which a body that is not a JSON object is recorded, as text."""


@dataclasses.dataclass(frozen=True)
class RecordedRequest:
    """One chat request as received, before any validation.

    Tests read these to check what a client really put on the wire.
    """

    path: str
    headers: dict[str, str]
    """Request headers with lower-case names."""
    body: dict[str, Any]
    """The parsed JSON body; a body that is not a JSON object is kept as text
    under `"_invalid_json"`."""
    received_at: float = 0.0
    """When the request arrived, in `time.monotonic()` seconds (the client's
    clock too when the emulator runs in-process), e.g. to measure pacing."""


class RequestLog:
    """Thread-safe, ordered record of requests, shared by app and tests."""

    def __init__(self) -> None:
        """Start empty."""
        self._lock = threading.Lock()
        self._items: list[RecordedRequest] = []

    def append(self, item: RecordedRequest) -> None:
        """Record one request."""
        with self._lock:
            self._items.append(item)

    def snapshot(self) -> list[RecordedRequest]:
        """Return a copy, safe to iterate while requests keep arriving."""
        with self._lock:
            return list(self._items)

    def clear(self) -> None:
        """Forget all recorded requests."""
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        """Return how many requests are recorded."""
        with self._lock:
            return len(self._items)


class StreamCutError(Exception):
    """Raised inside a response body to abort the connection mid-stream.

    The server then closes the socket without the chunked body's final
    zero-length chunk, so the client sees an incomplete body, as when a
    proxy or the API drops a stream.
    """


def _is_stream_cut(exc: BaseException | None) -> bool:
    """Tell whether an exception (or an exception group) is only a stream cut."""
    if isinstance(exc, StreamCutError):
        return True
    inner = getattr(exc, "exceptions", None)
    return bool(inner) and all(_is_stream_cut(e) for e in inner)  # type: ignore[union-attr]


class _HideStreamCuts(logging.Filter):
    """Drop the server's traceback for a deliberate stream cut."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and _is_stream_cut(record.exc_info[1]))


_LOG_FILTER = _HideStreamCuts()


def _install_log_filter() -> None:
    """Attach the filter to uvicorn's error logger once; only cuts are hidden."""
    logger = logging.getLogger("uvicorn.error")
    if _LOG_FILTER not in logger.filters:
        logger.addFilter(_LOG_FILTER)


def error_response(error: EmulatorError) -> JSONResponse:
    """Turn an `EmulatorError` into its HTTP answer."""
    return JSONResponse(error.body, status_code=error.status, headers=error.headers)


def _never() -> bool:
    return False


async def stream_events(
    events: list[bytes],
    options: EmulatorOptions,
    closing: Callable[[], bool] = _never,
) -> AsyncIterator[bytes]:
    """Send pre-built SSE events, applying the delay and cut options.

    Without a delay, events go out in batches of up to `WRITE_BATCH_BYTES`:
    the byte stream is the same, but the server makes a few writes instead
    of one per event, which keeps long streams cheap. With a delay, each
    event is its own write, as a slow model's would be.

    Args:
        events: The SSE events, each already serialized.
        options: The request's settings (`chunk_delay`, `cut_after_events`).
        closing: Tells whether the server is stopping; a delayed stream then
            aborts at once instead of holding up shutdown.

    Raises:
        StreamCutError: After `options.cut_after_events` events, when that is
            fewer than all the events, or when the server is stopping, to
            abort the connection.
    """
    cut = options.cut_after_events
    to_send = events if cut is None else events[:cut]
    if options.chunk_delay:
        for index, event in enumerate(to_send):
            if index and not await _sleep(options.chunk_delay, closing):
                msg = "stream aborted: the emulator is stopping"
                raise StreamCutError(msg)
            yield event
    else:
        for batch in _batches(to_send, WRITE_BATCH_BYTES):
            yield batch
    if len(to_send) < len(events):
        msg = f"stream cut after {cut} events (cut_after_events)"
        raise StreamCutError(msg)


async def _sleep(seconds: float, closing: Callable[[], bool]) -> bool:
    """Sleep in short slices; return False as soon as the server is stopping."""
    deadline = time.monotonic() + seconds
    while not closing():
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return True
        await asyncio.sleep(min(remaining, _CLOSING_POLL_SECONDS))
    return False


def _batches(events: list[bytes], limit: int) -> Iterator[bytes]:
    """Join consecutive events into writes of at most `limit` bytes (or one event)."""
    batch: list[bytes] = []
    size = 0
    for event in events:
        if batch and size + len(event) > limit:
            yield b"".join(batch)
            batch, size = [], 0
        batch.append(event)
        size += len(event)
    if batch:
        yield b"".join(batch)


_Reply = EmulatorError | dict[str, Any] | list[dict[str, Any]]
"""A dialect's answer: a refusal, a whole completion, or a stream's chunks."""


def _parse_body(raw: bytes) -> tuple[dict[str, Any], str | None]:
    """Parse a JSON object body, or say why it cannot be used."""
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError):  # also invalid UTF-8 and deep nesting
        body = None
    if isinstance(body, dict):
        return body, None
    text = raw.decode("utf-8", errors="replace")
    return {INVALID_JSON_KEY: text}, "The request body is not a valid JSON object."


async def _chat_completions(request: Request) -> Response:
    """Record, validate, then stream the answer as server-sent events."""
    received_at = time.monotonic()
    raw = await request.body()
    body, unreadable = _parse_body(raw)
    state = request.app.state
    state.request_log.append(
        RecordedRequest(request.url.path, dict(request.headers), body, received_at)
    )
    options: EmulatorOptions = copy.copy(state.options)
    try:
        fault = request_fault(request.headers, raw, options.faults)
    except ValueError as exc:
        return error_response(invalid_parameter(f"{FAULT_HEADER}: {exc}"))
    if fault is not None:
        if (response := await fault_response(fault, request)) is not None:
            return response
        fault.apply(options)
    answer = _answer(body, unreadable, options)
    if isinstance(answer, EmulatorError):
        return error_response(answer)
    if isinstance(answer, dict):  # a whole completion (stream=false)
        return JSONResponse(answer)
    return _event_stream(encode_events(answer), options, fault, state)


def _answer(
    body: dict[str, Any], unreadable: str | None, options: EmulatorOptions
) -> _Reply:
    """The dialect's answer; whatever the body holds, never an exception.

    A body the dialect's rules or answer builder cannot read is refused in
    the dialect's error envelope (DashScope's or vLLM's), as is one that is
    not JSON.
    """
    vllm = options.dialect == "vllm-omni"
    refuse = bad_request if vllm else invalid_parameter
    if unreadable is not None:
        return refuse(unreadable)
    try:
        return (_vllm_answer if vllm else _dashscope_answer)(body, options)
    except ScriptMismatchError as exc:  # the request contradicts its scripted answer
        return exc.error
    except Exception as exc:  # any body gets an answer in the envelope
        logger.debug("Refused a body the rules could not read", exc_info=True)
        return refuse(
            f"The request body is malformed ({type(exc).__name__}); check the "
            "types and nesting of its fields."
        )


def _dashscope_answer(body: dict[str, Any], options: EmulatorOptions) -> _Reply:
    """Answer as DashScope's compatible mode does (see `validation`, `tools`)."""
    error = validate_request(body)
    if error is not None:
        return error
    streaming = body.get("stream") is True
    chunks = build_answer(
        body if streaming else {**body, "stream_options": {"include_usage": True}},
        options,
        completion_id=f"chatcmpl-{uuid.uuid4().hex}",
        created=int(time.time()),
        audio_id=f"audio_{uuid.uuid4().hex}",
    )
    # stream=false gets this far only where the facts let it through
    return chunks if streaming else whole_completion(chunks)


def _vllm_answer(body: dict[str, Any], options: EmulatorOptions) -> _Reply:
    """Answer as a vLLM-Omni server does (see `vllm_rules`, `vllm_answers`)."""
    error = validate_vllm_request(body, options)
    if error is not None:
        return error
    return build_vllm_answer(
        body,
        options,
        completion_id=f"chatcmpl-{uuid.uuid4().hex}",
        created=int(time.time()),
    )


def _event_stream(
    events: list[bytes], options: EmulatorOptions, fault: Fault | None, state: Any
) -> Response:
    """Send the answer's events, with the fault's and the options' changes."""
    if fault is not None:
        events = fault.rewrite(events)
    closing = lambda: bool(state.closing)  # noqa: E731 - read at each pause
    body_bytes = stream_events(events, options, closing)
    if fault is not None and fault.stall:
        body_bytes = _stalled(fault.stall, body_bytes, closing)
    return StreamingResponse(
        body_bytes,
        media_type="text/event-stream",
        headers={"cache-control": "no-cache"},
    )


async def _models(request: Request) -> Response:
    """The model list of the `vllm-omni` dialect, as vLLM serves it."""
    options: EmulatorOptions = request.app.state.options
    if options.dialect != "vllm-omni":
        return JSONResponse({"error": {"message": "Not Found"}}, status_code=404)
    name = options.vllm.served_model_name or "Qwen/Qwen3-Omni-30B-A3B-Instruct"
    model = {"id": name, "object": "model", "owned_by": "vllm", "root": name}
    return JSONResponse({"object": "list", "data": [model]})


async def _stalled(
    seconds: float, events: AsyncIterator[bytes], closing: Callable[[], bool]
) -> AsyncIterator[bytes]:
    """Hold `events` back for `seconds` after the headers went out.

    Raises:
        StreamCutError: When the server stops during the stall.
    """
    if not await _sleep(seconds, closing):
        msg = "stream aborted: the emulator is stopping"
        raise StreamCutError(msg)
    async for event in events:
        yield event


async def _health(request: Request) -> Response:
    """Answer liveness probes."""
    del request
    return JSONResponse({"status": "ok"})


def create_app(
    options: EmulatorOptions | None = None, *, request_log: RequestLog | None = None
) -> Starlette:
    """Build the ASGI app.

    Args:
        options: Shared, mutable settings read at each request
            (`app.state.options`); defaults to a fresh `EmulatorOptions`.
        request_log: Where requests are recorded (`app.state.request_log`);
            defaults to a fresh `RequestLog`.

    `app.state.closing` starts False; a server sets it while stopping.
    `app.state.realtime` holds the realtime endpoint's options and sessions.
    """
    _install_log_filter()
    routes: list[BaseRoute] = [
        Route(path, _chat_completions, methods=["POST"]) for path in CHAT_PATHS
    ]
    routes.append(Route("/health", _health, methods=["GET"]))
    routes.append(Route("/v1/models", _models, methods=["GET"]))
    routes.append(
        Route(SCRIPT_PATH, script_endpoint, methods=["GET", "POST", "DELETE"])
    )
    routes.append(WebSocketRoute(REALTIME_PATH, realtime_endpoint))
    app = Starlette(routes=routes)
    app.state.realtime = RealtimeState()
    app.state.options = options if options is not None else EmulatorOptions()
    app.state.request_log = request_log if request_log is not None else RequestLog()
    app.state.closing = False
    return app
