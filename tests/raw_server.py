"""A tiny HTTP server that answers with exactly the bytes a test scripts.

Not the emulator: it knows nothing of Omni, so it can send what no
well-behaved server would (an `event:error` frame, an HTML page with status
200, a stall after the headers, invalid UTF-8, numbers out of any range),
and the client is tested against the wire as such, not against the
emulator's idea of it. Each request takes the next scripted `Reply`; the
last one repeats.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import threading
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterator
    from types import TracebackType

    from typing_extensions import Self

CUT = object()
"""A step that drops the connection at once, leaving the body unfinished."""


@dataclasses.dataclass
class Reply:
    """One scripted answer: status, headers, then steps (bytes, pauses, `CUT`)."""

    steps: list[Any]
    status: int = 200
    content_type: str = "text/event-stream"
    headers: dict[str, str] = dataclasses.field(default_factory=dict)
    chunked: bool = True
    """Send the body chunked (an unfinished one is detectable), else until close."""


def frame(payload: Any) -> bytes:
    """One `data:` frame of JSON."""
    return b"data: " + json.dumps(payload).encode() + b"\n\n"


def chunk(delta: dict[str, Any], finish: str | None = None, **top: Any) -> bytes:
    """A chat.completion.chunk frame with one choice."""
    return frame(
        {
            "id": "chatcmpl-raw",
            "object": "chat.completion.chunk",
            "model": "qwen3-omni-flash",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            **top,
        }
    )


def text_frames(*pieces: str) -> list[bytes]:
    """The role delta, then one frame per text piece."""
    return [chunk({"role": "assistant", "content": ""})] + [
        chunk({"content": piece}) for piece in pieces
    ]


def answer(*pieces: str) -> list[bytes]:
    """A whole, well-formed answer: text, stop, usage, `[DONE]`."""
    usage = {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}
    return [
        *text_frames(*pieces),
        chunk({}, "stop"),
        frame({"id": "chatcmpl-raw", "choices": [], "usage": usage}),
        b"data: [DONE]\n\n",
    ]


def error_frame(code: str, message: str, status: int = 429) -> bytes:
    """DashScope's in-band error, as documented: `event:error` and a status line."""
    data = json.dumps({"code": code, "message": message, "request_id": "rid-raw-1"})
    return f"event:error\n:HTTP_STATUS/{status}\ndata:{data}\n\n".encode()


class RawServer:
    """The server, in a thread of its own; a context manager."""

    def __init__(self) -> None:
        """Prepare; nothing listens before `__enter__`."""
        self.replies: list[Reply] = []
        self.requests: list[bytes] = []
        self.arrivals: list[float] = []
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self.port = 0

    @property
    def base_url(self) -> str:
        """Where clients point `base_url`."""
        return f"http://127.0.0.1:{self.port}/compatible-mode/v1"

    def script(self, *replies: Reply) -> None:
        """Answer the next requests with `replies`, in order; the last repeats."""
        self.replies = list(replies)
        self.requests.clear()
        self.arrivals.clear()

    def __enter__(self) -> Self:
        """Start listening on a free loopback port."""
        self._thread.start()
        future = asyncio.run_coroutine_threadsafe(self._start(), self._loop)
        future.result(5)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Stop the server and its thread."""
        asyncio.run_coroutine_threadsafe(self._stop(), self._loop).result(5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        self._loop.close()

    async def _start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _stop(self) -> None:
        for writer in list(self._writers):
            writer.transport.abort()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._server is not None:
            self._server.close()

    def _next(self) -> Reply:
        index = min(len(self.requests) - 1, len(self.replies) - 1)
        return self.replies[index]

    async def _serve(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self._writers.add(writer)
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            body = await reader.readexactly(length)
            self.requests.append(body)
            self.arrivals.append(time.monotonic())
            await self._reply(self._next(), writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self._writers.discard(writer)
            self._tasks.discard(task)
            if not writer.transport.is_closing():
                writer.close()

    async def _reply(self, reply: Reply, writer: asyncio.StreamWriter) -> None:
        headers = {
            "content-type": reply.content_type,
            "connection": "close",
            **reply.headers,
        }
        if reply.chunked:
            headers["transfer-encoding"] = "chunked"
        lines = [f"HTTP/1.1 {reply.status} Scripted"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
        await writer.drain()
        for step in reply.steps:
            if step is CUT:
                writer.transport.abort()
                return
            if isinstance(step, (int, float)):
                await asyncio.sleep(step)
                continue
            writer.write(_chunked(step) if reply.chunked else step)
            await writer.drain()
        if reply.chunked:
            writer.write(b"0\r\n\r\n")
        await writer.drain()


def _chunked(data: bytes) -> bytes:
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


def joined(*parts: list[bytes]) -> Iterator[bytes]:
    """Steps from several frame lists, in order."""
    for part in parts:
        yield from part
