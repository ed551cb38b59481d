"""Send one chat request and turn its event stream into LangChain chunks.

The sync and async loops differ only in their I/O: decoding, aggregation and
error handling live in the shared `StreamAssembler`. Errors before the first
event keep the SDK's own types (and its retries); a break after it becomes
`OmniStreamError` carrying everything received so far.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from langchain_qwen_omni._clients import openai_module
from langchain_qwen_omni.errors import OmniStreamError

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator

    from langchain_core.callbacks import (
        AsyncCallbackManagerForLLMRun,
        CallbackManagerForLLMRun,
    )
    from langchain_core.outputs import ChatGenerationChunk

    from langchain_qwen_omni._stream import StreamAssembler

__all__ = ["CHAT_PATH", "astream_chunks", "stream_chunks"]

CHAT_PATH = "/chat/completions"
_JSON_CONTENT: Any = {"headers": {"Content-Type": "application/json"}}


def _stream_breaks() -> tuple[type[Exception], ...]:
    """Errors that end a stream after it began.

    Anything raised before the first event (HTTP status errors, refused
    connections) keeps the SDK's own type and is not caught.
    """
    return (openai_module().APIError, ValueError)


def _broken(exc: Exception, assembler: StreamAssembler) -> OmniStreamError:
    msg = (
        f"The answer stream broke after it began ({type(exc).__name__}: {exc}). "
        "Everything received so far is in this error's .partial."
    )
    return OmniStreamError(msg, partial=assembler.partial())


def stream_chunks(
    client: Any,
    body: bytes,
    assembler: StreamAssembler,
    run_manager: CallbackManagerForLLMRun | None,
) -> Iterator[ChatGenerationChunk]:
    """Post `body` with the sync client and yield the assembled chunks."""
    events = client.post(
        CHAT_PATH,
        content=body,
        options=_JSON_CONTENT,
        cast_to=object,
        stream=True,
        stream_cls=openai_module().Stream[object],  # object: events stay plain dicts
    )
    with events:
        try:
            for event in events:
                for chunk in assembler.feed(event):
                    if run_manager:
                        run_manager.on_llm_new_token(chunk.text, chunk=chunk)
                    yield chunk
        except _stream_breaks() as exc:
            raise _broken(exc, assembler) from exc
    last = assembler.finish()
    if run_manager:
        run_manager.on_llm_new_token(last.text, chunk=last)
    yield last


async def astream_chunks(
    client: Any,
    body: bytes,
    assembler: StreamAssembler,
    run_manager: AsyncCallbackManagerForLLMRun | None,
) -> AsyncIterator[ChatGenerationChunk]:
    """Post `body` with the async client and yield the assembled chunks."""
    events = await client.post(
        CHAT_PATH,
        content=body,
        options=_JSON_CONTENT,
        cast_to=object,
        stream=True,
        stream_cls=openai_module().AsyncStream[object],
    )
    async with events:
        try:
            async for event in events:
                for chunk in assembler.feed(event):
                    if run_manager:
                        await run_manager.on_llm_new_token(chunk.text, chunk=chunk)
                    yield chunk
        except _stream_breaks() as exc:
            raise _broken(exc, assembler) from exc
    last = assembler.finish()
    if run_manager:
        await run_manager.on_llm_new_token(last.text, chunk=last)
    yield last
