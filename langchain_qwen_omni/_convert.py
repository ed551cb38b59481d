"""LangChain messages -> the typed conversation of an `OmniRequest`.

`convert_messages` is the single entry point; `ChatQwenOmni` calls it while
building each request (in a worker thread on the async paths), so every file
read, every base64 check and every measurement of media happens here, once
per call: a file named by several blocks is read once, a base64 string
repeated in a conversation is checked once.

Accepted in user (and system and tool) content:
- strings and `text` blocks;
- standard blocks `image`, `audio`, `video` with `url`, `base64` +
  `mime_type`, or a local path in `extras["path"]` (what `image_block(path)`
  and friends build); `file` blocks whose `mime_type` is image, audio or
  video; LangChain's older shape with `source_type` (`"url"`, `"base64"`);
- video as frames: `{"type": "video", "extras": {"frames": [...]}}` (from
  `video_frames_block`); `fps` and `max_pixels` on a video block (top level
  or in `extras`); `transcript` on an audio block (top level or `extras`);
- OpenAI-format blocks, checked and normalized: `image_url`, `input_audio`
  (an http(s) URL, a data URL, or bare base64 as OpenAI takes it),
  `video_url`, and Omni's own `{"type": "video", "video": [frames]}`.

Each medium becomes a `Media` item with its source (a remote URL or checked
base64), its sniffed type and what could be measured of it (size, image
size, duration). Only `http://`, `https://` and `data:` URLs pass; anything
else, and base64 that does not decode, is an `OmniInputError` naming the
message and block.

Assistant turns keep their text (speech gives way to its transcript, which
is the normal history of a spoken conversation); other media they hold is
converted and left to the rules, which send the turn as its text with a
warning, or refuse under `strict=True`.
"""

from __future__ import annotations

import dataclasses
import json
from typing import TYPE_CHECKING, Any

from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    ChatMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)

from langchain_qwen_omni._codec import (
    b64encode,
    b64size,
    check_base64,
    check_media_url,
    parse_data_url,
    url_scheme,
)
from langchain_qwen_omni._lru import SizedLru
from langchain_qwen_omni._probe import (
    SNIFF_BYTES,
    Kind,
    audio_duration,
    audio_format,
    image_size,
    kind_of,
    mime_for_kind,
    sniff_mime_type,
    video_facts,
)
from langchain_qwen_omni._request import Media, Part, Role, Text, Turn
from langchain_qwen_omni.errors import OmniInputError
from langchain_qwen_omni.media import path_is_sealed, read_media_file, read_media_head

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from typing import TypeAlias

    from langchain_core.messages import InvalidToolCall, ToolCall

    _Handler: TypeAlias = Callable[[dict[str, Any], str, "_MediaReader"], Part]

__all__ = ["convert_messages"]

_HELPER = {"image": "image_block", "audio": "audio_block", "video": "video_block"}
_IMAGE_HEAD = 256 * 1024
"""Decoded bytes kept of inline images: enough for every header `image_size` reads."""
_ROLES: dict[str, Role] = {
    "user": "user",
    "human": "user",
    "system": "system",
    "developer": "system",
    "assistant": "assistant",
    "ai": "assistant",
    "tool": "tool",
}


def convert_messages(messages: Sequence[BaseMessage]) -> tuple[Turn, ...]:
    """Convert a conversation to typed turns, measuring its media once.

    Reads and encodes local media files (blocks with `extras["path"]`), so
    async callers run it in a worker thread.

    Raises:
        OmniInputError: For a message or block Omni cannot take, naming the
            message and block index and the fix.
    """
    reader = _MediaReader()
    return tuple(
        _turn(message, index, reader) for index, message in enumerate(messages)
    )


# ------------------------------------------------------------------ messages
def _turn(message: BaseMessage, index: int, reader: _MediaReader) -> Turn:
    if isinstance(message, AIMessage):
        return _assistant_turn(message, index, reader)
    if isinstance(message, ToolMessage):
        return Turn(
            "tool",
            index,
            _content_parts(message.content, index, reader),
            tool_call_id=message.tool_call_id,
        )
    if isinstance(message, SystemMessage):
        role: Role = "system"
    elif isinstance(message, HumanMessage):
        role = "user"
    elif isinstance(message, ChatMessage) and message.role in _ROLES:
        role = _ROLES[message.role]
        if role == "assistant":
            return _assistant_turn(message, index, reader)
    else:
        what = (
            f"a ChatMessage with role {message.role!r}"
            if isinstance(message, ChatMessage)
            else f"a {type(message).__name__}"
        )
        msg = (
            f"Message {index} is {what}, which Omni cannot take. "
            "Use SystemMessage, HumanMessage, AIMessage or ToolMessage."
        )
        raise OmniInputError(msg)
    return Turn(
        role,
        index,
        _content_parts(message.content, index, reader),
        as_string=isinstance(message.content, str),
    )


