"""The `qwen-omni` command line, run in-process with Typer's test runner.

Most tests point the CLI at the shared session emulator through `--base-url`
so they can assert on the request that reached it; the `--emulator` tests
prove the in-process emulator the flag starts.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import httpx2
import openai
import pytest
import soundfile as sf
from typer.testing import CliRunner

from langchain_qwen_omni import ChatQwenOmni
from langchain_qwen_omni.cli import (
    app,
    describe_error,
    lift_global_options,
    mask_url_credentials,
)
from langchain_qwen_omni.emulator import Fault
from tests import media
from tests.raw_server import RawServer, Reply, answer

KEY_ENV = {"DASHSCOPE_API_KEY": "sk-emulator"}
NO_KEY_ENV = {"DASHSCOPE_API_KEY": None}


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def run(runner: CliRunner, *args: str, env=None):
    return runner.invoke(app, list(args), env=env or NO_KEY_ENV)


# --- chat ------------------------------------------------------------------


def test_chat_with_emulator_prints_answer_and_writes_24khz_wav(runner, tmp_path):
    target = tmp_path / "a.wav"

    result = run(runner, "chat", "Who are you?", "--emulator", "--audio", str(target))

    assert result.exit_code == 0, result.output
    assert "'Who are you?'" in result.stdout
    info = sf.info(target)
    assert (info.samplerate, info.channels, info.subtype) == (24_000, 1, "PCM_16")
    samples, _ = sf.read(target, dtype="int16")
    assert len(samples) > 24_000 // 2
    assert abs(samples).max() > 1000  # speech, not silence
    assert f"Saved {info.duration:.2f} s of speech" in result.stderr


def test_chat_sends_speech_request_with_voice(runner, emu, tmp_path):
    target = tmp_path / "reply.flac"

    result = run(
        runner,
        "--base-url",
        emu.base_url,
        "chat",
        "Hello",
        "--voice",
        "Ethan",
        "--audio",
        str(target),
        env=KEY_ENV,
    )

    assert result.exit_code == 0, result.output
    body = emu.requests[-1].body
    assert body["modalities"] == ["text", "audio"]
    assert body["audio"] == {"voice": "Ethan", "format": "wav"}
    assert body["messages"] == [{"role": "user", "content": "Hello"}]
    assert sf.info(target).format == "FLAC"


def test_chat_streams_text_pieces_in_order(runner, emu):
    emu.configure(answer="one two three four")

    result = run(runner, "chat", "count", "--base-url", emu.base_url, env=KEY_ENV)

    assert result.exit_code == 0, result.output
    assert result.stdout == "one two three four\n"
    assert "modalities" not in emu.requests[-1].body


def test_chat_no_stream_prints_the_same_answer(runner, emu, tmp_path):
    target = tmp_path / "a.wav"
    args = ["--base-url", emu.base_url, "chat", "Same?", "--audio", str(target)]

    streamed = run(runner, *args, env=KEY_ENV)
    invoked = run(runner, *args, "--no-stream", env=KEY_ENV)

    assert streamed.exit_code == invoked.exit_code == 0, invoked.output
    assert streamed.stdout == invoked.stdout
    assert "Saved" in invoked.stderr


def test_model_option_reaches_the_request(runner, emu):
    result = run(
        runner, "chat", "hi", "-m", "qwen-omni-turbo", "--base-url", emu.base_url,
        env=KEY_ENV,
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    assert emu.requests[-1].body["model"] == "qwen-omni-turbo"
    assert "[qwen-omni-turbo emulator]" in result.stdout


def test_thinking_shows_reasoning_on_stderr(runner, emu):
    result = run(
        runner, "chat", "think", "--thinking", "--base-url", emu.base_url, env=KEY_ENV
    )

    assert result.exit_code == 0, result.output
    assert emu.requests[-1].body["enable_thinking"] is True
    assert result.stderr.startswith("Thinking: ")
    assert "'think'" in result.stderr
    assert "Thinking" not in result.stdout
    assert "'think'" in result.stdout


# --- media -----------------------------------------------------------------


def test_chat_with_local_and_url_images(runner, emu, tmp_path):
    photo = media.write(tmp_path / "photo.png", media.png(32, 24))
    url = "https://example.com/cat.jpg"

    result = run(
        runner, "--base-url", emu.base_url, "chat", "What is this?",
        "--image", str(photo), "--image", url, env=KEY_ENV,
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    assert "Media: 2 image_url" in result.stdout
    parts = emu.requests[-1].body["messages"][0]["content"]
    assert parts[0]["image_url"]["url"].startswith("data:image/png;base64,")
    assert parts[1]["image_url"]["url"] == url
    assert parts[2] == {"type": "text", "text": "What is this?"}


def test_chat_with_audio_and_video_files(runner, emu, tmp_path):
    sound = media.write(tmp_path / "question.wav", media.wav(seconds=1.0))
    clip = media.write(tmp_path / "clip.mp4", media.mp4(seconds=2.0))

    result = run(
        runner, "--base-url", emu.base_url, "chat", "What is it?",
        "--audio-in", str(sound), "--video", str(clip), env=KEY_ENV,
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    messages = emu.requests[-1].body["messages"]
    kinds = [[part["type"] for part in m["content"]] for m in messages]
    assert kinds == [["input_audio"], ["video_url", "text"]]  # split, one kind each
    assert messages[0]["content"][0]["input_audio"]["format"] == "wav"


@pytest.mark.parametrize("option", ["--image", "--audio-in", "--video"])
def test_missing_media_file_exits_1_naming_the_option(runner, emu, tmp_path, option):
    result = run(
        runner, "chat", "hi", option, str(tmp_path / "nowhere.bin"),
        "--base-url", emu.base_url, env=KEY_ENV,
    )  # fmt: skip

    assert result.exit_code == 1
    assert f"Cannot read {option} " in result.stderr
    assert "no such file" in result.stderr
    assert emu.requests == []


def test_media_of_the_wrong_kind_exits_1(runner, emu, tmp_path):
    not_an_image = media.write(tmp_path / "photo.png", media.wav())

    result = run(
        runner, "chat", "hi", "--image", str(not_an_image),
        "--base-url", emu.base_url, env=KEY_ENV,
    )  # fmt: skip

    assert result.exit_code == 1
    assert len(result.stderr.strip().splitlines()) == 1
    assert emu.requests == []


# --- describe --------------------------------------------------------------


def test_describe_with_emulator_prints_answer_and_progress(runner, tmp_path):
    clip = media.write(tmp_path / "clip.mp4", media.mp4(seconds=2.0))

    result = run(runner, "describe", str(clip), "--emulator")

    assert result.exit_code == 0, result.output
    assert "Media: 1 video_url" in result.stdout
    assert "1/1 parts" in result.stderr
    assert "━" in result.stderr  # the bar


def test_describe_long_video_in_segments_as_json(runner, emu, tmp_path):
    clip = media.write(tmp_path / "talk.mp4", media.mp4(seconds=90.0))

    result = run(
        runner, "--base-url", emu.base_url, "describe", str(clip),
        "--question", "Who speaks?", "--model", "qwen-omni-turbo",
        "--concurrency", "2", "--json", env=KEY_ENV,
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    artifact = json.loads(result.stdout)
    assert artifact["strategy"] == "segments"
    assert artifact["question"] == "Who speaks?"
    segments = artifact["segments"]
    assert len(segments) == 3
    assert segments[0]["start"] == 0
    assert segments[-1]["end"] == pytest.approx(90.0, abs=0.5)
    assert all(s["end"] - s["start"] <= 40 for s in segments)
    assert "Described the video" in result.stderr
    assert "3/3 parts" in result.stderr
    assert len(emu.requests) == 4  # three parts and the merge


def test_describe_frames_strategy(runner, emu, tmp_path):
    clip = media.write(tmp_path / "talk.mp4", media.mp4(seconds=60.0))

    result = run(
        runner, "--base-url", emu.base_url, "describe", str(clip),
        "--strategy", "frames", "-m", "qwen-omni-turbo", env=KEY_ENV,
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    first = emu.requests[0].body["messages"][0]["content"]
    assert any(part["type"] == "video" for part in first)


def test_describe_missing_file_exits_1(runner, emu, tmp_path):
    result = run(
        runner, "describe", str(tmp_path / "gone.mp4"), "--base-url", emu.base_url,
        env=KEY_ENV,
    )  # fmt: skip

    assert result.exit_code == 1
    assert "no such file" in result.stderr
    assert emu.requests == []


def test_describe_bad_strategy_is_a_usage_error(runner, tmp_path):
    result = run(runner, "describe", "x.mp4", "--strategy", "magic", "--emulator")

    assert result.exit_code == 2
    assert "--strategy" in result.stderr


# --- errors ----------------------------------------------------------------


def test_missing_key_is_one_line_with_hint(runner, emu):
    result = run(runner, "chat", "hi", "--base-url", emu.base_url)

    assert result.exit_code == 1
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "DASHSCOPE_API_KEY" in lines[0]
    assert "--emulator" in lines[0]
    assert emu.requests == []


def test_unknown_option_is_a_usage_error(runner):
    result = run(runner, "chat", "hi", "--emulator", "--bogus")

    assert result.exit_code == 2
    assert "No such option" in result.stderr


@pytest.mark.parametrize(
    ("args", "complaint"),
    [
        (["--audio", "reply.xyz"], "--audio"),
        (["--voice", "Cherry"], "--voice"),
        (["--region", "mars"], "--region"),
    ],
)
def test_bad_option_values_are_usage_errors(runner, emu, args, complaint):
    result = run(runner, "chat", "hi", "--emulator", *args)

    assert result.exit_code == 2
    assert complaint in result.stderr


def test_api_refusal_is_one_readable_line(runner, emu):
    wrong = emu.url + "/wrong-prefix/v1"  # a common slip: the path of the base URL

    result = run(runner, "--base-url", wrong, "chat", "hi", env=KEY_ENV)

    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("Error: The API answered HTTP 404")
    assert "check --model and --base-url" in lines[0]
    assert "Traceback" not in result.output


def test_persistent_rate_limit_exits_1_after_the_retries(runner, emu):
    emu.inject(Fault.rate_limit(retry_after=0.01), times=3)  # the call and 2 retries

    result = run(runner, "--base-url", emu.base_url, "chat", "hi", env=KEY_ENV)

    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("Error: The API answered HTTP 429 limit_requests: ")
    assert "You have exceeded your current request limit." in lines[0]
    assert "wait a little and retry" in lines[0]
    assert not emu.faults.pending


def test_a_passing_rate_limit_is_retried_unseen(runner, emu):
    emu.inject(Fault.rate_limit(retry_after=0.01), times=1)

    result = run(runner, "--base-url", emu.base_url, "chat", "hi", env=KEY_ENV)

    assert result.exit_code == 0, result.output
    assert "'hi'" in result.stdout
    assert result.stderr == ""


def test_wrong_key_or_region_hints_at_both(runner, emu):
    emu.inject(Fault.unauthorized(), times=1)

    result = run(runner, "--base-url", emu.base_url, "chat", "hi", env=KEY_ENV)

    assert result.exit_code == 1
    assert "HTTP 401" in result.stderr
    assert "DASHSCOPE_API_KEY and --region/--base-url" in result.stderr


def test_rate_limit_error_reads_as_one_line_with_a_hint():
    request = httpx2.Request("POST", "https://dashscope-intl.aliyuncs.com/x")
    error = openai.RateLimitError(
        "Error code: 429",
        response=httpx2.Response(429, request=request),
        body={
            "message": "Requests rate limit exceeded,\n try again later.",
            "code": "Throttling.RateQuota",
        },
    )

    assert describe_error(error) == (
        "The API answered HTTP 429 Throttling.RateQuota: Requests rate limit "
        "exceeded, try again later. (rate limit or quota reached; wait a little "
        "and retry)."
    )


def test_broken_stream_keeps_what_was_printed(runner, emu):
    emu.configure(answer="one two three four five six", cut_after_events=4)

    result = run(runner, "--base-url", emu.base_url, "chat", "hi", env=KEY_ENV)

    assert result.exit_code == 1
    assert result.stdout.startswith("one two")
    assert "stream broke" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_input_error_before_the_network(runner, emu, tmp_path):
    result = run(
        runner,
        "--base-url",
        emu.base_url,
        "chat",
        "hi",
        "--thinking",
        "--audio",
        str(tmp_path / "a.wav"),
        env=KEY_ENV,
    )

    assert result.exit_code == 1
    assert "thinking" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert emu.requests == []


def test_debug_lets_the_exception_through(runner):
    result = run(runner, "--debug", "chat", "hi")

    assert result.exit_code == 1
    assert "DASHSCOPE_API_KEY" in str(result.exception)


def test_unreachable_endpoint_names_the_host(runner, unused_tcp_port):
    url = f"http://127.0.0.1:{unused_tcp_port}/compatible-mode/v1"
    result = run(runner, "--base-url", url, "chat", "hi", env=KEY_ENV)

    assert result.exit_code == 1
    assert f"Cannot reach the API at http://127.0.0.1:{unused_tcp_port}/" in (
        result.stderr
    )


# --- global options ----------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["chat", "hi", "--emulator"], ["--emulator", "chat", "hi"]),
        (
            ["chat", "--region", "cn", "hi", "--debug"],
            ["--region", "cn", "--debug", "chat", "hi"],
        ),
        (["chat", "--base-url=http://x", "hi"], ["--base-url=http://x", "chat", "hi"]),
        (["chat", "--", "--emulator"], ["chat", "--", "--emulator"]),
        (["chat", "hi", "--region"], ["chat", "hi", "--region"]),
    ],
)
def test_global_options_may_follow_the_command(args, expected):
    assert lift_global_options(args) == expected


# --- emulator and demo -----------------------------------------------------


def test_demo_writes_speech(runner, tmp_path):
    target = tmp_path / "demo.wav"

    result = run(runner, "demo", "--output", str(target))

    assert result.exit_code == 0, result.output
    assert sf.info(target).samplerate == 24_000
    assert "Saved" in result.stdout


def test_emulator_command_serves_in_the_foreground(unused_tcp_port):
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from langchain_qwen_omni.cli import main; main()",
            "emulator",
            "--port",
            str(unused_tcp_port),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        base_url = f"http://127.0.0.1:{unused_tcp_port}/compatible-mode/v1"
        assert base_url in line
        chat = ChatQwenOmni(base_url=base_url, api_key="sk-x", max_retries=0)
        assert "'ping'" in chat.invoke("ping").text
    finally:
        process.terminate()
        process.wait(timeout=10)


# --- credentials in URLs and errors from the stream ----------------------------


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("https://user:pass@host/v1", "https://***@host/v1"),
        (
            "at http://u:p%40ss@127.0.0.1:8/ and HTTPS://k@h?q=1",
            "at http://***@127.0.0.1:8/ and HTTPS://***@h?q=1",
        ),
        ("https://user:p@ss@host:443/x", "https://***@host:443/x"),
        ("https://host/path@not-userinfo", "https://host/path@not-userinfo"),
        ("mail me: a@b.c", "mail me: a@b.c"),
    ],
)
def test_url_credentials_are_masked(text, masked):
    assert mask_url_credentials(text) == masked


def test_unreachable_endpoint_with_credentials_never_prints_them(
    runner, unused_tcp_port
):
    url = f"http://admin:hunter2@127.0.0.1:{unused_tcp_port}/compatible-mode/v1"
    result = run(runner, "--base-url", url, "chat", "hi", env=KEY_ENV)

    assert result.exit_code == 1
    assert "hunter2" not in result.output
    assert "admin" not in result.output
    assert f"Cannot reach the API at http://***@127.0.0.1:{unused_tcp_port}/" in (
        result.stderr
    )


def test_debug_traceback_masks_credentials_too(runner, unused_tcp_port):
    url = f"http://admin:hunter2@127.0.0.1:{unused_tcp_port}/compatible-mode/v1"
    result = run(runner, "--debug", "--base-url", url, "chat", "hi", env=KEY_ENV)

    assert result.exit_code == 1
    error: BaseException | None = result.exception
    assert error is not None
    while error is not None:
        assert "hunter2" not in str(error)
        error = error.__cause__ or error.__context__
    assert "hunter2" not in result.output


def test_inband_error_is_one_line_with_the_services_words(runner, emu):
    emu.inject(Fault.inband_error("Throttling.AllocationQuota", "Quota used up."))

    result = run(
        runner, "--base-url", emu.base_url, "chat", "Say many words", env=KEY_ENV
    )

    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "Throttling.AllocationQuota: Quota used up." in lines[0]
    assert result.stdout  # the text before the error was printed
    assert "Traceback" not in result.output


def test_hostile_stream_event_is_one_line(runner):
    # A usage count no integer can hold, after the whole text: one line, exit 1.
    body = b'data: {"choices": [], "usage": {"prompt_tokens": 1e999}}\n\n'
    with RawServer() as raw:
        raw.script(Reply([*answer("All", " of", " it")[:-2], body]))
        result = run(runner, "--base-url", raw.base_url, "chat", "hi", env=KEY_ENV)

    assert result.exit_code == 1
    assert result.stdout.startswith("All of it")
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "Malformed stream event" in lines[0]
    assert "cannot convert float infinity to integer" in lines[0]
    assert "Traceback" not in result.output
