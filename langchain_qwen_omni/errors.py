"""Errors raised by langchain-qwen-omni.

HTTP errors from the API mostly keep the openai SDK's own types
(`openai.RateLimitError`, `openai.BadRequestError`, ...), retried by the SDK
per `max_retries`. The classes here cover what the SDK cannot know: Omni's
input rules, checked before any request; streams that break after they
began; and the errors DashScope reports where the SDK does not look for them
(an `event:error` frame inside a 200 stream, a 200 answer whose body is JSON
or HTML instead of events, a moderation refusal).

Every error here survives `pickle` and `copy.deepcopy` with its fields and
its partial answer, so it can cross a process pool or a task queue.
"""

from __future__ import annotations

import importlib
import threading
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from langchain_core.messages import AIMessageChunk

__all__ = [
    "OmniAPIError",
    "OmniContentFilterError",
    "OmniConversationError",
    "OmniInputError",
    "OmniRateLimitError",
    "OmniStreamError",
    "QwenOmniError",
]

FilterSide = Literal["input", "output"]


def _restore(cls: type[BaseException], args: tuple[Any, ...], state: Any) -> Any:
    """Rebuild a pickled error without calling its `__init__`.

    `__init__` signatures with keyword-only fields (`partial=`) are what
    made the default `BaseException` pickling fail.
    """
    error = cls.__new__(cls, *args)
    error.args = args
    if state:
        error.__dict__.update(state)
    return error


class QwenOmniError(Exception):
    """Base class of every error this package raises itself."""

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle the message and every field (the partial answer too)."""
        return (_restore, (type(self), self.args, self.__dict__.copy()))


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


class OmniAPIError(QwenOmniError):
    """The service reported an error the SDK did not raise as an HTTP error.

    DashScope can answer HTTP 200 and then send an `event:error` frame inside
    the stream, and a gateway can answer 200 with a JSON or HTML page instead
    of events. Both end here, with what the service said.

    Attributes:
        code: The service's error code, e.g. `"Throttling.AllocationQuota"`.
        message: The service's own message, as sent.
        request_id: The service's request id, to quote to its support.
        status: The HTTP status the service gave the error, when known (from
            the frame's `:HTTP_STATUS/429` line, or the response's status).
        partial: Everything received before the error, as for
            `OmniStreamError` (an empty chunk when nothing was).
    """

    _in_stream = False
    """Set on errors reported by a frame inside the stream: only those are
    retried, as rate limits before any content; a body that is no stream is not."""

    def __init__(  # noqa: PLR0913 - one keyword per documented field
        self,
        description: str,
        *,
        message: str = "",
        code: str | None = None,
        request_id: str | None = None,
        status: int | None = None,
        partial: AIMessageChunk | None = None,
    ) -> None:
        """Keep the service's fields next to a readable description."""
        super().__init__(description)
        self.message = message or description
        self.code = code
        self.request_id = request_id
        self.status = status
        self.partial = partial


class OmniRateLimitError(OmniAPIError):
    """The service throttled the request (`Throttling*` codes) after a 200.

    Reported inside the stream before any answer reached the caller, it is
    retried like a 429, within `max_retries`; it is raised once retries run
    out, after content was received, or when a 200 body said it.
    """


class OmniContentFilterError(OmniAPIError):
    """Content moderation refused the input or stopped the output.

    Attributes:
        side: `"input"` (the request was refused, HTTP 400) or `"output"`
            (the answer was stopped mid-stream; `partial` holds what came).
    """

    def __init__(  # noqa: PLR0913 - one keyword per documented field
        self,
        description: str,
        *,
        side: FilterSide = "output",
        message: str = "",
        code: str | None = None,
        request_id: str | None = None,
        status: int | None = None,
        partial: AIMessageChunk | None = None,
    ) -> None:
        """Keep which side was refused, besides the service's fields."""
        super().__init__(
            description,
            message=message,
            code=code,
            request_id=request_id,
            status=status,
            partial=partial,
        )
        self.side: FilterSide = side


# --- the moderation refusal that is also the SDK's BadRequestError -------------

_SDK_HYBRIDS = {"OmniContentFilterBadRequestError": "BadRequestError"}
"""Classes built on first use, since the openai SDK is imported lazily."""


_HYBRID_LOCK = threading.Lock()


def _sdk_hybrid(name: str) -> type[OmniContentFilterError]:
    """Build `OmniContentFilterError` + the SDK's `BadRequestError`, once.

    Once per process, under a lock: pickle finds the class by its name, so
    two threads must not each build their own.
    """
    with _HYBRID_LOCK:
        built: type[OmniContentFilterError] | None = globals().get(name)
        if built is None:
            built = _build_hybrid(name)
            globals()[name] = built
        return built


def _build_hybrid(name: str) -> type[OmniContentFilterError]:
    sdk_error = getattr(importlib.import_module("openai"), _SDK_HYBRIDS[name])

    def __reduce__(self: Any) -> tuple[Any, ...]:  # noqa: N807 - a method
        """Pickle without the request's headers: they hold the API key."""
        state = self.__dict__.copy()
        response = state.get("response")
        if response is not None:
            state["response"] = _without_secrets(response)
            state["request"] = state["response"].request
        return (_restore, (type(self), self.args, state))

    hybrid: type[OmniContentFilterError] = type(
        name,
        (OmniContentFilterError, sdk_error),
        {
            "__module__": __name__,
            "__doc__": "A moderation refusal (HTTP 400): both "
            "`OmniContentFilterError` and `openai.BadRequestError`, so "
            "handlers of either keep working.",
            "__reduce__": __reduce__,
        },
    )
    return hybrid


def _without_secrets(response: Any) -> Any:
    """A copy of an HTTP response whose request has no headers and no userinfo."""
    request = response.request
    url = request.url.copy_with(username=None, password=None)
    bare_request = type(request)(request.method, url)
    try:
        content = response.content
    except Exception:  # noqa: BLE001 - an unread stream: keep the status only
        content = b""
    return type(response)(
        response.status_code,
        headers=[(k, v) for k, v in response.headers.items() if k != "set-cookie"],
        content=content,
        request=bare_request,
    )


def __getattr__(name: str) -> Any:
    """Build the SDK hybrids on first access (also when unpickling one)."""
    if name in _SDK_HYBRIDS:
        return _sdk_hybrid(name)
    msg = f"module {__name__!r} has no attribute {name!r}"
    raise AttributeError(msg)
