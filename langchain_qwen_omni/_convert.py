"""LangChain messages -> Omni wire messages (pure functions).

`convert_messages` is the single entry point; `ChatQwenOmni` calls it while
building each request (in a worker thread on the async paths), so every file
read and every base64 encoding of media happens here, once per call: a file
named by several blocks is read and encoded once.

Accepted in user (and system) content:
- strings and `text` blocks;
- standard blocks `image`, `audio`, `video` with `url`, `base64` +
  `mime_type`, or a local path in `extras["path"]` (what `image_block(path)`
  and friends build); `file` blocks whose `mime_type` is image, audio or
  video; LangChain's older shape with `source_type` (`"url"`, `"base64"`);
- video as frames: `{"type": "video", "extras": {"frames": [...]}}` (from
  `video_frames_block`);
- OpenAI-format blocks, checked and normalized: `image_url`, `input_audio`
  (an http(s) URL, a data URL, or bare base64 as OpenAI takes it),
  `video_url`, and Omni's own `{"type": "video", "video": [frames]}`.

Wire shapes (see Omni's documentation): images as `image_url` with an
http(s) URL or `data:image/<type>;base64,...`; audio as `input_audio` with
`data` (URL, or `data:;base64,...`) and a `format` (`mp3`, `wav`, ...) taken
from the content, the mime type or the URL's suffix; a video file as
`video_url` (URL, or `data:;base64,...`); frames as `video` with a list of
image URLs. Only `http://`, `https://` and `data:` URLs pass; anything else,
and base64 that does not decode, is an `OmniInputError` naming the message
and block.

Assistant turns go back as text (Omni refuses media there): speech is
dropped, its transcript standing in for empty text. Other media in an
assistant turn is converted like user media and left to the conversation
rules (`rules.py`), which flatten the turn to its text with a warning, or
raise under `strict=True`.
"""

from __future__ import annotations

import dataclasses
import json
import re
from typing import TYPE_CHECKING, Any

from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    ChatMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)

