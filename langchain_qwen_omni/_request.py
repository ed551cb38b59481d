"""The typed request between LangChain messages and Omni's JSON.

`_convert.py` builds an `OmniRequest` from LangChain messages, reading and
measuring every medium once while its bytes are at hand; `rules.py` checks
and repairs it against the model's profile without decoding anything
again; `_wire.py` writes it as the JSON body. Everything here is immutable:
a repair makes a new request, so what the user passed is never changed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

from langchain_qwen_omni.errors import OmniInputError

if TYPE_CHECKING:
    from collections.abc import Iterator

    from langchain_qwen_omni._probe import Kind

__all__ = [
    "Media",
    "OmniRequest",
    "Params",
    "Part",
    "Role",
    "Text",
    "Turn",
    "build_params",
]

Role = Literal["system", "user", "assistant", "tool"]


@dataclasses.dataclass(frozen=True, slots=True)
class Text:
    """A piece of text in a turn."""

    text: str


@dataclasses.dataclass(frozen=True, slots=True)
class Media:
    """One image, audio file, video file or image sequence, measured.

    Exactly one of `url` (a remote http(s) URL) and `b64` (inline base64,
    checked) holds the bytes, except for an image sequence, whose images are
    in `frames`. Measures are `None` when they cannot be told (remote media,
    or a format the probes do not read): the rules then skip that check.
    """

    kind: Kind
    """`image`, `audio` or `video` (a video file or an image sequence)."""
    where: str
    """`Message 2, block 1` (and `, frame 3`): where the user put it."""
    url: str | None = None
    b64: str | None = None
    mime_type: str | None = None
    """The content's type: sniffed where the bytes were at hand."""
    audio_format: str | None = None
    """`input_audio.format` (`mp3`, `wav`, ...) of an audio item."""
    size: int | None = None
    """Decoded bytes of inline media."""
    seconds: float | None = None
    """Duration of audio and video files."""
    width: int | None = None
    height: int | None = None
    frames: tuple[Media, ...] | None = None
    """The images of an image sequence, in order; `None` for a file."""
    transcript: str | None = None
    """What is said in an audio item, when the user gave it."""
    fps: float | None = None
    """Sampling rate asked for a video, sent next to the part."""
    max_pixels: int | None = None
    """Largest frame asked for a video, sent next to the part."""
    has_audio: bool | None = None
    """Whether a video file has a sound track; `None` when not measured."""

    @property
    def is_sequence(self) -> bool:
        """Whether this is an image sequence (`{"type": "video", "video": [...]}`)."""
        return self.frames is not None

    @property
    def inline(self) -> bool:
        """Whether the bytes travel in the request (base64)."""
        return self.b64 is not None

    @property
    def data_url_mime(self) -> str:
        """The type in this item's data URL: images carry theirs, others none."""
        return (self.mime_type or "") if self.kind == "image" else ""

    @property
    def data_url_length(self) -> int:
        """Length of the data URL this item travels in (0 for a remote URL)."""
        if self.b64 is None:
            return 0
        return len("data:;base64,") + len(self.data_url_mime) + len(self.b64)

    def data_items(self) -> Iterator[Media]:
        """The inline items this part sends: itself, or its inline frames."""
        if self.frames is not None:
            yield from (frame for frame in self.frames if frame.inline)
        elif self.inline:
            yield self

    def describe(self) -> str:
        """A few words standing in for this item once it is sent as text."""
        if self.kind == "audio":
            length = f" of {self.seconds:.1f} s" if self.seconds is not None else ""
            return f"[earlier audio{length}, not sent again]"
        if self.is_sequence:
            count = len(self.frames or ())
            return f"[earlier video of {count} frames, not sent again]"
        length = f" of {self.seconds:.1f} s" if self.seconds is not None else ""
        return f"[earlier {self.kind}{length}, not sent again]"


Part = Text | Media


