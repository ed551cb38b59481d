"""Request checks: each rule is a function returning an error or `None`.

`validate_request` runs `VALIDATORS` in order and returns the first error,
so new rules are added as functions in their own modules and appended to the
tuple, and each can be unit-tested without a server. Every rule reads the
emulator's own facts table (`emulator.facts`), never the client's profiles.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from langchain_qwen_omni.emulator.errors import (
    EmulatorError,
    format_choices,
    invalid_parameter,
)
from langchain_qwen_omni.emulator.facts import judge
from langchain_qwen_omni.emulator.params import (
    check_audio_output,
    check_features,
    check_max_tokens,
    check_modalities,
    check_model,
    check_sampling,
    check_thinking,
    facts_of,
)
from langchain_qwen_omni.emulator.rules import (
    check_conversation,
    check_counts,
    check_media,
)
from langchain_qwen_omni.emulator.tools import check_tools

__all__ = [
    "NON_STREAM_MESSAGE",
    "VALIDATORS",
    "Validator",
    "check_audio_output",
    "check_shape",
    "check_stream",
    "format_choices",
    "validate_request",
]

Validator = Callable[[Mapping[str, Any]], "EmulatorError | None"]
"""A rule: takes the request body, returns an error or `None`.

The API judges a request by its body alone, and so does the emulator: its
settings change how it answers, never what it accepts."""

NON_STREAM_MESSAGE = (
    "This model only support stream mode, please enable the stream parameter "
    "to access the model."
)
"""The API's current answer to `stream=false` on a stream-only model."""


def check_shape(
    body: Mapping[str, Any],
) -> EmulatorError | None:
    """Require a model name and a list of messages, which every rule relies on."""
    if not isinstance(body.get("model"), str) or not body["model"]:
        return invalid_parameter("Field required: model")
    if not isinstance(body.get("messages"), list) or not body["messages"]:
        return invalid_parameter("Input should be a valid non-empty list: messages")
    return None


def check_stream(
    body: Mapping[str, Any],
) -> EmulatorError | None:
    """Refuse non-streaming calls with the API's documented message.

    qwen3.8-omni-flash is reported (L) to take `stream=false`, so it gets a
    whole `chat.completion` instead.
    """
    if body.get("stream") is True:
        return None
    refusal = judge(facts_of(body), "stream_only", NON_STREAM_MESSAGE)
    return None if refusal is None else invalid_parameter(refusal)


VALIDATORS: tuple[Validator, ...] = (
    check_shape,
    check_model,
    check_stream,
    check_audio_output,
    check_tools,
    check_modalities,
    check_thinking,
    check_features,
    check_max_tokens,
    check_sampling,
    check_conversation,
    check_counts,
    check_media,
)
"""The rules the app applies, in order; the first error wins."""


def validate_request(
    body: Mapping[str, Any], validators: tuple[Validator, ...] = VALIDATORS
) -> EmulatorError | None:
    """Apply the rules in order and return the first error, or `None`."""
    for validator in validators:
        error = validator(body)
        if error is not None:
            return error
    return None
