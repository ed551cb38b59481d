"""LangChain integration for Alibaba's Qwen-Omni models.

Names are re-exported lazily (PEP 562): `import langchain_qwen_omni` stays
light for the command line and the emulator, and each name loads its module
on first access.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from langchain_qwen_omni.audio import OmniAudio, aiter_pcm, iter_pcm
    from langchain_qwen_omni.chat_models import ChatQwenOmni
    from langchain_qwen_omni.errors import (
        OmniAPIError,
        OmniContentFilterError,
        OmniConversationError,
        OmniInputError,
        OmniRateLimitError,
        OmniStreamError,
        QwenOmniError,
    )
    from langchain_qwen_omni.media import (
        audio_block,
        image_block,
        video_block,
        video_frames_block,
    )
    from langchain_qwen_omni.tools import DescribeVideoTool, create_video_describer

_EXPORTS: dict[str, str] = {
    "ChatQwenOmni": "langchain_qwen_omni.chat_models",
    "DescribeVideoTool": "langchain_qwen_omni.tools",
    "OmniAPIError": "langchain_qwen_omni.errors",
    "OmniAudio": "langchain_qwen_omni.audio",
    "OmniContentFilterError": "langchain_qwen_omni.errors",
    "OmniConversationError": "langchain_qwen_omni.errors",
    "OmniInputError": "langchain_qwen_omni.errors",
    "OmniRateLimitError": "langchain_qwen_omni.errors",
    "OmniStreamError": "langchain_qwen_omni.errors",
    "QwenOmniError": "langchain_qwen_omni.errors",
    "aiter_pcm": "langchain_qwen_omni.audio",
    "audio_block": "langchain_qwen_omni.media",
    "create_video_describer": "langchain_qwen_omni.tools",
    "image_block": "langchain_qwen_omni.media",
    "iter_pcm": "langchain_qwen_omni.audio",
    "video_block": "langchain_qwen_omni.media",
    "video_frames_block": "langchain_qwen_omni.media",
}

__all__ = [
    "ChatQwenOmni",
    "DescribeVideoTool",
    "OmniAPIError",
    "OmniAudio",
    "OmniContentFilterError",
    "OmniConversationError",
    "OmniInputError",
    "OmniRateLimitError",
    "OmniStreamError",
    "QwenOmniError",
    "aiter_pcm",
    "audio_block",
    "create_video_describer",
    "image_block",
    "iter_pcm",
    "video_block",
    "video_frames_block",
]


def __getattr__(name: str) -> Any:
    """Import the module that defines `name` on first access."""
    module = _EXPORTS.get(name)
    if module is None:
        msg = f"module {__name__!r} has no attribute {name!r}"
        raise AttributeError(msg)
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
