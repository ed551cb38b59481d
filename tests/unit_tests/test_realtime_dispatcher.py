"""The realtime session's state machine, fed plain server events (no network).

Each test feeds the events a server might send, including the lenient cases
a separately written server may produce (missing ids, calls announced only
in `response.done`, no transcript deltas), and checks the typed events, the
client events to send and `messages`.
"""

from __future__ import annotations

import base64

from langchain_core.messages import AIMessage, HumanMessage, ToolMessage

from langchain_qwen_omni import OmniAudio
from langchain_qwen_omni.realtime.dispatcher import Actions, EventDispatcher
from langchain_qwen_omni.realtime.engine import is_fatal_error
from langchain_qwen_omni.realtime.events import (
    AssistantAudio,
    AssistantTranscriptDelta,
    ErrorEvent,
    ResponseDone,
    SpeechStarted,
    ToolCallFinished,
    ToolCallStarted,
    UserTranscriptCompleted,
)
from langchain_qwen_omni.realtime.tool_runner import ToolOutcome


def dispatcher(**kwargs) -> EventDispatcher:
    return EventDispatcher(
        model="qwen3.5-omni-plus-realtime", messages=[], sample_rate=24_000, **kwargs
    )


def feed(d: EventDispatcher, *events: dict) -> Actions:
    actions = Actions()
    for event in events:
        actions.extend(d.handle(event))
    return actions


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def of(kind, actions: Actions) -> list:
    return [e for e in actions.events if isinstance(e, kind)]


def test_speech_pieces_without_base64_padding_are_decoded():
    d = dispatcher()
    pcm = bytes(range(1, 41))  # two pieces of 20 bytes: each padded with one `=`
    pieces = [b64(pcm[:20]).rstrip("="), b64(pcm[20:]).rstrip("=")]
    actions = feed(
        d,
        *({"type": "response.audio.delta", "delta": p} for p in pieces),
        {"type": "response.done"},
    )
    assert b"".join(e.pcm for e in of(AssistantAudio, actions)) == pcm
    assert OmniAudio.from_message(of(ResponseDone, actions)[0].message).pcm == pcm


def test_a_server_that_sends_no_ids_still_gives_one_answer():
    d = dispatcher()
    actions = feed(
        d,
        {"type": "response.audio_transcript.delta", "delta": "Hi"},
        {"type": "response.audio.delta", "delta": b64(b"\x01\x00\x02\x00")},
        {"type": "response.audio_transcript.delta", "delta": " there"},
        {"type": "response.done"},
    )
    done = of(ResponseDone, actions)[0]
    assert done.message.text == "Hi there"
    assert OmniAudio.from_message(done.message).pcm == b"\x01\x00\x02\x00"
    assert d.messages == [done.message]
    assert d.idle


def test_odd_sized_pieces_are_yielded_as_whole_samples():
    d = dispatcher()
    pcm = bytes(range(256)) * 10
    pieces = [pcm[:1001], pcm[1001:1999], pcm[1999:]]
    actions = feed(
        d,
        {"type": "response.created", "response": {"id": "r1"}},
        *(
            {"type": "response.audio.delta", "response_id": "r1", "delta": b64(p)}
            for p in pieces
        ),
        {"type": "response.done", "response": {"id": "r1", "status": "completed"}},
    )
    audio = of(AssistantAudio, actions)
    assert all(len(a.pcm) % 2 == 0 for a in audio)
    assert b"".join(a.pcm for a in audio) == pcm
    assert OmniAudio.from_message(of(ResponseDone, actions)[0].message).pcm == pcm


def test_text_only_in_response_done_still_reaches_the_message():
    d = dispatcher()
    actions = feed(
        d,
        {"type": "response.created", "response": {"id": "r1"}},
        {
            "type": "response.done",
            "response": {
                "id": "r1",
                "status": "completed",
                "output": [
                    {
                        "type": "message",
                        "content": [{"type": "audio", "transcript": "Hello!"}],
                    }
                ],
                "usage": {
                    "input_tokens": 5,
                    "output_tokens": 7,
                    "total_tokens": 12,
                    "output_tokens_details": {"audio_tokens": 4},
                },
            },
        },
    )
    message = of(ResponseDone, actions)[0].message
    assert message.text == "Hello!"
    assert message.usage_metadata == {
        "input_tokens": 5,
        "output_tokens": 7,
        "total_tokens": 12,
        "output_token_details": {"audio": 4},
    }