from langchain_qwen_omni.errors import OmniInputError
from langchain_qwen_omni.media import (
    SNIFF_BYTES,
    Kind,
    audio_format,
    b64decode_checked,
    b64encode,
    data_url,
    kind_of,
    mime_for_kind,
    path_is_sealed,
    read_media_file,
    sniff_mime_type,
    url_scheme,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from typing import TypeAlias

    from langchain_core.messages import InvalidToolCall, ToolCall

    _Handler: TypeAlias = Callable[[dict[str, Any], str, "_MediaCache"], dict[str, Any]]

__all__ = ["convert_messages"]

_HELPER = {"image": "image_block", "audio": "audio_block", "video": "video_block"}


def convert_messages(messages: Sequence[BaseMessage]) -> list[dict[str, Any]]:
    """Convert a conversation to the wire `messages` list.

    Reads and encodes local media files (blocks with `extras["path"]`), so
    async callers run it in a worker thread.

    Raises:
        OmniInputError: For a message or block Omni cannot take, naming the
            message and block index and the fix.
    """
    media = _MediaCache()
    return [_to_wire(message, index, media) for index, message in enumerate(messages)]


# ------------------------------------------------------------------ messages
def _to_wire(message: BaseMessage, index: int, media: _MediaCache) -> dict[str, Any]:
    if isinstance(message, AIMessage):
        return _assistant_to_wire(message, index, media)
    if isinstance(message, ToolMessage):
        return {
            "role": "tool",
            "tool_call_id": message.tool_call_id,
            "content": str(message.text),
        }
    if isinstance(message, SystemMessage):
        role = "system"
    elif isinstance(message, HumanMessage):
        role = "user"
    elif isinstance(message, ChatMessage):
        role = message.role
        if role == "assistant":
            return {"role": role, "content": _assistant_content(message, index, media)}
    else:
        msg = (
            f"Message {index} is a {type(message).__name__}, which Omni cannot take. "
            "Use SystemMessage, HumanMessage, AIMessage or ToolMessage."
        )
        raise OmniInputError(msg)
    return {"role": role, "content": _content_to_wire(message.content, index, media)}


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


def _assistant_content(
    message: BaseMessage, index: int, media: _MediaCache
) -> str | list[dict[str, Any]]:
    """An assistant turn's text, and any media it holds as wire parts.

    Omni takes text only in assistant turns. Speech (audio blocks,
    `additional_kwargs["audio"]`) is the normal history of a spoken
    conversation and gives way to its transcript here, silently. Other media
    (say, an image another model generated) is converted and left to the
    conversation rules, which send the turn as its text with a warning, or
    raise `OmniConversationError` under `strict=True`.
    """
    content = message.content
    if not isinstance(content, list) or not any(
        isinstance(block, dict) and str(block.get("type")) in _ASSISTANT_MEDIA
        for block in content
    ):
        return _assistant_text(message)
    parts: list[dict[str, Any]] = []
    for block_index, block in enumerate(content):
        where = f"Message {index}, block {block_index}"
        if isinstance(block, str):
            parts.append({"type": "text", "text": block})
        elif isinstance(block, dict) and block.get("type") == "text":
            parts.append(_text_block(block, where, media))
        elif isinstance(block, dict) and str(block.get("type")) in _ASSISTANT_MEDIA:
            parts.append(_block_to_wire(block, where, media))
    return parts


def _assistant_to_wire(
    message: AIMessage, index: int, media: _MediaCache
) -> dict[str, Any]:
    """An assistant turn in the OpenAI shape: content, then tool calls."""
    wire: dict[str, Any] = {
        "role": "assistant",
        "content": _assistant_content(message, index, media),
    }
    calls = [
        *(_tool_call_to_wire(call) for call in message.tool_calls),
        *(_invalid_tool_call_to_wire(call) for call in message.invalid_tool_calls),
    ]
    if calls:
        wire["tool_calls"] = calls
        wire["content"] = wire["content"] or None
    return wire


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


def _content_to_wire(
    content: object, index: int, media: _MediaCache
) -> str | list[dict[str, Any]]:
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        msg = f"Message {index}: content must be a string or a list of blocks."
        raise OmniInputError(msg)
    parts: list[dict[str, Any]] = []
    for block_index, block in enumerate(content):
        where = f"Message {index}, block {block_index}"
        if isinstance(block, str):
            parts.append({"type": "text", "text": block})
        elif isinstance(block, dict):
            parts.append(_block_to_wire(block, where, media))
        else:
            kind = type(block).__name__
            msg = f"{where}: a block must be a string or a dict, not {kind}."
            raise OmniInputError(msg)
    return parts


# -------------------------------------------------------------------- blocks
def _block_to_wire(
    block: dict[str, Any], where: str, media: _MediaCache
) -> dict[str, Any]:
    block_type = block.get("type")
    handler = _HANDLERS.get(block_type) if isinstance(block_type, str) else None
    if handler is None:
        msg = (
            f"{where}: unsupported content block type {block_type!r}. Omni takes "
            f"{', '.join(sorted(_HANDLERS))} blocks; build media blocks with "
            "image_block(), audio_block(), video_block() or video_frames_block()."
        )
        raise OmniInputError(msg)
    return handler(block, where, media)


def _text_block(
    block: dict[str, Any], where: str, media: _MediaCache
) -> dict[str, Any]:
    del media
    text = block.get("text")
    if not isinstance(text, str):
        msg = f"{where}: a {block.get('type')} block needs a string 'text'."
        raise OmniInputError(msg)
    return {"type": "text", "text": text}


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
        return _Source(path=path, mime_type=mime)
    if block.get("file_id") is not None:
        raise _no_file_ids(where, kind)
    helper = _HELPER.get(kind, "image_block")
    msg = (
        f"{where}: the {kind} block has no media: give 'url', or 'base64' with "
        f"'mime_type', or build it with {helper}(path_or_bytes_or_url)."
    )
    raise OmniInputError(msg)


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


def _image_block(
    block: dict[str, Any], where: str, media: _MediaCache
) -> dict[str, Any]:
    url = media.image_url(_source_of(block, "image", where), where)
    return {"type": "image_url", "image_url": {"url": url}}


def _audio_block(
    block: dict[str, Any], where: str, media: _MediaCache
) -> dict[str, Any]:
    data, fmt = media.audio_data(_source_of(block, "audio", where), where)
    return {"type": "input_audio", "input_audio": {"data": data, "format": fmt}}


def _video_block(
    block: dict[str, Any], where: str, media: _MediaCache
) -> dict[str, Any]:
    if "video" in block:  # Omni's own frame list
        return _frames_to_wire(block["video"], where, media)
    extras = block.get("extras")
    if isinstance(extras, dict) and "frames" in extras:
        return _frames_to_wire(extras["frames"], where, media)
    url = media.video_url(_source_of(block, "video", where), where)
    return {"type": "video_url", "video_url": {"url": url}}


def _frames_to_wire(frames: object, where: str, media: _MediaCache) -> dict[str, Any]:
    """Omni's `video` part: a list of image URLs or image data URLs, in order."""
    if not isinstance(frames, list) or not frames:
        msg = (
            f"{where}: a frame sequence must be a non-empty list of image URLs "
            "or image blocks; build it with video_frames_block(frames)."
        )
        raise OmniInputError(msg)
    urls: list[str] = []
    for number, frame in enumerate(frames):
        frame_where = f"{where}, frame {number}"
        if isinstance(frame, str):
            urls.append(media.image_url(_Source(url=frame), frame_where))
        elif isinstance(frame, dict) and frame.get("type") == "image":
            source = _source_of(frame, "image", frame_where)
            urls.append(media.image_url(source, frame_where))
        else:
            msg = (
                f"{frame_where}: a frame must be an image URL or an image block, "
                f"not {type(frame).__name__}."
            )
            raise OmniInputError(msg)
    return {"type": "video", "video": urls}


def _file_block(
    block: dict[str, Any], where: str, media: _MediaCache
) -> dict[str, Any]:
    """A `file` block whose mime type (or content) is image, audio or video."""
    source = _source_of(block, "file", where)
    kind = kind_of(source.mime_type)
    if kind is None and (head := media.head(source, where)) is not None:
        kind = kind_of(sniff_mime_type(head))
    if kind is None:
        msg = (
            f"{where}: Omni takes no documents; a file block must hold an image, "
            f"audio or video (mime_type {source.mime_type!r}). Send text as text."
        )
        raise OmniInputError(msg)
    return _KIND_HANDLERS[kind]({**block, "type": kind}, where, media)


# OpenAI-format blocks: normalized through the same checks.
def _image_url_block(
    block: dict[str, Any], where: str, media: _MediaCache
) -> dict[str, Any]:
    source = _openai_url(block, "image_url", where)
    return {"type": "image_url", "image_url": {"url": media.image_url(source, where)}}


def _video_url_block(
    block: dict[str, Any], where: str, media: _MediaCache
) -> dict[str, Any]:
    source = _openai_url(block, "video_url", where)
    return {"type": "video_url", "video_url": {"url": media.video_url(source, where)}}


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
    block: dict[str, Any], where: str, media: _MediaCache
) -> dict[str, Any]:
    """OpenAI's `input_audio`: `data` is a URL, a data URL, or bare base64."""
    value = block.get("input_audio")
    data = value.get("data") if isinstance(value, dict) else None
    if not isinstance(data, str):
        msg = (
            f"{where}: an input_audio block needs {{'input_audio': {{'data': "
            "'<http(s) URL, data URL or base64>', 'format': 'mp3'}}."
        )
        raise OmniInputError(msg)
    assert isinstance(value, dict)  # noqa: S101  # narrowed above
    given = value.get("format")
    if given is not None and (not isinstance(given, str) or not given.strip()):
        msg = f"{where}: input_audio 'format' must be a name such as 'mp3' or 'wav'."
        raise OmniInputError(msg)
    source = _Source(url=data) if url_scheme(data) else _Source(b64=data)
    wire_data, fmt = media.audio_data(source, where, given_format=given)
    return {"type": "input_audio", "input_audio": {"data": wire_data, "format": fmt}}


