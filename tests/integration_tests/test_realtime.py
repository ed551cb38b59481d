"""Realtime sessions against the emulator's WebSocket endpoint, over loopback.

The first test is the issue's acceptance scenario: three spoken turns, one
interrupted by the user mid-answer, one answered after two tools ran at the
same time; it checks the transcripts, the audio, the tool results that
reached the server and `session.messages`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import gc
import logging
import time
from typing import TYPE_CHECKING

import numpy as np
import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage
from langchain_core.tools import tool

from langchain_qwen_omni import ChatQwenOmni, OmniAudio
from langchain_qwen_omni._probe import image_size
from langchain_qwen_omni.errors import OmniInputError
from langchain_qwen_omni.realtime import (
    AssistantAudio,
    AssistantTranscriptDelta,
    ErrorEvent,
    OmniRealtimeConnectionError,
    OmniRealtimeError,
    QwenOmniRealtime,
    ResponseDone,
    SessionReconnected,
    SpeechStarted,
    SpeechStopped,
    ToolCallFinished,
    ToolCallStarted,
    UserTranscriptCompleted,
    UserTranscriptDelta,
)
from tests import media

if TYPE_CHECKING:
    from langchain_qwen_omni.emulator.realtime_options import RecordedSession

pytestmark = pytest.mark.timeout(60)

KEY = "sk-realtime-secret-4242"
STORY = (
    "Once upon a time, in a valley between two quiet rivers, there lived a "
    "clockmaker who built clocks that ran backwards, and every evening the "
    "whole village gathered to watch the hands unwind the day, hoping to "
    "catch a minute they had lost that morning, and some of them did."
)
TURNS = (
    "Tell me a long story.",
    (
        "Stop. What is the weather in Paris and the time in Tokyo? "
        "Ask get_weather and get_time."
    ),
    "Thanks, that is all.",
)


def speech(seconds: float = 0.8, rate: int = 16_000, frequency: float = 220.0):
    """A loud tone: the emulator's VAD hears it as speech."""
    return media.tone(seconds, rate, frequency)


@pytest.fixture
def rt(emu):
    """The shared emulator with fresh realtime options and records."""
    emu.realtime.reset()
    return emu


def session(emu, **fields) -> QwenOmniRealtime:
    fields.setdefault("api_key", KEY)
    return QwenOmniRealtime(base_url=emu.base_url, **fields)


async def until(stream, events: list, predicate, limit: float = 20.0):
    """Collect events into `events` until one matches; return that one."""

    async def run():
        async for event in stream:
            events.append(event)
            if predicate(event):
                return event
        msg = "the session ended first"
        raise AssertionError(msg)

    return await asyncio.wait_for(run(), limit)


def final_answer(event) -> bool:
    return isinstance(event, ResponseDone) and not event.has_tool_calls


def spoken_answer(event) -> bool:
    """A final answer the user did not interrupt."""
    return final_answer(event) and not event.interrupted


# --- the acceptance scenario ---------------------------------------------------


@dataclasses.dataclass
class Conversation:
    """What one run of the scenario produced, for the checks below."""

    events: list
    messages: list
    recorded: RecordedSession
    interrupted_id: str
    answer2: AIMessage
    answer3: AIMessage
    runs: dict[str, tuple[float, float]]


def timed_tools(runs: dict[str, tuple[float, float]]) -> list:
    """Two async tools that take 0.4 s each and note when they ran."""

    @tool
    async def get_weather(city: str) -> str:
        """The current weather in a city."""
        start = time.monotonic()
        await asyncio.sleep(0.4)
        runs["get_weather"] = (start, time.monotonic())
        return f"Sunny, 21 C in {city}"

    @tool
    async def get_time(city: str) -> str:
        """The local time in a city."""
        start = time.monotonic()
        await asyncio.sleep(0.4)
        runs["get_time"] = (start, time.monotonic())
        return f"09:30 in {city}"

    return [get_weather, get_time]


