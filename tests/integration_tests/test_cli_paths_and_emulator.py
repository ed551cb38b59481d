"""The command line's paths (relative to the working directory, missing folders)
and its emulator command (the module's options, a busy port)."""

from __future__ import annotations

import re
import socket

import pytest
import soundfile as sf
import typer
from typer.testing import CliRunner

from langchain_qwen_omni.cli import app
from langchain_qwen_omni.emulator import __main__ as emulator_main
from langchain_qwen_omni.emulator import server
from tests import media

KEY_ENV = {"DASHSCOPE_API_KEY": "sk-emulator"}


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    media.write(tmp_path / "media" / "clip.mp4", media.mp4(seconds=2.0))
    media.write(tmp_path / "media" / "photo.png", media.png(20, 20))
    (tmp_path / "sub").mkdir()
    return tmp_path


def run(runner, emu, *args: str):
    return runner.invoke(app, ["--base-url", emu.base_url, *args], env=KEY_ENV)


# --- relative paths -------------------------------------------------------------


def test_describe_reads_a_relative_path_inside_a_folder(runner, emu, workdir):
    result = run(runner, emu, "describe", "media/clip.mp4")

    assert result.exit_code == 0, result.output
    assert "Media: 1 video_url" in result.stdout
    assert len(emu.requests) == 1


def test_describe_reads_a_path_relative_to_a_subfolder(
    runner, emu, workdir, monkeypatch
):
    monkeypatch.chdir(workdir / "sub")

    result = run(runner, emu, "describe", "../media/clip.mp4", "--json")

    assert result.exit_code == 0, result.output
    assert '"strategy"' in result.stdout


def test_chat_media_paths_are_relative_to_the_working_directory(runner, emu, workdir):
    result = run(
        runner, emu, "chat", "What?", "--image", "media/photo.png",
        "--video", "./media/clip.mp4",
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    kinds = [
        [part["type"] for part in message["content"]]
        for message in emu.requests[-1].body["messages"]
    ]
    assert kinds == [["image_url"], ["video_url", "text"]]


# --- output folders ----------------------------------------------------------------


def test_audio_into_a_missing_folder_is_a_usage_error_with_the_fix(
    runner, emu, workdir
):
    result = run(runner, emu, "chat", "hi", "--audio", "replies/hi.wav")

    assert result.exit_code == 2
    assert "--audio" in result.stderr
    assert "the folder replies does not exist" in result.stderr
    assert "mkdir -p replies" in result.stderr
    assert not (workdir / "replies").exists()
    assert emu.requests == []


def test_audio_into_an_existing_relative_folder(runner, emu, workdir):
    (workdir / "replies").mkdir()

    result = run(runner, emu, "chat", "hi", "--audio", "replies/hi.wav")

    assert result.exit_code == 0, result.output
    assert sf.info(workdir / "replies" / "hi.wav").samplerate == 24_000


# --- the emulator command -------------------------------------------------------------


def _module_options(capsys) -> set[str]:
    with pytest.raises(SystemExit):
        emulator_main.main(["--help"])
    return set(re.findall(r"--[a-z][a-z-]+", capsys.readouterr().out)) - {"--help"}


def _command_options() -> set[str]:
    command = typer.main.get_command(app).commands["emulator"]  # type: ignore[attr-defined]
    return {name for param in command.params for name in param.opts}


def test_emulator_command_has_every_option_of_the_module_entry_point(capsys):
    module = _module_options(capsys)

    assert module >= {"--host", "--port", "--transcript-mode", "--answer"}
    assert module <= _command_options()


def test_emulator_command_passes_its_options_on(runner, monkeypatch):
    received: dict[str, object] = {}
    monkeypatch.setattr(
        server, "serve", lambda *args, **kwargs: received.update(args=args, **kwargs)
    )

    result = runner.invoke(
        app,
        [
            "emulator", "--host", "localhost", "--port", "0",
            "--transcript-mode", "mixed", "--unpadded-audio",
            "--answer", "Fixed words.", "--chunk-delay", "0.05",
            "--text-pieces", "3", "--log-level", "warning",
            "--dialect", "vllm-omni",
        ],
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    assert received == {
        "args": ("localhost", 0),
        "log_level": "warning",
        "transcript_mode": "mixed",
        "unpadded_audio": True,
        "answer": "Fixed words.",
        "chunk_delay": 0.05,
        "text_pieces": 3,
        "dialect": "vllm-omni",
    }


@pytest.mark.parametrize(
    "args",
    [
        ["--transcript-mode", "subtitles"],
        ["--chunk-delay", "-1"],
        ["--text-pieces", "0"],
        ["--log-level", "loud"],
    ],
)
def test_emulator_command_refuses_values_the_emulator_cannot_use(runner, args):
    result = runner.invoke(app, ["emulator", *args])

    assert result.exit_code == 2
    assert args[0] in result.stderr


def test_emulator_on_a_busy_port_is_one_line_with_the_fix(runner):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]

        result = runner.invoke(app, ["emulator", "--port", str(port)])

    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [
        (
            f"Error: Port {port} on 127.0.0.1 is already in use (another emulator?): "
            "pick a free one with --port, or --port 0 for any."
        )
    ]
    assert "Traceback" not in result.output
