"""Error answers in DashScope's compatible-mode shape.

Every error the emulator returns goes through `EmulatorError`, so the status,
body shape and headers stay the same across validation rules and injected
faults, and clients can be tested against the bodies the API documents:

    {"error": {"message": "<400> InternalError.Algo.InvalidParameter: Range of
     max_tokens should be [1, 8192]", "type": "invalid_request_error",
     "param": null, "code": "invalid_parameter_error"},
     "id": "chatcmpl-...", "request_id": "..."}
"""

from __future__ import annotations

import dataclasses
import re
import uuid
from typing import Any

__all__ = [
    "INVALID_PARAMETER",
    "EmulatorError",
    "error_body",
    "format_choices",
    "invalid_parameter",
    "rate_limited",
]

INVALID_PARAMETER = "InternalError.Algo.InvalidParameter"
"""The service code in front of a refused parameter's message."""
_PREFIX = re.compile(r"^<\d{3}> [\w.]+: ")


@dataclasses.dataclass(frozen=True)
class EmulatorError:
    """An HTTP error answer: status, JSON body and extra headers."""

    status: int
    body: dict[str, Any]
    headers: dict[str, str] = dataclasses.field(default_factory=dict)

    @property
    def message(self) -> str:
        """The message as the API sends it (and the openai SDK shows it)."""
        return str(self.body["error"]["message"])

    @property
    def detail(self) -> str:
        """The message without its `<400> Service.Code: ` prefix."""
        return _PREFIX.sub("", self.message, count=1)


def error_body(
    message: str,
    *,
    type_: str = "invalid_request_error",
    code: str = "invalid_parameter_error",
    param: str | None = None,
    prefix: str | None = None,
) -> dict[str, Any]:
    """Build the compatible-mode error body with a fresh `id` and `request_id`.

    Args:
        message: What went wrong.
        type_: The error's `type`.
        code: The error's `code`.
        param: The error's `param` (the API sends `null`).
        prefix: The API's `<status> ServiceCode` in front of the message,
            e.g. `"<400> InternalError.Algo.InvalidParameter"`.
    """
    if prefix is not None:
        message = f"{prefix}: {message}"
    return {
        "error": {"message": message, "type": type_, "param": param, "code": code},
        "id": f"chatcmpl-{uuid.uuid4().hex}",
        "request_id": str(uuid.uuid4()),
    }


def invalid_parameter(message: str, *, param: str | None = None) -> EmulatorError:
    """A 400 `invalid_parameter_error`, the API's answer to a bad request."""
    prefix = f"<400> {INVALID_PARAMETER}"
    return EmulatorError(400, error_body(message, param=param, prefix=prefix))


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


def format_choices(choices: tuple[str, ...] | list[str]) -> str:
    """Quote choices the way the API's validator does: `'A', 'B' or 'C'`."""
    quoted = [f"'{choice}'" for choice in choices]
    if len(quoted) <= 1:
        return "".join(quoted)
    return f"{', '.join(quoted[:-1])} or {quoted[-1]}"