def test_a_transcript_sent_whole_is_not_doubled():
    d = dispatcher()
    actions = feed(
        d,
        {"type": "response.created", "response": {"id": "r1"}},
        {
            "type": "response.audio_transcript.done",
            "response_id": "r1",
            "transcript": "Hi!",
        },
        {"type": "response.done", "response": {"id": "r1"}},
        {"type": "response.created", "response": {"id": "r2"}},
        {"type": "response.text.delta", "response_id": "r2", "delta": "Yes"},
        {"type": "response.text.done", "response_id": "r2", "text": "Yes"},
        {"type": "response.done", "response": {"id": "r2"}},
    )
    assert [e.delta for e in of(AssistantTranscriptDelta, actions)] == ["Hi!", "Yes"]
    assert [m.text for m in d.messages] == ["Hi!", "Yes"]


def test_a_call_announced_only_in_response_done_runs_then_goes_back():
    d = dispatcher()
    actions = feed(
        d,
        {"type": "response.created", "response": {"id": "r1"}},
        {
            "type": "response.done",
            "response": {
                "id": "r1",
                "output": [
                    {
                        "type": "function_call",
                        "call_id": "c1",
                        "name": "lookup",
                        "arguments": '{"q": 1}',
                    }
                ],
            },
        },
    )
    assert [(t.call_id, t.name, t.arguments) for t in actions.tools] == [
        ("c1", "lookup", '{"q": 1}')
    ]
    assert of(ToolCallStarted, actions)[0].args == {"q": 1}
    assert not actions.send  # the result is not there yet
    assert not d.idle
    message = ToolMessage(content="42", tool_call_id="c1", name="lookup")
    after = d.tool_finished(
        actions.tools[0], ToolOutcome(message, "42", is_error=False)
    )
    assert [e["type"] for e in after.send] == [
        "conversation.item.create",
        "response.create",
    ]
    assert after.send[0]["item"] == {
        "type": "function_call_output",
        "call_id": "c1",
        "output": "42",
    }
    assert of(ToolCallFinished, after)[0].output == "42"
    assert [type(m) for m in d.messages] == [AIMessage, ToolMessage]
    assert d.idle


def test_two_calls_start_at_once_and_answer_together():
    d = dispatcher()
    started = feed(
        d,
        {"type": "response.created", "response": {"id": "r1"}},
        {
            "type": "response.output_item.added",
            "response_id": "r1",
            "item": {"type": "function_call", "id": "i1", "call_id": "c1", "name": "a"},
        },
        {
            "type": "response.function_call_arguments.delta",
            "response_id": "r1",
            "item_id": "i1",
            "delta": "{}",
        },
        {
            "type": "response.function_call_arguments.done",
            "response_id": "r1",
            "item_id": "i1",
            "call_id": "c1",
        },
        {
            "type": "response.output_item.added",
            "response_id": "r1",
            "item": {"type": "function_call", "id": "i2", "call_id": "c2", "name": "b"},
        },
        {
            "type": "response.function_call_arguments.done",
            "response_id": "r1",
            "call_id": "c2",
            "name": "b",
            "arguments": '{"x": "y"}',
        },
    )
    assert [t.name for t in started.tools] == ["a", "b"]  # both before response.done
    done = feed(d, {"type": "response.done", "response": {"id": "r1"}})
    assert of(ResponseDone, done)[0].message.tool_calls == [
        {"name": "a", "args": {}, "id": "c1", "type": "tool_call"},
        {"name": "b", "args": {"x": "y"}, "id": "c2", "type": "tool_call"},
    ]
    first, second = started.tools
    outcome = ToolOutcome(
        ToolMessage(content="B", tool_call_id="c2"), "B", is_error=False
    )
    assert not d.tool_finished(second, outcome).send  # waits for the other call
    outcome = ToolOutcome(
        ToolMessage(content="A", tool_call_id="c1"), "A", is_error=False
    )
    sent = d.tool_finished(first, outcome).send
    assert [e.get("item", {}).get("call_id") for e in sent] == ["c1", "c2", None]
    assert [m.tool_call_id for m in d.messages if isinstance(m, ToolMessage)] == [
        "c1",
        "c2",
    ]


