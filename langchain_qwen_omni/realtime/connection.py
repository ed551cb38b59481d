"""Opening the WebSocket: headers, timeouts, and errors the caller can act on.

The key travels in the `Authorization` header only. websockets logs
handshake headers at DEBUG level; the logger given to it masks that one.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from websockets.asyncio.client import connect
from websockets.exceptions import InvalidHandshake, InvalidStatus, InvalidURI

from langchain_qwen_omni.realtime.errors import (
    OmniRealtimeConnectionError,
    OmniRealtimeError,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

    from websockets.asyncio.client import ClientConnection

__all__ = ["WIRE_LOGGER", "open_connection"]

_MAX_MESSAGE_BYTES = 64 * 1024 * 1024
_REFUSED = frozenset({401, 403, 404})
_SECRET_HEADERS = frozenset({"authorization", "x-dashscope-apikey"})


class _MaskSecrets(logging.Filter):
    """Replace the value of secret headers in websockets' handshake log lines."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if (
            isinstance(args, tuple)
            and len(args) >= 2  # noqa: PLR2004  # ("> %s: %s", name, value)
            and str(args[0]).lower() in _SECRET_HEADERS
        ):
            record.args = (args[0], "***", *args[2:])
        return True


WIRE_LOGGER = logging.getLogger("langchain_qwen_omni.realtime.wire")
"""websockets' own log lines (frames, handshake), with the key masked."""
WIRE_LOGGER.addFilter(_MaskSecrets())


async def open_connection(
    url: str, headers: Mapping[str, str], timeout: float
) -> ClientConnection:
    """Connect and complete the WebSocket handshake.

    Raises:
        OmniRealtimeError: When the server refuses the handshake for good
            (401, 403, 404: a bad key, a model the key may not use, a wrong
            path); `status` holds the HTTP status.
        OmniRealtimeConnectionError: When the host cannot be reached, the
            handshake times out, or the server answers 5xx: worth retrying.
    """
    where = url.split("?", 1)[0]
    try:
        return await connect(
            url,
            additional_headers=dict(headers),
            open_timeout=timeout,
            max_size=_MAX_MESSAGE_BYTES,
            # base64 speech barely compresses; deflate would cost CPU per event
            compression=None,
            logger=WIRE_LOGGER,
        )
    except InvalidStatus as exc:
        status = exc.response.status_code
        body = (
            exc.response.body.decode("utf-8", "replace")[:300]
            if exc.response.body
            else ""
        )
        detail = f": {body}" if body else ""
        error = OmniRealtimeError if status in _REFUSED else OmniRealtimeConnectionError
        hint = (
            " Check DASHSCOPE_API_KEY and that the key belongs to this region."
            if status == 401  # noqa: PLR2004
            else ""
        )
        msg = (
            f"The realtime endpoint {where} refused the connection with "
            f"HTTP {status}{detail}.{hint}"
        )
        raise error(msg, status=status) from exc
    except InvalidURI as exc:
        msg = f"Invalid realtime URL {where}: {exc}"
        raise OmniRealtimeError(msg) from exc
    except (OSError, asyncio.TimeoutError, InvalidHandshake) as exc:
        reason = str(exc) or type(exc).__name__
        msg = f"Cannot connect to the realtime endpoint {where}: {reason}."
        raise OmniRealtimeConnectionError(msg) from exc
