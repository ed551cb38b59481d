"""Send one chat request and turn its event stream into LangChain chunks.

The sync and async loops differ only in their I/O: decoding (`_sse`),
aggregation (`StreamAssembler`) and the decisions about failures (`_Tries`)
are shared. The rules, in the order a request meets them:

- HTTP errors keep the SDK's types and its retries (429, 5xx, connection
  errors, timeouts), except a moderation refusal (HTTP 400
  `data_inspection_failed`), which becomes an error that is both
  `openai.BadRequestError` and `OmniContentFilterError`.
- A break after the 200 headers but before the first event (a stall past
  the read timeout, a close) is retried like a connection error, within the
  same `max_retries`, and then raised as the SDK's `APITimeoutError` or
  `APIConnectionError`.
- An in-band rate limit (`OmniRateLimitError`) before any content is
  retried like a 429, with the same backoff; after content it is raised.
- Any other failure after that becomes `OmniStreamError`, or the service's
  `OmniAPIError`, carrying everything received so far in `.partial`.
"""

from __future__ import annotations

import asyncio
import importlib
import math
import random
import time
from typing import TYPE_CHECKING, Any, NoReturn

from langchain_qwen_omni._clients import openai_module
from langchain_qwen_omni.errors import OmniAPIError, OmniStreamError, QwenOmniError

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator

    from langchain_core.callbacks import (
        AsyncCallbackManagerForLLMRun,
        CallbackManagerForLLMRun,
    )
    from langchain_core.messages import AIMessageChunk
    from langchain_core.outputs import ChatGenerationChunk

    from langchain_qwen_omni._stream import StreamAssembler

__all__ = [
    "CHAT_PATH",
    "RETRY_INITIAL_DELAY",
    "RETRY_MAX_DELAY",
    "astream_chunks",
    "stream_chunks",
]

CHAT_PATH = "/chat/completions"
RETRY_INITIAL_DELAY = 0.5
"""First pause of this module's retries, doubling; the SDK's own backoff."""
RETRY_MAX_DELAY = 8.0
"""Longest pause of this module's retries without a `Retry-After`."""
RETRY_AFTER_MAX = 120.0
"""Longest `Retry-After` honoured; a longer one falls back to the backoff."""
_JSON_CONTENT = {"headers": {"Content-Type": "application/json"}}
_RETRY_COUNT_HEADER = "x-stainless-retry-count"  # set by the SDK on each try


def _sse() -> Any:
    """The decoding module, which imports the SDK: loaded on first request."""
    return importlib.import_module("langchain_qwen_omni._sse")


def _service_errors() -> Any:
    return importlib.import_module("langchain_qwen_omni._service_errors")


def _breaks() -> tuple[type[BaseException], ...]:
    """What can end a stream after the 200 headers (the rest propagates)."""
    return (
        openai_module().APIError,
        QwenOmniError,
        ValueError,
        TypeError,
        OverflowError,
        RecursionError,
    )


class _Tries:
    """One call's tries: the retry budget shared with the SDK, and the verdicts.

    The SDK counts its own retries inside each `post`; this object passes it
    what is left of `max_retries` and counts its own retries against the
    same budget, so a call is tried at most `max_retries + 1` times.
    """

    __slots__ = (
        "assembler",
        "body",
        "events",
        "left",
        "request",
        "retry_after",
        "stream_cls",
        "taken",
        "yielded",
    )

    def __init__(
        self, client: Any, body: bytes, stream_cls: Any, assembler: StreamAssembler
    ) -> None:
        self.left = int(client.max_retries)
        self.taken = 0
        self.events = 0
        self.yielded = False
        self.request: Any = None
        self.retry_after: str | None = None
        self.body = body
        self.stream_cls = stream_cls
        self.assembler = assembler

    def post_args(self) -> dict[str, Any]:
        """`client.post`'s arguments for the next try (its share of the retries)."""
        return {
            "path": CHAT_PATH,
            "content": self.body,
            "options": {**_JSON_CONTENT, "max_retries": max(self.left, 0)},
            "cast_to": object,
            "stream": True,
            "stream_cls": self.stream_cls,
        }

    def opened(self, events: Any) -> None:
        """Count the SDK's retries of this try, and start counting events."""
        response = events.response
        self.request = response.request
        self.retry_after = response.headers.get("retry-after")
        try:
            sdk = int(self.request.headers.get(_RETRY_COUNT_HEADER) or 0)
        except ValueError:
            sdk = 0
        self.left -= sdk
        self.taken += sdk
        self.events = 0
        self.yielded = False

    def refuse(self, exc: Exception) -> NoReturn:
        """Raise the SDK's HTTP 400, as a moderation refusal when it is one."""
        partial = self.assembler.partial()
        refusal = _service_errors().content_filter_refusal(exc, partial)
        _raise(exc if refusal is None else refusal, exc)

    def pause(self, exc: BaseException) -> float:
        """After `exc`: the pause before the next try (the assembler reset), or raise.

        The error raised is `exc` itself, or what it stands for, from it.
        """
        verdict = self._verdict(exc)
        if isinstance(verdict, BaseException):
            _raise(verdict, exc)
        self.assembler.restart()
        return verdict

    def _verdict(self, exc: BaseException) -> float | BaseException:
        """The pause before retrying after `exc`, or the error to raise."""
        openai = openai_module()
        assembler = self.assembler
        if self.events == 0 and isinstance(exc, OmniStreamError):
            exc = openai.APIConnectionError(
                message="The server closed the answer stream before its first "
                "event (HTTP 200 with no events).",
                request=self.request,
            )
        if isinstance(exc, openai.APIConnectionError) and self.events == 0:
            return self._retry(exc)  # also APITimeoutError: a stall before any event
        if isinstance(exc, OmniAPIError):
            exc.partial = assembler.partial()
            if (
                _service_errors().retryable(exc)
                and not self.yielded
                and not _holds_content(exc.partial)
            ):
                return self._retry(exc)
            return exc
        if isinstance(exc, QwenOmniError):
            return exc
        return _broken(exc, assembler)

    def _retry(self, exc: BaseException) -> float | BaseException:
        if self.left <= 0:
            return exc
        self.left -= 1
        self.taken += 1
        return _backoff(self.taken, self.retry_after)


