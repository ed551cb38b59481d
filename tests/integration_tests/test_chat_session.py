"""The interactive `qwen-omni chat`, driven through stdin (and a terminal).

Most tests type lines into Typer's test runner, pointed at the shared
emulator with `--base-url`, and assert on what reached the server, what was
printed, and the files written. One test runs the real console script in a
pseudo-terminal, as a person would.
"""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
import time

import numpy as np
import pytest
import soundfile as sf
from typer.testing import CliRunner

from langchain_qwen_omni import playback
from langchain_qwen_omni.emulator import Fault
from langchain_qwen_omni.playback import OmniDeviceError
from tests import media
from tests.fake_audio import FakeDevice

KEY_ENV = {"DASHSCOPE_API_KEY": "sk-emulator"}


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    """The working directory, holding media/ with a photo, two sounds and a clip."""
    monkeypatch.chdir(tmp_path)
    media.write(tmp_path / "media" / "photo.png", media.png(32, 24))
    media.write(tmp_path / "media" / "question.wav", media.wav(seconds=1.0))
    media.write(tmp_path / "media" / "other.wav", media.wav(seconds=0.5))
    media.write(tmp_path / "media" / "clip.mp4", media.mp4(seconds=2.0))
    return tmp_path


@pytest.fixture
def device(monkeypatch) -> FakeDevice:
    """The sound card the chat finds: a fake that keeps what was played."""
    fake = FakeDevice()
    monkeypatch.setattr(playback, "default_device", lambda: fake)
    return fake


def converse(runner, emu, lines: list[str], *options: str):
    return runner.invoke(
        app(),
        ["--base-url", emu.base_url, "chat", *options],
        input="".join(f"{line}\n" for line in lines),
        env=KEY_ENV,
    )


def app():
    from langchain_qwen_omni.cli import app as cli_app  # noqa: PLC0415

    return cli_app


def roles(request) -> list[str]:
    return [message["role"] for message in request.body["messages"]]


def parts(message) -> list[str]:
    content = message["content"]
    return ["text"] if isinstance(content, str) else [p["type"] for p in content]


def answers(stdout: str) -> list[str]:
    return [line for line in stdout.splitlines() if "emulator]" in line]


# --- a conversation ------------------------------------------------------------


def test_multi_turn_conversation_with_media_saved_reloaded_and_continued(
    runner, emu, workdir
):
    (workdir / "chats").mkdir()

    first = converse(
        runner,
        emu,
        [
            "Hello there",
            "/image media/photo.png",
            "What is in this picture?",
            "/video media/clip.mp4",
            "And in this clip?",
            "/save chats/trip.json",
            "/exit",
        ],
        "--system",
        "Answer in one sentence.",
    )

    assert first.exit_code == 0, first.output
    said = answers(first.stdout)
    assert len(said) == 3
    assert "'Hello there'" in said[0]
    assert "Media: 1 image_url" in said[1]
    assert "Media: 1 video_url" in said[2]
    last = emu.requests[-1]
    assert roles(last) == ["system", "user", "assistant", "user", "assistant", "user"]
    messages = last.body["messages"]
    assert messages[0]["content"] == "Answer in one sentence."
    assert parts(messages[3]) == ["image_url", "text"]  # history keeps the picture
    assert parts(messages[5]) == ["video_url", "text"]
    assert messages[2]["content"] == said[0]  # the history holds what was shown

    saved = json.loads((workdir / "chats" / "trip.json").read_text())
    assert saved["system"] == "Answer in one sentence."
    assert [t["role"] for t in saved["turns"]] == ["user", "assistant"] * 3
    picture = saved["turns"][2]["attachments"][0]
    assert picture["kind"] == "image"
    copy = workdir / "chats" / picture["file"]
    assert copy.parent == workdir / "chats" / "trip.media"
    assert copy.read_bytes() == (workdir / "media" / "photo.png").read_bytes()
    assert "Saved 6 turns to chats/trip.json, media in chats/trip.media" in (
        first.stderr
    )
    image_url = messages[3]["content"][0]["image_url"]["url"]

    emu.clear()
    second = converse(
        runner, emu, ["/load chats/trip.json", "Go on, please."], "-i"
    )  # the end of input ends the session, like Ctrl+D

    assert second.exit_code == 0, second.output
    assert "Loaded 6 turns from chats/trip.json" in second.stderr
    (request,) = emu.requests
    assert len(request.body["messages"]) == 8
    again = request.body["messages"]
    assert again[0] == messages[0]
    assert again[2]["content"] == said[0]
    assert again[3]["content"][0]["image_url"]["url"] == image_url  # same picture
    assert again[-1] == {"role": "user", "content": "Go on, please."}


