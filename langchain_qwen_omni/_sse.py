"""Decode an answer's server-sent events, and see the errors among them.

DashScope streams `data:` frames of JSON chunks, ended by `data: [DONE]`.
Two things can arrive instead that are not chunks, and the SDK's `Stream`
misses both: an `event:error` frame (after a `:HTTP_STATUS/429` comment
line) reporting a failure after the 200 headers, which the SDK hands over as
if it were a chunk; and a 200 answer whose body is a JSON error or an HTML
page, whose lines are no SSE fields, so the SDK sees an empty stream. Here
both become `OmniAPIError`s carrying the service's words. A 200 JSON body
that is a whole answer (`"choices"`) is an error too from DashScope, which
must stream; the `WholeAnswer...` streams, for servers that may answer whole
(vLLM-Omni), hand it over as the one event of the answer, shaped as a chunk.

`EventStream` and `AsyncEventStream` are the SDK's stream classes with this
module's decoder; the transport passes them as `stream_cls`. Transport
failures while reading become the SDK's `APITimeoutError` or
`APIConnectionError`; a frame that is not JSON (truncated, invalid UTF-8,
nested too deeply to decode) raises a `ValueError` after every event before
it has been handed over.

Per-event cost matters (every spoken answer is hundreds of events): each
network chunk is split into lines once, a frame's data stays bytes until one
strict UTF-8 decode and one `json.loads`, and the events of a chunk are
handed over as one list, without an object per event or per line.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, ClassVar

import anyio
import openai

from langchain_qwen_omni._service_errors import api_error, body_error

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator

__all__ = [
    "BODY_LIMIT",
    "WHOLE_ANSWER_LIMIT",
    "AsyncEventStream",
    "AsyncWholeAnswerEventStream",
    "EventDecoder",
    "EventStream",
    "MalformedEventError",
    "WholeAnswerEventStream",
    "transport_error",
    "whole_answer_as_chunk",
]

BODY_LIMIT = 64 * 1024
"""Bytes read of a body that is not an event stream: enough for its message."""
WHOLE_ANSWER_LIMIT = 1024 * 1024 * 1024
"""Bytes read of a JSON body that holds a whole answer (`"choices"`), which
servers that do not stream (vLLM-Omni with `stream=false`) send instead."""
_CHOICES = b'"choices"'
DRAIN_SECONDS = 0.1
"""How long an async stream reads on after `[DONE]`, so its connection is reused."""

_SNIFF, _SSE, _BODY = 0, 1, 2
_WHITESPACE = b" \t\r\n\xef\xbb\xbf"  # and a UTF-8 byte order mark
_SSE_STARTS = tuple(b"de:ir")  # data, event, comment, id, retry
_STATUS_COMMENT = b":HTTP_STATUS/"
_DONE = b"[DONE]"
_ERROR_EVENT = b"error"


class MalformedEventError(ValueError):
    """A frame whose data cannot be decoded as a JSON event."""


class EventDecoder:
    """Bytes of an answer in, decoded JSON events out, errors kept aside.

    `feed` each network chunk and hand over the events it returns; then
    check `error` (raise it after those events) and `done` (stop reading).
    `close` at the end of the body.
    """

    __slots__ = (
        "_body",
        "_body_size",
        "_data",
        "_event",
        "_junk",
        "_kind",
        "_mode",
        "_parts",
        "_skip_lf",
        "_status",
        "_whole",
        "_whole_answers",
        "content_type",
        "done",
        "error",
        "events",
        "request_id",
        "status",
    )

    def __init__(
        self,
        *,
        content_type: str = "",
        status: int = 200,
        request_id: str | None = None,
        whole_answers: bool = False,
    ) -> None:
        """Start before the first byte.

        Args:
            content_type: The response's `Content-Type`: a JSON or HTML one
                marks a body that is not an event stream.
            status: The response's HTTP status, for errors about its body.
            request_id: The response's request id header, for errors that
                do not carry their own.
            whole_answers: Take a JSON body holding a whole answer as the
                answer (one event), instead of an error.
        """
        self.content_type = content_type.lower()
        self.status = status
        self.request_id = request_id
        self.done = False
        self.error: Exception | None = None
        self.events = 0
        self._mode = _SNIFF
        self._parts: list[bytes] = []
        self._skip_lf = False
        self._data: list[bytes] = []
        self._event: bytes | None = None
        self._status: int | None = None
        self._junk: bytes | None = None
        self._kind = ""
        self._body: list[bytes] = []
        self._body_size = 0
        self._whole = False
        self._whole_answers = whole_answers

    # --------------------------------------------------------------- input
    def feed(self, chunk: bytes) -> list[Any]:
        """Decode one network chunk; return the complete events in it."""
        if self._mode != _SSE:
            chunk = self._sniff(chunk)
            if self._mode != _SSE:
                return []
        if self._skip_lf:
            self._skip_lf = False
            if chunk[:1] == b"\n":
                chunk = chunk[1:]
        if b"\r" in chunk:
            self._skip_lf = chunk[-1:] == b"\r"
            chunk = chunk.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        if self._parts:  # a line longer than one chunk: join once it ends
            self._parts.append(chunk)
            if b"\n" not in chunk:
                return []
            chunk = b"".join(self._parts)
            self._parts = []
        lines = chunk.split(b"\n")
        if tail := lines.pop():
            self._parts.append(tail)
        return self._lines(lines)

    def close(self) -> list[Any]:
        """End of the body: settle a body that was no stream, or a last frame."""
        if self._mode == _BODY:
            return self._settle_body()
        if self._mode == _SSE and not self.done:
            if self._parts:
                line = b"".join(self._parts).replace(b"\r", b"")
                self._parts = []
                self._lines([line])
            # An unfinished event is dropped, as SSE says, unless it reports an error.
            if self._event == _ERROR_EVENT and not self.done:
                return self._lines([b""])
            if self.events == 0 and self._junk is not None and self.error is None:
                self._kind = "text"
                self._body = [self._junk]
                self._settle_body()
        return []

    # -------------------------------------------------------------- lines
    def _lines(self, lines: list[bytes]) -> list[Any]:
        out: list[Any] = []
        data = self._data
        for line in lines:
            if line.startswith(b"data:"):
                data.append(line[6:] if line[5:6] == b" " else line[5:])
            elif line:
                self._field(line)
            elif data or self._event == _ERROR_EVENT:
                event = self._dispatch(data)
                data = self._data = []
                if self.done:
                    break
                if event is not None:
                    out.append(event)
            else:  # a frame without data (a named keep-alive): nothing to hand over
                self._event = self._status = None
        self.events += len(out)
        return out

    def _field(self, line: bytes) -> None:
        """A line other than `data:`: a comment, `event:`, or not SSE at all."""
        if line[0] == 58:  # noqa: PLR2004 - ":", a comment
            if line.startswith(_STATUS_COMMENT):
                self._status = _status_of(line[len(_STATUS_COMMENT) :])
            return
        name, _, value = line.partition(b":")
        if name == b"event":
            self._event = value.strip()
        elif name not in (b"id", b"retry") and self._junk is None:
            self._junk = line[:BODY_LIMIT]

    def _dispatch(self, data: list[bytes]) -> Any:
        """One complete frame: its event, or None after setting done/error."""
        raw = data[0] if len(data) == 1 else b"\n".join(data)
        event_name, status = self._event, self._status
        self._event = self._status = None
        if raw.startswith(_DONE):
            self.done = True
            return None
        if event_name != _ERROR_EVENT and not raw.strip():
            return None  # `data:` alone, a keep-alive
        try:
            value = json.loads(raw.decode("utf-8"))
        except RecursionError:
            value = MalformedEventError(
                "an event nested too deeply to decode (a hostile or broken server)"
            )
        except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError
            value = exc
        if event_name == _ERROR_EVENT:
            if isinstance(value, Exception):
                value = {"message": raw.decode("utf-8", errors="replace")}
            return self._fail(api_error(value, status=status, **self._ids()))
        if isinstance(value, Exception):
            return self._fail(value)
        if type(value) is dict and "choices" not in value and _reports_error(value):
            return self._fail(api_error(value, status=status, **self._ids()))
        return value

    def _fail(self, error: Exception) -> None:
        self.error = error
        self.done = True

    # ------------------------------------------------- bodies that are no stream
    def _sniff(self, chunk: bytes) -> bytes:
        """Tell an event stream from a JSON or HTML body by its first bytes."""
        if self._mode == _BODY:
            self._keep_body(chunk)
            return b""
        stripped = chunk.lstrip(_WHITESPACE)
        if not stripped:
            return b""
        first = stripped[0]
        if first in b"{[" or ("json" in self.content_type and first not in _SSE_STARTS):
            self._kind = "json"
        elif first == ord("<") or (
            "html" in self.content_type and first not in _SSE_STARTS
        ):
            self._kind = "html"
        else:
            self._mode = _SSE
            return stripped
        self._mode = _BODY
        self._keep_body(stripped)
        return b""

    def _keep_body(self, chunk: bytes) -> None:
        if (
            self._whole_answers
            and self._kind == "json"
            and not self._whole
            and self._body_size < BODY_LIMIT
        ):
            head = b"".join([*self._body, chunk])[:BODY_LIMIT]
            self._whole = _CHOICES in head
        limit = WHOLE_ANSWER_LIMIT if self._whole else BODY_LIMIT
        room = limit - self._body_size
        self._body.append(chunk[:room])
        self._body_size += min(len(chunk), room)
        if self._body_size >= limit:
            self._settle_body()

    def _settle_body(self) -> list[Any]:
        """The whole body is in: a whole answer becomes the one event, else an error."""
        head = b"".join(self._body)
        self._body = []
        if (
            self._whole_answers
            and self._kind == "json"
            and (answer := _whole_answer(head)) is not None
        ):
            self.done = True
            self.events += 1
            return [answer]
        self._fail(body_error(head, kind=self._kind, status=self.status, **self._ids()))
        return []

    def _ids(self) -> dict[str, str | None]:
        return {"fallback_request_id": self.request_id}


def _whole_answer(body: bytes) -> dict[str, Any] | None:
    """A JSON body that is a whole chat completion (not an error), or None."""
    try:
        value = json.loads(body.decode("utf-8"))
    except (ValueError, RecursionError):
        return None
    if (
        type(value) is dict
        and isinstance(value.get("choices"), list)
        and not value.get("error")
    ):
        return whole_answer_as_chunk(value)
    return None


def whole_answer_as_chunk(answer: dict[str, Any]) -> dict[str, Any]:
    """A whole `chat.completion` as one chunk: each `message` becomes a `delta`.

    Tool calls get their list position as `index`, which streamed calls
    carry and whole answers do not.
    """
    choices: list[Any] = []
    for choice in answer["choices"]:
        if not isinstance(choice, dict) or not isinstance(choice.get("message"), dict):
            choices.append(choice)
            continue
        delta = dict(choice["message"])
        calls = delta.get("tool_calls")
        if isinstance(calls, list):
            delta["tool_calls"] = [
                {"index": index, **call} if isinstance(call, dict) else call
                for index, call in enumerate(calls)
            ]
        rest = {key: value for key, value in choice.items() if key != "message"}
        choices.append({**rest, "delta": delta})
    return {**answer, "object": "chat.completion.chunk", "choices": choices}


def _reports_error(value: dict[str, Any]) -> bool:
    """An object without choices that reads as an error report."""
    return "error" in value or ("code" in value and "message" in value)


def _status_of(text: bytes) -> int | None:
    digits = text.strip()[:3]
    return int(digits) if digits.isdigit() else None


def decoder_for(response: Any, *, whole_answers: bool = False) -> EventDecoder:
    """A decoder primed with what the response's headers say."""
    headers = response.headers
    return EventDecoder(
        content_type=headers.get("content-type", ""),
        status=response.status_code,
        request_id=headers.get("x-request-id") or headers.get("x-dashscope-request-id"),
        whole_answers=whole_answers,
    )


