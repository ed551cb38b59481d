"""What the emulated realtime endpoint knows about the API: models, limits, errors.

The emulator's own reading of the facts doc's "Realtime API" section, kept
apart from the client's profiles on purpose: a test double that shared the
client's rulebook would agree with the client's mistakes. Each check returns
the documented `error` event (or `None`), so the session only decides when to
send it.
"""

from __future__ import annotations

import dataclasses
import re
import uuid
from collections.abc import Mapping
from typing import Any

__all__ = [
    "IMAGE_MAX_BASE64_BYTES",
    "MODELS",
    "SESSION_CAP_SECONDS",
    "VAD_DEFAULTS",
    "ModelFacts",
    "check_session",
    "default_session",
    "error_event",
    "model_facts",
]

SESSION_CAP_SECONDS = 120 * 60
"""The API closes a realtime session after 120 minutes."""
INPUT_SAMPLE_RATE = 16_000
IMAGE_MAX_BASE64_BYTES = 256 * 1024
IMAGE_MAX_SIDES = (1920, 1080)
VAD_DEFAULTS: dict[str, Any] = {
    "type": "server_vad",
    "threshold": 0.5,
    "prefix_padding_ms": 300,
    "silence_duration_ms": 800,
    "create_response": True,
    "interrupt_response": True,
}
_THRESHOLD = (-1.0, 1.0)
_SILENCE_MS = (200, 6000)
_MODALITIES = ({"text"}, {"text", "audio"})
_SNAPSHOT = re.compile(r"-(\d{4}-\d{2}-\d{2}|latest)$")


@dataclasses.dataclass(frozen=True)
class ModelFacts:
    """One realtime family as the emulator serves it."""

    default_voice: str
    voices: frozenset[str] | None
    """Accepted voices; `None` when the list is not published (any name passes)."""
    tools: bool
    search: bool
    turn_detection: frozenset[str]
    output_formats: Mapping[str, int]
    """`output_audio_format` values and their sample rates."""
    default_output_format: str
    audio_tokens_per_second: float = 12.5


_TURBO_VOICES = frozenset({"Cherry", "Serena", "Ethan", "Chelsie"})
_FLASH_VOICES = frozenset(
    {
        "Cherry", "Serena", "Ethan", "Chelsie", "Momo", "Vivian", "Moon", "Maia",
        "Kai", "Nofish", "Bella", "Jennifer", "Ryan", "Katerina", "Aiden",
        "Eldric Sage", "Mia", "Mochi", "Bellona", "Vincent", "Bunny", "Neil",
        "Elias", "Arthur", "Nini", "Ebona", "Seren", "Pip", "Stella", "Bodega",
        "Sonrisa", "Alek", "Dolce", "Sohee", "Ono Anna", "Lenn", "Emilien",
        "Andre", "Radio Gol", "Jada", "Dylan", "Li", "Marcus", "Roy", "Peter",
        "Sunny", "Eric", "Rocky", "Kiki",
    }
)  # fmt: skip
_QWEN35 = ModelFacts(
    default_voice="Tina",
    voices=None,
    tools=True,
    search=True,
    turn_detection=frozenset({"server_vad", "semantic_vad"}),
    output_formats={"pcm24": 24_000, "pcm16": 16_000, "pcm": 24_000},
    default_output_format="pcm24",
    audio_tokens_per_second=7.0,
)
MODELS: dict[str, ModelFacts] = {
    "qwen3.8-omni-flash-realtime": _QWEN35,
    "qwen3.5-omni-plus-realtime": _QWEN35,
    "qwen3.5-omni-flash-realtime": _QWEN35,
    "qwen3-omni-flash-realtime": ModelFacts(
        default_voice="Cherry",
        voices=_FLASH_VOICES,
        tools=False,
        search=False,
        turn_detection=frozenset({"server_vad"}),
        output_formats={"pcm24": 24_000, "pcm": 24_000},
        default_output_format="pcm24",
    ),
    "qwen-omni-turbo-realtime": ModelFacts(
        default_voice="Chelsie",
        voices=_TURBO_VOICES,
        tools=False,
        search=False,
        turn_detection=frozenset({"server_vad"}),
        output_formats={"pcm16": 24_000, "pcm": 24_000},
        default_output_format="pcm16",
        audio_tokens_per_second=25.0,
    ),
}


def model_facts(model: str) -> ModelFacts | None:
    """The facts of a realtime model name or dated snapshot; `None` if unknown."""
    return MODELS.get(_SNAPSHOT.sub("", model))


def error_event(
    message: str,
    *,
    code: str = "invalid_value",
    param: str | None = None,
    type_: str = "invalid_request_error",
) -> dict[str, Any]:
    """A server `error` event in the documented shape."""
    return {
        "event_id": f"event_{uuid.uuid4().hex[:21]}",
        "type": "error",
        "error": {"type": type_, "code": code, "message": message, "param": param},
    }


