"""LangChain integration for Alibaba's Qwen-Omni models."""

from langchain_qwen_omni.audio import OmniAudio, aiter_pcm, iter_pcm
from langchain_qwen_omni.chat_models import ChatQwenOmni
from langchain_qwen_omni.errors import (
    OmniConversationError,
    OmniInputError,
    OmniStreamError,
    QwenOmniError,
)

__all__ = [
    "ChatQwenOmni",
    "OmniAudio",
    "OmniConversationError",
    "OmniInputError",
    "OmniStreamError",
    "QwenOmniError",
    "aiter_pcm",
    "iter_pcm",
]