def _assistant_text(message: BaseMessage) -> str:
    """The text of an assistant turn; its spoken transcript when it has no text.

    `message.text` is a `str` subclass; `str()` keeps the wire body plain.
    """
    text = str(message.text)
    if text:
        return text
    audio = message.additional_kwargs.get("audio")
    if isinstance(audio, dict) and isinstance(audio.get("transcript"), str):
        return str(audio["transcript"])
    if isinstance(message.content, list):
        for block in message.content:
            extras = block.get("extras") if isinstance(block, dict) else None
            if isinstance(extras, dict) and isinstance(extras.get("transcript"), str):
                return str(extras["transcript"])
    return ""


_ASSISTANT_MEDIA = frozenset(
    {"image", "video", "file", "image_url", "video_url", "input_audio"}
)
"""Media an assistant turn may hold besides speech (its `audio` blocks)."""


def _assistant_turn(message: BaseMessage, index: int, reader: _MediaReader) -> Turn:
    """An assistant turn: its text, other media it holds, and its tool calls.

    Speech (audio blocks, `additional_kwargs["audio"]`) gives way to its
    transcript here, silently; other media (say, an image another model
    generated) is converted and left to the rules.
    """
    content = message.content
    parts: tuple[Part, ...]
    if isinstance(content, list) and any(
        isinstance(block, dict) and str(block.get("type")) in _ASSISTANT_MEDIA
        for block in content
    ):
        kept: list[Part] = []
        for block_index, block in enumerate(content):
            where = f"Message {index}, block {block_index}"
            if isinstance(block, str):
                kept.append(Text(block))
            elif isinstance(block, dict) and block.get("type") == "text":
                kept.append(_text_block(block, where, reader))
            elif isinstance(block, dict) and str(block.get("type")) in _ASSISTANT_MEDIA:
                kept.append(_block_part(block, where, reader))
        parts = tuple(kept)
    else:
        text = _assistant_text(message)
        parts = (Text(text),) if text else ()
    calls: tuple[dict[str, Any], ...] = ()
    if isinstance(message, AIMessage):
        calls = (
            *(_tool_call_to_wire(call) for call in message.tool_calls),
            *(_invalid_tool_call_to_wire(call) for call in message.invalid_tool_calls),
        )
    return Turn("assistant", index, parts, as_string=True, tool_calls=calls)


def _tool_call_to_wire(call: ToolCall) -> dict[str, Any]:
    return {
        "id": call["id"],
        "type": "function",
        "function": {"name": call["name"], "arguments": json.dumps(call["args"])},
    }


def _invalid_tool_call_to_wire(call: InvalidToolCall) -> dict[str, Any]:
    return {
        "id": call["id"],
        "type": "function",
        "function": {"name": call["name"], "arguments": call["args"]},
    }


def _content_parts(
    content: object, index: int, reader: _MediaReader
) -> tuple[Part, ...]:
    if isinstance(content, str):
        return (Text(content),)
    if not isinstance(content, list):
        msg = f"Message {index}: content must be a string or a list of blocks."
        raise OmniInputError(msg)
    parts: list[Part] = []
    for block_index, block in enumerate(content):
        where = f"Message {index}, block {block_index}"
        if isinstance(block, str):
            parts.append(Text(block))
        elif isinstance(block, dict):
            parts.append(_block_part(block, where, reader))
        else:
            kind = type(block).__name__
            msg = f"{where}: a block must be a string or a dict, not {kind}."
            raise OmniInputError(msg)
    return tuple(parts)


# -------------------------------------------------------------------- blocks
def _block_part(block: dict[str, Any], where: str, reader: _MediaReader) -> Part:
    block_type = block.get("type")
    handler = _HANDLERS.get(block_type) if isinstance(block_type, str) else None
    if handler is None:
        msg = (
            f"{where}: unsupported content block type {block_type!r}. Omni takes "
            f"{', '.join(sorted(_HANDLERS))} blocks; build media blocks with "
            "image_block(), audio_block(), video_block() or video_frames_block()."
        )
        raise OmniInputError(msg)
    return handler(block, where, reader)


