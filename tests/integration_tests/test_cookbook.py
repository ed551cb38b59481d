"""Every cookbook recipe, run end to end against the emulator.

Recipes are imported from `cookbook/` and their `main([... "--emulator"])`
called in-process (a subprocess costs a second of imports each); one test
runs a recipe as a script, the way the README tells users to.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import soundfile as sf

from langchain_qwen_omni import playback
from tests import media
from tests.fake_audio import FakeDevice

if TYPE_CHECKING:
    from types import ModuleType

COOKBOOK = Path(__file__).resolve().parents[2] / "cookbook"
RECIPES = sorted(p.stem for p in COOKBOOK.glob("*.py") if not p.stem.startswith("_"))
URL = "https://example.com/cat.jpg"
EMULATOR_LINE = re.compile(r"\[(?P<model>[\w.-]+) emulator\] I received (?P<n>\d+) ")


@pytest.fixture(autouse=True)
def _no_key(monkeypatch):
    monkeypatch.delenv("DASHSCOPE_API_KEY", raising=False)
    monkeypatch.syspath_prepend(str(COOKBOOK))


def load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        f"cookbook_{name}", COOKBOOK / f"{name}.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run(name: str, *args: str) -> int:
    return int(load(name).main([*args, "--emulator"]))


def answers(text: str) -> list[re.Match[str]]:
    return list(EMULATOR_LINE.finditer(text))


# --- the index --------------------------------------------------------------


def test_at_least_ten_recipes_each_documented_and_indexed():
    index = (COOKBOOK / "README.md").read_text()
    assert len(RECIPES) >= 10, RECIPES
    for name in RECIPES:
        module = load(name)
        assert module.__doc__, f"{name} has no docstring"
        assert callable(module.main), name
        assert f"`{name}.py`" in index, f"{name} is not in cookbook/README.md"


def test_every_recipe_has_a_test():
    tested = {
        name.removeprefix("test_")
        for name in globals()
        if name.startswith("test_") and name.removeprefix("test_") in RECIPES
    }
    assert tested == set(RECIPES)


# --- the recipes ------------------------------------------------------------


def test_quickstart(capsys):
    assert run("quickstart") == 0

    out = capsys.readouterr().out
    for label in ("invoke:", "stream:", "ainvoke:", "astream:", "abatch:"):
        assert label in out
    assert len(answers(out)) == 6
    assert "'Say hi in Japanese.'" in out
    assert "'total_tokens':" in out


def test_quickstart_falls_back_to_the_emulator_and_says_so(capsys):
    assert load("quickstart").main([]) == 0

    captured = capsys.readouterr()
    assert "DASHSCOPE_API_KEY is not set" in captured.err
    assert answers(captured.out)


def test_quickstart_runs_as_a_script():
    env = {k: v for k, v in os.environ.items() if k != "DASHSCOPE_API_KEY"}
    done = subprocess.run(
        [sys.executable, str(COOKBOOK / "quickstart.py"), "--emulator"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    assert len(answers(done.stdout)) == 6


def test_service_errors(capsys):
    assert run("service_errors") == 0

    lines = dict(
        line.split(": ", 1) for line in capsys.readouterr().out.strip().splitlines()
    )
    assert lines["no fault"].startswith("complete; kept ")
    assert lines["moderation of the output"].startswith("moderation stopped the answer")
    assert "refused by moderation: <400>" in lines["moderation of the input"]
    assert lines["throttled mid-answer"].startswith(
        "throttled (Throttling.AllocationQuota)"
    )
    assert "(HTTP 200): 502 Bad Gateway" in lines["a gateway page instead of a stream"]
    assert lines["a dropped connection"].startswith("the stream broke")
    for name in ("moderation of the output", "throttled mid-answer"):
        assert "kept 0 characters" not in lines[name]
        assert "'[qwen3-omni-flash emulator] I received" in lines[name]


def test_spoken_reply(tmp_path, capsys):
    target = tmp_path / "reply.wav"

    assert run("spoken_reply", "--out", str(target), "--voice", "Ethan") == 0

    captured = capsys.readouterr()
    info = sf.info(target)
    assert (info.samplerate, info.channels) == (24_000, 1)
    live = tmp_path / "reply.live.pcm"
    assert "writing the live PCM" in captured.err
    samples, _ = sf.read(target, dtype="int16")
    assert live.read_bytes() == samples.tobytes()  # live pieces = the whole speech
    assert f"{info.duration:.2f} s of speech" in captured.out


def test_image_question(capsys, tmp_path):
    photo = media.write(tmp_path / "mine.jpg", media.jpeg(40, 30))

    assert run("image_question", "--image", str(photo), "--url", URL) == 0

    out = capsys.readouterr().out
    assert "mine.jpg: [qwen3-omni-flash emulator]" in out
    assert f"{URL}: [qwen3-omni-flash emulator]" in out
    assert out.count("Media: 1 image_url.") == 2


def test_image_question_makes_its_own_sample(capsys):
    assert run("image_question") == 0

    assert "sample.png: [qwen3-omni-flash emulator]" in capsys.readouterr().out


def test_audio_question(capsys):
    assert run("audio_question", "--question", "What is it?") == 0

    out = capsys.readouterr().out
    assert "sample.wav: " in out
    assert "'What is it?'. Media: 1 input_audio." in out


def test_video_question(capsys):
    assert run("video_question") == 0

    assert "Media: 1 video_url." in capsys.readouterr().out


def test_video_frames(capsys):
    assert run("video_frames", "--fps", "2") == 0

    out = capsys.readouterr().out
    frames = int(out.split(" frames from")[0])
    assert frames == 8  # a 4 s sample at 2 frames a second
    assert f"Media: 1 video ({frames} frames)." in out


def test_conversation(capsys):
    assert run("conversation", "--model", "qwen-omni-turbo") == 0

    captured = capsys.readouterr()
    turns = [line for line in captured.out.splitlines() if line.startswith("turn ")]
    assert len(turns) == 3
    assert "I received 1 message (user)." in turns[0]  # system merged (turbo)
    assert "'You are a concise guide." in turns[0]
    assert (
        "I received 6 messages (user, assistant, user, assistant, user, user)"
        in (turns[2])
    )  # the mixed message was split in two
    assert "strict=True refuses instead: Message 0 is a system message" in (
        captured.out
    )
    assert "takes one kind of media per user message" in captured.err


@pytest.mark.parametrize(
    "case",
    [
        ("qwen3-omni-flash", 1, "strict=True refuses instead: Message 1, block 0"),
        ("qwen3.5-omni-flash", 4, "strict=True: qwen3.5-omni-flash hears every"),
    ],
)
def test_voice_conversation(capsys, monkeypatch, emu, case):
    model, heard, strict = case
    monkeypatch.setattr(
        "langchain_qwen_omni.emulator.OmniEmulator", lambda: contextlib.nullcontext(emu)
    )  # the recipe talks to the test's emulator, whose log the test reads
    recipe = load("voice_conversation")
    assert recipe.main(["--model", model, "--emulator"]) == 0

    captured = capsys.readouterr()
    turns = [line for line in captured.out.splitlines() if line.startswith("turn ")]
    assert len(turns) == 4
    assert all("s spoken)" in turn for turn in turns)
    assert strict in captured.out
    last = emu.requests[-1].body  # the fourth turn, or strict=True resending it
    audio = [
        part
        for message in last["messages"]
        if isinstance(message["content"], list)
        for part in message["content"]
        if part["type"] == "input_audio"
    ]
    assert len(audio) == heard
    texts = [m["content"] for m in last["messages"] if m["role"] == "user"]
    if heard == 1:  # earlier turns went as their transcripts, or a note
        assert texts[0] == [{"type": "text", "text": recipe.QUESTIONS[0]}]
        assert "[earlier audio of 1.8 s, not sent again]" in str(texts[2])


def test_spoken_agent(capsys):
    assert run("spoken_agent") == 0

    out = capsys.readouterr().out
    assert out.count("model calls stay_cost (not spoken)") == 2
    assert len(re.findall(r"answer \(\d+\.\d s spoken\): ", out)) == 2
    assert "returned '3 nights at 120 cost 360.00'" in out
    assert "the thread holds 8 messages" in out  # the checkpointer kept both turns


def test_lcel_batch(capsys, tmp_path):
    folder = tmp_path / "photos"
    for index in range(3):
        media.write(folder / f"p{index}.png", media.png(20, 20, seed=index))
    (folder / "notes.txt").write_text("not a picture")

    assert run("lcel_batch", "--folder", str(folder), "--concurrency", "2") == 0

    out = capsys.readouterr().out
    assert "Describing pictures" in out
    for index in range(3):  # each row answers its own picture
        assert re.search(
            rf"│ p{index}\.png +│ .*'Alt text for +│?\s*p{index}\.png", out, re.DOTALL
        )
    assert "notes.txt" not in out


def test_structured_video(capsys):
    assert run("structured_video") == 0

    facts = json.loads(capsys.readouterr().out)
    assert set(facts) == {"title", "scenes", "has_speech", "mood"}
    assert isinstance(facts["scenes"], list)
    assert isinstance(facts["has_speech"], bool)


def test_thinking(capsys):
    assert run("thinking", "--question", "Why?") == 0

    out = capsys.readouterr().out
    assert out.index("--- thinking") < out.index("--- answer")
    assert "'Why?'" in out.split("--- answer")[1]
    assert re.search(r"reasoning tokens: [1-9]\d*", out)


def test_self_hosted_vllm(capsys, tmp_path):
    out_file = tmp_path / "reply.wav"
    assert run("self_hosted_vllm", "--voice", "Aiden", "--out", str(out_file)) == 0

    out = capsys.readouterr().out
    assert "vLLM-Omni emulator] I received 1 message (user)." in out
    assert "Output: text, audio (speaker aiden)." in out
    assert "Media: 1 image_url, 1 input_audio, 1 video_url." in out
    assert "Audio in video: on." in out
    assert "tool call: get_weather {'city': 'emulated city'}" in out
    assert "returned 'sunny and 24 C in emulated city'" in out
    info = sf.info(out_file)
    assert (info.samplerate, info.channels) == (24_000, 1)
    assert info.duration > 1.0


def test_long_video_summary(capsys):
    args = ("--seconds", "90", "--model", "qwen-omni-turbo", "--concurrency", "3")
    assert run("long_video_summary", *args) == 0

    out = capsys.readouterr().out
    progress = re.findall(r"part (\d)/3 described", out)
    assert progress == ["1", "2", "3"]
    assert "How: segments" in out
    assert "[00:00-00:30]" in out
    assert "[01:00-01:30]" in out
    assert "Summary: [qwen-omni-turbo emulator]" in out


def test_long_video_agent(capsys):
    args = ("--seconds", "160", "--concurrency", "2")
    assert run("long_video_agent", *args) == 0

    out = capsys.readouterr().out
    call = out.index("agent calls describe_video({'video': 'emulated video'})")
    chose = out.index("tool chose segments: the video lasts 160.0 s")
    answer = out.index("answer: [qwen3-omni-flash emulator] The tool describe_video")
    assert call < chose < answer
    assert re.findall(r"part (\d)/2 described", out) == ["1", "2"]
    assert "[00:00-01:20]" in out
    assert "[01:20-02:40]" in out


def test_agent_with_media(capsys):
    assert run("agent_with_media") == 0

    out = capsys.readouterr().out
    call = out.index("model calls print_cost(")
    result = out.index("tool print_cost returns: 600 cm2 at 0.05 per cm2 costs 30.00")
    answer = out.index("answer: ")
    assert call < result < answer
    assert "30.00" in out[answer:]


def test_agent_test(capsys):
    assert run("agent_test") == 0

    out = capsys.readouterr().out
    call = out.index(
        "model calls book_table({'restaurant': 'Chez Anna', 'people': 4, "
        "'time': '19:30'})"
    )
    result = out.index("tool returns: Booked Chez Anna for 4 at 19:30, reference B1.")
    answer = out.index("model answers: Done: Chez Anna, 4 people at 19:30")
    assert call < result < answer
    assert "model answers: We open at noon." in out
    assert out.rstrip().endswith("2 passed, 0 failed")


def test_agent_test_reports_where_an_agent_leaves_its_script(capsys, monkeypatch):
    recipe = load("agent_test")
    no_tools = recipe.create_agent
    monkeypatch.setattr(
        recipe, "build_agent", lambda model: no_tools(model, tools=[])
    )  # an agent that lost its tool: the scripted call no longer fits

    assert recipe.main(["--emulator"]) == 1

    out = capsys.readouterr().out
    assert "FAIL test_books_the_table_and_confirms" in out
    assert (
        "Scripted answer 1 (a call of 'book_table') does not fit this request: it "
        "calls the tool 'book_table', which the request does not bind (tools: none)"
    ) in out
    assert "PASS test_answers_without_booking_when_asked_nothing_bookable" not in out
    assert out.rstrip().endswith("0 passed, 2 failed")


def test_voice_question(capsys, tmp_path, monkeypatch):
    device = FakeDevice()
    monkeypatch.setattr(playback, "default_device", lambda: device)
    target = tmp_path / "answer.wav"

    assert run("voice_question", "--seconds", "0.5", "--out", str(target)) == 0

    out = capsys.readouterr().out
    (microphone,) = device.inputs
    assert sum(microphone.reads) == 8000  # 0.5 s at 16 kHz
    assert "Media: 1 input_audio. Inline media: input_audio 1: wav, 0.50 s" in out
    assert re.search(
        r"OmniAudio\(\d+\.\d\d s, 24000 Hz, mono, transcript='\[qwen3-omni-flash", out
    )
    (speaker,) = device.played
    samples, _ = sf.read(target, dtype="int16")
    assert speaker.pcm == samples.tobytes()  # what was heard is what was saved


def test_voice_question_without_a_sound_device(capsys, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "sounddevice", None)
    target = tmp_path / "answer.wav"

    assert run("voice_question", "--out", str(target)) == 0

    captured = capsys.readouterr()
    assert "Cannot record: " in captured.err
    assert 'pip install "langchain-qwen-omni[playback]"' in captured.err
    assert "Not played: " in captured.err
    assert "input_audio 1: wav, 2.00 s" in captured.out  # the generated sample
    assert sf.info(target).samplerate == 24_000


def test_realtime_agent(tmp_path, capsys):
    target = tmp_path / "answer.wav"

    assert run("realtime_agent", "--out", str(target)) == 0

    out = capsys.readouterr().out
    heard = out.index("You: What is the weather in Paris")
    calls = [out.index("-> get_weather("), out.index("-> get_local_time(")]
    results = [
        out.index("<- get_weather: Sunny and 21 C in emulated city"),
        out.index("<- get_local_time: 09:30 in emulated city"),
    ]
    answer = out.index("Qwen: The tools answered: get_weather: 'Sunny and 21 C")
    assert heard < min(calls)
    assert max(calls) < min(results)  # both started before either finished
    assert max(results) < answer
    assert (
        "conversation: HumanMessage, AIMessage, ToolMessage, ToolMessage, AIMessage"
        in out
    )
    assert "In text: " in out
    info = sf.info(target)
    assert (info.samplerate, info.channels) == (24_000, 1)
    assert info.duration > 1.0
