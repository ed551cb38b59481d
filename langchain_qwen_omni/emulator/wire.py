"""The emulator's own reader of a chat request: messages, parts and media URLs.

Written from the wire shapes in the facts doc, not from the client's
converters: the API takes `text`, `image_url`, `input_audio`, `video_url` and
`video` (image sequence) parts. Anything else, such as a LangChain block that
was never converted (`{"type": "image", "url": ...}`) or a typo, is recorded
as a problem worded like the API's validation errors, which the rules then
return as a 400. Reading never decodes media: `measure` does that, once per
URL, when a rule or the answer needs a size or a duration.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from langchain_qwen_omni.emulator.errors import format_choices

if TYPE_CHECKING:
    from collections.abc import Iterator

    from langchain_qwen_omni.emulator.facts import MediaKind

__all__ = [
    "KIND_OF_PART",
    "PART_TYPES",
    "ROLES",
    "MediaRef",
    "WireMessage",
    "WirePart",
    "WireRequest",
    "read_request",
]

PART_TYPES = ("text", "image_url", "input_audio", "video", "video_url")
"""The content part types the API takes."""
ROLES = ("system", "user", "assistant", "tool")
KIND_OF_PART: Mapping[str, MediaKind] = {
    "image_url": "image",
    "input_audio": "audio",
    "video_url": "video",
    "video": "video",
}
"""The media kind each media part carries (an image sequence is a video)."""
_URL_KEY = {"image_url": "url", "input_audio": "data", "video_url": "url"}
"""Where each file part keeps its URL: `{"image_url": {"url": ...}}`."""


@dataclasses.dataclass(frozen=True)
class MediaRef:
    """One media URL in the request: a file part's URL or one frame of a sequence."""

    kind: MediaKind
    """What the URL holds; a frame of an image sequence is an image."""
    part_type: str
    """The wire type of the part it belongs to."""
    url: str
    where: str
    """Its place, e.g. `messages[1].content[0].video[3]`."""

    @property
    def inline(self) -> bool:
        """Whether the media travels in the request as a data URL."""
        return self.url[:5].lower() == "data:"


@dataclasses.dataclass(frozen=True)
class WirePart:
    """One content part that the API would take."""

    type: str
    where: str
    text: str = ""
    media: tuple[MediaRef, ...] = ()

    @property
    def kind(self) -> MediaKind | None:
        """The media kind of the part, `None` for text."""
        return KIND_OF_PART.get(self.type)


@dataclasses.dataclass(frozen=True)
class WireMessage:
    """One message: its role and the parts it holds (a string is one text part)."""

    index: int
    role: str
    parts: tuple[WirePart, ...]

    @property
    def text(self) -> str:
        """The text parts joined with spaces."""
        return " ".join(p.text for p in self.parts if p.type == "text")

    @property
    def kinds(self) -> set[MediaKind]:
        """The media kinds the message holds."""
        return {kind for p in self.parts if (kind := p.kind) is not None}

    @property
    def files(self) -> tuple[WirePart, ...]:
        """The media parts, in order."""
        return tuple(p for p in self.parts if p.kind is not None)


@dataclasses.dataclass(frozen=True)
class WireRequest:
    """The messages of a request as the API would read them."""

    messages: tuple[WireMessage, ...]
    problems: tuple[str, ...]
    """What the API would refuse in the shape of the messages, in order."""

    def media(self) -> Iterator[MediaRef]:
        """Every media URL of the request, in order."""
        for message in self.messages:
            for part in message.parts:
                yield from part.media

    def last_user(self) -> WireMessage | None:
        """The last user message, the one the model answers."""
        return next((m for m in reversed(self.messages) if m.role == "user"), None)


class _LastRead(threading.local):
    """The last list of messages read on this thread, and what it read as."""

    messages: object = None
    request: WireRequest | None = None


_LAST = _LastRead()


def read_request(body: Mapping[str, Any]) -> WireRequest:
    """Read the messages of a request body, noting every part the API would refuse.

    Parts that cannot be read are left out of the result, so later rules and
    the answer see only what the API would take. Every rule and the answer
    read the same request, so the last reading on each thread is reused while
    the body holds the very same list of messages (bodies are not changed
    once received).
    """
    raw = body.get("messages")
    if raw is _LAST.messages and _LAST.request is not None:
        return _LAST.request
    request = _read(raw)
    _LAST.messages, _LAST.request = raw, request
    return request


def _read(raw: object) -> WireRequest:
    messages: list[WireMessage] = []
    problems: list[str] = []
    for index, message in enumerate(raw if isinstance(raw, list) else ()):
        where = f"messages[{index}]"
        if not isinstance(message, Mapping):
            problems.append(f"Input should be a valid dictionary: {where}")
            continue
        role = message.get("role")
        if role not in ROLES:
            problems.append(f"Input should be {format_choices(ROLES)}: {where}.role")
            continue
        parts = _read_content(message.get("content"), str(role), where, problems)
        messages.append(WireMessage(index, str(role), tuple(parts)))
    return WireRequest(tuple(messages), tuple(problems))


def _read_content(
    content: object, role: str, where: str, problems: list[str]
) -> list[WirePart]:
    if isinstance(content, str):
        return [WirePart("text", f"{where}.content", text=content)]
    if content is None and role == "assistant":  # a turn of tool calls only
        return []
    if not isinstance(content, list):
        problems.append(f"Input should be a valid string or list: {where}.content")
        return []
    parts: list[WirePart] = []
    for index, part in enumerate(content):
        read = _read_part(part, f"{where}.content[{index}]", problems)
        if read is not None:
            parts.append(read)
    return parts


def _read_part(part: object, where: str, problems: list[str]) -> WirePart | None:
    if not isinstance(part, Mapping):
        problems.append(f"Input should be a valid dictionary: {where}")
        return None
    part_type = part.get("type")
    if part_type not in PART_TYPES:
        problems.append(f"Input should be {format_choices(PART_TYPES)}: {where}.type")
        return None
    if part_type == "text":
        return _read_text(part.get("text"), where, problems)
    if part_type == "video":
        return _read_frames(part.get("video"), where, problems)
    return _read_file(str(part_type), part.get(part_type), where, problems)


def _read_text(text: object, where: str, problems: list[str]) -> WirePart | None:
    if not isinstance(text, str):
        problems.append(f"Input should be a valid string: {where}.text")
        return None
    return WirePart("text", where, text=text)


def _read_file(
    part_type: str, inner: object, where: str, problems: list[str]
) -> WirePart | None:
    key = _URL_KEY[part_type]
    url = inner.get(key) if isinstance(inner, Mapping) else None
    if not isinstance(url, str):
        problems.append(f"Input should be a valid string: {where}.{part_type}.{key}")
        return None
    ref = MediaRef(
        KIND_OF_PART[part_type], part_type, url, f"{where}.{part_type}.{key}"
    )
    return WirePart(part_type, where, media=(ref,))


def _read_frames(frames: object, where: str, problems: list[str]) -> WirePart | None:
    if not isinstance(frames, list) or not all(isinstance(f, str) for f in frames):
        problems.append(f"Input should be a valid list of image URLs: {where}.video")
        return None
    refs = tuple(
        MediaRef("image", "video", url, f"{where}.video[{index}]")
        for index, url in enumerate(frames)
    )
    return WirePart("video", where, media=refs)