def _holds_content(partial: AIMessageChunk) -> bool:
    return bool(
        partial.content or partial.additional_kwargs or partial.tool_call_chunks
    )


def _backoff(retries_taken: int, retry_after: str | None) -> float:
    """The SDK's pause: `Retry-After` when sane, else exponential with jitter."""
    try:
        seconds = float(retry_after) if retry_after else math.nan
    except ValueError:
        seconds = math.nan
    if math.isfinite(seconds) and 0 < seconds <= RETRY_AFTER_MAX:
        return seconds
    pause = min(RETRY_INITIAL_DELAY * 2.0 ** (retries_taken - 1), RETRY_MAX_DELAY)
    return pause * (1 - 0.25 * random.random())  # noqa: S311 - jitter, not a secret


def _broken(exc: BaseException, assembler: StreamAssembler) -> OmniStreamError:
    msg = (
        f"The answer stream broke after it began ({type(exc).__name__}: {exc}). "
        "Everything received so far is in this error's .partial."
    )
    return OmniStreamError(msg, partial=assembler.partial())


def _raise(verdict: BaseException, exc: BaseException) -> NoReturn:
    if verdict is exc:
        raise exc
    raise verdict from exc


def stream_chunks(
    client: Any,
    body: bytes,
    assembler: StreamAssembler,
    run_manager: CallbackManagerForLLMRun | None,
    *,
    whole_answers: bool = False,
) -> Iterator[ChatGenerationChunk]:
    """Post `body` with the sync client and yield the assembled chunks.

    `whole_answers` takes a JSON body holding a whole answer as the answer
    (servers that may answer whole, such as vLLM-Omni), not as an error.
    """
    openai, sse = openai_module(), _sse()
    stream_cls = sse.WholeAnswerEventStream if whole_answers else sse.EventStream
    breaks, tries = _breaks(), _Tries(client, body, stream_cls, assembler)
    while True:
        try:
            events = client.post(**tries.post_args())
        except openai.BadRequestError as exc:
            tries.refuse(exc)
        tries.opened(events)
        try:
            with events:
                for event in events:
                    tries.events += 1
                    for chunk in assembler.feed(event):
                        if run_manager:
                            run_manager.on_llm_new_token(chunk.text, chunk=chunk)
                        tries.yielded = True
                        yield chunk
            last = assembler.finish()
        except breaks as exc:
            time.sleep(tries.pause(exc))
            continue
        break
    if run_manager:
        run_manager.on_llm_new_token(last.text, chunk=last)
    yield last


async def astream_chunks(
    client: Any,
    body: bytes,
    assembler: StreamAssembler,
    run_manager: AsyncCallbackManagerForLLMRun | None,
    *,
    whole_answers: bool = False,
) -> AsyncIterator[ChatGenerationChunk]:
    """Post `body` with the async client and yield the assembled chunks."""
    openai, sse = openai_module(), _sse()
    stream_cls = (
        sse.AsyncWholeAnswerEventStream if whole_answers else sse.AsyncEventStream
    )
    breaks, tries = _breaks(), _Tries(client, body, stream_cls, assembler)
    while True:
        try:
            events = await client.post(**tries.post_args())
        except openai.BadRequestError as exc:
            tries.refuse(exc)
        tries.opened(events)
        try:
            async with events:
                async for event in events:
                    tries.events += 1
                    for chunk in assembler.feed(event):
                        if run_manager:
                            await run_manager.on_llm_new_token(chunk.text, chunk=chunk)
                        tries.yielded = True
                        yield chunk
            last = assembler.finish()
        except breaks as exc:
            await asyncio.sleep(tries.pause(exc))
            continue
        break
    if run_manager:
        await run_manager.on_llm_new_token(last.text, chunk=last)
    yield last