async def three_turns(emu) -> Conversation:
    """Turn 1 gets a long answer; turn 2 interrupts it and needs two tools."""
    emu.realtime.reset(
        speed=4.0, transcripts=TURNS, answers=(STORY, "You are welcome.")
    )
    runs: dict[str, tuple[float, float]] = {}
    events: list = []
    agent = session(emu, tools=timed_tools(runs), instructions="Be brief.")
    async with agent:
        await agent.send_audio(speech(1.0), 16_000)
        await agent.end_turn()
        await until(agent, events, lambda e: isinstance(e, AssistantAudio))
        first = await until(agent, events, lambda e: isinstance(e, AssistantAudio))
        # the user speaks over the answer (at 48 kHz, as microphones do)
        await agent.send_audio(speech(1.2, 48_000, 330.0), 48_000)
        await agent.end_turn()
        answer2 = await until(agent, events, spoken_answer)
        await agent.send_audio(speech(0.6), 16_000)
        await agent.end_turn()
        answer3 = await until(agent, events, spoken_answer)
    return Conversation(
        events,
        agent.messages,
        emu.realtime.sessions[-1],
        first.response_id,
        answer2.message,
        answer3.message,
        runs,
    )


def of(kind, events):
    return [e for e in events if isinstance(e, kind)]


def check_transcripts(talk: Conversation) -> None:
    completed = of(UserTranscriptCompleted, talk.events)
    assert [e.transcript for e in completed] == list(TURNS)
    live = "".join(e.delta for e in of(UserTranscriptDelta, talk.events))
    assert live == "".join(TURNS)
    answer3 = talk.answer3
    said = of(AssistantTranscriptDelta, talk.events)
    assert "".join(e.delta for e in said if e.response_id == answer3.id) == answer3.text


def check_barge_in(talk: Conversation) -> None:
    cut = of(ResponseDone, talk.events)[0]
    assert cut.response_id == talk.interrupted_id
    assert cut.interrupted
    assert cut.status == "cancelled"
    barge = next(e for e in of(SpeechStarted, talk.events) if e.interrupted_response)
    assert barge.interrupted_response == talk.interrupted_id
    later = of(AssistantAudio, talk.events[talk.events.index(barge) :])
    assert not [e for e in later if e.response_id == talk.interrupted_id]
    said = cut.message.text
    assert said
    assert STORY.startswith(said)
    assert len(said) < len(STORY)
    assert 0 < OmniAudio.from_message(cut.message).duration < 8.0
    assert talk.recorded.of_type("response.cancel")
    assert not of(ErrorEvent, talk.events)  # the redundant cancel is absorbed


def check_tools(talk: Conversation) -> None:
    started = of(ToolCallStarted, talk.events)
    finished = of(ToolCallFinished, talk.events)
    assert [e.name for e in started] == ["get_weather", "get_time"]
    assert {e.name for e in finished} == {"get_weather", "get_time"}
    assert not [e for e in finished if e.is_error]
    (w_start, w_end), (t_start, t_end) = talk.runs["get_weather"], talk.runs["get_time"]
    assert t_start < w_end
    assert w_start < t_end  # the two runs overlap
    outputs = talk.recorded.of_type("conversation.item.create")
    assert {o["item"]["call_id"] for o in outputs} == {e.call_id for e in started}
    assert sorted(o["item"]["output"] for o in outputs) == [
        "09:30 in emulated city",
        "Sunny, 21 C in emulated city",
    ]
    types = [e["type"] for e in talk.recorded.events]
    last_output = max(i for i, t in enumerate(types) if t == "conversation.item.create")
    assert "response.create" in types[last_output:]
    assert talk.answer2.text == (
        "The tools answered: get_weather: 'Sunny, 21 C in emulated city'; "
        "get_time: '09:30 in emulated city'."
    )
    assert talk.answer3.text == "You are welcome."


def check_audio(talk: Conversation) -> None:
    pieces = of(AssistantAudio, talk.events)
    assert all(len(e.pcm) % 2 == 0 and e.sample_rate == 24_000 for e in pieces)
    for answer in (talk.answer2, talk.answer3):
        audio = OmniAudio.from_message(answer)
        yielded = b"".join(e.pcm for e in pieces if e.response_id == answer.id)
        assert audio.pcm == yielded
        assert audio.sample_rate == 24_000
        assert audio.transcript == answer.text
        assert audio.duration >= 0.5
        assert np.abs(audio.to_numpy()).max() > 1000