def _text_block(block: dict[str, Any], where: str, _reader: _MediaReader) -> Text:
    text = block.get("text")
    if not isinstance(text, str):
        msg = f"{where}: a {block.get('type')} block needs a string 'text'."
        raise OmniInputError(msg)
    return Text(text)


@dataclasses.dataclass(frozen=True)
class _Source:
    """Where a block's media is: exactly one of `url`, `b64` or `path`."""

    url: str | None = None
    b64: str | None = None
    path: str | None = None
    mime_type: str | None = None


def _source_of(block: dict[str, Any], kind: str, where: str) -> _Source:
    """The media source of a standard (v1) or older (v0) LangChain block."""
    mime = _optional_str(block, "mime_type", where)
    if block.get("source_type") is not None:
        return _v0_source_of(block, kind, where, mime)
    if (url := _optional_str(block, "url", where)) is not None:
        return _Source(url=url, mime_type=mime)
    if (b64 := _optional_str(block, "base64", where)) is not None:
        # LangChain turns OpenAI's `input_audio` into an audio block whose
        # `base64` holds `data` as given, which Omni allows to be a URL. A
        # scheme (`https:`, `data:`) cannot occur in base64, so this is safe.
        if url_scheme(b64) is not None:
            return _Source(url=b64, mime_type=mime)
        return _Source(b64=b64, mime_type=mime)
    extras = block.get("extras")
    if isinstance(extras, dict) and "path" in extras:
        return _Source(path=_sealed_path(extras, kind, where), mime_type=mime)
    if block.get("file_id") is not None:
        raise _no_file_ids(where, kind)
    helper = _HELPER.get(kind, "image_block")
    msg = (
        f"{where}: the {kind} block has no media: give 'url', or 'base64' with "
        f"'mime_type', or build it with {helper}(path_or_bytes_or_url)."
    )
    raise OmniInputError(msg)


def _sealed_path(extras: dict[str, Any], kind: str, where: str) -> str:
    path = extras["path"]
    if not isinstance(path, str) or not path:
        msg = f"{where}: extras['path'] must be a non-empty string."
        raise OmniInputError(msg)
    if not path_is_sealed(path, extras.get("seal")):
        helper = _HELPER.get(kind, "image_block")
        msg = (
            f"{where}: the {kind} block names the local file {path!r} but was "
            f"not made by {helper}() in this process, so the file was not read: "
            "a block from a client or from storage must not choose files to "
            f"upload. Build it here with {helper}(path), or send the media as "
            "base64 or an http(s) URL."
        )
        raise OmniInputError(msg)
    return path


def _v0_source_of(
    block: dict[str, Any], kind: str, where: str, mime: str | None
) -> _Source:
    """LangChain's older multimodal shape: `source_type` with `url` or `data`."""
    source_type = block["source_type"]
    if source_type == "id":
        raise _no_file_ids(where, kind)
    fields = {"url": "url", "base64": "data"}
    field = fields.get(source_type) if isinstance(source_type, str) else None
    if field is None:
        msg = (
            f"{where}: source_type {source_type!r} is not supported for "
            f"{kind}; use 'url' or 'base64'."
        )
        raise OmniInputError(msg)
    value = _optional_str(block, field, where)
    if value is None:
        msg = f"{where}: source_type {source_type!r} needs '{field}'."
        raise OmniInputError(msg)
    if source_type == "url":
        return _Source(url=value, mime_type=mime)
    return _Source(b64=value, mime_type=mime)


def _optional_str(block: dict[str, Any], key: str, where: str) -> str | None:
    value = block.get(key)
    if value is None or isinstance(value, str):
        return value
    msg = f"{where}: '{key}' must be a string, not {type(value).__name__}."
    raise OmniInputError(msg)


def _no_file_ids(where: str, kind: str) -> OmniInputError:
    return OmniInputError(
        f"{where}: Omni has no file storage, so a {kind} block cannot name a "
        "file id. Give a URL, base64 data, or a local path via "
        f"{_HELPER.get(kind, 'image_block')}()."
    )


def _option(block: dict[str, Any], key: str) -> object:
    """A block option given at its top level or in its `extras`."""
    if key in block:
        return block[key]
    extras = block.get("extras")
    return extras.get(key) if isinstance(extras, dict) else None