def default_session(model: str, facts: ModelFacts, session_id: str) -> dict[str, Any]:
    """The session configuration `session.created` announces."""
    return {
        "id": session_id,
        "object": "realtime.session",
        "model": model,
        "modalities": ["text", "audio"],
        "voice": facts.default_voice,
        "input_audio_format": "pcm16",
        "output_audio_format": facts.default_output_format,
        "input_audio_transcription": {"model": "gummy-realtime-v1"},
        "turn_detection": dict(VAD_DEFAULTS),
        "tools": [],
        "tool_choice": "auto",
        "temperature": 0.8,
        "enable_search": False,
    }


def check_session(
    facts: ModelFacts, session: Mapping[str, Any]
) -> dict[str, Any] | None:
    """The error event a `session.update` with these settings gets, or `None`."""
    for check in (_modalities, _voice, _formats, _turn_detection, _tools):
        error = check(facts, session)
        if error is not None:
            return error
    return None


def _modalities(facts: ModelFacts, session: Mapping[str, Any]) -> dict[str, Any] | None:
    del facts
    modalities = session.get("modalities")
    if modalities is None:
        return None
    if (
        not isinstance(modalities, list)
        or not all(isinstance(m, str) for m in modalities)
        or set(modalities) not in _MODALITIES
        or len(set(modalities)) != len(modalities)
    ):
        return error_event(
            f"Invalid modalities: {modalities!r}. Supported combinations are: "
            "['text'] and ['audio', 'text'].",
            param="session.modalities",
        )
    return None


def _voice(facts: ModelFacts, session: Mapping[str, Any]) -> dict[str, Any] | None:
    voice = session.get("voice")
    if voice is None:
        return None
    if not isinstance(voice, str) or (
        facts.voices is not None and voice not in facts.voices
    ):
        choices = ", ".join(sorted(facts.voices or ()))
        return error_event(
            f"Invalid voice: {voice!r}. Supported voices are: {choices}.",
            param="session.voice",
        )
    return None


def _formats(facts: ModelFacts, session: Mapping[str, Any]) -> dict[str, Any] | None:
    input_format = session.get("input_audio_format")
    if input_format is not None and input_format not in ("pcm16", "pcm"):
        return error_event(
            f"Invalid input_audio_format: {input_format!r}. Supported: 'pcm16'.",
            param="session.input_audio_format",
        )
    output_format = session.get("output_audio_format")
    if output_format is not None and output_format not in facts.output_formats:
        supported = ", ".join(map(repr, facts.output_formats))
        return error_event(
            f"Invalid output_audio_format: {output_format!r}. Supported: {supported}.",
            param="session.output_audio_format",
        )
    return None


def _turn_detection(
    facts: ModelFacts, session: Mapping[str, Any]
) -> dict[str, Any] | None:
    if "turn_detection" not in session or session["turn_detection"] is None:
        return None
    settings = session["turn_detection"]
    if not isinstance(settings, Mapping):
        return error_event(
            "Invalid turn_detection: expected an object or null.",
            param="session.turn_detection",
        )
    kind = settings.get("type", "server_vad")
    if kind not in facts.turn_detection:
        supported = sorted(facts.turn_detection)
        return error_event(
            f"Invalid turn_detection.type: {kind!r}. Supported: {supported}.",
            param="session.turn_detection.type",
        )
    for key, (low, high) in (
        ("threshold", _THRESHOLD),
        ("silence_duration_ms", _SILENCE_MS),
    ):
        value = settings.get(key)
        if value is None:
            continue
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or not low <= value <= high
        ):
            return error_event(
                f"Invalid turn_detection.{key}: {value!r}. Range: [{low}, {high}].",
                param=f"session.turn_detection.{key}",
            )
    return None


def _tools(facts: ModelFacts, session: Mapping[str, Any]) -> dict[str, Any] | None:
    tools = session.get("tools")
    search = session.get("enable_search") is True
    if tools and not facts.tools:
        return error_event("The tool call is not supported.", param="session.tools")
    if search and not facts.search:
        return error_event(
            "enable_search is not supported by this model.",
            param="session.enable_search",
        )
    if tools and search:
        return error_event(
            "tools and enable_search cannot be used together.", param="session.tools"
        )
    if tools is not None and (
        not isinstance(tools, list)
        or not all(
            isinstance(t, Mapping)
            and t.get("type") == "function"
            and isinstance(t.get("function"), Mapping)
            and isinstance(t["function"].get("name"), str)
            for t in tools
        )
    ):
        return error_event(
            "Invalid tools: each tool must be "
            "{'type': 'function', 'function': {'name': ...}}.",
            param="session.tools",
        )
    return None