def check_messages(talk: Conversation) -> None:
    messages = talk.messages
    assert [type(m).__name__ for m in messages] == [
        "HumanMessage", "AIMessage", "HumanMessage", "AIMessage",
        "ToolMessage", "ToolMessage", "AIMessage", "HumanMessage", "AIMessage",
    ]  # fmt: skip
    assert [m.text for m in messages if isinstance(m, HumanMessage)] == list(TURNS)
    assert messages[1].response_metadata["interrupted"] is True
    calls = messages[3].tool_calls
    assert [c["name"] for c in calls] == ["get_weather", "get_time"]
    assert [c["args"] for c in calls] == [{"city": "emulated city"}] * 2
    tool_messages = [m for m in messages if isinstance(m, ToolMessage)]
    assert [m.tool_call_id for m in tool_messages] == [c["id"] for c in calls]
    assert messages[6] is talk.answer2
    assert messages[8] is talk.answer3
    assert talk.answer3.usage_metadata["output_token_details"]["audio"] > 0


async def test_three_turns_with_barge_in_and_two_concurrent_tools(rt):
    talk = await three_turns(rt)

    check_transcripts(talk)
    check_barge_in(talk)
    check_tools(talk)
    check_audio(talk)
    check_messages(talk)
    # a text model carries on from the spoken conversation
    chat = ChatQwenOmni(base_url=rt.base_url, api_key=KEY, max_retries=0)
    follow_up = await chat.ainvoke([*talk.messages, HumanMessage("Summarize it.")])
    assert "Summarize it." in follow_up.text
    sent = rt.requests[-1].body["messages"]
    assert any("You are welcome." in str(m.get("content")) for m in sent)


# --- what reaches the server ------------------------------------------------------


async def test_session_update_follows_the_family_schema(rt):
    rt.realtime.reset(speed=0)
    async with session(rt, instructions="Be brief.", voice="Tina") as live:
        assert live.session_id
    update = rt.realtime.sessions[-1].of_type("session.update")[0]["session"]
    assert update == {
        "modalities": ["text", "audio"],
        "voice": "Tina",
        "input_audio_format": "pcm16",
        "output_audio_format": "pcm24",
        "instructions": "Be brief.",
        "turn_detection": {
            "type": "server_vad",
            "threshold": 0.5,
            "prefix_padding_ms": 300,
            "silence_duration_ms": 800,
            "create_response": True,
            "interrupt_response": True,
        },
    }
    recorded = rt.realtime.sessions[-1]
    assert recorded.model == "qwen3.5-omni-plus-realtime"
    assert recorded.headers["authorization"] == f"Bearer {KEY}"
    assert recorded.closed == "finished"  # session.finish, then session.finished


@pytest.mark.parametrize(
    ("model", "voice", "output_format"),
    [
        ("qwen3-omni-flash-realtime", "Cherry", "pcm24"),
        ("qwen-omni-turbo-realtime", "Chelsie", "pcm16"),
        ("qwen3.5-omni-flash-realtime-2026-03-15", "Tina", "pcm24"),
    ],
)
async def test_each_family_gets_its_default_voice_and_format(
    rt, model, voice, output_format
):
    rt.realtime.reset(speed=0)
    async with session(rt, model=model) as live:
        await live.send_audio(speech(0.5), 16_000)
        await live.end_turn()
        answer = await live.next_answer(timeout=10)
    update = rt.realtime.sessions[-1].of_type("session.update")[0]["session"]
    assert (update["voice"], update["output_audio_format"]) == (voice, output_format)
    assert OmniAudio.from_message(answer).sample_rate == 24_000


