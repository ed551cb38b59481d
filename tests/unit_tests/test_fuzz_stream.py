"""Fuzzing the stream parser with valid JSON of every wrong shape.

A proxy, a new API version or a bug can send events that parse as JSON but
are not the chunks the assembler expects. Whatever arrives, `feed` and
`finish` end in a correct message or an `OmniStreamError`, never another
exception, and the text and speech received before a bad event are all in
the error's `.partial`.
"""

import base64
import binascii
import copy
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import event as note
from hypothesis import strategies as st

from langchain_qwen_omni import OmniAudio, OmniStreamError
from langchain_qwen_omni._stream import FINISH_REASONS, StreamAssembler
from tests import wire
from tests.strategies import json_values as shared_json_values

EXAMPLES = settings(
    max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)

json_values = shared_json_values(max_int=2**70, max_text=8, max_leaves=8) | st.one_of(
    st.sampled_from([1e999, -1e999, 10**400, -1, "null", "None", "", "STOP"]),
    st.floats(),  # NaN and infinities: json.loads reads NaN, Infinity and 1e999
)
"""Any JSON value `json.loads` can hand the assembler, hostile numbers included."""


# --- good events -------------------------------------------------------------------

text_event = st.text(min_size=1, max_size=6).map(wire.text)
audio_event = st.binary(min_size=1, max_size=40).map(wire.audio)
reasoning_event = st.text(min_size=1, max_size=6).map(
    lambda r: wire.event({"reasoning_content": r})
)
tool_event = st.builds(
    lambda index, name, args: wire.event(
        {
            "tool_calls": [
                {
                    "index": index,
                    "id": f"call_{index}",
                    "type": "function",
                    "function": {"name": name, "arguments": args},
                }
            ]
        }
    ),
    st.integers(0, 2),
    st.sampled_from(["get_weather", "lookup"]),
    st.sampled_from(['{"city": ', '"Paris"}', "{}", ""]),
)
good_event = st.one_of(
    text_event,
    text_event,
    audio_event,
    reasoning_event,
    tool_event,
    st.just(wire.stop()),
    st.builds(
        lambda n: wire.usage(completion_tokens_details={"audio_tokens": n}),
        st.integers(0, 99),
    ),
)

# --- wrong shapes: one field of a good event replaced by any JSON --------------------

PLACES = [
    (),
    ("choices",),
    ("choices", 0),
    ("choices", 0, "delta"),
    ("choices", 0, "delta", "content"),
    ("choices", 0, "delta", "audio"),
    ("choices", 0, "delta", "audio", "data"),
    ("choices", 0, "delta", "reasoning_content"),
    ("choices", 0, "delta", "tool_calls"),
    ("choices", 0, "delta", "tool_calls", 0),
    ("choices", 0, "delta", "tool_calls", 0, "index"),
    ("choices", 0, "delta", "tool_calls", 0, "function"),
    ("choices", 0, "delta", "tool_calls", 0, "function", "name"),
    ("choices", 0, "delta", "tool_calls", 0, "function", "arguments"),
    ("choices", 0, "finish_reason"),
    ("usage",),
    ("usage", "prompt_tokens"),
    ("usage", "prompt_tokens_details"),
    ("usage", "completion_tokens_details"),
    ("id",),
    ("model",),
]


def replaced(event: dict[str, Any], place: tuple[Any, ...], value: Any) -> Any:
    """`event` with the value at `place` replaced (or added), when the path exists."""
    if not place:
        return value
    result = copy.deepcopy(event)
    holder: Any = result
    for step in place[:-1]:
        if not _has(holder, step):
            return result  # the path is not in this kind of event
        holder = holder[step]
    if isinstance(holder, dict) or (
        isinstance(holder, list) and place[-1] < len(holder)
    ):
        holder[place[-1]] = value
    return result


odd_event = st.builds(replaced, good_event, st.sampled_from(PLACES), json_values)
events = st.lists(st.one_of(good_event, good_event, odd_event), max_size=12)


# --- a reference reading of what an event carries ------------------------------------


