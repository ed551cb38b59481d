"""What the emulated realtime endpoint says: pure builders of server events.

A response is planned in full before it is sent: the opening events, the
deltas with the moment (in seconds of speech) each one is due, and the
closing events, which depend on how much was said when a cancellation cut
the answer short. Deterministic rules, like the chat emulator's:

- A user turn's transcript is the next scripted one, else a description of
  its audio: `(1.2 s of speech)`.
- With tools configured, a turn whose transcript names tools (`get_weather`
  or `get weather`) is answered with a call of each named tool, arguments
  built from its JSON schema; the answer after the results quotes them.
- Otherwise the answer is the next scripted one, else
  `You said: '<transcript>'.`, spoken as speech-like PCM of a length
  proportional to the text.
"""

from __future__ import annotations

import base64
import dataclasses
import itertools
import math
import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from langchain_qwen_omni.emulator.tools import tool_arguments

__all__ = [
    "ARGUMENT_PIECE_CHARS",
    "PlannedCall",
    "ResponsePlan",
    "answer_text",
    "call_response",
    "commit_events",
    "describe_audio",
    "message_response",
    "new_id",
    "plan_calls",
    "resample_speech",
    "transcription_events",
    "usage",
]

ARGUMENT_PIECE_CHARS = 8
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
_CHARS_PER_TOKEN = 4
_SAMPLE_BYTES = 2


def new_id(prefix: str) -> str:
    """An id in the API's style, e.g. `item_...`, `resp_...`."""
    return f"{prefix}_{uuid.uuid4().hex[:21]}"


def _event(kind: str, **fields: Any) -> dict[str, Any]:
    return {"event_id": new_id("event"), "type": kind, **fields}


# --- the user's turn --------------------------------------------------------


def describe_audio(pcm_bytes: int, sample_rate: int = 16_000) -> str:
    """The emulated transcript of a turn without a scripted one."""
    return f"({pcm_bytes / (_SAMPLE_BYTES * sample_rate):.1f} s of speech)"


def commit_events(item_id: str, previous_item_id: str | None) -> list[dict[str, Any]]:
    """`input_audio_buffer.committed` and the user item it creates."""
    item = {
        "id": item_id,
        "object": "realtime.item",
        "type": "message",
        "status": "completed",
        "role": "user",
        "content": [{"type": "input_audio", "transcript": None}],
    }
    return [
        _event(
            "input_audio_buffer.committed",
            previous_item_id=previous_item_id,
            item_id=item_id,
        ),
        _event(
            "conversation.item.created", previous_item_id=previous_item_id, item=item
        ),
    ]


def transcription_events(item_id: str, transcript: str) -> list[dict[str, Any]]:
    """The live transcript of a user turn: one delta per word, then the whole."""
    deltas = [
        _event(
            "conversation.item.input_audio_transcription.delta",
            item_id=item_id,
            content_index=0,
            delta=word,
        )
        for word in re.findall(r"\s*\S+", transcript)
    ]
    done = _event(
        "conversation.item.input_audio_transcription.completed",
        item_id=item_id,
        content_index=0,
        transcript=transcript,
    )
    return [*deltas, done]


# --- what to answer ---------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class PlannedCall:
    """A tool call the emulator makes."""

    call_id: str
    name: str
    arguments: str


def _mentions(transcript: str, name: str) -> bool:
    text = transcript.lower()
    return name.lower() in text or name.lower().replace("_", " ") in text


def plan_calls(
    tools: Sequence[Mapping[str, Any]], transcript: str
) -> list[PlannedCall]:
    """Calls of the tools the transcript names, in the session's tool order."""
    numbers = iter(float(n) for n in _NUMBER.findall(transcript))
    calls = []
    for tool in tools:
        function = tool.get("function")
        if not isinstance(function, Mapping):
            continue
        name = str(function.get("name", ""))
        if name and _mentions(transcript, name):
            calls.append(
                PlannedCall(new_id("call"), name, tool_arguments(function, numbers))
            )
    return calls


