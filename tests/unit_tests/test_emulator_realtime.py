"""The emulated realtime endpoint's pure parts: VAD, the facts it checks, answers."""

from __future__ import annotations

import base64

import numpy as np
import pytest

from langchain_qwen_omni.emulator.realtime_answers import (
    answer_text,
    call_response,
    message_response,
    plan_calls,
    resample_speech,
    transcription_events,
)
from langchain_qwen_omni.emulator.realtime_facts import check_session, model_facts
from langchain_qwen_omni.emulator.realtime_options import (
    RealtimeOptions,
    RealtimeState,
    RecordedSession,
    parse_header,
)
from langchain_qwen_omni.emulator.realtime_vad import EnergyVad, VadEvent, level_dbfs
from tests import media


def pcm(samples) -> bytes:
    return (np.asarray(samples) * 32767).astype("<i2").tobytes()


def silence(seconds: float) -> bytes:
    return bytes(int(seconds * 16_000) * 2)


# --- VAD ---------------------------------------------------------------------------


def test_vad_finds_a_turn_with_the_documented_timing():
    vad = EnergyVad()  # threshold 0.5, 800 ms of silence ends a turn
    events = vad.feed(
        silence(0.5) + pcm(media.tone(1.0, 16_000, 200.0)) + silence(0.79)
    )
    assert events == [VadEvent("started", 500)]
    assert vad.feed(silence(0.02)) == [VadEvent("stopped", 1500)]


def test_vad_results_do_not_depend_on_piece_sizes():
    audio = silence(0.3) + pcm(media.tone(0.6)) + silence(1.0)
    whole = EnergyVad().feed(audio)
    pieces = EnergyVad()
    split = [
        e for i in range(0, len(audio), 999) for e in pieces.feed(audio[i : i + 999])
    ]
    assert whole == split == [VadEvent("started", 300), VadEvent("stopped", 900)]


def test_vad_threshold_sets_how_loud_speech_must_be():
    quiet = pcm(0.003 * media.tone(0.5) / 0.5)  # about -50 dBFS RMS
    assert not EnergyVad(threshold=0.5).feed(quiet)
    assert EnergyVad(threshold=-0.5).feed(quiet)[0].kind == "started"
    assert level_dbfs(0.5) == -40.0


def test_vad_ignores_clicks_and_short_pauses():
    vad = EnergyVad(silence_duration_ms=500)
    click = pcm(media.tone(0.02))
    assert not vad.feed(silence(0.2) + click + silence(0.2))
    speech = pcm(media.tone(0.3))
    events = vad.feed(speech + silence(0.3) + speech + silence(0.6))
    assert [e.kind for e in events] == ["started", "stopped"]


# --- session checks ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "session", "param", "message"),
    [
        (
            "qwen3-omni-flash-realtime",
            {"modalities": ["audio"]},
            "session.modalities",
            (
                "Invalid modalities: ['audio']. Supported combinations are: "
                "['text'] and ['audio', 'text']."
            ),
        ),
        (
            "qwen-omni-turbo-realtime",
            {"voice": "Tina"},
            "session.voice",
            "Invalid voice: 'Tina'",
        ),
        (
            "qwen3-omni-flash-realtime",
            {"tools": [{"type": "function", "function": {"name": "f"}}]},
            "session.tools",
            "The tool call is not supported.",
        ),
        (
            "qwen3.5-omni-plus-realtime",
            {
                "tools": [{"type": "function", "function": {"name": "f"}}],
                "enable_search": True,
            },
            "session.tools",
            "cannot be used together",
        ),
        (
            "qwen3-omni-flash-realtime",
            {"turn_detection": {"type": "semantic_vad"}},
            "session.turn_detection.type",
            "semantic_vad",
        ),
        (
            "qwen3.5-omni-plus-realtime",
            {"turn_detection": {"silence_duration_ms": 50}},
            "session.turn_detection.silence_duration_ms",
            "Range: [200, 6000]",
        ),
        (
            "qwen-omni-turbo-realtime",
            {"output_audio_format": "pcm24"},
            "session.output_audio_format",
            "'pcm24'",
        ),
        (
            "qwen3.5-omni-plus-realtime",
            {"tools": [{"type": "function", "name": "flat"}]},
            "session.tools",
            "Invalid tools",
        ),
    ],
)
def test_refused_sessions_get_the_documented_error_shape(
    model, session, param, message
):
    facts = model_facts(model)
    assert facts is not None
    error = check_session(facts, session)
    assert error is not None
    assert error["type"] == "error"
    assert error["error"]["type"] == "invalid_request_error"
    assert error["error"]["code"] == "invalid_value"
    assert error["error"]["param"] == param
    assert message in error["error"]["message"]


def test_accepted_sessions_and_known_models():
    facts = model_facts("qwen3.5-omni-flash-realtime-2026-03-15")
    assert facts is not None
    good = {
        "modalities": ["audio", "text"],
        "voice": "Anyone",
        "turn_detection": None,
        "tools": [{"type": "function", "function": {"name": "f"}}],
    }
    assert check_session(facts, good) is None
    assert model_facts("qwen9-realtime") is None


# --- answers --------------------------------------------------------------------------