def _sampling(block: dict[str, Any], where: str) -> dict[str, Any]:
    """A video block's `fps` and `max_pixels`, checked."""
    fps, max_pixels = _option(block, "fps"), _option(block, "max_pixels")
    out: dict[str, Any] = {}
    if fps is not None:
        if (
            isinstance(fps, bool)
            or not isinstance(fps, (int, float))
            or not 0 < fps < float("inf")
        ):
            msg = f"{where}: fps must be a positive number, got {fps!r}."
            raise OmniInputError(msg)
        out["fps"] = float(fps)
    if max_pixels is not None:
        if (
            isinstance(max_pixels, bool)
            or not isinstance(max_pixels, int)
            or (max_pixels <= 0)
        ):
            msg = f"{where}: max_pixels must be a positive integer, got {max_pixels!r}."
            raise OmniInputError(msg)
        out["max_pixels"] = max_pixels
    return out


def _image_block(block: dict[str, Any], where: str, reader: _MediaReader) -> Media:
    return reader.image(_source_of(block, "image", where), where)


def _audio_block(block: dict[str, Any], where: str, reader: _MediaReader) -> Media:
    item = reader.audio(_source_of(block, "audio", where), where)
    transcript = _option(block, "transcript")
    if transcript is None:
        return item
    if not isinstance(transcript, str):
        msg = (
            f"{where}: 'transcript' must be a string, not {type(transcript).__name__}."
        )
        raise OmniInputError(msg)
    return dataclasses.replace(item, transcript=transcript)


def _video_block(block: dict[str, Any], where: str, reader: _MediaReader) -> Media:
    sampling = _sampling(block, where)
    if "video" in block:  # Omni's own frame list
        frames = _frames(block["video"], where, reader)
        return Media("video", where, frames=frames, **sampling)
    extras = block.get("extras")
    if isinstance(extras, dict) and "frames" in extras:
        frames = _frames(extras["frames"], where, reader)
        return Media("video", where, frames=frames, **sampling)
    item = reader.video(_source_of(block, "video", where), where)
    return dataclasses.replace(item, **sampling) if sampling else item


def _frames(frames: object, where: str, reader: _MediaReader) -> tuple[Media, ...]:
    """The images of a frame sequence, in order."""
    if not isinstance(frames, list) or not frames:
        msg = (
            f"{where}: a frame sequence must be a non-empty list of image URLs "
            "or image blocks; build it with video_frames_block(frames)."
        )
        raise OmniInputError(msg)
    items: list[Media] = []
    for number, frame in enumerate(frames):
        frame_where = f"{where}, frame {number}"
        if isinstance(frame, str):
            items.append(reader.image(_Source(url=frame), frame_where))
        elif isinstance(frame, dict) and frame.get("type") == "image":
            source = _source_of(frame, "image", frame_where)
            items.append(reader.image(source, frame_where))
        else:
            msg = (
                f"{frame_where}: a frame must be an image URL or an image block, "
                f"not {type(frame).__name__}."
            )
            raise OmniInputError(msg)
    return tuple(items)


def _file_block(block: dict[str, Any], where: str, reader: _MediaReader) -> Part:
    """A `file` block whose mime type (or content) is image, audio or video."""
    source = _source_of(block, "file", where)
    kind = kind_of(source.mime_type)
    if kind is None and (head := reader.head(source, where)) is not None:
        kind = kind_of(sniff_mime_type(head))
    if kind is None:
        msg = (
            f"{where}: Omni takes no documents; a file block must hold an image, "
            f"audio or video (mime_type {source.mime_type!r}). Send text as text."
        )
        raise OmniInputError(msg)
    return _KIND_HANDLERS[kind]({**block, "type": kind}, where, reader)


# OpenAI-format blocks: normalized through the same checks.
def _image_url_block(block: dict[str, Any], where: str, reader: _MediaReader) -> Media:
    return reader.image(_openai_url(block, "image_url", where), where)


def _video_url_block(block: dict[str, Any], where: str, reader: _MediaReader) -> Media:
    source = _openai_url(block, "video_url", where)
    item = reader.video(source, where)
    sampling = _sampling(block, where)
    return dataclasses.replace(item, **sampling) if sampling else item


def _openai_url(block: dict[str, Any], key: str, where: str) -> _Source:
    value = block.get(key)
    url = value.get("url") if isinstance(value, dict) else value
    if not isinstance(url, str):
        msg = (
            f"{where}: a {key} block needs "
            f"{{'{key}': {{'url': '<http(s) or data URL>'}}}}."
        )
        raise OmniInputError(msg)
    return _Source(url=url)


