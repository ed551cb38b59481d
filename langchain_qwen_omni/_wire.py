"""The one place that writes an `OmniRequest` as DashScope's JSON body.

Wire shapes (see Omni's documentation): images as `image_url` with an
http(s) URL or `data:image/<type>;base64,...`; audio as `input_audio` with
`data` (URL, or `data:;base64,...`) and a `format`; a video file as
`video_url` (URL, or `data:;base64,...`), with `fps` and `max_pixels` next
to it when asked; an image sequence as `video` with a list of image URLs.
Assistant turns are text (and tool calls); tool turns are text.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from langchain_qwen_omni._codec import data_url
from langchain_qwen_omni._request import Media, OmniRequest, Params, Text, Turn

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["PARAMS", "request_body", "set_params", "wire_message", "wire_part"]


def _item_url(item: Media) -> str:
    """The URL of one item: remote as given, inline as a data URL."""
    if item.b64 is not None:
        return data_url(item.b64, item.data_url_mime or None)
    return item.url or ""


def wire_part(part: Text | Media) -> dict[str, Any]:
    """One content part in the DashScope shape."""
    if isinstance(part, Text):
        return {"type": "text", "text": part.text}
    wire: dict[str, Any]
    if part.frames is not None:
        wire = {"type": "video", "video": [_item_url(frame) for frame in part.frames]}
    elif part.kind == "image":
        wire = {"type": "image_url", "image_url": {"url": _item_url(part)}}
    elif part.kind == "audio":
        wire = {
            "type": "input_audio",
            "input_audio": {"data": _item_url(part), "format": part.audio_format},
        }
    else:
        wire = {"type": "video_url", "video_url": {"url": _item_url(part)}}
    if part.fps is not None:
        wire["fps"] = part.fps
    if part.max_pixels is not None:
        wire["max_pixels"] = part.max_pixels
    return wire


def wire_message(
    turn: Turn, part_writer: Callable[[Text | Media], dict[str, Any]] = wire_part
) -> dict[str, Any]:
    """One message in the OpenAI shape that DashScope takes."""
    if turn.role == "assistant":
        message: dict[str, Any] = {"role": "assistant", "content": turn.text}
        if turn.tool_calls:
            message["tool_calls"] = [dict(call) for call in turn.tool_calls]
            message["content"] = message["content"] or None
        return message
    if turn.role == "tool":
        return {
            "role": "tool",
            "tool_call_id": turn.tool_call_id,
            "content": turn.text,
        }
    if turn.as_string:
        return {"role": turn.role, "content": turn.text}
    return {"role": turn.role, "content": [part_writer(part) for part in turn.parts]}


PARAMS = (
    "temperature",
    "top_p",
    "max_tokens",
    "seed",
    "stop",
    "presence_penalty",
    "n",
    "enable_thinking",
    "thinking_budget",
    "reasoning_effort",
    "preserve_thinking",
    "enable_search",
    "search_options",
    "vl_high_resolution_images",
    "tools",
    "tool_choice",
    "parallel_tool_calls",
    "response_format",
)
"""Parameters sent under their own name when set, as given (lists as lists)."""


def set_params(params: Params, names: tuple[str, ...]) -> dict[str, Any]:
    """The parameters among `names` that are set, as given (tuples as lists)."""
    return {
        name: list(value) if isinstance(value, tuple) else value
        for name in names
        if (value := getattr(params, name)) is not None
    }


def _params_body(params: Params) -> dict[str, Any]:
    body = set_params(params, PARAMS)
    if params.stream_usage:
        body["stream_options"] = {"include_usage": True}
    if params.speech:
        body["modalities"] = list(params.modalities)
        body["audio"] = {"voice": params.voice, "format": params.audio_format}
    return body


def request_body(request: OmniRequest) -> dict[str, Any]:
    """The JSON body of a streamed chat completion for `request`."""
    body: dict[str, Any] = {
        "model": request.model,
        "messages": [wire_message(turn) for turn in request.turns],
        "stream": True,
    }
    body.update(_params_body(request.params))
    body.update(request.params.extra)
    body["stream"] = True
    return body