def text_of(event: Any) -> str:
    """The answer text an event carries where a chunk has it, as plain data."""
    pieces = []
    for choice in _list(_get(event, "choices")):
        content = _get(_get(choice, "delta"), "content")
        if isinstance(content, str):
            pieces.append(content)
    return "".join(pieces)


def pcm_of(event: Any) -> bytes:
    pcm = b""
    for choice in _list(_get(event, "choices")):
        data = _get(_get(_get(choice, "delta"), "audio"), "data")
        if isinstance(data, str) and data:
            try:
                pcm += base64.b64decode(data, validate=True)
            except (binascii.Error, ValueError):
                return pcm
    return pcm


def _has(holder: Any, step: Any) -> bool:
    if isinstance(holder, dict):
        return step in holder
    return isinstance(holder, list) and isinstance(step, int) and step < len(holder)


def _get(value: Any, key: str) -> Any:
    return value.get(key) if isinstance(value, dict) else None


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


@dataclass
class Fed:
    """What went into the assembler before it stopped."""

    text: str = ""
    pcm: bytes = b""
    finished: bool = False
    error: OmniStreamError | None = None
    bad: Any = None
    chunk_text: list[str] = field(default_factory=list)


def feed_all(assembler: StreamAssembler, stream: list[Any]) -> Fed:
    fed = Fed()
    for event in stream:
        try:
            chunks = assembler.feed(event)
        except OmniStreamError as exc:
            fed.error, fed.bad = exc, event
            return fed
        fed.text += text_of(event)
        fed.pcm += pcm_of(event)
        fed.finished = fed.finished or any(
            isinstance(reason := _get(c, "finish_reason"), str)
            and reason in FINISH_REASONS
            for c in _list(_get(event, "choices"))
        )
        fed.chunk_text.extend(c.text for c in chunks)
    return fed


@EXAMPLES
@given(stream=events, speech=st.booleans())
def test_any_events_end_in_a_message_or_a_stream_error(
    stream: list[Any], *, speech: bool
) -> None:
    assembler = StreamAssembler(speech=speech)
    fed = feed_all(assembler, stream)
    if fed.error is not None:
        note("a bad event")
        partial = fed.error.partial
        # nothing received before the bad event is lost; the bad event may
        # have added its own text or speech before it was found wrong
        assert partial.text.startswith(fed.text)
        assert len(partial.text) <= len(fed.text) + len(text_of(fed.bad))
        received = OmniAudio.from_message(partial).pcm if fed.pcm else b""
        assert received.startswith(fed.pcm)
        return
    assert "".join(fed.chunk_text) == fed.text  # chunks carry the same text
    try:
        last = assembler.finish()
    except OmniStreamError as exc:
        note("no finish_reason")
        partial = exc.partial
        assert not fed.finished
        assert partial.text == fed.text
        return
    note("a message")
    assert fed.finished
    message = assembler.message()
    assert message.text == fed.text
    assert last.message.chunk_position == "last"  # type: ignore[attr-defined]
    if fed.pcm:
        assert OmniAudio.from_message(message).pcm == fed.pcm
    for call in message.tool_calls:
        assert isinstance(call["args"], dict)


@EXAMPLES
@given(value=json_values)
def test_any_json_value_as_one_event(value: Any) -> None:
    assembler = StreamAssembler(speech=True)
    try:
        assembler.feed(value)
        assembler.feed(wire.stop())
        assembler.finish()
        assembler.message()
    except OmniStreamError as exc:
        partial = exc.partial
        assert partial.text == ""


def test_a_bad_tool_call_piece_does_not_spoil_what_came_before() -> None:
    # Found by this fuzzing: a name that is no string used to be kept, and
    # building `.partial` then failed with pydantic's ValidationError.
    call = {"index": 0, "id": "call_1", "function": {"name": [], "arguments": "{}"}}
    assembler = StreamAssembler(speech=False)
    assembler.feed(wire.text("Hi"))
    with pytest.raises(OmniStreamError, match=r"function\.name is list") as info:
        assembler.feed(wire.event({"tool_calls": [call]}))
    assert info.value.partial.text == "Hi"
    assert info.value.partial.tool_call_chunks == []
    assembler.feed(wire.stop())
    assembler.finish()
    assert assembler.message().text == "Hi"
