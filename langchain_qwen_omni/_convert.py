"""LangChain messages -> Omni wire messages (pure functions, no I/O)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    ChatMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)

from langchain_qwen_omni.errors import OmniInputError

if TYPE_CHECKING:
    from collections.abc import Sequence

    from langchain_core.messages import InvalidToolCall, ToolCall

__all__ = ["convert_messages"]

_WIRE_PART_TYPES = frozenset({"text", "image_url", "input_audio", "video_url", "video"})


def convert_messages(messages: Sequence[BaseMessage]) -> list[dict[str, Any]]:
    """Convert a conversation to the wire `messages` list."""
    return [_to_wire(message, index) for index, message in enumerate(messages)]


def _to_wire(message: BaseMessage, index: int) -> dict[str, Any]:
    if isinstance(message, AIMessage):
        return _assistant_to_wire(message)
    if isinstance(message, ToolMessage):
        return {
            "role": "tool",
            "tool_call_id": message.tool_call_id,
            "content": message.text,
        }
    if isinstance(message, SystemMessage):
        role = "system"
    elif isinstance(message, HumanMessage):
        role = "user"
    elif isinstance(message, ChatMessage):
        role = message.role
    else:
        msg = (
            f"Message {index} is a {type(message).__name__}, which Omni cannot take. "
            "Use SystemMessage, HumanMessage, AIMessage or ToolMessage."
        )
        raise OmniInputError(msg)
    return {"role": role, "content": _content_to_wire(message.content, index)}


def _assistant_to_wire(message: AIMessage) -> dict[str, Any]:
    """Assistant turns go back as text only: Omni refuses media (and speech) there."""
    wire: dict[str, Any] = {"role": "assistant", "content": message.text}
    calls = [
        *(_tool_call_to_wire(call) for call in message.tool_calls),
        *(_invalid_tool_call_to_wire(call) for call in message.invalid_tool_calls),
    ]
    if calls:
        wire["tool_calls"] = calls
        wire["content"] = wire["content"] or None
    return wire


def _tool_call_to_wire(call: ToolCall) -> dict[str, Any]:
    return {
        "id": call["id"],
        "type": "function",
        "function": {"name": call["name"], "arguments": json.dumps(call["args"])},
    }


def _invalid_tool_call_to_wire(call: InvalidToolCall) -> dict[str, Any]:
    return {
        "id": call["id"],
        "type": "function",
        "function": {"name": call["name"], "arguments": call["args"]},
    }


def _content_to_wire(
    content: str | list[str | dict[str, Any]], index: int
) -> str | list[dict[str, Any]]:
    if isinstance(content, str):
        return content
    parts: list[dict[str, Any]] = []
    for block_index, block in enumerate(content):
        if isinstance(block, str):
            parts.append({"type": "text", "text": block})
        elif block.get("type") in _WIRE_PART_TYPES:
            parts.append(block)
        else:
            msg = (
                f"Message {index}, block {block_index}: unsupported content block "
                f"type {block.get('type')!r}."
            )
            raise OmniInputError(msg)
    return parts
