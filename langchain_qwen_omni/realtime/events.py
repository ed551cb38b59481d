"""The typed events a realtime session yields, one class per thing that happened.

Server events are many and chatty (items, content parts, deltas); these are
the few an application acts on. Match them by class:

```python
async for event in session:
    match event:
        case AssistantAudio(pcm=pcm):
            speaker.write(pcm)
        case ResponseDone(message=message):
            print(message.text)
```
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any, Union

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt
    from langchain_core.messages import AIMessage, ToolMessage
    from langchain_core.messages.ai import UsageMetadata

__all__ = [
    "AssistantAudio",
    "AssistantTranscriptDelta",
    "ErrorEvent",
    "RealtimeEvent",
    "ResponseDone",
    "SessionReconnected",
    "SpeechStarted",
    "SpeechStopped",
    "ToolCallFinished",
    "ToolCallStarted",
    "UserTranscriptCompleted",
    "UserTranscriptDelta",
]

_SAMPLE_BYTES = 2


@dataclasses.dataclass(frozen=True, slots=True)
class SpeechStarted:
    """The server heard the user start speaking (also the barge-in signal)."""

    item_id: str | None = None
    """The user item the speech will become."""
    audio_start_ms: int | None = None
    """Where the speech starts in the audio sent so far, in milliseconds."""
    interrupted_response: str | None = None
    """The answer this speech interrupted, if one was playing."""


@dataclasses.dataclass(frozen=True, slots=True)
class SpeechStopped:
    """The server heard the user stop speaking; an answer usually follows."""

    item_id: str | None = None
    audio_end_ms: int | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class UserTranscriptDelta:
    """A piece of the live transcript of what the user said."""

    item_id: str | None
    delta: str


@dataclasses.dataclass(frozen=True, slots=True)
class UserTranscriptCompleted:
    """The whole transcript of one user turn (also in `session.messages`)."""

    item_id: str | None
    transcript: str


@dataclasses.dataclass(frozen=True, slots=True)
class AssistantTranscriptDelta:
    """A piece of the answer's text: the transcript of its speech, or its text."""

    response_id: str | None
    item_id: str | None
    delta: str


@dataclasses.dataclass(frozen=True, slots=True)
class AssistantAudio:
    """A piece of the spoken answer: mono PCM16, whole samples, playable alone."""

    response_id: str | None
    item_id: str | None
    pcm: bytes
    sample_rate: int = 24_000

    @property
    def duration(self) -> float:
        """Length of this piece in seconds."""
        return len(self.pcm) // _SAMPLE_BYTES / self.sample_rate

    def to_numpy(self) -> npt.NDArray[np.int16]:
        """The samples as a read-only int16 array (a view on `pcm`)."""
        import numpy as np  # noqa: PLC0415  # only when asked for

        return np.frombuffer(self.pcm, dtype="<i2")


@dataclasses.dataclass(frozen=True, slots=True)
class ResponseDone:
    """An answer ended: completed, interrupted by the user, cancelled or cut.

    `message` is the answer as an `AIMessage` (also appended to
    `session.messages`): its text, its speech in `additional_kwargs["audio"]`
    (so `OmniAudio.from_message(message)` works), its tool calls and usage.
    """

    response_id: str | None
    message: AIMessage
    status: str
    """`completed`, `cancelled`, `incomplete` (the connection dropped) or `failed`."""
    interrupted: bool = False
    """The user spoke over the answer; the message keeps what came before."""

    @property
    def usage(self) -> UsageMetadata | None:
        """Token usage reported by the server, if any."""
        return self.message.usage_metadata

    @property
    def has_tool_calls(self) -> bool:
        """Whether the answer is tool calls (the spoken answer follows them)."""
        return bool(self.message.tool_calls)


@dataclasses.dataclass(frozen=True, slots=True)
class ToolCallStarted:
    """A tool call's arguments are complete and the tool started running."""

    call_id: str
    name: str
    args: dict[str, Any]


@dataclasses.dataclass(frozen=True, slots=True)
class ToolCallFinished:
    """A tool finished; its result (or error text) goes back to the model."""

    call_id: str
    name: str
    output: str
    """What the model receives as the `function_call_output`."""
    is_error: bool
    message: ToolMessage
    """The result as a `ToolMessage` (also in `session.messages`)."""


@dataclasses.dataclass(frozen=True, slots=True)
class ErrorEvent:
    """A server error that leaves the session usable (a bad event, a refused value)."""

    message: str
    code: str | None = None
    param: str | None = None
    error_type: str | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class SessionReconnected:
    """A new connection replaced the old one; the conversation was replayed."""

    reason: str
    """`session cap` (the 120-minute limit came near) or `connection lost`."""
    attempts: int
    """Connection attempts it took."""


RealtimeEvent = Union[  # noqa: UP007  # a runtime alias, readable on Python 3.10
    SpeechStarted,
    SpeechStopped,
    UserTranscriptDelta,
    UserTranscriptCompleted,
    AssistantTranscriptDelta,
    AssistantAudio,
    ResponseDone,
    ToolCallStarted,
    ToolCallFinished,
    ErrorEvent,
    SessionReconnected,
]
"""Every event `async for event in session` yields."""
