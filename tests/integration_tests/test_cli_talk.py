"""`qwen-omni talk`, run in-process with Typer's test runner against the emulator.

The microphone and the speaker are fakes of `sounddevice` (no audio devices
exist here): the fake microphone plays a recorded question, then silence;
the fake speaker keeps what it was given.
"""

from __future__ import annotations

import functools
import sys
import threading
import time
import types

import numpy as np
import pytest
import soundfile as sf
from typer.testing import CliRunner

from langchain_qwen_omni.cli import app
from tests import media

pytestmark = pytest.mark.timeout(60)

NO_KEY_ENV = {"DASHSCOPE_API_KEY": None}
KEY_ENV = {"DASHSCOPE_API_KEY": "sk-talk"}


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def question(tmp_path):
    path = tmp_path / "question.wav"
    sf.write(path, media.tone(1.0, 22_050, 250.0), 22_050)
    return path


class FakeMicrophone:
    """`sounddevice.RawInputStream`: says the speech, then stays silent."""

    def __init__(  # noqa: PLR0913  # the signature sounddevice calls
        self, module, *, samplerate, channels, dtype, blocksize, callback
    ):
        module.opened.append(("input", samplerate, channels, dtype))
        pcm = (module.speech * 32767).astype("<i2").tobytes()
        size = 2 * blocksize
        self._blocks = [pcm[i : i + size] for i in range(0, len(pcm), size)]
        self._silence = bytes(size)
        self._callback = callback
        self._running = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _say(self, block: bytes) -> None:
        self._callback(block, len(block) // 2, None, None)
        time.sleep(0.005)  # 100 ms blocks, 20 times faster than real time

    def _run(self):
        for block in self._blocks:
            if self._running.is_set():
                self._say(block)
        while self._running.is_set():
            self._say(self._silence)

    def __enter__(self):
        self._running.set()
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._running.clear()
        self._thread.join()


class FakeSpeaker:
    """`sounddevice.RawOutputStream`: keeps what it plays."""

    def __init__(self, module, *, samplerate, channels, dtype):
        module.opened.append(("output", samplerate, channels, dtype))
        self._module = module

    def start(self):
        pass

    def write(self, data):
        self._module.played.extend(data)

    def stop(self):
        pass

    def close(self):
        pass


def fake_sounddevice(speech: np.ndarray) -> types.ModuleType:
    """A `sounddevice` whose microphone says `speech`, then stays silent."""
    module = types.ModuleType("sounddevice")
    module.speech = speech  # type: ignore[attr-defined]
    module.played = bytearray()  # type: ignore[attr-defined]
    module.opened = []  # type: ignore[attr-defined]
    module.RawInputStream = functools.partial(FakeMicrophone, module)  # type: ignore[attr-defined]
    module.RawOutputStream = functools.partial(FakeSpeaker, module)  # type: ignore[attr-defined]
    return module


def test_a_question_file_gets_a_playable_24khz_answer(runner, question, tmp_path):
    answer = tmp_path / "answer.wav"

    result = runner.invoke(
        app,
        [
            "talk",
            "--emulator",
            "--input",
            str(question),
            "--output",
            str(answer),
            "--fast",
        ],
        env=NO_KEY_ENV,
    )

    assert result.exit_code == 0, result.output
    assert "You: (1.0 s of speech)\n" in result.stdout
    assert "Qwen: You said: '(1.0 s of speech)'.\n" in result.stdout
    info = sf.info(answer)
    assert (info.samplerate, info.channels, info.subtype) == (24_000, 1, "PCM_16")
    samples, _ = sf.read(answer, dtype="int16")
    assert len(samples) >= 12_000
    assert np.abs(samples).max() > 1000
    assert f"Saved {info.duration:.2f} s of speech (24000 Hz, mono)" in result.stderr


def test_options_reach_the_session(runner, emu, question, tmp_path):
    emu.realtime.reset(speed=0, transcripts=("Hello there",))

    result = runner.invoke(
        app,
        [
            "talk", "--base-url", emu.base_url, "--model", "qwen3-omni-flash-realtime",
            "--voice", "Ethan", "--instructions", "Be brief.", "--input", str(question),
            "--output", str(tmp_path / "a.flac"), "--fast",
        ],
        env=KEY_ENV,
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    recorded = emu.realtime.sessions[-1]
    assert recorded.model == "qwen3-omni-flash-realtime"
    update = recorded.of_type("session.update")[0]["session"]
    assert (update["voice"], update["instructions"]) == ("Ethan", "Be brief.")
    assert recorded.headers["authorization"] == "Bearer sk-talk"
    assert len(recorded.audio) == pytest.approx(
        32_000 + 32_000, abs=400
    )  # + end silence
    assert "You: Hello there" in result.stdout
    assert sf.info(tmp_path / "a.flac").samplerate == 24_000


def test_the_microphone_and_speaker_work_through_sounddevice(runner, monkeypatch):
    device = fake_sounddevice(media.tone(0.8, 16_000, 300.0))
    monkeypatch.setitem(sys.modules, "sounddevice", device)

    result = runner.invoke(
        app, ["talk", "--emulator", "--fast", "--turns", "1"], env=NO_KEY_ENV
    )

    assert result.exit_code == 0, result.output
    assert "You: (0.8 s of speech)" in result.stdout
    assert ("input", 16_000, 1, "int16") in device.opened
    assert ("output", 24_000, 1, "int16") in device.opened
    played = np.frombuffer(bytes(device.played), dtype="<i2")
    assert len(played) >= 12_000
    assert np.abs(played).max() > 1000


@pytest.mark.parametrize(
    ("args", "complaint"),
    [
        (["--output", "a.txt"], "--output"),
        (["--turns", "0"], "--turns"),
    ],
)
def test_bad_options_are_usage_errors(runner, question, args, complaint):
    result = runner.invoke(app, ["talk", "--emulator", "--input", str(question), *args])

    assert result.exit_code == 2
    assert complaint in result.output


def test_a_missing_input_file_names_the_option(runner, tmp_path):
    result = runner.invoke(
        app,
        [
            "talk",
            "--emulator",
            "--input",
            str(tmp_path / "nope.wav"),
            "--output",
            "a.wav",
        ],
        env=NO_KEY_ENV,
    )

    assert result.exit_code == 1
    assert "Cannot read --input" in result.stderr


def test_without_a_key_or_the_emulator_it_says_what_to_do(runner, question):
    result = runner.invoke(
        app, ["talk", "--input", str(question), "--output", "a.wav"], env=NO_KEY_ENV
    )

    assert result.exit_code == 1
    assert "DASHSCOPE_API_KEY" in result.stderr


def test_playing_without_sounddevice_names_the_extra(runner, question, monkeypatch):
    monkeypatch.setitem(sys.modules, "sounddevice", None)  # import fails

    result = runner.invoke(
        app, ["talk", "--emulator", "--input", str(question)], env=NO_KEY_ENV
    )

    assert result.exit_code == 1
    assert "langchain-qwen-omni[playback]" in result.stderr


class _NoPortAudio:
    """An import hook that fails like sounddevice does without libportaudio."""

    def find_spec(self, name, path=None, target=None):
        if name == "sounddevice":
            msg = "PortAudio library not found"
            raise OSError(msg)


def test_playing_without_portaudio_says_what_to_install(runner, question, monkeypatch):
    monkeypatch.delitem(sys.modules, "sounddevice", raising=False)
    monkeypatch.setattr(sys, "meta_path", [_NoPortAudio(), *sys.meta_path])

    result = runner.invoke(
        app, ["talk", "--emulator", "--input", str(question)], env=NO_KEY_ENV
    )

    assert result.exit_code == 1
    assert "PortAudio library not found" in result.stderr
    assert "libportaudio2" in result.stderr
