"""The request's parameters, judged per family from the emulator's facts table.

Each `check_*` takes the request body and returns an `EmulatorError`
or `None`, like every validator. Texts the API documents are reproduced
exactly (`Range of max_tokens should be [1, N]`, `Input should be 'A', 'B'
or 'C': parameters.audio.voice`); other texts are the emulator's, in the
same style. Facts the doc marks M or L never refuse (see `facts.judge`).
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Mapping
from typing import Any

from langchain_qwen_omni.emulator.errors import (
    EmulatorError,
    format_choices,
    invalid_parameter,
)
from langchain_qwen_omni.emulator.facts import FamilyFacts, facts_for, judge

__all__ = [
    "check_audio_output",
    "check_features",
    "check_max_tokens",
    "check_modalities",
    "check_model",
    "check_sampling",
    "check_thinking",
    "facts_of",
    "high_resolution",
    "thinking_enabled",
    "wants_audio",
]

_MODALITY_SETS = ({"text"}, {"text", "audio"})
_SEED_MAX = 2**63 - 1


def facts_of(body: Mapping[str, Any]) -> FamilyFacts:
    """The facts of the requested model."""
    return facts_for(str(body.get("model", "")))


def wants_audio(body: Mapping[str, Any]) -> bool:
    """Tell whether the request asks for speech (`"audio"` in `modalities`)."""
    modalities = body.get("modalities")
    return isinstance(modalities, list) and "audio" in modalities


def thinking_enabled(body: Mapping[str, Any]) -> bool:
    """Whether the answer thinks: asked for, or on by default and not turned off.

    On a family that thinks by default (qwen3.8-omni-flash), thinking stops
    with `enable_thinking: false` or `reasoning_effort: "none"`.
    """
    facts = facts_of(body)
    if facts.thinking == "default_on":
        return (
            body.get("enable_thinking") is not False
            and body.get("reasoning_effort") != "none"
        )
    return facts.thinking == "optional" and body.get("enable_thinking") is True


def high_resolution(body: Mapping[str, Any]) -> bool:
    """Whether images count with the high-resolution token cap."""
    return body.get("vl_high_resolution_images") is True and (
        facts_of(body).high_resolution_images
    )


def _refuse(message: str | None) -> EmulatorError | None:
    return None if message is None else invalid_parameter(message)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


# --- the model -------------------------------------------------------------------


def check_model(
    body: Mapping[str, Any],
) -> EmulatorError | None:
    """Realtime models speak over the WebSocket API, not chat completions."""
    model = str(body.get("model", "")).lower()
    if model.endswith("-realtime") or "-realtime-" in model:
        return invalid_parameter(  # emulator wording
            f"The model {body['model']} is a realtime model: use the realtime "
            "API (WebSocket) instead of chat completions."
        )
    return None


# --- output ----------------------------------------------------------------------


def check_modalities(
    body: Mapping[str, Any],
) -> EmulatorError | None:
    """`modalities` is `["text"]` or `["text", "audio"]`; speech only where spoken.

    Thinking answers are text only on the families that can think and speak.
    """
    modalities = body.get("modalities")
    if modalities is None:
        return None
    if not isinstance(modalities, list) or set(modalities) not in _MODALITY_SETS:
        return invalid_parameter(  # emulator wording
            "Input should be ['text'] or ['text', 'audio']: parameters.modalities"
        )
    if "audio" not in modalities:
        return None
    facts = facts_of(body)
    if not facts.speech_output:
        return _refuse(
            judge(
                facts,
                "speech_output",
                f"The model {body['model']} does not support audio output.",
            )
        )
    if thinking_enabled(body):
        message = (  # emulator wording
            "Audio output is not supported in thinking mode: set modalities to "
            "['text'] when enable_thinking is true."
        )
        return _refuse(judge(facts, "thinking", message))
    return None


def check_audio_output(
    body: Mapping[str, Any],
) -> EmulatorError | None:
    """The `audio` parameter of a speech request: voice of the family, `wav`.

    A missing `audio` parameter is fine (the family's default voice speaks).
    A voice is refused only where the doc gives the family's whole list.
    """
    audio = body.get("audio")
    if not wants_audio(body) or audio is None:
        return None
    if not isinstance(audio, Mapping):
        return invalid_parameter("Input should be a valid dictionary: parameters.audio")
    if (error := _voice_error(audio.get("voice"), facts_of(body))) is not None:
        return invalid_parameter(error)
    if audio.get("format", "wav") != "wav":
        return invalid_parameter("Input should be 'wav': parameters.audio.format")
    return None


def _voice_error(voice: object, facts: FamilyFacts) -> str | None:
    where = "parameters.audio.voice"
    if voice is None:
        return None
    if not isinstance(voice, str):
        return f"Input should be a valid string: {where}"
    if not facts.voices or voice in facts.voices or not facts.voices_complete:
        return None
    return judge(
        facts, "voices", f"Input should be {format_choices(facts.voices)}: {where}"
    )


# --- thinking --------------------------------------------------------------------


def _positive_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


_CONTROL_TYPES: dict[str, tuple[Callable[[object], bool], str]] = {
    "enable_thinking": (lambda v: isinstance(v, bool), "a valid boolean"),
    "thinking_budget": (_positive_int, "a positive integer"),
    "reasoning_effort": (lambda v: isinstance(v, str), "a valid string"),
    "preserve_thinking": (lambda v: isinstance(v, bool), "a valid boolean"),
}


def _thinking_error(body: Mapping[str, Any], facts: FamilyFacts) -> str | None:
    model = body.get("model")
    for name, (valid, noun) in _CONTROL_TYPES.items():
        value = body.get(name)
        if value is None:
            continue
        if not valid(value):
            return f"Input should be {noun}: parameters.{name}"
        if name == "enable_thinking":
            if value is True and facts.thinking == "none":
                message = (
                    f"The model {model} does not support thinking: parameters.{name}"
                )
                if (refusal := judge(facts, "thinking", message)) is not None:
                    return refusal
        elif name not in facts.thinking_controls:
            message = f"The model {model} does not support {name}: parameters.{name}"
            if (refusal := judge(facts, "thinking_controls", message)) is not None:
                return refusal
    return _effort_error(body, facts)


def _effort_error(body: Mapping[str, Any], facts: FamilyFacts) -> str | None:
    effort = body.get("reasoning_effort")
    if effort is None or not facts.reasoning_efforts:
        return None
    if effort not in facts.reasoning_efforts:
        choices = format_choices(facts.reasoning_efforts)
        message = f"Input should be {choices}: parameters.reasoning_effort"
        return judge(facts, "reasoning_efforts", message)
    if body.get("thinking_budget") is not None:
        return (
            "reasoning_effort cannot be combined with thinking_budget: "
            "parameters.thinking_budget"
        )
    return None


def check_thinking(
    body: Mapping[str, Any],
) -> EmulatorError | None:
    """Thinking controls: only those the family has, each of the right type.

    `enable_thinking: true` on a family without thinking is refused (false
    asks for nothing and passes); `reasoning_effort` and `preserve_thinking`
    exist on qwen3.8-omni-flash only, where `reasoning_effort` and
    `thinking_budget` exclude each other.
    """
    return _refuse(_thinking_error(body, facts_of(body)))


# --- features --------------------------------------------------------------------


def check_features(
    body: Mapping[str, Any],
) -> EmulatorError | None:
    """Web search, high-resolution images and multichannel audio, per family."""
    facts = facts_of(body)
    model = body.get("model")
    switches = {
        "enable_search": ("web_search", facts.web_search),
        "vl_high_resolution_images": (
            "high_resolution_images",
            facts.high_resolution_images,
        ),
        "use_multichannel": ("multichannel", facts.multichannel),
    }
    for name, (fact, available) in switches.items():
        value = body.get(name)
        if value is None:
            continue
        if not isinstance(value, bool):
            return invalid_parameter(
                f"Input should be a valid boolean: parameters.{name}"
            )
        if value and not available:
            message = f"The model {model} does not support {name}: parameters.{name}"
            if (refusal := judge(facts, fact, message)) is not None:
                return invalid_parameter(refusal)
    options_ = body.get("search_options")
    if options_ is not None and not isinstance(options_, Mapping):
        return invalid_parameter(
            "Input should be a valid dictionary: parameters.search_options"
        )
    return None


# --- ranges ----------------------------------------------------------------------


def check_max_tokens(
    body: Mapping[str, Any],
) -> EmulatorError | None:
    """`max_tokens` within `[1, N]`, N the family's output limit.

    An integer below 1 is always refused; a bound the doc is unsure of
    (3.5-plus's 65,536, Qwen2.5's lower bound of 10) refuses nothing, and a
    family without a published limit takes any positive integer.
    """
    value = body.get("max_tokens")
    if value is None:
        return None
    facts = facts_of(body)
    high = facts.max_output_tokens
    low = facts.min_max_tokens
    message = f"Range of max_tokens should be [{low}, {high or '...'}]"
    if not _is_int(value) or value < 1:
        return invalid_parameter(message)
    if high is not None and value > high:
        return _refuse(judge(facts, "max_output_tokens", message))
    if value < low:
        return _refuse(judge(facts, "min_max_tokens", message))
    return None


_RANGES: tuple[tuple[str, float, float, bool, bool], ...] = (
    ("temperature", 0.0, 2.0, True, False),
    ("top_p", 0.0, 1.0, False, True),
    ("presence_penalty", -2.0, 2.0, True, True),
)
"""Name, low, high, low included, high included: the ranges the API checks."""


def _range_text(name: str, low: float, high: float, closed: tuple[bool, bool]) -> str:
    left = "[" if closed[0] else "("
    right = "]" if closed[1] else ")"
    return f"Range of {name} should be {left}{low}, {high}{right}"


def check_sampling(
    body: Mapping[str, Any],
) -> EmulatorError | None:
    """`temperature` [0, 2), `top_p` (0, 1], `presence_penalty` [-2, 2], `seed`."""
    for name, low, high, low_in, high_in in _RANGES:
        value = body.get(name)
        if value is None:
            continue
        inside = _is_number(value) and (
            (low <= value if low_in else low < value)
            and (value <= high if high_in else value < high)
        )
        if not inside:
            return invalid_parameter(_range_text(name, low, high, (low_in, high_in)))
    seed = body.get("seed")
    if seed is not None and (not _is_int(seed) or not 0 <= seed <= _SEED_MAX):
        return invalid_parameter(f"Range of seed should be [0, {_SEED_MAX}]")
    return None