def _input_audio_block(
    block: dict[str, Any], where: str, reader: _MediaReader
) -> Media:
    """OpenAI's `input_audio`: `data` is a URL, a data URL, or bare base64."""
    value = block.get("input_audio")
    data = value.get("data") if isinstance(value, dict) else None
    if not isinstance(value, dict) or not isinstance(data, str):
        msg = (
            f"{where}: an input_audio block needs {{'input_audio': {{'data': "
            "'<http(s) URL, data URL or base64>', 'format': 'mp3'}}."
        )
        raise OmniInputError(msg)
    given = value.get("format")
    if given is not None and (not isinstance(given, str) or not given.strip()):
        msg = f"{where}: input_audio 'format' must be a name such as 'mp3' or 'wav'."
        raise OmniInputError(msg)
    source = _Source(url=data) if url_scheme(data) else _Source(b64=data)
    item = reader.audio(source, where, given_format=given)
    transcript = _option(block, "transcript")
    if isinstance(transcript, str):
        item = dataclasses.replace(item, transcript=transcript)
    return item


# --------------------------------------------------------------------- media
@dataclasses.dataclass(frozen=True)
class _Measured:
    """Checked inline media: its base64 and what its bytes told."""

    b64: str
    size: int
    mime_type: str | None
    sniffed: bool
    seconds: float | None = None
    width: int | None = None
    height: int | None = None
    has_audio: bool | None = None

    def media(self, kind: Kind, where: str, **more: Any) -> Media:
        """The typed item these measures describe, found at `where`."""
        return Media(
            kind,
            where,
            b64=self.b64,
            mime_type=self.mime_type,
            size=self.size,
            seconds=self.seconds,
            width=self.width,
            height=self.height,
            has_audio=self.has_audio,
            **more,
        )


MEASURES: SizedLru[tuple[str, str, str | None], _Measured] = SizedLru(64 * 1024 * 1024)
"""Inline media measured in this process, by their text (base64 or data URL),
the kind they were measured as and the type their block gave.

An agent sends its whole history on every turn: each medium is decoded and
probed once, not once per call. Only the measures and the base64 are kept
(about 64 MiB of base64 at most), never the decoded bytes."""


class _MediaReader:
    """Reads and measures the media of one conversation.

    Base64 and data URLs go through `MEASURES`; a local file is read once per
    call, since it may change between calls.
    """

    def __init__(self) -> None:
        self._files: dict[tuple[str, Kind], _Measured] = {}

    # -- reading
    def head(self, source: _Source, where: str) -> bytes | None:
        """The first bytes of inline or local media, for sniffing; `None` for URLs."""
        if source.path is not None:
            return read_media_head(source.path, where)
        if source.b64 is not None:
            return self._decode(source.b64, where, SNIFF_BYTES)[1]
        return None

    def _decode(self, b64: str, where: str, keep: int | None) -> tuple[str, bytes]:
        try:
            return check_base64(b64, keep=keep)
        except ValueError as exc:
            msg = (
                f"{where}: the base64 data does not decode: {exc}. Pass standard "
                "base64 (RFC 4648), or the file itself via image_block(), "
                "audio_block() or video_block()."
            )
            raise OmniInputError(msg) from None

    # -- measuring
    def _inline(
        self, source: _Source, kind: Kind, where: str
    ) -> tuple[_Measured | None, str | None]:
        """Measure inline or local media; for a remote URL, `(None, url)`."""
        label = source.mime_type
        if source.path is not None:
            return self._file(source.path, kind, label, where), None
        given = source.b64 if source.b64 is not None else source.url or ""
        key = (kind, given, label)  # a label decides what content cannot
        if (cached := MEASURES.get(key)) is not None:
            return cached, None
        payload = source.b64
        if payload is None:
            if check_media_url(given, kind, where) == "remote":
                return None, given
            try:
                declared, payload = parse_data_url(given)
            except ValueError as exc:
                msg = f"{where}: {exc}."
                raise OmniInputError(msg) from None
            label = declared or label
            if not payload:
                msg = f"{where}: the {kind} is empty (0 bytes). Send the file's bytes."
                raise OmniInputError(msg)
        keep = _IMAGE_HEAD if kind == "image" else None
        clean, data = self._decode(payload, where, keep)
        measured = _measure(clean, data, b64size(clean), kind, label=label, where=where)
        if kind == "image" and measured.width is None and len(data) < measured.size:
            # A header beyond the kept head (a large EXIF block): decode it all.
            full = self._decode(clean, where, None)[1]
            measured = _measure(
                clean, full, measured.size, kind, label=label, where=where
            )
        MEASURES.put(key, measured, len(given))
        return measured, None

    def _file(self, path: str, kind: Kind, label: str | None, where: str) -> _Measured:
        """A local file's measures, read once per call (it may change between)."""
        key = (path, kind)
        if (cached := self._files.get(key)) is None:
            data = _read_file(path, where)
            cached = self._files[key] = _measure(
                b64encode(data), data, len(data), kind, label=label, where=where
            )
        return cached

    def image(self, source: _Source, where: str) -> Media:
        """An image item: remote, or inline with its type and size."""
        measured, url = self._inline(source, "image", where)
        if measured is None:
            return Media("image", where, url=url, mime_type=source.mime_type)
        if kind_of(measured.mime_type) != "image":
            msg = (
                f"{where}: cannot tell the image type (mime_type "
                f"{measured.mime_type!r}). Give mime_type='image/png' (or jpeg, "
                "webp, ...)."
            )
            raise OmniInputError(msg)
        return measured.media("image", where)

    def video(self, source: _Source, where: str) -> Media:
        """A video file item: remote, or inline with its duration."""
        measured, url = self._inline(source, "video", where)
        if measured is None:
            return Media("video", where, url=url, mime_type=source.mime_type)
        return measured.media("video", where)

    def audio(
        self, source: _Source, where: str, given_format: str | None = None
    ) -> Media:
        """An audio item with its `format`: remote, or inline with its duration."""
        measured, url = self._inline(source, "audio", where)
        mime = measured.mime_type if measured else source.mime_type
        fmt = audio_format(mime) if measured and measured.sniffed else None
        if fmt is None and given_format:
            fmt = given_format.strip().lower()
        fmt = fmt or audio_format(mime, url)
        if fmt is None:
            msg = (
                f"{where}: cannot tell the audio format (mime_type {mime!r}, URL "
                f"{(url or '')[:80]!r}). Give mime_type='audio/mpeg' (or wav, "
                "aac, amr, 3gpp) on the block, or 'format' in input_audio."
            )
            raise OmniInputError(msg)
        if measured is None:
            return Media("audio", where, url=url, mime_type=mime, audio_format=fmt)
        return measured.media("audio", where, audio_format=fmt)


