"""Request checks of the emulator's `vllm-omni` dialect (pure functions).

Each check returns an `EmulatorError` in vLLM's error envelope
(`{"error": {"message", "type": "BadRequestError", "param", "code": 400}}`)
or `None`; `validate_vllm_request` returns the first. They follow what a
`vllm serve <weights> --omni` server refuses, from the facts doc: parts
vLLM does not know (the frame-list `video` part), `input_audio.data` that is
not raw base64 (`Incorrect padding`), URLs of other schemes, `auto` tools on
a server without a tool parser, stream options without a stream, prompts
over `--max-model-len`, unknown speakers, and a video's sound asked for
(`use_audio_in_video`) when the video has none.
"""

from __future__ import annotations

import base64
import binascii
import functools
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from langchain_qwen_omni import _probe
from langchain_qwen_omni.emulator.answers import messages_of
from langchain_qwen_omni.emulator.errors import EmulatorError
from langchain_qwen_omni.emulator.tokens import text_tokens
from langchain_qwen_omni.emulator.validation import Validator, validate_request
from langchain_qwen_omni.emulator.vllm_facts import (
    AUTO_TOOLS_MESSAGE,
    INCORRECT_PADDING,
    NO_STREAMING_MESSAGE,
    PART_TYPES,
    STREAM_OPTIONS_MESSAGE,
    URL_MESSAGE,
    max_model_len_of,
    speakers_of,
    speaks,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

    from langchain_qwen_omni.emulator.options import EmulatorOptions
    from langchain_qwen_omni.emulator.vllm_facts import VllmServerOptions

__all__ = [
    "MEDIA_TOKENS",
    "bad_request",
    "estimate_prompt_tokens",
    "requested_speaker",
    "validate_vllm_request",
    "vllm_error",
]

MEDIA_TOKENS = 256
"""Tokens the emulator counts for one media item (it does not run the processor)."""
_URL_PARTS = ("image_url", "audio_url", "video_url")
"""Parts that hold their URL under their own type: `{"image_url": {"url": ...}}`."""
_ROLES = ("system", "user", "assistant", "tool", "developer")


def vllm_error(
    status: int,
    message: str,
    *,
    type_: str = "BadRequestError",
    param: str | None = None,
) -> EmulatorError:
    """An error answer in vLLM's envelope."""
    body = {
        "error": {"message": message, "type": type_, "param": param, "code": status}
    }
    return EmulatorError(status, body)


def bad_request(message: str, *, param: str | None = None) -> EmulatorError:
    """A 400 answer, as vLLM words it."""
    return vllm_error(400, message, param=param)


def _parts(message: Mapping[str, Any]) -> list[Any]:
    content = message.get("content")
    return content if isinstance(content, list) else []


def _user_parts(body: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    for message in messages_of(body):
        for part in _parts(message):
            if isinstance(part, Mapping):
                yield part


def requested_speaker(body: Mapping[str, Any], field: str) -> Any:
    """The speaker named in the request's `field` (dotted), or `None`."""
    node: Any = body
    for name in field.split("."):
        if not isinstance(node, Mapping):
            return None
        node = node.get(name)
    return node


def estimate_prompt_tokens(body: Mapping[str, Any]) -> int:
    """Text at four characters a token, `MEDIA_TOKENS` per media part."""
    total = 0
    for message in messages_of(body):
        content = message.get("content")
        if isinstance(content, str):
            total += text_tokens(content)
        for part in _parts(message):
            if not isinstance(part, Mapping):
                continue
            if part.get("type") == "text":
                total += text_tokens(str(part.get("text", "")))
            else:
                total += MEDIA_TOKENS
        total += 3
    return total


# --- the checks ----------------------------------------------------------------


def check_shape(
    body: Mapping[str, Any], server: VllmServerOptions
) -> EmulatorError | None:
    """A model name and a non-empty list of messages with known roles."""
    served = server.served_model_name
    model = body.get("model")
    if not isinstance(model, str) or not model:
        return bad_request("Field required: model", param="model")
    if served is not None and model != served:
        message = f"The model `{model}` does not exist."
        return vllm_error(404, message, type_="NotFoundError", param="model")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return bad_request("messages must be a non-empty list", param="messages")
    for message in messages:
        if not isinstance(message, Mapping) or message.get("role") not in _ROLES:
            return bad_request(
                "Each message needs a role among system, user, assistant, tool"
            )
    return None


def check_stream(
    body: Mapping[str, Any], server: VllmServerOptions
) -> EmulatorError | None:
    """Stream options need a stream; old releases refuse to stream at all."""
    streaming = body.get("stream") is True
    if body.get("stream_options") is not None and not streaming:
        return bad_request(STREAM_OPTIONS_MESSAGE, param="stream_options")
    if streaming and not server.streaming:
        return bad_request(NO_STREAMING_MESSAGE, param="stream")
    return None


def _check_part(part: Mapping[str, Any]) -> str | None:
    kind = part.get("type")
    if kind not in PART_TYPES:
        return f"Unknown part type: {kind}"
    if kind == "input_audio":
        audio = part.get("input_audio")
        data = audio.get("data") if isinstance(audio, Mapping) else None
        if not isinstance(data, str):
            return "input_audio.data must be a string of base64"
        try:
            base64.b64decode(data, validate=True)
        except binascii.Error:
            return INCORRECT_PADDING
        return None
    if kind in _URL_PARTS:
        holder = part.get(kind)
        url = holder.get("url") if isinstance(holder, Mapping) else None
        if not isinstance(url, str) or not url.startswith(
            ("http://", "https://", "data:")
        ):
            return URL_MESSAGE
    return None


def check_parts(body: Mapping[str, Any]) -> EmulatorError | None:
    """Only vLLM's content parts, raw base64 audio, HTTP or data URLs."""
    for part in _user_parts(body):
        if problem := _check_part(part):
            return bad_request(problem, param="messages")
    return None


def check_output(
    body: Mapping[str, Any], server: VllmServerOptions
) -> EmulatorError | None:
    """`modalities` among text and audio; a speaker the talker knows."""
    modalities = body.get("modalities")
    if modalities is not None and (
        not isinstance(modalities, list)
        or not modalities
        or any(name not in ("text", "audio") for name in modalities)
    ):
        return bad_request(
            f"Invalid modalities {modalities!r}: use ['text'], ['audio'] or "
            "['text', 'audio']",
            param="modalities",
        )
    speaker = requested_speaker(body, server.speaker_field)
    model = str(body.get("model"))
    if speaker is not None and speaks(model):
        known = speakers_of(model)
        if not isinstance(speaker, str) or speaker.strip().lower() not in known:
            return bad_request(
                f"Speaker {speaker!r} is not supported; available speakers: "
                f"{', '.join(known)}",
                param=server.speaker_field,
            )
    return None


def check_tools(
    body: Mapping[str, Any], server: VllmServerOptions
) -> EmulatorError | None:
    """`auto` tool choice needs a server started with a tool parser."""
    if not body.get("tools"):
        return None
    choice = body.get("tool_choice", "auto")
    if choice in (None, "auto") and not server.auto_tool_choice:
        return bad_request(AUTO_TOOLS_MESSAGE, param="tool_choice")
    return None


def check_length(
    body: Mapping[str, Any], server: VllmServerOptions
) -> EmulatorError | None:
    """The prompt and `max_tokens` must fit in `--max-model-len`."""
    limit = max_model_len_of(str(body.get("model")), server)
    prompt = estimate_prompt_tokens(body)
    wanted = body.get("max_tokens") or body.get("max_completion_tokens") or 0
    if not isinstance(wanted, int) or isinstance(wanted, bool):
        return bad_request("max_tokens must be an integer", param="max_tokens")
    if prompt + wanted > limit:
        return bad_request(
            f"This model's maximum context length is {limit} tokens. However, you "
            f"requested {prompt + wanted} tokens ({prompt} in the messages, "
            f"{wanted} in the completion). Please reduce the length of the "
            "messages or completion.",
            param="max_tokens",
        )
    return None


def _silent_inline_video(body: Mapping[str, Any]) -> bool:
    for part in _user_parts(body):
        holder = part.get("video_url") if part.get("type") == "video_url" else None
        url = holder.get("url") if isinstance(holder, Mapping) else None
        if not isinstance(url, str) or not url.startswith("data:"):
            continue
        try:
            data = base64.b64decode(url.partition(",")[2], validate=True)
        except ValueError:  # binascii.Error, or text that is not ASCII
            continue
        if _probe.video_facts(data).has_sound is False:
            return True
    return False


def check_video_sound(body: Mapping[str, Any]) -> EmulatorError | None:
    """`use_audio_in_video` asks for a sound track: a silent video has none."""
    kwargs = body.get("mm_processor_kwargs")
    if not isinstance(kwargs, Mapping) or not kwargs.get("use_audio_in_video"):
        return None
    if _silent_inline_video(body):
        return bad_request(
            "Failed to extract audio from video: the video has no audio stream "
            "(use_audio_in_video=True)",
            param="mm_processor_kwargs",
        )
    return None


def validate_vllm_request(
    body: Mapping[str, Any], options: EmulatorOptions
) -> EmulatorError | None:
    """Apply the checks in order and return the first error, or `None`.

    Some depend on how the server was started (its served name, speaker
    field, tool parser, `--max-model-len`), as a real server's do.
    """
    server = options.vllm
    checks: tuple[Validator, ...] = (
        functools.partial(check_shape, server=server),
        functools.partial(check_stream, server=server),
        check_parts,
        functools.partial(check_output, server=server),
        functools.partial(check_tools, server=server),
        functools.partial(check_length, server=server),
        check_video_sound,
    )
    return validate_request(body, checks)
