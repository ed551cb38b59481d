"""Playback and recording through the device seam: fakes, no sound card."""

from __future__ import annotations

import base64
import io
import re
import sys
import threading
import time
import types

import numpy as np
import pytest
import soundfile as sf
from hypothesis import given
from hypothesis import strategies as st

from langchain_qwen_omni import OmniAudio, OmniInputError, QwenOmniError, audio_block
from langchain_qwen_omni.playback import (
    INSTALL_HINT,
    OmniDeviceError,
    PcmFifo,
    SoundDevice,
    play_audio,
    record,
)
from tests.fake_audio import FakeDevice, tone_pcm

# --- the FIFO between the writer and the device callback ---------------------


@given(
    pieces=st.lists(st.binary(max_size=64), max_size=12),
    takes=st.lists(st.integers(min_value=0, max_value=80), max_size=12),
)
def test_fifo_hands_out_what_was_queued_in_order_then_silence(pieces, takes):
    fifo = PcmFifo()
    for piece in pieces:
        fifo.put(piece)
    data = b"".join(pieces)

    taken = b"".join(fifo.take(size) for size in takes)

    assert len(taken) == sum(takes)
    expected = data[: sum(takes)]
    assert taken == expected + bytes(len(taken) - len(expected))
    assert fifo.queued == max(0, len(data) - sum(takes))
    assert fifo.wait_empty(0) == (fifo.queued == 0)


def test_fifo_wait_empty_returns_when_the_reader_caught_up():
    fifo = PcmFifo()
    fifo.put(b"\x01\x02" * 100)
    reader = threading.Timer(0.05, fifo.take, args=(200,))
    reader.start()

    assert fifo.wait_empty(5)
    reader.join()


# --- OmniAudio.play and record --------------------------------------------------


def test_play_writes_every_sample_at_the_audio_rate_and_drains():
    pcm = tone_pcm(4800, 24_000)
    device = FakeDevice()

    OmniAudio(pcm=pcm, transcript="hi").play(device=device)

    (output,) = device.outputs
    assert (output.sample_rate, output.channels) == (24_000, 1)
    assert output.pcm == pcm
    assert output.closed == "drained"


def test_play_audio_opens_stereo_for_stereo_speech():
    device = FakeDevice()

    play_audio(OmniAudio(tone_pcm(100, 16_000, 2), 16_000, 2), device=device)

    assert (device.outputs[0].sample_rate, device.outputs[0].channels) == (16_000, 2)


def test_record_reads_the_duration_in_steps_and_returns_omni_audio():
    device = FakeDevice()

    recording = record(seconds=0.25, sample_rate=16_000, device=device)

    (source,) = device.inputs
    assert source.reads == [1600, 1600, 800]  # 0.1 s steps
    assert source.closed
    assert recording.sample_rate == 16_000
    assert recording.channels == 1
    assert recording.duration == pytest.approx(0.25)
    assert recording.pcm == tone_pcm(4000, 16_000)


def test_a_recording_goes_into_audio_block_as_wav():
    recording = record(seconds=0.2, sample_rate=16_000, device=FakeDevice())

    block = audio_block(recording)

    assert block["mime_type"] == "audio/wav"
    samples, rate = sf.read(
        io.BytesIO(base64.b64decode(block["base64"])), dtype="int16"
    )
    assert rate == 16_000
    assert np.array_equal(samples, recording.to_numpy())


@pytest.mark.parametrize(
    ("kwargs", "complaint"),
    [
        ({"seconds": 0}, "record(seconds=0)"),
        ({"seconds": -1.0}, "above 0"),
        ({"seconds": float("nan")}, "record(seconds=nan)"),
        ({"seconds": 7200}, "at most 3600"),
        ({"seconds": 1, "sample_rate": 0}, "record(sample_rate=0)"),
        ({"seconds": 1, "channels": 3}, "1 (mono) or 2"),
    ],
)
def test_record_refuses_what_cannot_be_recorded(kwargs, complaint):
    device = FakeDevice()

    with pytest.raises(OmniInputError, match=re.escape(complaint)):
        record(device=device, **kwargs)
    assert device.inputs == []  # refused before the microphone opens