def _read_file(path: str, where: str) -> bytes:
    """A whole local media file; a missing or empty one is an error naming `where`."""
    try:
        data = read_media_file(path)
    except OmniInputError as exc:
        msg = f"{where}: {exc}"
        raise OmniInputError(msg) from None
    if not data:
        msg = f"{where}: the media file {path!r} is empty (0 bytes)."
        raise OmniInputError(msg)
    return data


def _measure(  # noqa: PLR0913 - the facts of one medium, gathered in one place
    b64: str, data: bytes, size: int, kind: Kind, *, label: str | None, where: str
) -> _Measured:
    """Sniff and measure media bytes once; content of another kind is an error.

    The type is sniffed from the content when it can be, else the label.
    """
    sniffed = sniff_mime_type(data)
    mime = label
    if sniffed is not None:
        mime = mime_for_kind(sniffed, kind)
        if mime is None:
            other = kind_of(sniffed)
            msg = (
                f"{where}: the data is {sniffed}, not {kind}. "
                f"Send it as {other or 'a file'} content "
                f"({_HELPER.get(other or '', 'its own block')}) or give the right file."
            )
            raise OmniInputError(msg)
    if kind == "image":
        dimensions = image_size(data)
        width, height = dimensions or (None, None)
        return _Measured(
            b64, size, mime, sniffed is not None, width=width, height=height
        )
    if kind == "audio":
        seconds = audio_duration(data)
        return _Measured(b64, size, mime, sniffed is not None, seconds=seconds)
    seconds, frame, has_audio = video_facts(data)
    width, height = frame or (None, None)
    return _Measured(
        b64,
        size,
        mime,
        sniffed is not None,
        seconds,
        width=width,
        height=height,
        has_audio=has_audio,
    )


_KIND_HANDLERS: dict[Kind, _Handler] = {
    "image": _image_block,
    "audio": _audio_block,
    "video": _video_block,
}
_HANDLERS: dict[str, _Handler] = {
    "text": _text_block,
    "text-plain": _text_block,
    "image": _image_block,
    "audio": _audio_block,
    "video": _video_block,
    "file": _file_block,
    "image_url": _image_url_block,
    "input_audio": _input_audio_block,
    "video_url": _video_url_block,
}