# --------------------------------------------------------------------- media
@dataclasses.dataclass(frozen=True)
class _Resolved:
    """A block's media after the checks: a remote `url`, or valid base64."""

    url: str | None = None
    b64: str | None = None
    mime_type: str | None = None
    sniffed: bool = False
    """Whether `mime_type` comes from the content rather than a label."""

    @property
    def data(self) -> str:
        """The base64 data of inline media."""
        if self.b64 is None:  # pragma: no cover - callers check `url` first
            msg = "remote media has no inline data"
            raise RuntimeError(msg)
        return self.b64


_DATA_URL = re.compile(r"data:([^,]*),", re.IGNORECASE)


class _MediaCache:
    """Media of one `convert_messages` call: each file read and encoded once.

    Also remembers which base64 strings were already checked (by identity),
    so a block repeated in a conversation costs one check.
    """

    def __init__(self) -> None:
        self._files: dict[str, tuple[str, bytes]] = {}
        self._checked: dict[int, tuple[str, str, bytes]] = {}

    # -- sources
    def load_file(self, path: str, where: str) -> tuple[str, bytes]:
        """Base64 and head bytes of a local file, read and encoded once."""
        if path not in self._files:
            try:
                data = read_media_file(path)
            except OmniInputError as exc:
                msg = f"{where}: {exc}"
                raise OmniInputError(msg) from None
            if not data:
                msg = f"{where}: the media file {path!r} is empty (0 bytes)."
                raise OmniInputError(msg)
            self._files[path] = (b64encode(data), data[:SNIFF_BYTES])
        return self._files[path]

    def head(self, source: _Source, where: str) -> bytes | None:
        """The first bytes of inline or local media, for sniffing; `None` for URLs."""
        if source.path is not None:
            return self.load_file(source.path, where)[1]
        if source.b64 is not None:
            return self.checked_b64(source.b64, where)[1]
        return None

    def checked_b64(self, b64: str, where: str) -> tuple[str, bytes]:
        """Valid base64 (whitespace removed) and its first decoded bytes."""
        cached = self._checked.get(id(b64))
        if cached is not None and cached[0] is b64:
            return cached[1], cached[2]
        try:
            clean, head = b64decode_checked(b64, head_only=True)
        except ValueError as exc:
            msg = (
                f"{where}: the base64 data does not decode: {exc}. Pass standard "
                "base64 (RFC 4648), or the file itself via image_block(), "
                "audio_block() or video_block()."
            )
            raise OmniInputError(msg) from None
        self._checked[id(b64)] = (b64, clean, head)
        return clean, head

    def _resolve(self, source: _Source, kind: Kind, where: str) -> _Resolved:
        """A remote URL, or checked base64 with its mime type.

        The mime type is sniffed from the content when it can be, else the
        block's label; content of another kind is an error.
        """
        label = source.mime_type
        if source.path is not None:
            b64, head = self.load_file(source.path, where)
        elif source.b64 is not None:
            b64, head = self.checked_b64(source.b64, where)
        else:
            url = source.url or ""
            scheme = url_scheme(url)
            if scheme in {"http", "https"}:
                return _Resolved(url=url, mime_type=label)
            if scheme != "data":
                raise _bad_url(url, kind, where)
            label, payload = _split_data_url(url, where)
            b64, head = self.checked_b64(payload, where)
            label = label or source.mime_type
        sniffed = sniff_mime_type(head)
        if sniffed is not None:
            mime = mime_for_kind(sniffed, kind)
            if mime is None:
                msg = (
                    f"{where}: the data is {sniffed}, not {kind}. "
                    f"Send it as {kind_of(sniffed) or 'a file'} content "
                    f"({_HELPER.get(kind_of(sniffed) or '', 'its own block')}) "
                    "or give the right file."
                )
                raise OmniInputError(msg)
            return _Resolved(b64=b64, mime_type=mime, sniffed=True)
        return _Resolved(b64=b64, mime_type=label)

    # -- wire values per kind
    def image_url(self, source: _Source, where: str) -> str:
        """An http(s) URL, or `data:image/<type>;base64,...`."""
        resolved = self._resolve(source, "image", where)
        if resolved.url is not None:
            return resolved.url
        mime = resolved.mime_type
        if kind_of(mime) != "image":
            msg = (
                f"{where}: cannot tell the image type (mime_type {mime!r}). "
                "Give mime_type='image/png' (or jpeg, webp, ...)."
            )
            raise OmniInputError(msg)
        return data_url(resolved.data, mime)

    def video_url(self, source: _Source, where: str) -> str:
        """An http(s) URL, or `data:;base64,...` as Omni documents for video."""
        resolved = self._resolve(source, "video", where)
        return resolved.url or data_url(resolved.data)

    def audio_data(
        self, source: _Source, where: str, given_format: str | None = None
    ) -> tuple[str, str]:
        """`input_audio` data (URL or `data:;base64,...`) and its `format`."""
        resolved = self._resolve(source, "audio", where)
        url, mime = resolved.url, resolved.mime_type
        fmt = audio_format(mime) if resolved.sniffed else None  # content first
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
        return url or data_url(resolved.data), fmt


def _split_data_url(url: str, where: str) -> tuple[str | None, str]:
    """`(mime or None, base64 payload)` of a `data:<mime>;base64,<data>` URL."""
    match = _DATA_URL.match(url)
    header = match.group(1) if match else ""
    if match is None or not header.lower().endswith(";base64"):
        msg = (
            f"{where}: a data URL must be base64: 'data:<mime>;base64,<data>' "
            f"(got {url[:40]!r}...)."
        )
        raise OmniInputError(msg)
    mime = header.split(";", 1)[0].strip().lower() or None
    return mime, url[match.end() :]


_SHOWN_URL = 80
"""Characters of a refused URL quoted in an error (data URLs can be megabytes)."""


def _bad_url(url: str, kind: Kind, where: str) -> OmniInputError:
    shown = url if len(url) <= _SHOWN_URL else url[: _SHOWN_URL - 3] + "..."
    what = "a local path" if url_scheme(url) in {None, "file"} else "its scheme"
    return OmniInputError(
        f"{where}: {shown!r} is refused ({what}): Omni takes only http://, "
        "https:// and data: URLs. For a local file use "
        f"{_HELPER[kind]}('path/to/file'), which the request reads and encodes; "
        "for a remote file give its https URL."
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