def test_prompt_with_i_is_the_first_message_of_a_conversation(runner, emu):
    result = converse(runner, emu, ["Second"], "First", "-i")

    assert result.exit_code == 0, result.output
    assert [r.body["messages"][-1]["content"] for r in emu.requests] == [
        "First",
        "Second",
    ]
    assert roles(emu.requests[-1]) == ["user", "assistant", "user"]


def test_options_attach_media_to_the_first_turn_only(runner, emu, workdir):
    result = converse(
        runner, emu, ["Look", "Thanks"], "-i", "--image", "media/photo.png"
    )

    assert result.exit_code == 0, result.output
    first, second = emu.requests
    assert parts(first.body["messages"][0]) == ["image_url", "text"]
    assert parts(second.body["messages"][-1]) == ["text"]


def test_attachments_wait_for_the_next_message_and_clear_forgets(runner, emu, workdir):
    result = converse(
        runner,
        emu,
        [
            "/image media/photo.png",
            "/image media/photo.png",
            "Two pictures?",
            "/clear",
            "Fresh start",
        ],
    )

    assert result.exit_code == 0, result.output
    assert "these 2 go with your next message" in result.stderr
    first, second = emu.requests
    assert parts(first.body["messages"][0]) == ["image_url", "image_url", "text"]
    assert second.body["messages"] == [{"role": "user", "content": "Fresh start"}]


def test_audio_attached_in_one_turn(runner, emu, workdir):
    result = converse(runner, emu, ["/audio media/question.wav", "Listen", "And now?"])

    assert result.exit_code == 0, result.output
    assert len(emu.requests) == 2
    history = emu.requests[-1].body["messages"]
    assert parts(history[0]) == ["input_audio", "text"]
    assert history[0]["content"][0]["input_audio"]["format"] == "wav"


def test_audio_attached_in_two_turns(runner, emu, workdir):
    result = converse(
        runner,
        emu,
        ["/audio media/question.wav", "Listen", "/audio media/other.wav", "And this?"],
    )

    assert len(emu.requests) == 2, result.stderr
    assert "Error" not in result.stderr


# --- speech ----------------------------------------------------------------------


def test_spoken_answers_play_as_they_stream_and_are_saved_per_turn(
    runner, emu, workdir, device
):
    result = converse(
        runner, emu, ["One", "Two"], "--voice", "Ethan", "--audio-dir", "answers"
    )

    assert result.exit_code == 0, result.output
    assert "Created answers for the spoken answers." in result.stderr
    body = emu.requests[-1].body
    assert body["modalities"] == ["text", "audio"]
    assert body["audio"]["voice"] == "Ethan"
    played = device.played
    assert len(played) == 2
    for number, output in enumerate(played, start=1):
        assert output.closed == "drained"
        saved = workdir / "answers" / f"answer-{number:03d}.wav"
        samples, rate = sf.read(saved, dtype="int16")
        assert rate == 24_000
        assert np.frombuffer(output.pcm, "<i2").tolist() == samples.tolist()
        assert f"to answers/answer-{number:03d}.wav" in result.stderr
    assert "Speech is not played" not in result.stderr


