"""Standard (v1) content blocks of Omni answers.

Registered with langchain-core under `model_provider="qwen_omni"` when this
module is imported (by the stream assembler that stamps that provider), so that
`message.content_blocks` and `output_version="v1"` show reasoning, text,
speech and tool calls as standard blocks.

Streamed blocks carry fixed string indices (`lc_reasoning`, `lc_text`,
`lc_audio`), so that LangChain's chunk merging folds each kind into one block
however the kinds interleave on the wire: the audio block's `base64` pieces
are 6-byte aligned and concatenate into valid base64 of the whole PCM, and its
`mime_type` and `extras` travel in the first piece only (merging concatenates
strings).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from langchain_core.messages.block_translators import register_translator

from langchain_qwen_omni.audio import PCM_MIME_TYPE

if TYPE_CHECKING:
    from langchain_core.messages import AIMessage, AIMessageChunk
    from langchain_core.messages import content as types

__all__ = ["MODEL_PROVIDER", "register"]

MODEL_PROVIDER = "qwen_omni"
"""`response_metadata["model_provider"]`; keys the v1 content-block translator."""

_AUDIO_EXTRAS = ("format", "sample_rate", "channels", "expires_at", "transcript")


def _leading_blocks(message: AIMessage | AIMessageChunk) -> list[types.ContentBlock]:
    """Reasoning, text and speech blocks, in that order, with stream indices."""
    blocks: list[dict[str, Any]] = []
    if reasoning := message.additional_kwargs.get("reasoning_content"):
        blocks.append(
            {"type": "reasoning", "reasoning": reasoning, "index": "lc_reasoning"}
        )
    if text := str(message.text):  # `.text` is a str subclass that merges badly
        blocks.append({"type": "text", "text": text, "index": "lc_text"})
    audio = message.additional_kwargs.get("audio") or {}
    if "data" in audio:
        block: dict[str, Any] = {
            "type": "audio",
            "base64": audio["data"],
            "index": "lc_audio",
        }
        if "format" in audio:  # the first piece, or a whole message
            block["mime_type"] = PCM_MIME_TYPE
            block["extras"] = {k: audio[k] for k in _AUDIO_EXTRAS if k in audio}
        if audio.get("id"):
            block["id"] = audio["id"]
        blocks.append(block)
    return cast("list[types.ContentBlock]", blocks)


def translate_message(message: AIMessage) -> list[types.ContentBlock]:
    """Blocks of a whole message: leading blocks, then tool calls."""
    blocks = _leading_blocks(message)
    blocks.extend(
        cast("types.ContentBlock", {"type": "tool_call", **call})
        for call in message.tool_calls
    )
    blocks.extend(
        cast("types.ContentBlock", {**call, "type": "invalid_tool_call"})
        for call in message.invalid_tool_calls
    )
    return blocks


def translate_chunk(chunk: AIMessageChunk) -> list[types.ContentBlock]:
    """Blocks of a streamed chunk; an aggregated last chunk shows parsed calls."""
    if chunk.chunk_position == "last" and (
        chunk.tool_calls or chunk.invalid_tool_calls
    ):
        return translate_message(cast("AIMessage", chunk))
    blocks = _leading_blocks(chunk)
    blocks.extend(
        cast(
            "types.ContentBlock",
            {
                "type": "tool_call_chunk",
                "id": call.get("id"),
                "name": call.get("name"),
                "args": call.get("args"),
                "index": call.get("index"),
            },
        )
        for call in chunk.tool_call_chunks
    )
    return blocks


def register() -> None:
    """Register the translators with langchain-core (idempotent)."""
    register_translator(MODEL_PROVIDER, translate_message, translate_chunk)


register()