def test_a_spoken_answer_interleaves_text_before_its_speech():
    speech = bytes(range(200)) * 48  # 0.2 s at 24 kHz
    plan = message_response(
        response_id="r",
        item_id="i",
        text="Hello there you",
        pcm=speech,
        sample_rate=24_000,
        piece_sizes=(3001, 2999),
        modalities=["text", "audio"],
        voice="Tina",
        output_format="pcm24",
    )
    kinds = [event["type"] for _, event, _ in plan.timed]
    assert kinds[0] == "response.audio_transcript.delta"
    audio = [
        event["delta"]
        for _, event, _ in plan.timed
        if event["type"] == "response.audio.delta"
    ]
    assert b"".join(base64.b64decode(a) for a in audio) == speech
    assert [len(base64.b64decode(a)) for a in audio][:2] == [3001, 2999]
    times = [at for at, _, _ in plan.timed]
    assert times == sorted(times)
    assert max(times) < plan.speech_seconds == pytest.approx(0.2)
    closing = plan.closing("cancelled", "Hello", {"total_tokens": 1})
    done = closing[-1]
    assert done["type"] == "response.done"
    assert done["response"]["status"] == "cancelled"
    assert done["response"]["output"][0]["content"] == [
        {"type": "audio", "transcript": "Hello"}
    ]
    assert [e["type"] for e in closing[:2]] == [
        "response.audio.done",
        "response.audio_transcript.done",
    ]


def test_a_text_answer_uses_text_events():
    plan = message_response(
        response_id="r",
        item_id="i",
        text="Hi you",
        pcm=b"",
        sample_rate=24_000,
        piece_sizes=(10,),
        modalities=["text"],
        voice="Tina",
        output_format="pcm24",
    )
    assert {event["type"] for _, event, _ in plan.timed} == {"response.text.delta"}
    assert plan.closing("completed", "Hi you", {})[0]["type"] == "response.text.done"


def test_tools_named_in_the_turn_are_called_with_schema_arguments():
    tools = [
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "parameters": {
                    "type": "object",
                    "properties": {"city": {"type": "string"}},
                    "required": ["city"],
                },
            },
        },
        {
            "type": "function",
            "function": {
                "name": "get_time",
                "parameters": {
                    "type": "object",
                    "properties": {"hour": {"type": "integer"}},
                    "required": ["hour"],
                },
            },
        },
        {"type": "function", "function": {"name": "unused"}},
    ]
    calls = plan_calls(tools, "Get weather for me, and get_time at 7.")
    assert [(c.name, c.arguments) for c in calls] == [
        ("get_weather", '{"city": "emulated city"}'),
        ("get_time", '{"hour": 7}'),
    ]
    events = call_response(
        response_id="r",
        calls=calls,
        modalities=["text", "audio"],
        voice="Tina",
        usage_={},
    )
    done = [e for e in events if e["type"] == "response.function_call_arguments.done"]
    assert [(d["name"], d["arguments"], d["call_id"]) for d in done] == [
        (c.name, c.arguments, c.call_id) for c in calls
    ]
    pieces = "".join(
        e["delta"]
        for e in events
        if e["type"] == "response.function_call_arguments.delta"
        and e["call_id"] == calls[0].call_id
    )
    assert pieces == calls[0].arguments
    assert events[-1]["type"] == "response.done"
    assert [o["name"] for o in events[-1]["response"]["output"]] == [
        "get_weather",
        "get_time",
    ]
    assert plan_calls(tools, "nothing to do") == []


def test_answer_texts():
    assert answer_text("Hi", [], None) == "You said: 'Hi'."
    assert answer_text("Hi", [("f", "x")], None) == "The tools answered: f: 'x'."
    assert answer_text("Hi", [], "Fixed.") == "Fixed."
    deltas = transcription_events("u", "two words")
    assert [e.get("delta") for e in deltas[:-1]] == ["two", " words"]
    assert deltas[-1]["transcript"] == "two words"


def test_speech_resampled_to_16khz_keeps_its_length():
    speech = pcm(media.tone(0.3, 24_000, 300.0))
    assert len(resample_speech(speech, 24_000, 16_000)) == 0.3 * 16_000 * 2


# --- options and records -----------------------------------------------------------


def test_header_overrides_and_their_errors():
    assert parse_header("speed=0; session_seconds=2.5 ;drop_after_audio_deltas=3") == {
        "speed": 0.0,
        "session_seconds": 2.5,
        "drop_after_audio_deltas": 3,
    }
    assert parse_header("transcripts=Hi there | Thanks;answers=Ok") == {
        "transcripts": ("Hi there", "Thanks"),
        "answers": ("Ok",),
    }
    with pytest.raises(ValueError, match="unknown option 'loud'"):
        parse_header("loud=1")
    with pytest.raises(ValueError, match="speed must be a number"):
        parse_header("speed=fast")
    with pytest.raises(ValueError, match="speed"):
        RealtimeOptions(speed=-1)


def test_records_keep_media_as_sizes_and_scripts_count_across_sessions():
    record = RecordedSession(model="m", headers={})
    record.record(
        {
            "type": "input_audio_buffer.append",
            "audio": base64.b64encode(b"1234").decode(),
        }
    )
    record.record({"type": "input_image_buffer.append", "image": "%%%"})
    assert record.events == [
        {"type": "input_audio_buffer.append", "audio_bytes": 4},
        {"type": "input_image_buffer.append", "image_bytes": -1},
    ]
    state = RealtimeState()
    options = RealtimeOptions(
        transcripts=("a", "b"), drop_after_audio_deltas=2, drop_times=1
    )
    assert [state.next_transcript(options) for _ in range(3)] == ["a", "b", "a"]
    assert [state.take_drop(options), state.take_drop(options)] == [True, False]
    state.clear()
    assert state.next_transcript(options) == "a"
