"""Error answers in DashScope's compatible-mode shape.

Every error the emulator returns goes through `EmulatorError`, so the status,
body shape and headers stay the same across validation rules and injected
faults, and clients can be tested against the exact bodies the API documents.
"""

from __future__ import annotations

import dataclasses
import uuid
from typing import Any

__all__ = [
    "EmulatorError",
    "error_body",
    "invalid_parameter",
    "rate_limited",
]


@dataclasses.dataclass(frozen=True)
class EmulatorError:
    """An HTTP error answer: status, JSON body and extra headers."""

    status: int
    body: dict[str, Any]
    headers: dict[str, str] = dataclasses.field(default_factory=dict)

    @property
    def message(self) -> str:
        """The human-readable message, as the openai SDK shows it."""
        return str(self.body["error"]["message"])


def error_body(
    message: str,
    *,
    type_: str = "invalid_request_error",
    code: str = "invalid_parameter_error",
    param: str | None = None,
) -> dict[str, Any]:
    """Build the compatible-mode error body with a fresh `request_id`."""
    return {
        "error": {"message": message, "type": type_, "param": param, "code": code},
        "request_id": str(uuid.uuid4()),
    }


def invalid_parameter(message: str, *, param: str | None = None) -> EmulatorError:
    """A 400 `invalid_parameter_error`, the API's answer to a bad request."""
    return EmulatorError(400, error_body(message, param=param))


def rate_limited(retry_after: float | None = None) -> EmulatorError:
    """A 429 `limit_requests` answer, optionally with a `Retry-After` header."""
    headers = {} if retry_after is None else {"retry-after": f"{retry_after:g}"}
    body = error_body(
        "You have exceeded your current request limit. For details, see: "
        "https://www.alibabacloud.com/help/en/model-studio/error-code#rate-limit",
        type_="limit_requests",
        code="limit_requests",
    )
    return EmulatorError(429, body, headers)
