"""The DashScope key: where it comes from, and the error when there is none."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pydantic import SecretStr

__all__ = ["KEY_ENV", "require_key"]

KEY_ENV = "DASHSCOPE_API_KEY"
"""The environment variable the key is read from."""


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
