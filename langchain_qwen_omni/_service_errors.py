"""What the service says went wrong, as the package's typed errors.

Pure functions over what arrived: an in-band `event:error` frame, a 200
body that is JSON or HTML instead of events, or the SDK's HTTP 400. They
pick the class (a rate limit, a moderation refusal, any other service
error) from DashScope's codes and messages, and keep the service's own
words. Nothing here trusts the payload's shape: hostile values become
text or are left out, never an exception of another type.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from langchain_qwen_omni import errors
from langchain_qwen_omni.errors import (
    OmniAPIError,
    OmniContentFilterError,
    OmniRateLimitError,
)

if TYPE_CHECKING:
    from langchain_core.messages import AIMessageChunk

    from langchain_qwen_omni.errors import FilterSide

__all__ = [
    "BODY_KINDS",
    "api_error",
    "body_error",
    "content_filter_refusal",
    "is_moderation",
    "retryable",
]

TEXT_LIMIT = 1000
"""Longest text kept from the service's message or a page: enough to read."""
BODY_KINDS = {"json": "a JSON body", "html": "an HTML page", "text": "a text body"}
"""How a 200 body that is not an event stream is named in the message."""

_RATE_LIMIT_CODES = frozenset({"limit_requests", "limitrequests"})
_TOO_MANY_REQUESTS = 429
_TITLE = re.compile(rb"<title[^>]*>(.*?)</title", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]*>")


def api_error(
    payload: object,
    *,
    status: int | None,
    fallback_request_id: str | None = None,
) -> OmniAPIError:
    """The typed error of an in-band `event:error` frame's payload.

    Args:
        payload: The frame's decoded JSON: `{"code", "message",
            "request_id"}` as DashScope sends it, or an OpenAI-style
            `{"error": {...}}`; anything else is quoted as text.
        status: The frame's `:HTTP_STATUS/...` line, when it had one.
        fallback_request_id: The response's request id header, if any.
    """
    code, message, request_id = _fields(payload)
    request_id = request_id or fallback_request_id
    where = f" (HTTP {status})" if status else ""
    description = (
        f"The service reported an error inside the answer stream{where}: "
        f"{_said(code, message)}{_rid(request_id)}. Everything received "
        "before it is in this error's .partial."
    )
    error = _typed(description, code, message, request_id, status, side="output")
    error._in_stream = True  # noqa: SLF001 - the package's own marker
    return error


def body_error(
    head: bytes,
    *,
    kind: str,
    status: int,
    fallback_request_id: str | None = None,
) -> OmniAPIError:
    """The typed error of a 200 answer whose body is not an event stream.

    Args:
        head: The body's first bytes (bounded by the caller).
        kind: `"json"`, `"html"` or `"text"` (a key of `BODY_KINDS`).
        status: The response's HTTP status.
        fallback_request_id: The response's request id header, if any.
    """
    code: str | None = None
    request_id: str | None = None
    if kind == "json":
        code, message, request_id = _json_fields(head)
    elif kind == "html":
        message = _page_text(head)
    else:
        message = _snippet(head.decode("utf-8", errors="replace"))
    request_id = request_id or fallback_request_id
    description = (
        f"The service answered HTTP {status} with {BODY_KINDS[kind]} instead of "
        f"an event stream: {_said(code, message)}{_rid(request_id)}."
    )
    return _typed(description, code, message, request_id, status, side="input")


def content_filter_refusal(exc: Any, partial: AIMessageChunk) -> Any:
    """The SDK's HTTP 400 as a moderation refusal, or None if it is not one.

    The result is both `openai.BadRequestError` (a copy of `exc`, so
    handlers of the SDK's error keep working) and `OmniContentFilterError`.
    """
    body = exc.body if isinstance(exc.body, Mapping) else {}
    code, message, request_id = _fields(body)
    if not is_moderation(code, _text(body.get("type")), message):
        return None
    hybrid = getattr(errors, "OmniContentFilterBadRequestError")  # noqa: B009 - built lazily
    refusal = hybrid.__new__(hybrid, *exc.args)
    refusal.__dict__.update(exc.__dict__)
    refusal.message = message or exc.message
    refusal.code = code
    refusal.request_id = request_id or _top_request_id(exc) or exc.request_id
    refusal.status = exc.status_code
    refusal.partial = partial
    refusal.side = _side(message, "input")
    return refusal