def transport_error(exc: Exception, request: Any) -> Exception:
    """A transport failure while reading, as the SDK's own error type.

    The SDK wraps failures of the HTTP library (`httpx` or `httpx2`,
    depending on its version) the same way; this does it by name, so it
    works with either.
    """
    if isinstance(exc, openai.OpenAIError):
        return exc
    names = {cls.__name__ for cls in type(exc).__mro__}
    if names & {"TimeoutException", "TimeoutError"}:
        return openai.APITimeoutError(request=request)
    return openai.APIConnectionError(request=request)


# ------------------------------------------------------------------ streams
class EventStream(openai.Stream[object]):
    """The SDK's sync stream, decoding with `EventDecoder`."""

    whole_answers: ClassVar[bool] = False
    """Whether a JSON body holding a whole answer is the answer."""

    def __iter__(self) -> Iterator[object]:
        """The events themselves, without the SDK's extra generator step."""
        return self._iterator

    def __stream__(self) -> Iterator[object]:
        """Decode the body; raise what the decoder found after its events."""
        response = self.response
        decoder = decoder_for(response, whole_answers=self.whole_answers)
        chunks = response.iter_bytes()
        try:
            while not decoder.done:
                try:
                    chunk = next(chunks)
                except StopIteration:
                    yield from decoder.close()
                    break
                except Exception as exc:  # mapped to the SDK's errors
                    raise transport_error(exc, response.request) from exc
                if events := decoder.feed(chunk):
                    yield from events
            if decoder.error is not None:
                raise decoder.error
        finally:
            response.close()

    def close(self) -> None:
        """Close the decoding generator, then the response."""
        self._iterator.close()  # type: ignore[attr-defined]
        self.response.close()


