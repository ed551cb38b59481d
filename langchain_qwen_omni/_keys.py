"""The DashScope key and endpoint: where they come from, and the error without a key.

Shared by `ChatQwenOmni` and `QwenOmniRealtime`, and light: the realtime
session resolves its endpoint without importing the chat model.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pydantic import SecretStr

__all__ = ["KEY_ENV", "REGION_BASE_URLS", "require_key", "resolve_base_url"]

KEY_ENV = "DASHSCOPE_API_KEY"
"""The environment variable the key is read from."""
REGION_BASE_URLS: dict[str, str] = {
    "intl": "https://dashscope-intl.aliyuncs.com/compatible-mode/v1",
    "cn": "https://dashscope.aliyuncs.com/compatible-mode/v1",
    "us": "https://dashscope-us.aliyuncs.com/compatible-mode/v1",
    "hk": "https://cn-hongkong.dashscope.aliyuncs.com/compatible-mode/v1",
}
"""Documented compatible-mode endpoints per region; a key works in its region only."""


def resolve_base_url(base_url: str | None, region: str | None) -> str:
    """The endpoint the settings name.

    An explicit `base_url` wins, then `region`, then `DASHSCOPE_BASE_URL`,
    then `DASHSCOPE_API_BASE`, then Singapore.
    """
    if base_url:
        return base_url
    if region:
        return REGION_BASE_URLS[region]
    return (
        os.environ.get("DASHSCOPE_BASE_URL")
        or os.environ.get("DASHSCOPE_API_BASE")
        or REGION_BASE_URLS["intl"]
    )


def require_key(key: SecretStr | None) -> SecretStr:
    """Return the key, or say how to give one (and how to work without one).

    Raises:
        ValueError: No key was given or found in the environment; raised from
            a pydantic validator, so users see it when they build the model.
    """
    if key is None:
        msg = (
            f"No DashScope API key: pass api_key=... or set {KEY_ENV}. "
            "To work offline, point base_url at "
            "langchain_qwen_omni.emulator.OmniEmulator with any key."
        )
        raise ValueError(msg)
    return key