def retryable(error: OmniAPIError) -> bool:
    """Whether `error` is a rate limit reported by a frame inside the stream."""
    return isinstance(error, OmniRateLimitError) and error._in_stream  # noqa: SLF001


def is_moderation(code: str | None, type_: str | None, message: str) -> bool:
    """Whether DashScope's words say content moderation refused something."""
    words = f"{code or ''} {type_ or ''} {message[:200]}".replace("_", "").lower()
    return "datainspectionfailed" in words


# --- reading payloads -------------------------------------------------------------


def _typed(  # noqa: PLR0913 - the fields of one error
    description: str,
    code: str | None,
    message: str,
    request_id: str | None,
    status: int | None,
    *,
    side: FilterSide,
) -> OmniAPIError:
    fields: dict[str, Any] = {
        "message": message,
        "code": code,
        "request_id": request_id,
        "status": status,
    }
    if is_moderation(code, None, message):
        return OmniContentFilterError(description, side=_side(message, side), **fields)
    lowered = (code or "").lower()
    if (
        lowered.startswith("throttling")
        or lowered in _RATE_LIMIT_CODES
        or status == _TOO_MANY_REQUESTS
    ):
        return OmniRateLimitError(description, **fields)
    return OmniAPIError(description, **fields)


def _fields(payload: object) -> tuple[str | None, str, str | None]:
    """Code, message and request id of an error payload of either shape."""
    if not isinstance(payload, Mapping):
        return None, _snippet(_quote(payload)), None
    inner = payload.get("error")
    if isinstance(inner, str):
        inner = {"message": inner}
    if not isinstance(inner, Mapping):
        inner = payload
    code = _text(inner.get("code")) or _text(inner.get("type"))
    message = _text(inner.get("message")) or ""
    request_id = _text(payload.get("request_id")) or _text(inner.get("request_id"))
    return code, message, request_id


def _json_fields(head: bytes) -> tuple[str | None, str, str | None]:
    try:
        payload = json.loads(head.decode("utf-8"))
    except (ValueError, RecursionError):  # cut at the size bound, or not JSON
        return None, _snippet(head.decode("utf-8", errors="replace")), None
    if isinstance(payload, Mapping) and "choices" in payload:
        return None, "a complete chat completion (was stream=true ignored?)", None
    return _fields(payload)


def _page_text(head: bytes) -> str:
    """An HTML page's title, or else its text without tags."""
    if match := _TITLE.search(head):
        title = html.unescape(match.group(1).decode("utf-8", errors="replace"))
        if title.strip():
            return _snippet(title)
    text = _TAG.sub(" ", head.decode("utf-8", errors="replace"))
    return _snippet(html.unescape(text))


def _top_request_id(exc: Any) -> str | None:
    """DashScope's `request_id`, at the top of the body the SDK unwrapped."""
    try:
        top = exc.response.json()
    except Exception:  # noqa: BLE001 - any unreadable body just has no id
        return None
    return _text(top.get("request_id")) if isinstance(top, Mapping) else None


def _side(message: str, default: FilterSide) -> FilterSide:
    lowered = message[:200].lower()
    if "output" in lowered:
        return "output"
    if "input" in lowered:
        return "input"
    return default


def _text(value: object) -> str | None:
    """A field as text: strings and numbers only, bounded; None otherwise."""
    if isinstance(value, str):
        return _snippet(value) or None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            return _snippet(repr(value))
        except ValueError:  # an int too long to print
            return None
    return None


def _quote(value: object) -> str:
    try:
        return json.dumps(value)[: TEXT_LIMIT + 1]
    except (ValueError, TypeError, RecursionError):
        return type(value).__name__


def _snippet(text: str) -> str:
    text = " ".join(text[: TEXT_LIMIT * 4].split())
    return text if len(text) <= TEXT_LIMIT else text[: TEXT_LIMIT - 3] + "..."


def _said(code: str | None, message: str) -> str:
    if code and message:
        return f"{code}: {message}"
    return code or message or "(no message)"


def _rid(request_id: str | None) -> str:
    return f" (request_id {request_id})" if request_id else ""
