"""Errors raised by langchain-qwen-omni.

HTTP errors from the API are not wrapped: they surface as the openai SDK's own
exceptions (`openai.RateLimitError`, `openai.BadRequestError`, ...), retried by
the SDK per `max_retries`. The classes here cover what the SDK cannot know:
Omni's input rules, checked before any request, and streams that break after
they began.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from langchain_core.messages import AIMessageChunk

__all__ = [
    "OmniConversationError",
    "OmniInputError",
    "OmniStreamError",
    "QwenOmniError",
]


class QwenOmniError(Exception):
    """Base class of every error this package raises itself."""


class OmniInputError(QwenOmniError, ValueError):
    """Media or a parameter is outside what the model accepts.

    Raised before any network call. The message names where (message and block
    index), the limit, the measured value, and how to fix it.
    """


class OmniConversationError(QwenOmniError, ValueError):
    """A conversation rule is broken and `strict=True` forbids repairing it."""


class OmniStreamError(QwenOmniError):
    """The answer stream broke after it began.

    Attributes:
        partial: Everything received before the break, aggregated into one
            `AIMessageChunk` (text, speech, reasoning, tool-call pieces), so
            nothing already streamed is lost. `OmniAudio.from_message(partial)`
            decodes the speech received so far.
    """

    def __init__(self, message: str, *, partial: AIMessageChunk) -> None:
        """Keep the partial answer next to the error message."""
        super().__init__(message)
        self.partial = partial
