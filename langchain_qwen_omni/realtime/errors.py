"""Errors of realtime sessions: the ones that end a session.

Server `error` events that leave the session usable are not raised: they
arrive as `ErrorEvent`s in the session's event stream.
"""

from __future__ import annotations

from typing import Any

from langchain_qwen_omni.errors import QwenOmniError

__all__ = ["OmniRealtimeConnectionError", "OmniRealtimeError"]


class OmniRealtimeError(QwenOmniError):
    """A realtime session failed and cannot go on.

    Raised for a refused handshake (a bad key: `status` 401), a session
    configuration the server refuses, a server error that closes the
    connection for good (authentication, quota, unknown model), or a
    connection that stays down after the reconnection attempts.

    Attributes:
        code: The server's error code (e.g. `invalid_value`), if it sent one.
        param: The parameter the server blamed (e.g. `session.modalities`).
        error_type: The server's error type (e.g. `invalid_request_error`).
        status: The HTTP status of a refused handshake.
    """

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        param: str | None = None,
        error_type: str | None = None,
        status: int | None = None,
    ) -> None:
        """Keep the server's error fields next to the message."""
        super().__init__(message)
        self.code = code
        self.param = param
        self.error_type = error_type
        self.status = status

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle with the error fields (Exception pickles `args` only)."""
        fields = {
            "code": self.code,
            "param": self.param,
            "error_type": self.error_type,
            "status": self.status,
        }
        return (_rebuild, (type(self), str(self), fields))


class OmniRealtimeConnectionError(OmniRealtimeError):
    """The connection could not be opened, or was lost and not re-established."""


def _rebuild(
    cls: type[OmniRealtimeError], message: str, fields: dict[str, Any]
) -> OmniRealtimeError:
    return cls(message, **fields)
