"""Request checks: each rule is a function returning an error or `None`.

`validate_request` runs `VALIDATORS` in order and returns the first error,
so new rules (media kinds, sizes, frame counts, tools, thinking) are added
as functions in their own modules and appended to the tuple, and each can
be unit-tested without a server.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from langchain_qwen_omni.emulator.answers import model_of, resolve_voice, wants_audio
from langchain_qwen_omni.emulator.errors import EmulatorError, invalid_parameter
from langchain_qwen_omni.emulator.options import EmulatorOptions
from langchain_qwen_omni.emulator.rules import (
    check_conversation,
    check_max_tokens,
    check_media,
    check_modalities,
)
from langchain_qwen_omni.emulator.tools import check_tools
from langchain_qwen_omni.profiles import get_profile

__all__ = [
    "VALIDATORS",
    "Validator",
    "check_audio_output",
    "check_shape",
    "check_stream",
    "format_choices",
    "validate_request",
]

Validator = Callable[[Mapping[str, Any], EmulatorOptions], "EmulatorError | None"]
"""A rule: takes the request body and options, returns an error or `None`."""


def format_choices(choices: tuple[str, ...] | list[str]) -> str:
    """Quote choices the way the API's validator does: `'A', 'B' or 'C'`."""
    quoted = [f"'{choice}'" for choice in choices]
    if len(quoted) <= 1:
        return "".join(quoted)
    return f"{', '.join(quoted[:-1])} or {quoted[-1]}"


def check_shape(
    body: Mapping[str, Any], options: EmulatorOptions
) -> EmulatorError | None:
    """Require a model name and a list of messages, which every rule relies on."""
    del options
    if not isinstance(body.get("model"), str) or not body["model"]:
        return invalid_parameter("Field required: model")
    if not isinstance(body.get("messages"), list) or not body["messages"]:
        return invalid_parameter("Input should be a valid non-empty list: messages")
    return None


def check_stream(
    body: Mapping[str, Any], options: EmulatorOptions
) -> EmulatorError | None:
    """Refuse non-streaming calls with the API's documented messages."""
    del options
    if body.get("stream") is True:
        return None
    if wants_audio(body):
        return invalid_parameter("'audio' output only support with stream=true")
    return invalid_parameter(f"{model_of(body)} only support with stream=true")


def check_audio_output(
    body: Mapping[str, Any], options: EmulatorOptions
) -> EmulatorError | None:
    """Check the `audio` parameter of a speech request: voice and format.

    A missing `audio` parameter is fine (the profile's default voice speaks).
    Profiles with `voices=None` accept any voice; an empty tuple (a model
    that cannot speak) is left to the output-modality rules.
    """
    del options
    if not wants_audio(body):
        return None
    audio = body.get("audio")
    if audio is not None and not isinstance(audio, Mapping):
        return invalid_parameter("Input should be a valid dictionary: parameters.audio")
    profile = get_profile(model_of(body))
    voices = profile.voices
    # An incomplete voice list (documented names only) refuses nothing.
    if voices and profile.voices_complete and resolve_voice(body) not in voices:
        return invalid_parameter(
            f"Input should be {format_choices(voices)}: parameters.audio.voice"
        )
    audio_format = audio.get("format", "wav") if audio is not None else "wav"
    if audio_format != "wav":
        return invalid_parameter("Input should be 'wav': parameters.audio.format")
    return None


VALIDATORS: tuple[Validator, ...] = (
    check_shape,
    check_stream,
    check_audio_output,
    check_tools,
    check_modalities,
    check_max_tokens,
    check_conversation,
    check_media,
)
"""The rules the app applies, in order; the first error wins."""


def validate_request(
    body: Mapping[str, Any],
    options: EmulatorOptions,
    validators: tuple[Validator, ...] = VALIDATORS,
) -> EmulatorError | None:
    """Apply the rules in order and return the first error, or `None`."""
    for validator in validators:
        error = validator(body, options)
        if error is not None:
            return error
    return None