async def test_audio_is_resampled_to_16khz_mono_in_100ms_pieces(rt):
    rt.realtime.reset(speed=0)
    rate = 44_100
    stereo = np.stack([speech(1.0, rate, 500.0), speech(1.0, rate, 500.0)], axis=1)
    pcm = (stereo * 32767).astype("<i2").tobytes()
    async with session(rt, turn_detection=None) as live:
        seconds = await live.send_audio(pcm, rate, channels=2)
        await live.send_audio(media.wav(0.5, 8_000))  # a WAV file's bytes
    recorded = rt.realtime.sessions[-1]
    sizes = [e["audio_bytes"] for e in recorded.of_type("input_audio_buffer.append")]
    assert abs(seconds - 1.0) < 0.01
    assert max(sizes) == 3200  # 100 ms of 16 kHz PCM16
    assert len(recorded.audio) == pytest.approx(1.5 * 32_000, abs=8)
    samples = np.frombuffer(bytes(recorded.audio[:32_000]), dtype="<i2")
    spectrum = np.abs(np.fft.rfft(samples))
    assert np.argmax(spectrum) * 16_000 / len(samples) == pytest.approx(500, abs=2)


async def test_a_long_recording_does_not_stall_the_event_loop(rt):
    rt.realtime.reset(speed=0)
    recording = media.tone(120.0, 48_000, 440.0)  # two minutes at 48 kHz
    gaps: list[float] = []
    done = asyncio.Event()

    async def ticker():
        last = time.perf_counter()
        while not done.is_set():
            await asyncio.sleep(0.001)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    async with session(rt, turn_detection=None) as live:
        # A full garbage-collector pass over the whole test process (thousands
        # of tests' objects) can take longer than the bound by itself: it is
        # not the session's work, so it waits until the measure is taken.
        gc.collect()
        gc.disable()
        try:
            ticks = asyncio.create_task(ticker())
            seconds = await live.send_audio(recording, 48_000)
            done.set()
            await ticks
        finally:
            gc.enable()
    assert seconds == pytest.approx(120.0, abs=0.01)
    assert len(rt.realtime.sessions[-1].audio) == pytest.approx(120 * 32_000, abs=4)
    assert max(gaps) < 0.05, max(gaps)  # about 15 ms, the emulator sharing the GIL


async def test_manual_turns_commit_and_respond(rt):
    rt.realtime.reset(speed=0, transcripts=("What is two plus two?",))
    async with session(rt, turn_detection=None) as live:
        await live.send_audio(speech(0.5), 16_000)
        await live.commit()
        await live.respond()
        events: list = []
        done = await until(live, events, final_answer)
    assert done.message.text == "You said: 'What is two plus two?'."
    assert not [e for e in events if isinstance(e, (SpeechStarted, SpeechStopped))]
    update = rt.realtime.sessions[-1].of_type("session.update")[0]["session"]
    assert update["turn_detection"] is None
    assert [m.text for m in live.messages] == [
        "What is two plus two?",
        done.message.text,
    ]


async def test_text_answers_without_speech(rt):
    rt.realtime.reset(speed=0, transcripts=("Hello",))
    async with session(rt, modalities=["text"]) as live:
        await live.send_audio(speech(0.5), 16_000)
        await live.end_turn()
        events: list = []
        done = await until(live, events, final_answer)
    assert done.message.text == "You said: 'Hello'."
    assert "audio" not in done.message.additional_kwargs
    assert not [e for e in events if isinstance(e, AssistantAudio)]
    assert (
        "".join(e.delta for e in events if isinstance(e, AssistantTranscriptDelta))
        == done.message.text
    )


async def test_images_only_after_audio_and_within_limits(rt):
    rt.realtime.reset(speed=0)
    async with session(rt, turn_detection=None) as live:
        with pytest.raises(OmniInputError, match="needs audio first"):
            await live.send_image(media.jpeg(64, 48))
        await live.send_audio(speech(0.3), 16_000)
        await live.send_image(media.jpeg(64, 48))
        await live.send_image(media.rgb_array(2400, 1350))  # scaled into 1080p
        with pytest.raises(OmniInputError, match="not a JPEG"):
            await live.send_image(media.png(8, 8))
    recorded = rt.realtime.sessions[-1]
    assert len(recorded.images) == 2
    assert recorded.images[0] == media.jpeg(64, 48)
    assert image_size(recorded.images[1]) == (1920, 1080)