def test_saved_conversation_keeps_each_spoken_answer(runner, emu, workdir, device):
    result = converse(runner, emu, ["Speak", "/save talk.json"], "--speak")

    assert result.exit_code == 0, result.output
    saved = json.loads((workdir / "talk.json").read_text())
    speech = workdir / saved["turns"][1]["speech"]
    assert speech.parent.name == "talk.media"
    samples, _ = sf.read(speech, dtype="int16")
    assert np.frombuffer(device.played[0].pcm, "<i2").tolist() == samples.tolist()


def test_saved_conversation_copies_the_answers_kept_in_audio_dir(
    runner, emu, workdir, device
):
    result = converse(
        runner, emu, ["Speak", "/save talk.json"], "--audio-dir", "answers"
    )

    assert result.exit_code == 0, result.output
    saved = json.loads((workdir / "talk.json").read_text())
    speech = workdir / saved["turns"][1]["speech"]
    assert speech.parent.name == "talk.media"
    kept = workdir / "answers" / "answer-001.wav"
    assert speech.read_bytes() == kept.read_bytes()


class _NoDevice:
    def open_output(self, sample_rate, channels):
        msg = "Cannot open the output sound device: no default output device."
        raise OmniDeviceError(msg)


def test_without_a_device_speech_is_saved_after_one_hint(
    runner, emu, workdir, monkeypatch
):
    monkeypatch.setattr(playback, "default_device", _NoDevice)
    (workdir / "out").mkdir()

    result = converse(runner, emu, ["One", "Two"], "--audio-dir", "out")

    assert result.exit_code == 0, result.output
    hints = [line for line in result.stderr.splitlines() if "not played" in line]
    assert hints == [
        (
            "Speech is not played: Cannot open the output sound device: no default "
            "output device."
        )
    ]
    assert sorted(p.name for p in (workdir / "out").iterdir()) == [
        "answer-001.wav",
        "answer-002.wav",
    ]
    assert "Created" not in result.stderr  # the folder was there


def test_without_the_playback_extra_the_hint_is_the_install_line(
    runner, emu, monkeypatch
):
    monkeypatch.setitem(sys.modules, "sounddevice", None)

    result = converse(runner, emu, ["Hi"], "--speak")

    assert result.exit_code == 0, result.output
    hints = [line for line in result.stderr.splitlines() if "not played" in line]
    assert len(hints) == 1
    assert 'pip install "langchain-qwen-omni[playback]"' in hints[0]
    assert "--audio-dir" in hints[0]
    assert answers(result.stdout)


# --- failures keep the conversation going -----------------------------------------


def test_a_refused_turn_is_taken_back_and_the_chat_goes_on(runner, emu):
    emu.inject(Fault.server_error(retry_after=0.01), times=3)  # and 2 retries

    result = converse(runner, emu, ["Doomed", "Second try"])

    assert result.exit_code == 0, result.output
    assert "Error: The API answered HTTP 500" in result.stderr
    assert "Your message was not sent." in result.stderr
    assert emu.requests[-1].body["messages"] == [
        {"role": "user", "content": "Second try"}
    ]


def test_a_broken_answer_keeps_what_was_shown(runner, emu):
    emu.configure(answer="one two three four five six", cut_after_events=4)

    result = converse(runner, emu, ["Tell me", "/exit"])
    emu.configure(cut_after_events=None)
    then = converse(runner, emu, ["Tell me", "More"])

    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("one two")
    assert "stream broke" in result.stderr
    assert "The answer so far stays in the conversation." in result.stderr
    assert then.exit_code == 0
    assert roles(emu.requests[-1]) == ["user", "assistant", "user"]


def test_commands_say_what_they_need(runner, emu, workdir):
    result = converse(
        runner,
        emu,
        [
            "/help",
            "/image",
            "/image media/nowhere.png",
            "/image media/question.wav",
            "/save",
            "/save missing/chat.json",
            "/load nowhere.json",
            "/frobnicate",
            "/exit",
            "never sent",
        ],
    )

    assert result.exit_code == 0, result.output
    err = result.stderr
    assert "/image PATH|URL" in err
    assert "/save FILE" in err
    assert "Usage: /image PATH or URL" in err
    assert "Cannot read /image media/nowhere.png: no such file." in err
    assert "question.wav' is audio/wav, not image: attach it with /audio." in err
    assert "Usage: /save FILE" in err
    assert "the folder missing does not exist" in err
    assert "No such file: nowhere.json." in err
    assert "Unknown command /frobnicate: /help lists the commands." in err
    assert emu.requests == []


