"""LangChain integration for Alibaba's Qwen-Omni models."""

from langchain_qwen_omni.errors import (
    OmniConversationError,
    OmniInputError,
    OmniStreamError,
    QwenOmniError,
)

__all__ = [
    "OmniConversationError",
    "OmniInputError",
    "OmniStreamError",
    "QwenOmniError",
]
