"""The openai SDK clients `ChatQwenOmni` sends its requests through.

The SDK is imported on first use: importing it takes longer than the rest of
this package together, and code that only builds chains, binds tools or
reads profiles never needs it.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["make_async_client", "make_sync_client", "openai_module"]


def openai_module() -> Any:
    """The openai SDK module, imported on first use."""
    return importlib.import_module("openai")


def make_sync_client(params: dict[str, Any]) -> Any:
    """An `openai.OpenAI` client for `params` (key, base URL, retries, timeout)."""
    return openai_module().OpenAI(**params)


def make_async_client(params: dict[str, Any]) -> Any:
    """An `openai.AsyncOpenAI` client for `params`."""
    return openai_module().AsyncOpenAI(**params)
