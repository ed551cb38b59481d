"""The one place that writes an `OmniRequest` as vLLM-Omni's JSON body.

The same typed request as `_wire.py`, in the dialect of a self-hosted
`vllm serve <weights> --omni` (vLLM's OpenAI-compatible chat parts):

- audio inline as `input_audio` with **raw** base64 in `data` (vLLM builds
  the data URL itself; a `data:` URL there fails with `Incorrect padding`),
  audio by URL as `audio_url`;
- images as `image_url`, video files as `video_url`, inline ones as data
  URLs that name their type (`data:video/mp4;base64,...`);
- an image sequence as consecutive `image_url` parts, in order: vLLM has no
  frame-list part (`{"type": "video", "video": [...]}`), and encoding the
  frames into a video would need a codec on the client, download frames
  given by URL and re-compress every frame, whereas image parts carry each
  frame as it is, by URL or inline (vLLM takes up to 999 images per prompt
  by default, `--limit-mm-per-prompt`);
- `modalities` always written, since vLLM-Omni speaks when it is omitted;
- the voice in the fields servers read: top-level `speaker` (what
  vLLM-Omni front ends read) and OpenAI's `audio.voice`, by default (see
  `VllmOptions.voice_fields`; which one vLLM-Omni reads is not settled);
- `mm_processor_kwargs.use_audio_in_video` when a video file's sound should
  be heard (DashScope always hears it; vLLM-Omni only when asked), unless
  every video file is known to be silent;
- `enable_thinking` as `chat_template_kwargs.enable_thinking`, where the
  Qwen chat templates read it.

`fps` and `max_pixels` asked for a video part have no per-part place in
vLLM and are left out: sampling is the server's (`--mm-processor-kwargs`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from langchain_qwen_omni._codec import data_url
from langchain_qwen_omni._request import Media, OmniRequest, Params, Text, Turn
from langchain_qwen_omni._wire import PARAMS as DASHSCOPE_PARAMS
from langchain_qwen_omni._wire import set_params, wire_message

__all__ = [
    "DEFAULT_VOICE_FIELDS",
    "VllmOptions",
    "vllm_request_body",
    "vllm_wire_parts",
]

DEFAULT_VOICE_FIELDS = ("speaker", "audio.voice")
"""Where the voice goes by default: the field vLLM-Omni front ends read, and
OpenAI's; a server ignores the one it does not know."""

_PARAMS = tuple(name for name in DASHSCOPE_PARAMS if name != "enable_thinking")
"""Parameters sent under their own name when set: DashScope's, but thinking goes
in `chat_template_kwargs` (vLLM ignores the ones it does not know; the rules
refuse most DashScope-only ones for open weights)."""
_MERGED = ("mm_processor_kwargs", "chat_template_kwargs")
"""Objects this writer fills in part, merged with the user's own (theirs win)."""


@dataclasses.dataclass(frozen=True)
class VllmOptions:
    """How requests to a vLLM-Omni server are written."""

    voice_fields: tuple[str, ...] = DEFAULT_VOICE_FIELDS
    """Fields that name the speaker (dotted names nest; `audio.voice` gets
    `audio.format` beside it); empty to send none (the server's default)."""
    stream: bool = True
    """Ask for a streamed answer; `False` asks for one whole JSON answer."""


def _media_url(item: Media) -> str:
    """A remote URL as given, inline media as a data URL naming its type."""
    if item.b64 is not None:
        return data_url(item.b64, item.mime_type)
    return item.url or ""


def vllm_wire_parts(part: Text | Media) -> list[dict[str, Any]]:
    """The content parts of one typed part (several for an image sequence)."""
    if isinstance(part, Text):
        return [{"type": "text", "text": part.text}]
    if part.frames is not None:
        return [
            {"type": "image_url", "image_url": {"url": _media_url(frame)}}
            for frame in part.frames
        ]
    if part.kind == "image":
        return [{"type": "image_url", "image_url": {"url": _media_url(part)}}]
    if part.kind == "audio":
        if part.b64 is None:
            return [{"type": "audio_url", "audio_url": {"url": part.url or ""}}]
        audio = {"data": part.b64, "format": part.audio_format or "wav"}
        return [{"type": "input_audio", "input_audio": audio}]
    return [{"type": "video_url", "video_url": {"url": _media_url(part)}}]


def _message(turn: Turn) -> dict[str, Any]:
    if turn.role in {"assistant", "tool"} or turn.as_string:
        return wire_message(turn)
    content = [wire for part in turn.parts for wire in vllm_wire_parts(part)]
    return {"role": turn.role, "content": content}


def _hears_video(request: OmniRequest) -> bool:
    """Whether some video file may have sound worth hearing (not known silent)."""
    return any(
        item.kind == "video" and not item.is_sequence and item.has_audio is not False
        for item in request.media(roles=frozenset({"user", "system"}))
    )


def _set_path(body: dict[str, Any], path: str, value: Any) -> None:
    *parents, leaf = path.split(".")
    node = body
    for name in parents:
        node = node.setdefault(name, {})
    node[leaf] = value


def _params_body(params: Params, options: VllmOptions) -> dict[str, Any]:
    body = {"modalities": list(params.modalities), **set_params(params, _PARAMS)}
    if params.enable_thinking is not None:
        body["chat_template_kwargs"] = {"enable_thinking": params.enable_thinking}
    if params.speech and params.voice is not None:
        for field in options.voice_fields:
            _set_path(body, field, params.voice)
            if field == "audio.voice":
                body["audio"]["format"] = params.audio_format
    return body


def vllm_request_body(
    request: OmniRequest, options: VllmOptions | None = None
) -> dict[str, Any]:
    """The JSON body of a chat completion for `request`, in vLLM-Omni's dialect."""
    options = options or VllmOptions()
    body: dict[str, Any] = {
        "model": request.model,
        "messages": [_message(turn) for turn in request.turns],
        "stream": options.stream,
    }
    if options.stream and request.params.stream_usage:
        body["stream_options"] = {"include_usage": True}
    body.update(_params_body(request.params, options))
    if _hears_video(request):
        body["mm_processor_kwargs"] = {"use_audio_in_video": True}
    for key, value in request.params.extra.items():
        mine = body.get(key)
        if key in _MERGED and isinstance(mine, dict) and isinstance(value, Mapping):
            body[key] = {**mine, **value}
        else:
            body[key] = value
    body["stream"] = options.stream
    if not options.stream:
        body.pop("stream_options", None)
    return body