def test_speech_over_an_answer_cancels_it_and_drops_the_rest():
    d = dispatcher()
    before = feed(
        d,
        {"type": "response.created", "response": {"id": "r1"}},
        {
            "type": "response.audio_transcript.delta",
            "response_id": "r1",
            "delta": "Once upon",
        },
        {
            "type": "response.audio.delta",
            "response_id": "r1",
            "delta": b64(b"\x01\x00" * 4),
        },
    )
    barge = feed(
        d,
        {
            "type": "input_audio_buffer.speech_started",
            "item_id": "u2",
            "audio_start_ms": 900,
        },
    )
    assert barge.send[0]["type"] == "response.cancel"
    assert barge.send[0]["response_id"] == "r1"
    assert of(SpeechStarted, barge)[0] == SpeechStarted("u2", 900, "r1")
    assert "r1" in d.interrupted
    after = feed(
        d,
        {
            "type": "response.audio_transcript.delta",
            "response_id": "r1",
            "delta": " a time",
        },
        {
            "type": "response.audio.delta",
            "response_id": "r1",
            "delta": b64(b"\x02\x00" * 4),
        },
        {
            "type": "error",
            "error": {
                "code": "response_cancel_not_active",
                "message": "no active response",
            },
        },
        {"type": "response.done", "response": {"id": "r1", "status": "cancelled"}},
    )
    assert not of(AssistantAudio, after)
    assert not of(AssistantTranscriptDelta, after)
    assert not of(ErrorEvent, after)  # the refusal of the redundant cancel
    done = of(ResponseDone, after)[0]
    assert (done.status, done.interrupted, done.message.text) == (
        "cancelled",
        True,
        "Once upon",
    )
    assert OmniAudio.from_message(done.message).pcm == b"\x01\x00" * 4
    assert of(AssistantAudio, before)


def test_without_barge_in_speech_does_not_cancel():
    d = dispatcher(barge_in=False)
    feed(d, {"type": "response.created", "response": {"id": "r1"}})
    actions = feed(d, {"type": "input_audio_buffer.speech_started"})
    assert not actions.send
    assert of(SpeechStarted, actions)[0].interrupted_response is None


def test_other_errors_are_events():
    d = dispatcher()
    actions = feed(
        d,
        {
            "type": "error",
            "error": {
                "type": "invalid_request_error",
                "code": "invalid_value",
                "message": "Invalid voice",
                "param": "session.voice",
            },
        },
    )
    assert of(ErrorEvent, actions) == [
        ErrorEvent(
            "Invalid voice", "invalid_value", "session.voice", "invalid_request_error"
        )
    ]


def test_the_user_turn_keeps_its_place_when_its_transcript_comes_late():
    d = dispatcher()
    actions = feed(
        d,
        {"type": "input_audio_buffer.committed", "item_id": "u1"},
        {"type": "response.created", "response": {"id": "r1"}},
        {"type": "response.text.delta", "response_id": "r1", "delta": "Sure."},
        {"type": "response.done", "response": {"id": "r1"}},
        {
            "type": "conversation.item.input_audio_transcription.completed",
            "item_id": "u1",
            "transcript": "Can you help?",
        },
    )
    assert [type(m) for m in d.messages] == [HumanMessage, AIMessage]
    assert d.messages[0].text == "Can you help?"
    assert d.messages[0].id == "u1"
    assert of(UserTranscriptCompleted, actions)[0].transcript == "Can you help?"


