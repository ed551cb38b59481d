"""The live connection: reading events, sending, running tools, reconnecting.

One reader task owns the socket's incoming side: it feeds the dispatcher,
queues the typed events for the application, sends what the dispatcher asks
for and starts tool calls as tasks of their own, so several run at once and
the socket keeps being read while they do. When the connection drops, or the
session nears its time cap at a quiet moment, the reader opens a new one and
replays the conversation through the session configuration.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from typing import TYPE_CHECKING, Any

from websockets.exceptions import ConnectionClosed

from langchain_qwen_omni.realtime.connection import open_connection
from langchain_qwen_omni.realtime.errors import (
    OmniRealtimeConnectionError,
    OmniRealtimeError,
)
from langchain_qwen_omni.realtime.events import AssistantAudio, SessionReconnected
from langchain_qwen_omni.realtime.protocol import (
    mapping_field,
    session_finish,
    session_update,
    string_field,
)
from langchain_qwen_omni.realtime.tool_runner import run_tool_call

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable, Mapping

    from langchain_core.tools import BaseTool
    from websockets.asyncio.client import ClientConnection

    from langchain_qwen_omni.realtime.dispatcher import (
        Actions,
        EventDispatcher,
        StartTool,
    )
    from langchain_qwen_omni.realtime.events import RealtimeEvent

logger = logging.getLogger(__name__)

__all__ = ["RealtimeEngine", "is_fatal_error"]

_END = object()
_MAX_BACKOFF_SECONDS = 8.0
_POLL_SECONDS = 0.02
_FINISH_WAIT_SECONDS = 2.0
_POLICY_VIOLATION = 1008
_FATAL_MARKERS = (
    "invalidapikey",
    "invalid_api_key",
    "accessdenied",
    "access_denied",
    "unauthorized",
    "authentication",
    "permission",
    "arrearage",
    "allocationquota",
    "freetieronly",
    "insufficient_quota",
    "model_not_found",
    "modelnotfound",
    "invalidmodel",
    "model_not_supported",
)


def is_fatal_error(error: Mapping[str, Any]) -> bool:
    """Whether retrying cannot help after this error (key, permission, quota, model)."""
    text = " ".join(
        str(error.get(key) or "") for key in ("code", "type", "message")
    ).lower()
    return any(marker in text for marker in _FATAL_MARKERS)


def _error_from(event: Mapping[str, Any], prefix: str) -> OmniRealtimeError:
    error = mapping_field(event, "error")
    message = string_field(error, "message") or string_field(event, "message") or ""
    return OmniRealtimeError(
        f"{prefix}: {message}" if message else prefix,
        code=string_field(error, "code"),
        param=string_field(error, "param"),
        error_type=string_field(error, "type"),
    )


def _parse(raw: str | bytes) -> dict[str, Any] | None:
    """A text frame's JSON object; anything else is skipped (a lenient reader)."""
    if not isinstance(raw, str):
        return None
    try:
        event = json.loads(raw)
    except ValueError:
        logger.warning("Skipped a realtime frame that is not JSON: %.80r", raw)
        return None
    return event if isinstance(event, dict) else None