def answer_text(
    transcript: str | None,
    results: Sequence[tuple[str, str]],
    scripted: str | None,
) -> str:
    """The text of an answer: scripted, quoting tool results, or quoting the user."""
    if scripted is not None:
        return scripted
    if results:
        quoted = "; ".join(f"{name}: '{_flat(output)}'" for name, output in results)
        return f"The tools answered: {quoted}."
    return f"You said: '{_flat(transcript or '(nothing)')}'."


def _flat(text: str, limit: int = 200) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def usage(
    *,
    input_text: str,
    input_audio_seconds: float,
    output_text: str,
    output_audio_seconds: float,
    audio_tokens_per_second: float,
) -> dict[str, Any]:
    """`response.done` usage: text by characters, audio by seconds."""
    in_text = math.ceil(len(input_text) / _CHARS_PER_TOKEN)
    in_audio = math.ceil(input_audio_seconds * audio_tokens_per_second)
    out_text = math.ceil(len(output_text) / _CHARS_PER_TOKEN)
    out_audio = math.ceil(output_audio_seconds * 12.5)
    return {
        "total_tokens": in_text + in_audio + out_text + out_audio,
        "input_tokens": in_text + in_audio,
        "output_tokens": out_text + out_audio,
        "input_tokens_details": {"text_tokens": in_text, "audio_tokens": in_audio},
        "output_tokens_details": {"text_tokens": out_text, "audio_tokens": out_audio},
    }


def resample_speech(pcm: bytes, from_rate: int, to_rate: int) -> bytes:
    """Speech at another rate (for `pcm16` at 16 kHz), by linear interpolation."""
    if from_rate == to_rate or not pcm:
        return pcm
    samples = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
    count = len(samples) * to_rate // from_rate
    times = np.arange(count) * (from_rate / to_rate)
    resampled = np.interp(times, np.arange(len(samples)), samples)
    return bytes(resampled.astype("<i2").tobytes())


# --- a spoken or written answer ---------------------------------------------


@dataclasses.dataclass
class ResponsePlan:
    """Everything one response sends, in order."""

    opening: list[dict[str, Any]]
    timed: list[tuple[float, dict[str, Any], str]]
    """(seconds into the speech, event, text it says) for each delta."""
    closing: Callable[[str, str, dict[str, Any]], list[dict[str, Any]]]
    """Closing events from (status, text said, usage)."""
    speech_seconds: float = 0.0


def _response(response_id: str, status: str, **fields: Any) -> dict[str, Any]:
    return {
        "id": response_id,
        "object": "realtime.response",
        "status": status,
        **fields,
    }


