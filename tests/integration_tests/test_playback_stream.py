"""play_stream over real streams from the emulator, into a fake sound card."""

from __future__ import annotations

import threading

import pytest

from langchain_qwen_omni import OmniAudio, OmniStreamError
from langchain_qwen_omni.playback import play_stream
from tests.fake_audio import FakeDevice

PROMPT = "Tell me about the sea in a few words."


def counted(chunks, seen: list[int]):
    """Pass chunks on, counting them, so a test knows when each write happened."""
    for chunk in chunks:
        seen[0] += 1
        yield chunk


def test_play_stream_plays_pieces_as_they_arrive_and_returns_the_speech(speaker):
    device = FakeDevice()
    seen = [0]
    written_at: list[int] = []

    def note(_pcm: bytes) -> None:
        written_at.append(seen[0])

    original = device.open_output

    def open_output(sample_rate, channels):
        output = original(sample_rate, channels)
        output.on_write = note
        return output

    device.open_output = open_output  # type: ignore[method-assign]

    audio = play_stream(counted(speaker.stream(PROMPT), seen), device=device)

    (output,) = device.outputs
    assert (output.sample_rate, output.channels) == (24_000, 1)
    assert len(output.pieces) > 3
    assert written_at[0] < seen[0]  # playing started long before the stream ended
    assert output.closed == "drained"
    assert output.pcm == audio.pcm
    whole = OmniAudio.from_message(speaker.invoke(PROMPT))
    assert audio.pcm == whole.pcm
    assert audio.transcript == whole.transcript
    assert audio.duration > 0.5


async def test_play_stream_over_astream_waits_off_the_event_loop(speaker):
    device = FakeDevice()
    loop_thread = threading.current_thread()

    audio = await play_stream(speaker.astream(PROMPT), device=device)

    (output,) = device.outputs
    assert output.pcm == audio.pcm
    assert len(audio.pcm) > 24_000
    assert output.closed == "drained"
    assert output.close_thread is not loop_thread
    assert audio.transcript == (await speaker.ainvoke(PROMPT)).text


def test_a_text_answer_never_opens_the_device(chat):
    device = FakeDevice()

    audio = play_stream(chat.stream("hi"), device=device)

    assert device.outputs == []
    assert audio.pcm == b""
    assert "'hi'" in audio.transcript


def test_a_broken_stream_stops_playback_and_keeps_the_partial(speaker, emu):
    emu.configure(cut_after_events=12)
    device = FakeDevice()

    with pytest.raises(OmniStreamError) as info:
        play_stream(speaker.stream(PROMPT), device=device)

    (output,) = device.outputs
    assert output.closed == "aborted"
    assert output.pieces
    partial = OmniAudio.from_message(info.value.partial)
    assert partial.pcm.startswith(output.pcm)  # what was heard is in the partial
