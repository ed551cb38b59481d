"""The realtime docs run: `QwenOmniRealtime`'s docstring and the README section.

The docstring's ```python blocks run in order in one namespace and one event
loop (top-level `await`, as in a notebook); the README's are scripts, run as
they are. `DASHSCOPE_API_KEY` and `DASHSCOPE_BASE_URL` point at the session
emulator, in a folder holding the `question.wav` the examples name.
"""

from __future__ import annotations

import ast
import asyncio
import inspect
import re
import textwrap
from pathlib import Path

import pytest
import soundfile as sf

from langchain_qwen_omni.realtime import QwenOmniRealtime
from tests import media

pytestmark = pytest.mark.timeout(60)

ROOT = Path(__file__).resolve().parents[2]
FENCE = re.compile(r"```python\n(?P<code>.*?)```", re.DOTALL)
SECTION = re.compile(r"^    (?P<title>[A-Z][\w /—-]+):$", re.MULTILINE)


def docstring_blocks() -> list[tuple[str, str]]:
    raw = QwenOmniRealtime.__doc__ or ""
    titles = [(m.start(), m.group("title")) for m in SECTION.finditer(raw)]
    blocks = []
    for match in FENCE.finditer(raw):
        title = next(t for start, t in reversed(titles) if start < match.start())
        blocks.append((title, textwrap.dedent(match.group("code"))))
    return blocks


def readme_blocks() -> list[tuple[str, str]]:
    markdown = (ROOT / "README.md").read_text(encoding="utf-8")
    start = markdown.index("\n## Realtime voice sessions\n")
    end = markdown.index("\n## ", start + 1)
    return [("README", code) for code in FENCE.findall(markdown[start:end])]


async def run_blocks(blocks: list[tuple[str, str]]) -> dict[str, object]:
    namespace: dict[str, object] = {"__name__": "realtime_examples"}
    for title, code in blocks:
        compiled = compile(
            code, f"<{title}>", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
        )
        result = eval(compiled, namespace)  # noqa: S307  # the docs' own examples
        if inspect.iscoroutine(result):
            await result
    return namespace


@pytest.fixture
def docs_env(emu, tmp_path, monkeypatch):
    monkeypatch.setenv("DASHSCOPE_API_KEY", "sk-emulator")
    monkeypatch.setenv("DASHSCOPE_BASE_URL", emu.base_url)
    monkeypatch.chdir(tmp_path)
    sf.write(tmp_path / "question.wav", media.tone(1.0, 16_000, 200.0), 16_000)
    emu.realtime.reset(speed=0, transcripts=("What is the weather? Ask get_weather.",))
    return emu


def test_the_docstring_has_the_partner_sections():
    titles = [title for title, _ in docstring_blocks()]
    assert titles == ["Instantiate", "Talk", "Tools", "Manual turns"]
    assert "Setup:" in (QwenOmniRealtime.__doc__ or "")


def test_docstring_examples_run_against_the_emulator(docs_env, tmp_path):
    namespace = asyncio.run(run_blocks(docstring_blocks()))

    assert (tmp_path / "answer.wav").exists()
    agent = namespace["agent"]
    assert isinstance(agent, QwenOmniRealtime)
    assert [type(m).__name__ for m in agent.messages] == [
        "HumanMessage", "AIMessage", "ToolMessage", "AIMessage",
    ]  # fmt: skip
    final = agent.messages[-1].text
    assert final == "The tools answered: get_weather: 'Sunny in emulated city'."
    manual = docs_env.realtime.sessions[-1]
    assert manual.of_type("input_audio_buffer.commit")
    assert manual.of_type("response.create")


def test_readme_examples_run_against_the_emulator(docs_env, tmp_path, capsys):
    namespace: dict[str, object] = {"__name__": "readme_examples"}
    for title, code in readme_blocks():  # scripts: each runs its own event loop
        exec(compile(code, f"<{title}>", "exec"), namespace)  # noqa: S102

    out = capsys.readouterr().out
    assert "You: What is the weather? Ask get_weather." in out
    assert "['HumanMessage', 'AIMessage', 'ToolMessage', 'AIMessage']" in out
    assert "The tools answered: get_weather: 'Sunny in emulated city'." in out
    assert sf.info(tmp_path / "answer.wav").samplerate == 24_000