def message_response(  # noqa: PLR0913  # one answer's whole description
    *,
    response_id: str,
    item_id: str,
    text: str,
    pcm: bytes,
    sample_rate: int,
    piece_sizes: Sequence[int],
    modalities: Sequence[str],
    voice: str,
    output_format: str,
) -> ResponsePlan:
    """The events of an answer, spoken when `modalities` has audio."""
    spoken = "audio" in modalities
    common = {
        "modalities": list(modalities),
        "voice": voice,
        "output_audio_format": output_format,
    }
    where = {
        "response_id": response_id,
        "item_id": item_id,
        "output_index": 0,
        "content_index": 0,
    }
    item = {
        "id": item_id,
        "object": "realtime.item",
        "type": "message",
        "status": "in_progress",
        "role": "assistant",
        "content": [],
    }
    part_type = "audio" if spoken else "text"
    opening = [
        _event(
            "response.created",
            response=_response(response_id, "in_progress", output=[], **common),
        ),
        _event(
            "response.output_item.added",
            response_id=response_id,
            output_index=0,
            item=item,
        ),
        _event("conversation.item.created", item=item),
        _event(
            "response.content_part.added",
            **where,
            part={"type": part_type, "text": ""}
            if not spoken
            else {"type": "audio", "transcript": ""},
        ),
    ]
    words = re.findall(r"\s*\S+", text)
    seconds = len(pcm) / (_SAMPLE_BYTES * sample_rate) if spoken else 0.0
    text_kind = "response.audio_transcript.delta" if spoken else "response.text.delta"
    timed: list[tuple[float, dict[str, Any], str]] = [
        (seconds * i / max(len(words), 1), _event(text_kind, **where, delta=word), word)
        for i, word in enumerate(words)
    ]
    if spoken:
        position = 0
        for size in itertools.cycle(piece_sizes):
            if position >= len(pcm):
                break
            piece = pcm[position : position + size]
            at = position / (_SAMPLE_BYTES * sample_rate)
            delta = base64.b64encode(piece).decode("ascii")
            timed.append((at, _event("response.audio.delta", **where, delta=delta), ""))
            position += size
        timed.sort(key=lambda entry: (entry[0], entry[1]["type"] != text_kind))

    def closing(status: str, said: str, usage_: dict[str, Any]) -> list[dict[str, Any]]:
        done_status = "completed" if status == "completed" else "incomplete"
        content = (
            [{"type": "audio", "transcript": said}]
            if spoken
            else [{"type": "text", "text": said}]
        )
        final_item = {**item, "status": done_status, "content": content}
        events = []
        if spoken:
            events.append(_event("response.audio.done", **where))
            events.append(
                _event("response.audio_transcript.done", **where, transcript=said)
            )
        else:
            events.append(_event("response.text.done", **where, text=said))
        events += [
            _event("response.content_part.done", **where, part=content[0]),
            _event(
                "response.output_item.done",
                response_id=response_id,
                output_index=0,
                item=final_item,
            ),
            _event(
                "response.done",
                response=_response(
                    response_id, status, output=[final_item], usage=usage_, **common
                ),
            ),
        ]
        return events

    return ResponsePlan(opening, timed, closing, seconds)


def call_response(
    *,
    response_id: str,
    calls: Sequence[PlannedCall],
    modalities: Sequence[str],
    voice: str,
    usage_: dict[str, Any],
) -> list[dict[str, Any]]:
    """The events of an answer that calls tools, arguments streamed in pieces."""
    common = {"modalities": list(modalities), "voice": voice}
    events = [
        _event(
            "response.created",
            response=_response(response_id, "in_progress", output=[], **common),
        )
    ]
    finished = []
    for index, call in enumerate(calls):
        item_id = new_id("item")
        item = {
            "id": item_id,
            "object": "realtime.item",
            "type": "function_call",
            "status": "in_progress",
            "call_id": call.call_id,
            "name": call.name,
            "arguments": "",
        }
        where = {
            "response_id": response_id,
            "item_id": item_id,
            "output_index": index,
            "call_id": call.call_id,
        }
        events.append(
            _event(
                "response.output_item.added",
                response_id=response_id,
                output_index=index,
                item=item,
            )
        )
        events.append(_event("conversation.item.created", item=item))
        for start in range(0, len(call.arguments), ARGUMENT_PIECE_CHARS):
            piece = call.arguments[start : start + ARGUMENT_PIECE_CHARS]
            events.append(
                _event("response.function_call_arguments.delta", **where, delta=piece)
            )
        events.append(
            _event(
                "response.function_call_arguments.done",
                **where,
                name=call.name,
                arguments=call.arguments,
            )
        )
        done_item = {**item, "status": "completed", "arguments": call.arguments}
        events.append(
            _event(
                "response.output_item.done",
                response_id=response_id,
                output_index=index,
                item=done_item,
            )
        )
        finished.append(done_item)
    done = _response(response_id, "completed", output=finished, usage=usage_, **common)
    events.append(_event("response.done", response=done))
    return events