@dataclasses.dataclass(frozen=True, slots=True)
class Turn:
    """One message of the conversation."""

    role: Role
    index: int
    """Position of the message in the list the user passed, for errors."""
    parts: tuple[Part, ...] = ()
    as_string: bool = False
    """The user gave plain string content: it is sent as a string."""
    tool_calls: tuple[Mapping[str, Any], ...] = ()
    """An assistant turn's calls, already in the OpenAI wire shape."""
    tool_call_id: str | None = None
    """The call a tool turn answers."""

    @property
    def text(self) -> str:
        """The text parts, joined."""
        return "".join(part.text for part in self.parts if isinstance(part, Text))

    @property
    def media(self) -> tuple[Media, ...]:
        """The media parts, in order."""
        return tuple(part for part in self.parts if isinstance(part, Media))

    def kinds(self) -> list[Kind]:
        """Media kinds held, in order of first appearance."""
        kinds: list[Kind] = []
        for item in self.media:
            if item.kind not in kinds:
                kinds.append(item.kind)
        return kinds

    def with_parts(self, parts: tuple[Part, ...]) -> Turn:
        """This turn with other content (a string stays a string if it can)."""
        as_string = self.as_string and all(isinstance(p, Text) for p in parts)
        return dataclasses.replace(self, parts=parts, as_string=as_string)


@dataclasses.dataclass(frozen=True, slots=True)
class Params:
    """The request parameters, each checked against the profile by the rules.

    `None` means "not set": the parameter is left out of the body and the
    API's default applies. `extra` holds parameters this package does not
    know (from `model_kwargs` or call keywords), sent as given.
    """

    modalities: tuple[str, ...] = ("text",)
    voice: str | None = None
    audio_format: str = "wav"
    temperature: float | None = None
    top_p: float | None = None
    max_tokens: int | None = None
    seed: int | None = None
    stop: tuple[str, ...] | None = None
    presence_penalty: float | None = None
    n: int | None = None
    enable_thinking: bool | None = None
    thinking_budget: int | None = None
    reasoning_effort: str | None = None
    preserve_thinking: bool | None = None
    enable_search: bool | None = None
    search_options: Mapping[str, Any] | None = None
    vl_high_resolution_images: bool | None = None
    tools: tuple[Mapping[str, Any], ...] | None = None
    tool_choice: Any = None
    parallel_tool_calls: bool | None = None
    response_format: Mapping[str, Any] | None = None
    stream_usage: bool = True
    extra: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    @property
    def speech(self) -> bool:
        """Whether a spoken answer is asked for."""
        return isinstance(self.modalities, tuple) and "audio" in self.modalities


PARAM_NAMES = frozenset(
    field.name for field in dataclasses.fields(Params) if field.name != "extra"
)
"""Parameters with a field of their own; any other key goes to `extra`."""


@dataclasses.dataclass(frozen=True, slots=True)
class OmniRequest:
    """A whole request: the model, the conversation and the parameters."""

    model: str
    turns: tuple[Turn, ...]
    params: Params

    def media(self, *, roles: frozenset[str] | None = None) -> Iterator[Media]:
        """Every media item, in conversation order (of some roles only)."""
        for turn in self.turns:
            if roles is None or turn.role in roles:
                yield from turn.media

    def with_turns(self, turns: tuple[Turn, ...]) -> OmniRequest:
        """The same request with another conversation."""
        return dataclasses.replace(self, turns=turns)


_SEQUENCES = {"modalities", "stop", "tools"}
"""Parameters given as lists and kept as tuples."""


def build_params(settings: Mapping[str, Any]) -> Params:
    """Typed parameters from loose keywords (fields, `model_kwargs`, call keywords).

    `audio={"voice": ..., "format": ...}` sets `voice` and `audio_format`,
    as the API's own parameter does; `stream` is dropped (every request
    streams); keys without a field of their own go to `extra`, as given.

    Raises:
        OmniInputError: For `audio` keys other than `voice` and `format`, or
            `messages` given as a parameter (it would bypass every check).
    """
    known: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    for key, value in settings.items():
        if key == "stream":
            continue
        if key == "messages":
            msg = (
                "messages cannot be passed as a parameter (in model_kwargs or a "
                "call keyword): pass the conversation as the model's input."
            )
            raise OmniInputError(msg)
        if key == "audio" and isinstance(value, Mapping):
            if "voice" in value:
                known["voice"] = value["voice"]
            if "format" in value:
                known["audio_format"] = value["format"]
            rest = sorted(str(k) for k in value if k not in {"voice", "format"})
            if rest:
                msg = (
                    f"audio takes 'voice' and 'format' only, got {', '.join(rest)}: "
                    "e.g. audio={'voice': 'Tina', 'format': 'wav'}."
                )
                raise OmniInputError(msg)
        elif key in PARAM_NAMES:
            if key in _SEQUENCES and isinstance(value, (list, tuple)):
                value = tuple(value)  # noqa: PLW2901 - normalized in place
            known[key] = value
        else:
            extra[key] = value
    return Params(**known, extra=extra)
