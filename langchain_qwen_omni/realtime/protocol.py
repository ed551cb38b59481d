"""Qwen-Omni-Realtime's wire events: client events to send, server fields to read.

Pure functions. DashScope keeps the OpenAI Realtime **beta** event names
(`response.audio.delta`, a flat `session` object), which is what is written
here. Readers are lenient: a field that is missing or of the wrong type reads
as `None` instead of failing, since servers add and drop optional fields.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from langchain_qwen_omni._pcm import encode_b64
from langchain_qwen_omni.errors import OmniInputError

__all__ = [
    "SERVER_VAD_DEFAULTS",
    "audio_append",
    "audio_clear",
    "audio_commit",
    "function_call_output",
    "image_append",
    "integer_field",
    "mapping_field",
    "resolve_turn_detection",
    "response_cancel",
    "response_create",
    "session_finish",
    "session_update",
    "string_field",
]

SERVER_VAD_DEFAULTS: dict[str, Any] = {
    "type": "server_vad",
    "threshold": 0.5,
    "prefix_padding_ms": 300,
    "silence_duration_ms": 800,
    "create_response": True,
    "interrupt_response": True,
}
"""The documented `server_vad` defaults."""
_VAD_TIMING = {"create_response": True, "interrupt_response": True}
_THRESHOLD_RANGE = (-1.0, 1.0)
_SILENCE_RANGE = (200, 6000)


def _event(kind: str, **fields: Any) -> dict[str, Any]:
    return {"event_id": f"event_{uuid.uuid4().hex}", "type": kind, **fields}


# --- client events ---------------------------------------------------------


def session_update(session: Mapping[str, Any]) -> dict[str, Any]:
    """`session.update` with a flat session object."""
    return _event("session.update", session=dict(session))


def audio_append(pcm: bytes | memoryview) -> dict[str, Any]:
    """`input_audio_buffer.append` of 16 kHz mono PCM16."""
    return _event("input_audio_buffer.append", audio=encode_b64(pcm))


def audio_commit() -> dict[str, Any]:
    """`input_audio_buffer.commit`: the buffered audio (and images) become a turn."""
    return _event("input_audio_buffer.commit")


def audio_clear() -> dict[str, Any]:
    """`input_audio_buffer.clear`: drop the audio not yet committed."""
    return _event("input_audio_buffer.clear")


def image_append(jpeg: bytes) -> dict[str, Any]:
    """`input_image_buffer.append` of one JPEG frame."""
    return _event("input_image_buffer.append", image=encode_b64(jpeg))


def response_create() -> dict[str, Any]:
    """`response.create`: ask for an answer (manual turns, and after tool results)."""
    return _event("response.create")


def response_cancel(response_id: str | None = None) -> dict[str, Any]:
    """`response.cancel`: stop the answer in progress (only that one, when named)."""
    if response_id is None:
        return _event("response.cancel")
    return _event("response.cancel", response_id=response_id)


def function_call_output(call_id: str, output: str) -> dict[str, Any]:
    """`conversation.item.create` carrying a tool's result."""
    item = {"type": "function_call_output", "call_id": call_id, "output": output}
    return _event("conversation.item.create", item=item)


def session_finish() -> dict[str, Any]:
    """`session.finish`: end the session; the server answers `session.finished`."""
    return _event("session.finish")


# --- session settings ------------------------------------------------------


def resolve_turn_detection(
    turn_detection: str | Mapping[str, Any] | None, supported: tuple[str, ...]
) -> dict[str, Any] | None:
    """The `turn_detection` object to send, checked against what the model supports.

    Args:
        turn_detection: `"server_vad"` (the documented defaults),
            `"semantic_vad"`, `None` for manual turns, or a mapping whose
            keys override the defaults of its `type` (`server_vad` if absent).
        supported: The model's turn-detection types.

    Raises:
        OmniInputError: For a type the model lacks or a value out of range.
    """
    if turn_detection is None:
        return None
    if isinstance(turn_detection, str):
        settings: dict[str, Any] = {"type": turn_detection}
    elif isinstance(turn_detection, Mapping):
        settings = dict(turn_detection)
        settings.setdefault("type", "server_vad")
    else:
        msg = (
            "turn_detection must be 'server_vad', 'semantic_vad', None (manual "
            f"turns) or a dict of settings, got {type(turn_detection).__name__}."
        )
        raise OmniInputError(msg)
    kind = settings["type"]
    if kind not in supported:
        msg = (
            f"turn_detection type {kind!r} is not available on this model: it "
            f"supports {', '.join(map(repr, supported))} or None (manual turns)."
        )
        raise OmniInputError(msg)
    defaults = SERVER_VAD_DEFAULTS if kind == "server_vad" else _VAD_TIMING
    resolved = {**defaults, **settings}
    _check_range(resolved, "threshold", _THRESHOLD_RANGE)
    _check_range(resolved, "silence_duration_ms", _SILENCE_RANGE)
    return resolved


def _check_range(
    settings: Mapping[str, Any], key: str, bounds: tuple[float, float]
) -> None:
    value = settings.get(key)
    if value is None:
        return
    low, high = bounds
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        msg = (
            f"turn_detection[{key!r}] must be a number in [{low}, {high}], "
            f"got {value!r}."
        )
        raise OmniInputError(msg)
    if not low <= value <= high:
        msg = (
            f"turn_detection[{key!r}] = {value} is outside the documented range "
            f"[{low}, {high}]; pick a value inside it."
        )
        raise OmniInputError(msg)


# --- reading server events -------------------------------------------------


def string_field(event: Mapping[str, Any], key: str) -> str | None:
    """A string field, or `None` when missing or not a string."""
    value = event.get(key)
    return value if isinstance(value, str) else None


def integer_field(event: Mapping[str, Any], key: str) -> int | None:
    """An integer field (floats are rounded), or `None`."""
    value = event.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return round(value)


def mapping_field(event: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    """A nested object, or an empty mapping."""
    value = event.get(key)
    return value if isinstance(value, Mapping) else {}