async def test_a_session_continues_a_message_history(rt):
    rt.realtime.reset(speed=0)
    history = [
        SystemMessage("You are a pirate."),
        HumanMessage("What is your ship called?"),
        AIMessage("The Black Pearl."),
    ]
    async with session(
        rt, messages=history, instructions="Answer in one line."
    ) as live:
        pass
    instructions = rt.realtime.sessions[-1].of_type("session.update")[0]["session"][
        "instructions"
    ]
    assert instructions.startswith("Answer in one line.\n\nYou are a pirate.")
    assert (
        "User: What is your ship called?\nAssistant: The Black Pearl." in instructions
    )
    assert live.messages == history
    assert live.messages is not history  # the caller's list is not grown


# --- tools ------------------------------------------------------------------------


async def test_a_failing_tool_sends_its_error_to_the_model(rt):
    rt.realtime.reset(speed=0, transcripts=("Please call lookup.",))

    @tool
    def lookup(query: str) -> str:
        """Look something up."""
        msg = f"index offline for {query}"
        raise ValueError(msg)

    async with session(rt, tools=[lookup]) as live:
        await live.send_audio(speech(0.5), 16_000)
        await live.end_turn()
        events: list = []
        answer = (await until(live, events, final_answer)).message
    failed = next(e for e in events if isinstance(e, ToolCallFinished))
    assert failed.is_error
    assert failed.output == "Error: ValueError: index offline for emulated query"
    assert failed.message.status == "error"
    assert (
        answer.text == "The tools answered: lookup: "
        "'Error: ValueError: index offline for emulated query'."
    )


# --- reconnection ------------------------------------------------------------------


async def test_reconnects_before_the_session_cap_and_keeps_the_conversation(rt):
    rt.realtime.reset(speed=0, transcripts=("My name is Ada.", "What is my name?"))
    async with session(rt, max_session_seconds=0.6) as live:
        await live.send_audio(speech(0.5), 16_000)
        await live.end_turn()
        first = await live.next_answer(timeout=10)
        events: list = []
        reconnected = await until(
            live, events, lambda e: isinstance(e, SessionReconnected)
        )
        await live.send_audio(speech(0.5), 16_000)
        await live.end_turn()
        second = await live.next_answer(timeout=10)
    assert reconnected.reason == "session cap"
    sessions = rt.realtime.sessions
    assert len(sessions) >= 2
    replay = sessions[1].of_type("session.update")[0]["session"]["instructions"]
    assert "User: My name is Ada.\nAssistant: You said: 'My name is Ada.'." in replay
    assert second.text == "You said: 'What is my name?'."
    assert [m.text for m in live.messages] == [
        "My name is Ada.", first.text, "What is my name?", second.text,
    ]  # fmt: skip


async def test_the_server_closing_at_its_cap_is_survived(rt):
    rt.realtime.reset(speed=0, session_seconds=0.8, transcripts=("one", "two"))
    async with session(rt) as live:
        await live.send_audio(speech(0.4), 16_000)
        await live.end_turn()
        await live.next_answer(timeout=10)
        events: list = []
        reconnected = await until(
            live, events, lambda e: isinstance(e, SessionReconnected)
        )
        await live.send_audio(speech(0.4), 16_000)
        await live.end_turn()
        second = await live.next_answer(timeout=10)
    assert reconnected.reason == "connection lost"
    assert rt.realtime.sessions[0].closed == "cap"
    assert second.text == "You said: 'two'."
    assert len([m for m in live.messages if isinstance(m, HumanMessage)]) == 2


async def test_a_dropped_connection_keeps_what_was_received(rt):
    rt.realtime.reset(
        speed=0, drop_after_audio_deltas=3, transcripts=("first", "second")
    )
    async with session(rt, reconnect_backoff=0.05) as live:
        await live.send_audio(speech(0.4), 16_000)
        await live.end_turn()
        events: list = []
        cut = await until(live, events, lambda e: isinstance(e, ResponseDone))
        reconnected = await until(
            live, events, lambda e: isinstance(e, SessionReconnected)
        )
        await live.send_audio(speech(0.4), 16_000)
        await live.end_turn()
        second = await live.next_answer(timeout=10)
    yielded = b"".join(
        e.pcm
        for e in events
        if isinstance(e, AssistantAudio) and e.response_id == cut.response_id
    )
    assert cut.status == "incomplete"
    assert OmniAudio.from_message(cut.message).pcm == yielded
    assert len(yielded) >= 3 * 4798
    assert reconnected.attempts == 1
    assert rt.realtime.sessions[0].closed == "dropped"
    assert second.text == "You said: 'second'."
    assert cut.message in live.messages