def test_user_turns_without_item_ids_are_one_message_each():
    d = dispatcher()
    for words in (["Hel", "lo"], ["Bye"]):
        feed(
            d,
            {"type": "input_audio_buffer.committed"},
            *(
                {
                    "type": "conversation.item.input_audio_transcription.delta",
                    "delta": word,
                }
                for word in words
            ),
            {
                "type": "conversation.item.input_audio_transcription.completed",
                "transcript": "".join(words),
            },
        )
    assert [(type(m), m.text) for m in d.messages] == [
        (HumanMessage, "Hello"),
        (HumanMessage, "Bye"),
    ]


def test_a_failed_transcription_is_an_error_event_and_marks_the_turn():
    d = dispatcher()
    actions = feed(
        d,
        {
            "type": "conversation.item.input_audio_transcription.failed",
            "item_id": "u1",
            "error": {"code": "asr_error", "message": "could not transcribe"},
        },
    )
    assert of(ErrorEvent, actions)[0].message == "could not transcribe"
    assert d.messages[0].additional_kwargs["transcription"] == "failed"


def test_a_lost_connection_ends_the_answer_and_keeps_the_tool_results_home():
    d = dispatcher()
    started = feed(
        d,
        {"type": "response.created", "response": {"id": "r1"}},
        {
            "type": "response.function_call_arguments.done",
            "response_id": "r1",
            "call_id": "c1",
            "name": "slow",
            "arguments": "{}",
        },
        {"type": "response.done", "response": {"id": "r1"}},
        {"type": "response.created", "response": {"id": "r2"}},
        {
            "type": "response.audio_transcript.delta",
            "response_id": "r2",
            "delta": "Half",
        },
    )
    lost = d.connection_lost()
    done = of(ResponseDone, lost)[0]
    assert (done.response_id, done.status, done.message.text) == (
        "r2",
        "incomplete",
        "Half",
    )
    outcome = ToolOutcome(
        ToolMessage(content="ok", tool_call_id="c1"), "ok", is_error=False
    )
    after = d.tool_finished(started.tools[0], outcome)
    assert not after.send  # the new connection does not know the call
    assert isinstance(d.messages[-1], ToolMessage)
    assert d.idle


def test_late_and_broken_events_are_ignored():
    d = dispatcher()
    feed(
        d,
        {"type": "response.created", "response": {"id": "r1"}},
        {"type": "response.done", "response": {"id": "r1"}},
    )
    actions = feed(
        d,
        {
            "type": "response.audio.delta",
            "response_id": "r1",
            "delta": b64(b"\x00\x00"),
        },
        {"type": "response.audio.delta", "response_id": "r2", "delta": "not base64!"},
        {"type": "something.new", "whatever": 1},
        {"type": 42},
        {},
    )
    assert not actions.events
    assert not actions.send


def test_a_late_or_repeated_response_done_is_ignored():
    d = dispatcher()
    closed = feed(
        d,
        {"type": "response.created", "response": {"id": "r1"}},
        {"type": "response.text.delta", "response_id": "r1", "delta": "Cut"},
        {"type": "response.created", "response": {"id": "r2"}},  # r1 never ended
        {"type": "response.text.delta", "response_id": "r2", "delta": "Next"},
    )
    assert [e.status for e in of(ResponseDone, closed)] == ["incomplete"]
    late = feed(
        d,
        {"type": "response.done", "response": {"id": "r1", "status": "completed"}},
        {"type": "response.done", "response": {"id": "r2", "status": "completed"}},
        {"type": "response.done", "response": {"id": "r2", "status": "completed"}},
    )
    done = of(ResponseDone, late)
    assert [(e.response_id, e.message.text) for e in done] == [("r2", "Next")]
    assert [m.text for m in d.messages] == ["Cut", "Next"]
    assert d.idle


def test_fatal_errors_are_told_from_passing_ones():
    assert is_fatal_error(
        {"code": "InvalidApiKey", "message": "Invalid API-key provided."}
    )
    assert is_fatal_error({"code": "Arrearage", "message": "Access denied"})
    assert is_fatal_error({"code": "model_not_found"})
    assert not is_fatal_error({"code": "invalid_value", "message": "Invalid voice"})
    assert not is_fatal_error({"code": "input_audio_buffer_commit_empty"})