class RealtimeEngine:
    """Owns the WebSocket of one session, across reconnections."""

    def __init__(  # noqa: PLR0913  # the settings of one live connection
        self,
        *,
        url: str,
        headers: Mapping[str, str],
        session_config: Callable[[], dict[str, Any]],
        dispatcher: EventDispatcher,
        tools: Mapping[str, BaseTool],
        timeout: float,
        max_session_seconds: float,
        max_reconnects: int,
        reconnect_backoff: float,
    ) -> None:
        """Prepare; nothing connects until `start()`."""
        self._url = url
        self._headers = headers
        self._session_config = session_config
        self.dispatcher = dispatcher
        self._tools = tools
        self._timeout = timeout
        self._max_session_seconds = max_session_seconds
        self._max_reconnects = max_reconnects
        self._backoff = reconnect_backoff
        self._queue: asyncio.Queue[object] = asyncio.Queue()
        self._ws: ClientConnection | None = None
        self._ready = asyncio.Event()
        self._finished = asyncio.Event()
        self._send_lock = asyncio.Lock()
        self._failure: BaseException | None = None
        self._closing = False
        self._reconnect_reason: str | None = None
        self._last_error: dict[str, Any] | None = None
        self._changed = asyncio.Event()
        """Set, then replaced, whenever the connection is replaced or fails."""
        self._connected_at = 0.0
        self._tasks: set[asyncio.Task[None]] = set()
        self._reader: asyncio.Task[None] | None = None
        self._cap_watch: asyncio.Task[None] | None = None
        self.audio_started = False
        """Whether audio went out on the current connection (images need it)."""

    # --- lifecycle ---

    async def start(self) -> None:
        """Connect, configure the session, and start reading.

        Raises:
            OmniRealtimeError: When the server refuses the key or the session.
            OmniRealtimeConnectionError: When the endpoint cannot be reached.
        """
        self._ws = await self._open()
        self._ready.set()
        self._reader = asyncio.create_task(self._read_loop(), name="realtime-reader")
        if self._max_session_seconds > 0:
            self._cap_watch = asyncio.create_task(
                self._watch_cap(), name="realtime-cap"
            )

    async def close(self) -> None:
        """Finish the session politely, then stop every task; safe to call twice."""
        if self._closing:
            return
        self._closing = True
        ws = self._ws
        if ws is not None and self._failure is None and self._ready.is_set():
            with contextlib.suppress(ConnectionClosed, OSError, asyncio.TimeoutError):
                async with self._send_lock:
                    await ws.send(json.dumps(session_finish()))
                await asyncio.wait_for(self._finished.wait(), _FINISH_WAIT_SECONDS)
        for task in [*self._tasks, self._cap_watch]:
            if task is not None:
                task.cancel()
        if ws is not None:
            with contextlib.suppress(ConnectionClosed, OSError):
                await ws.close()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        self._queue.put_nowait(_END)
        if self._failure is None:
            self._failure = OmniRealtimeError("The realtime session is closed.")
        self._ready.set()

    # --- the application's side ---

    async def next_event(self) -> RealtimeEvent:
        """The next event for the application; audio of interrupted answers is skipped.

        Raises:
            StopAsyncIteration: When the session has ended.
            OmniRealtimeError: When it failed; later calls then end.
        """
        while True:
            item = await self._queue.get()
            if item is _END:
                self._queue.put_nowait(_END)
                raise StopAsyncIteration
            if isinstance(item, BaseException):
                self._queue.put_nowait(_END)
                raise item
            if (
                isinstance(item, AssistantAudio)
                and item.response_id in self.dispatcher.interrupted
            ):
                continue
            return item  # type: ignore[return-value]  # the queue holds events

    async def events(self) -> AsyncIterator[RealtimeEvent]:
        """`next_event` as an async iterator."""
        while True:
            try:
                event = await self.next_event()
            except StopAsyncIteration:
                return
            yield event

    async def send(self, event: Mapping[str, Any]) -> None:
        """Send a client event, waiting out a reconnection if one is under way.

        Raises:
            OmniRealtimeError: When the session has ended or failed.
        """
        text = json.dumps(event)
        for _ in range(3):
            await self._ready.wait()
            if self._failure is not None:
                raise self._failure
            ws = self._ws
            if ws is None:
                break
            try:
                async with self._send_lock:
                    await ws.send(text)
            except ConnectionClosed:
                await self._next_connection(ws)
                continue
            if event.get("type") == "input_audio_buffer.append":
                self.audio_started = True
            return
        msg = "The realtime connection was lost and the event could not be sent."
        raise OmniRealtimeConnectionError(msg)

    async def _next_connection(self, old: ClientConnection) -> None:
        """Wait until a connection other than `old` is ready, or the session failed."""
        while self._failure is None and (self._ws is old or not self._ready.is_set()):
            await self._changed.wait()

    def _announce_change(self) -> None:
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    # --- connecting ---

    async def _open(self) -> ClientConnection:
        """Connect and configure: `session.created`, `.update`, `.updated`."""
        ws = await open_connection(self._url, self._headers, self._timeout)
        try:
            # documented first; a server that skips it still gets configured
            await self._await_event(ws, "session.created", required=False)
            await ws.send(json.dumps(session_update(self._session_config())))
            await self._await_event(ws, "session.updated")
        except BaseException:
            with contextlib.suppress(ConnectionClosed, OSError):
                await ws.close()
            raise
        self._connected_at = time.monotonic()
        self.audio_started = False
        return ws

    async def _await_event(
        self, ws: ClientConnection, kind: str, *, required: bool = True
    ) -> None:
        """Read until `kind`; other events are handled as usual, an error is fatal.

        Without `required`, waiting half the timeout in vain is not an error.
        """
        wait = self._timeout if required else self._timeout / 2
        deadline = time.monotonic() + wait
        while True:
            remaining = deadline - time.monotonic()
            try:
                raw = await asyncio.wait_for(ws.recv(), max(remaining, 0.0))
            except asyncio.TimeoutError as exc:
                if not required:
                    logger.info("No %s within %g s; going on without it.", kind, wait)
                    return
                msg = f"The realtime server sent no {kind} within {wait:g} s."
                raise OmniRealtimeConnectionError(msg) from exc
            except ConnectionClosed as exc:
                msg = f"The realtime server closed the connection before {kind}."
                raise OmniRealtimeConnectionError(msg) from exc
            event = _parse(raw)
            if event is None:
                continue
            if event.get("type") == "error":
                raise _error_from(
                    event, f"The realtime server refused the session ({kind} expected)"
                )
            await self._apply(self.dispatcher.handle(event))
            if event.get("type") == kind:
                return

    # --- reading ---

    async def _read_loop(self) -> None:
        """Read connection after connection until the session ends or fails."""
        while (ws := self._ws) is not None:
            try:
                await self._read(ws)
            except Exception as exc:  # a bug must not leave the application waiting
                logger.exception("The realtime reader failed")
                self._fail(exc)
                return
            if self._closing or self._finished.is_set():
                self._queue.put_nowait(_END)
                return
            fatal = self._fatal_close(ws)
            if fatal is not None:
                self._fail(fatal)
                return
            reason = self._reconnect_reason or "connection lost"
            self._reconnect_reason = None
            try:
                await self._reconnect(reason)
            except OmniRealtimeError as exc:
                self._fail(exc)
                return

    async def _read(self, ws: ClientConnection) -> None:
        """Dispatch the events of one connection until it closes."""
        with contextlib.suppress(ConnectionClosed):
            async for raw in ws:
                event = _parse(raw)
                if event is None:
                    continue
                kind = event.get("type")
                self._last_error = event if kind == "error" else None
                if kind == "session.finished":
                    self._finished.set()
                await self._apply(self.dispatcher.handle(event))

    def _fatal_close(self, ws: ClientConnection) -> OmniRealtimeError | None:
        """The error that ended the session for good, if the close says so."""
        error = self._last_error
        if error is not None and is_fatal_error(mapping_field(error, "error")):
            return _error_from(error, "The realtime server ended the session")
        if ws.close_code == _POLICY_VIOLATION:
            reason = ws.close_reason or "policy violation"
            return OmniRealtimeError(
                f"The realtime server ended the session: {reason}."
            )
        return None

    async def _reconnect(self, reason: str) -> None:
        """Open a new connection with backoff; the history goes in its instructions.

        Raises:
            OmniRealtimeError: When the server refuses the new session.
            OmniRealtimeConnectionError: When every attempt failed.
        """
        self._ready.clear()
        await self._apply(self.dispatcher.connection_lost())
        delay = self._backoff
        last: OmniRealtimeConnectionError | None = None
        for attempt in range(1, self._max_reconnects + 1):
            if attempt > 1:
                await asyncio.sleep(delay)
                delay = min(delay * 2, _MAX_BACKOFF_SECONDS)
            try:
                self._ws = await self._open()
            except OmniRealtimeConnectionError as exc:
                logger.info("Realtime reconnection attempt %d failed: %s", attempt, exc)
                last = exc
                continue
            logger.info(
                "Realtime session reconnected (%s) after %d attempt(s)", reason, attempt
            )
            self._ready.set()
            self._announce_change()
            self._queue.put_nowait(SessionReconnected(reason=reason, attempts=attempt))
            return
        msg = (
            f"The realtime connection was lost ({reason}) and "
            f"{self._max_reconnects} attempt(s) to reconnect failed"
            + (f": {last}" if last else ".")
        )
        raise OmniRealtimeConnectionError(msg) from last

    def _fail(self, exc: BaseException) -> None:
        self._failure = exc
        self._ready.set()
        self._announce_change()
        self._queue.put_nowait(exc)

    # --- acting ---

    async def _apply(self, actions: Actions) -> None:
        """Queue the events, send the client events, start the tools."""
        for event in actions.events:
            self._queue.put_nowait(event)
        for outgoing in actions.send:
            ws = self._ws
            if ws is None:
                continue
            try:
                async with self._send_lock:
                    await ws.send(json.dumps(outgoing))
            except ConnectionClosed:
                logger.info("Not sent, the connection closed: %s", outgoing.get("type"))
        for start in actions.tools:
            task = asyncio.create_task(self._run_tool(start), name=f"tool-{start.name}")
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _run_tool(self, start: StartTool) -> None:
        outcome = await run_tool_call(
            self._tools, start.call_id, start.name, start.arguments
        )
        await self._apply(self.dispatcher.tool_finished(start, outcome))

    # --- the session cap ---

    async def _watch_cap(self) -> None:
        """Reconnect before the server's time cap, when no one is speaking."""
        while not self._closing and self._failure is None:
            deadline = self._connected_at + self._max_session_seconds
            await asyncio.sleep(max(deadline - time.monotonic(), 0.0))
            if self._connected_at + self._max_session_seconds > time.monotonic():
                continue  # reconnected meanwhile: a new deadline
            while not self.dispatcher.idle and not self._closing:  # noqa: ASYNC110
                # idleness spans the dispatcher's whole state; a short poll,
                # only once the cap is near, is simpler than signalling it
                await asyncio.sleep(_POLL_SECONDS)
            ws, changed = self._ws, self._changed
            if self._closing or ws is None:
                return
            self._reconnect_reason = "session cap"
            with contextlib.suppress(ConnectionClosed, OSError):
                await ws.close()
            await changed.wait()
