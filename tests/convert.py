"""LangChain messages as the wire messages the chat model would send, for tests."""

from typing import Any

from langchain_core.messages import BaseMessage

from langchain_qwen_omni._convert import convert_messages
from langchain_qwen_omni._wire import wire_message


def wire_of(messages: list[BaseMessage]) -> list[dict[str, Any]]:
    """Convert without the rules: what each message becomes on the wire."""
    return [wire_message(turn) for turn in convert_messages(messages)]