async def test_reconnection_gives_up_with_a_typed_error(rt):
    rt.realtime.reset(
        speed=0, drop_after_audio_deltas=1, drop_times=None, transcripts=("x",)
    )
    async with session(rt, max_reconnects=2, reconnect_backoff=0.01) as live:
        await live.send_audio(speech(0.4), 16_000)
        await live.end_turn()
        rt.realtime.options.unauthorized = True  # every new handshake fails for good
        with pytest.raises(OmniRealtimeError) as caught:
            async for _ in live:
                pass
    assert caught.value.status == 401


# --- errors -------------------------------------------------------------------------


async def test_a_bad_key_fails_at_connect_without_showing_it(rt, caplog):
    rt.realtime.reset(unauthorized=True)
    caplog.set_level(logging.DEBUG)
    with pytest.raises(OmniRealtimeError) as caught:
        async with session(rt):
            pass
    assert caught.value.status == 401
    assert "InvalidApiKey" in str(caught.value)
    assert KEY not in str(caught.value)
    assert KEY not in caplog.text
    assert "Authorization" in caplog.text or "authorization" in caplog.text.lower()


async def test_the_key_never_reaches_the_logs_of_a_working_session(rt, caplog):
    rt.realtime.reset(speed=0)
    caplog.set_level(logging.DEBUG)
    live = session(rt)
    async with live:
        pass
    assert KEY not in caplog.text
    assert KEY not in repr(live)
    assert KEY not in str(live.model_dump())


async def test_refused_settings_raise_the_server_message(rt):
    rt.realtime.reset()
    with pytest.raises(OmniRealtimeError) as caught:
        async with session(rt, session_kwargs={"modalities": ["audio"]}):
            pass
    assert caught.value.param == "session.modalities"
    assert caught.value.code == "invalid_value"
    assert (
        "Invalid modalities: ['audio']. Supported combinations are: "
        "['text'] and ['audio', 'text']." in str(caught.value)
    )


async def test_an_unknown_model_fails_for_good(rt):
    rt.realtime.reset()
    with pytest.raises(OmniRealtimeError) as caught:
        async with session(rt, model="qwen9-omni-realtime", max_reconnects=0):
            pass
    assert caught.value.code == "model_not_found"


async def test_errors_that_leave_the_session_usable_are_events(rt):
    rt.realtime.reset(speed=0, transcripts=("still here",))
    async with session(rt, turn_detection=None) as live:
        await live.commit()  # nothing to commit yet
        events: list = []
        error = await until(live, events, lambda e: isinstance(e, ErrorEvent))
        await live.send_audio(speech(0.3), 16_000)
        await live.commit()
        await live.respond()
        answer = await live.next_answer(timeout=10)
    assert error.code == "input_audio_buffer_commit_empty"
    assert answer.text == "You said: 'still here'."


async def test_cancel_stops_the_answer(rt):
    rt.realtime.reset(speed=1.0, transcripts=("talk",), answers=(STORY,))
    async with session(rt, turn_detection=None) as live:
        await live.send_audio(speech(0.3), 16_000)
        await live.commit()
        await live.respond()
        events: list = []
        await until(live, events, lambda e: isinstance(e, AssistantAudio))
        await live.cancel()
        done = await until(live, events, lambda e: isinstance(e, ResponseDone))
    assert done.status == "cancelled"
    assert not done.interrupted
    assert STORY.startswith(done.message.text)
    assert len(done.message.text) < len(STORY)


async def test_events_after_the_session_closed_end_the_iteration(rt):
    rt.realtime.reset(speed=0)
    live = session(rt)
    async with live:
        pass
    with pytest.raises(OmniRealtimeError, match="not open"):
        await live.send_audio(speech(0.1), 16_000)


async def test_an_unreachable_endpoint_is_a_connection_error(unused_tcp_port):
    live = QwenOmniRealtime(
        base_url=f"http://127.0.0.1:{unused_tcp_port}", api_key=KEY, timeout=2
    )
    with pytest.raises(OmniRealtimeConnectionError, match="Cannot connect"):
        async with live:
            pass
