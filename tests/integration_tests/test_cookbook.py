"""Every cookbook recipe, run end to end against the emulator.

Recipes are imported from `cookbook/` and their `main([... "--emulator"])`
called in-process (a subprocess costs a second of imports each); one test
runs a recipe as a script, the way the README tells users to.
"""

from __future__ import annotations

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

from tests import media

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
    assert "(repaired) Omni takes one kind of media per user message" in captured.err


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