class AsyncEventStream(openai.AsyncStream[object]):
    """The SDK's async stream, decoding with `EventDecoder`."""

    whole_answers: ClassVar[bool] = False
    """Whether a JSON body holding a whole answer is the answer."""

    def __aiter__(self) -> AsyncIterator[object]:
        """The events themselves, without the SDK's extra generator step."""
        return self._iterator

    async def __stream__(self) -> AsyncIterator[object]:
        """Decode the body; raise what the decoder found after its events."""
        response = self.response
        decoder = decoder_for(response, whole_answers=self.whole_answers)
        chunks = response.aiter_bytes()
        try:
            while not decoder.done:
                try:
                    chunk = await anext(chunks)
                except StopAsyncIteration:
                    for event in decoder.close():
                        yield event
                    break
                except Exception as exc:  # mapped to the SDK's errors
                    raise transport_error(exc, response.request) from exc
                for event in decoder.feed(chunk):
                    yield event
            if decoder.error is not None:
                raise decoder.error
            if decoder.done:
                await _drain(chunks)
        finally:
            await response.aclose()

    async def close(self) -> None:
        """Close the decoding generator, then the response."""
        await self._iterator.aclose()  # type: ignore[attr-defined]
        await self.response.aclose()


class WholeAnswerEventStream(EventStream):
    """`EventStream` for servers that may answer whole (vLLM-Omni)."""

    whole_answers: ClassVar[bool] = True


class AsyncWholeAnswerEventStream(AsyncEventStream):
    """`AsyncEventStream` for servers that may answer whole (vLLM-Omni)."""

    whole_answers: ClassVar[bool] = True


async def _drain(chunks: AsyncIterator[bytes]) -> None:
    """Read what follows `[DONE]` for a moment, so HTTP/1.1 can reuse the connection."""
    try:
        with anyio.move_on_after(DRAIN_SECONDS):
            async for _ in chunks:
                pass
    except Exception:  # noqa: BLE001 - cleanup must not fail a finished answer
        return