def test_load_refuses_media_outside_the_conversation_folder(runner, emu, workdir):
    (workdir / "chats").mkdir()
    document = {
        "format": "qwen-omni-chat",
        "version": 1,
        "system": None,
        "turns": [
            {
                "role": "user",
                "text": "look",
                "attachments": [{"kind": "image", "file": "../media/photo.png"}],
            }
        ],
    }
    (workdir / "chats" / "shared.json").write_text(json.dumps(document))

    result = converse(runner, emu, ["/load chats/shared.json", "Hi"])

    assert result.exit_code == 0, result.output
    assert "is outside the conversation's folder" in result.stderr
    assert emu.requests[-1].body["messages"] == [{"role": "user", "content": "Hi"}]


# --- options ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "complaint"),
    [
        (["--audio", "a.wav"], "--audio-dir"),
        (["hi", "--audio-dir", "out"], "--audio OUT.wav"),
        (["hi", "--voice", "Ethan"], "--voice"),
    ],
)
def test_options_of_the_other_mode_are_usage_errors(runner, emu, args, complaint):
    result = converse(runner, emu, [], *args)

    assert result.exit_code == 2
    assert complaint in result.stderr
    assert emu.requests == []


def test_one_shot_takes_a_system_message_and_plays_with_speak(
    runner, emu, workdir, device
):
    result = runner.invoke(
        app(),
        ["--base-url", emu.base_url, "chat", "Hi", "--system", "Be brief.", "--speak"],
        env=KEY_ENV,
    )

    assert result.exit_code == 0, result.output
    body = emu.requests[-1].body
    assert body["messages"][0] == {"role": "system", "content": "Be brief."}
    assert body["modalities"] == ["text", "audio"]
    (output,) = device.played
    assert output.closed == "drained"
    assert len(output.pcm) > 24_000


# --- at a terminal -------------------------------------------------------------------


def _read_until(fd: int, marker: bytes, seen: bytearray, start: int = 0) -> int:
    """Read the terminal until `marker` shows after `start`; return where it ends."""
    deadline = time.monotonic() + 30
    while marker not in seen[start:]:
        left = deadline - time.monotonic()
        assert left > 0, f"no {marker!r} in {bytes(seen)!r}"
        ready, _, _ = select.select([fd], [], [], left)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # the child closed the terminal
                chunk = b""
            assert chunk, f"the terminal closed before {marker!r}: {bytes(seen)!r}"
            seen += chunk
    return seen.index(marker, start) + len(marker)


def test_a_person_at_a_terminal_chats_and_leaves_with_ctrl_d(tmp_path):
    media.write(tmp_path / "photo.png", media.png(16, 16))
    leader, follower = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k != "DASHSCOPE_API_KEY"}
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from langchain_qwen_omni.cli import main; main()",
            "chat",
            "--emulator",
        ],
        stdin=follower,
        stdout=follower,
        stderr=follower,
        cwd=tmp_path,
        env={**env, "TERM": "dumb", "COLUMNS": "200"},
    )
    os.close(follower)
    seen = bytearray()
    try:
        at = _read_until(leader, b"you> ", seen)
        assert b"/help lists the commands" in seen
        os.write(leader, b"/image photo.png\r")
        at = _read_until(leader, b"with your next message", seen, at)
        at = _read_until(leader, b"you> ", seen, at)
        os.write(leader, b"What is it?\r")
        at = _read_until(leader, b"Media: 1 image_url", seen, at)
        at = _read_until(leader, b"you> ", seen, at)
        os.write(leader, b"Thanks\r")
        at = _read_until(leader, b"I received 3 messages", seen, at)
        _read_until(leader, b"you> ", seen, at)
        os.write(leader, b"\x04")  # Ctrl+D
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(leader)
    assert b"Traceback" not in seen