# --- without the extra, without PortAudio ---------------------------------------


def test_without_the_extra_the_error_is_the_install_line(monkeypatch):
    monkeypatch.setitem(sys.modules, "sounddevice", None)

    with pytest.raises(ModuleNotFoundError) as info:
        OmniAudio(pcm=b"\x00\x00").play()

    message = str(info.value)
    assert INSTALL_HINT in message
    assert "\n" not in message
    assert INSTALL_HINT == 'pip install "langchain-qwen-omni[playback]"'


class _NoPortAudio:
    """An import hook that fails like sounddevice does without libportaudio."""

    def find_spec(self, name, path=None, target=None):
        if name == "sounddevice":
            msg = "PortAudio library not found"
            raise OSError(msg)


def test_without_portaudio_the_error_says_what_to_install(monkeypatch):
    monkeypatch.delitem(sys.modules, "sounddevice", raising=False)
    monkeypatch.setattr(sys, "meta_path", [_NoPortAudio(), *sys.meta_path])

    with pytest.raises(OmniDeviceError) as info:
        record(seconds=1)

    assert isinstance(info.value, QwenOmniError)
    assert isinstance(info.value, OSError)
    assert "PortAudio library not found" in str(info.value)
    assert "apt-get install libportaudio2" in str(info.value)


# --- the sounddevice adapter, against a stand-in module -----------------------------


class _PortAudioError(Exception):
    pass


def _fake_sounddevice(*, fail: bool = False) -> types.SimpleNamespace:
    calls: list[str] = []

    class RawOutputStream:
        def __init__(self, *, samplerate, channels, dtype, callback):
            if fail:
                msg = "Error querying device -1"
                raise _PortAudioError(msg)
            calls.append(f"open {samplerate} {channels} {dtype}")
            self.callback = callback
            module.last = self

        def start(self):
            calls.append("start")

        def stop(self):
            calls.append("stop")

        def abort(self):
            calls.append("abort")

        def close(self):
            calls.append("close")

    module = types.SimpleNamespace(
        RawOutputStream=RawOutputStream,
        PortAudioError=_PortAudioError,
        calls=calls,
        last=None,
    )
    return module


def test_sounddevice_output_feeds_the_callback_without_blocking_the_writer(monkeypatch):
    sd = _fake_sounddevice()
    monkeypatch.setitem(sys.modules, "sounddevice", sd)
    pcm = tone_pcm(10, 24_000)

    output = SoundDevice().open_output(24_000, 1)
    output.write(pcm[:8])
    output.write(pcm[8:])
    first, second = bytearray(16), bytearray(16)
    sd.last.callback(first, 8, None, None)
    sd.last.callback(second, 8, None, None)
    output.close(drain=True)

    assert bytes(first) == pcm[:16]
    assert bytes(second) == pcm[16:] + bytes(12)  # the rest, then silence
    assert sd.calls == ["open 24000 1 int16", "start", "stop", "close"]


def test_sounddevice_output_drain_waits_for_the_device(monkeypatch):
    sd = _fake_sounddevice()
    monkeypatch.setitem(sys.modules, "sounddevice", sd)
    output = SoundDevice().open_output(24_000, 1)
    output.write(tone_pcm(2400, 24_000))  # 0.1 s
    device = threading.Timer(
        0.1, sd.last.callback, args=(bytearray(4800), 2400, None, None)
    )
    device.start()

    started = time.monotonic()
    output.close(drain=True)

    assert time.monotonic() - started >= 0.09
    assert sd.calls[-2:] == ["stop", "close"]
    device.join()


def test_sounddevice_output_abort_silences_at_once(monkeypatch):
    sd = _fake_sounddevice()
    monkeypatch.setitem(sys.modules, "sounddevice", sd)
    output = SoundDevice().open_output(24_000, 1)
    output.write(tone_pcm(24_000, 24_000))

    output.close(drain=False)

    assert sd.calls[-2:] == ["abort", "close"]


def test_a_device_that_will_not_open_is_a_device_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "sounddevice", _fake_sounddevice(fail=True))

    with pytest.raises(OmniDeviceError, match="Cannot open the output sound device"):
        OmniAudio(pcm=b"\x00\x00").play()
