"""The `ChatQwenOmni` docstring's and the README's examples, and the README's links.

Doctest-like: each ```python block of the docstring runs in order in one
namespace, with `DASHSCOPE_API_KEY` and `DASHSCOPE_BASE_URL` pointing at the
session emulator, in a folder holding the sample files the examples name
(`photo.jpg`, `question.mp3`, `clip.mp4`, ...). An expression followed by a
comment that spells a dict (`# {"input_tokens": 207, ...}`) must evaluate to
a dict with at least those keys, nested keys included: the emulator's values
differ from a real model's, but the shape must not. The README's sections
that no other test runs (configuration, quickstart, speech, usage, the
emulator) run the same way, with a stand-in for `sounddevice`; its links
must reach their targets."""

from __future__ import annotations

import ast
import asyncio
import functools
import re
import sys
import textwrap
import types
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

import pytest
import soundfile as sf
from typing_extensions import Self

from langchain_qwen_omni import ChatQwenOmni, playback
from tests import media
from tests.fake_audio import FakeDevice

if TYPE_CHECKING:
    from collections.abc import Callable

FENCE = re.compile(r"```python\n(?P<code>.*?)```", re.DOTALL)
SECTION = re.compile(r"^    (?P<title>[A-Z][\w /—-]+):$", re.MULTILINE)

SAMPLE_FILES: dict[str, Callable[[], bytes]] = {
    "photo.jpg": lambda: media.jpeg(64, 48),
    "photo.png": lambda: media.png(64, 48),
    "question.wav": lambda: media.wav(seconds=1.0),
    "question.mp3": lambda: media.mp3(seconds=1.0),
    "clip.mp4": lambda: media.mp4(seconds=2.0),
    **{
        f"frame{i}.jpg": functools.partial(media.jpeg, 32, 32, seed=i)
        for i in (1, 2, 3)
    },
}


def sections() -> list[tuple[str, str]]:
    """(section title, code) for every python block, in docstring order."""
    raw = ChatQwenOmni.__doc__ or ""
    titles = [(m.start(), m.group("title")) for m in SECTION.finditer(raw)]
    blocks = []
    for match in FENCE.finditer(raw):
        title = next(
            (t for start, t in reversed(titles) if start < match.start()), "top"
        )
        blocks.append((title, textwrap.dedent(match.group("code"))))
    assert blocks, "the docstring has no python examples"
    return blocks


def expected_shape(source_lines: list[str], end_line: int) -> object | None:
    """The literal spelled by the comment lines right after an expression."""
    comment = []
    for line in source_lines[end_line:]:
        stripped = line.strip()
        if not stripped.startswith("#"):
            break
        comment.append(stripped.removeprefix("#").strip())
    if not comment:
        return None
    try:
        shape: object = ast.literal_eval(" ".join(comment))
    except (ValueError, SyntaxError):
        return None
    return shape


def assert_shape(actual: object, expected: object, where: str) -> None:
    if isinstance(expected, set):  # {"id", "data", ...}: names of keys
        assert isinstance(actual, dict), f"{where}: {actual!r} is not a dict"
        missing = {key for key in expected if isinstance(key, str)} - set(actual)
        assert not missing, f"{where}: missing keys {missing}"
    elif isinstance(expected, dict):
        assert isinstance(actual, dict), f"{where}: {actual!r} is not a dict"
        missing = set(expected) - set(actual)
        assert not missing, f"{where}: missing keys {missing} in {actual!r}"
        for key, value in expected.items():
            assert_shape(actual[key], value, f"{where}[{key!r}]")


def run_block(code: str, namespace: dict[str, object], title: str) -> None:
    """Run one block statement by statement, checking commented shapes."""
    tree = ast.parse(code)
    lines = code.splitlines()
    if any(isinstance(node, (ast.Await, ast.AsyncFor)) for node in ast.walk(tree)):
        wrapped = "async def __example():\n" + textwrap.indent(code, "    ")
        wrapped += "\n    return locals()\n"
        exec(compile(wrapped, f"<docstring: {title}>", "exec"), namespace)  # noqa: S102
        namespace.update(asyncio.run(namespace["__example"]()))  # type: ignore[operator]
        return
    for node in tree.body:
        if isinstance(node, ast.Expr):
            value = eval(  # noqa: S307  # the docstring's own example
                compile(ast.Expression(node.value), f"<docstring: {title}>", "eval"),
                namespace,
            )
            shape = expected_shape(lines, node.end_lineno or node.lineno)
            if shape is not None:
                assert_shape(value, shape, f"{title}: {ast.unparse(node)}")
        else:
            module = ast.Module(body=[node], type_ignores=[])
            exec(compile(module, f"<docstring: {title}>", "exec"), namespace)  # noqa: S102


def test_docstring_has_the_partner_sections():
    titles = [title for title, _ in sections()]
    for needed in ("Instantiate", "Invoke", "Stream", "Async", "Audio output"):
        assert needed in titles
    for needed in ("Image input", "Audio input", "Video input"):
        assert needed in titles
    for needed in ("Token usage", "Response metadata"):
        assert needed in titles


def test_docstring_examples_run_against_the_emulator(emu, tmp_path, monkeypatch):
    monkeypatch.setenv("DASHSCOPE_API_KEY", "sk-emulator")
    monkeypatch.setenv("DASHSCOPE_BASE_URL", emu.base_url)
    monkeypatch.chdir(tmp_path)
    for name, make in SAMPLE_FILES.items():
        media.write(tmp_path / name, make())
    namespace: dict[str, object] = {"__name__": "docstring_examples"}
    for title, code in sections():
        run_block(code, namespace, title)  # tracebacks name the section

    sent = {
        part["type"]
        for request in emu.requests
        for message in request.body["messages"]
        if isinstance(message["content"], list)
        for part in message["content"]
    }
    assert {"image_url", "input_audio", "video_url", "video"} <= sent
    assert (tmp_path / "hello.wav").exists()


# --- the README's structure ---------------------------------------------------

ROOT = Path(__file__).resolve().parents[2]
LINK = re.compile(r"\]\((?P<target>[^)\s]+)\)")


def headings(markdown: str) -> list[tuple[int, str]]:
    """(level, title) of every heading outside code fences."""
    found, fence = [], False
    for line in markdown.splitlines():
        if line.startswith("```"):
            fence = not fence
        elif not fence and (match := re.match(r"^(#{1,6}) (.+)$", line)):
            found.append((len(match.group(1)), match.group(2).strip()))
    return found


def anchors(markdown: str) -> set[str]:
    """GitHub's anchors: lower case, punctuation dropped, spaces to hyphens."""
    seen: dict[str, int] = {}
    result = set()
    for _, title in headings(markdown):
        slug = re.sub(r"[^\w\- ]", "", title.lower()).replace(" ", "-")
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        result.add(slug if count == 0 else f"{slug}-{count}")
    return result


@pytest.mark.parametrize("document", ["README.md", "cookbook/README.md"])
def test_links_reach_their_targets(document):
    path = ROOT / document
    markdown = path.read_text(encoding="utf-8")
    known = anchors(markdown)
    for target in LINK.findall(markdown):
        if target.startswith(("http://", "https://")):
            continue
        file_part, _, anchor = target.partition("#")
        if file_part:
            assert (path.parent / file_part).exists(), f"{document}: {target}"
        else:
            assert anchor in known, f"{document}: no heading for #{anchor}"


def test_readme_contents_lists_every_section():
    markdown = (ROOT / "README.md").read_text(encoding="utf-8")
    contents = markdown.split("**Contents:**", 1)[1].split("\n\n", 1)[0]
    listed = [target.removeprefix("#") for target in LINK.findall(contents)]
    sections = [
        re.sub(r"[^\w\- ]", "", title.lower()).replace(" ", "-")
        for level, title in headings(markdown)
        if level == 2
    ]
    assert listed == sections


# --- the README's own examples -------------------------------------------------

README_SECTIONS = (
    "Configuration",
    "Quickstart",
    "Speech output",
    "Token usage and metadata",
    "The emulator",
)


class FakeOutputStream:
    """Stands in for `sounddevice.RawOutputStream`: keeps what it is given."""

    played: ClassVar[list[bytes]] = []

    def __init__(self, **settings: object) -> None:
        assert settings == {"samplerate": 24_000, "channels": 1, "dtype": "int16"}

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        return None

    def write(self, pcm: bytes) -> None:
        assert len(pcm) % 2 == 0  # whole int16 samples, playable at once
        self.played.append(pcm)


def readme_section(markdown: str, title: str) -> str:
    start = markdown.index(f"\n## {title}\n")
    end = markdown.find("\n## ", start + 1)
    return markdown[start : end if end != -1 else None]


def test_readme_examples_run_against_the_emulator(emu, tmp_path, monkeypatch):
    monkeypatch.setenv("DASHSCOPE_API_KEY", "sk-emulator")
    monkeypatch.setenv("DASHSCOPE_BASE_URL", emu.base_url)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setitem(
        sys.modules,
        "sounddevice",
        types.SimpleNamespace(RawOutputStream=FakeOutputStream),
    )
    FakeOutputStream.played.clear()
    # The media the token-counting example measures, by name.
    (tmp_path / "photo.png").write_bytes(media.png(640, 480))
    (tmp_path / "question.wav").write_bytes(media.wav(10.0))
    (tmp_path / "clip.mp4").write_bytes(media.mp4(10.0))
    device = FakeDevice()
    monkeypatch.setattr(playback, "default_device", lambda: device)
    markdown = (ROOT / "README.md").read_text(encoding="utf-8")
    namespace: dict[str, object] = {"__name__": "readme_examples"}

    for title in README_SECTIONS:
        for code in FENCE.findall(readme_section(markdown, title)):
            run_block(textwrap.dedent(code), namespace, title)

    assert sf.info(tmp_path / "hello.wav").samplerate == 24_000
    count = namespace["flash"].get_num_tokens_from_messages  # type: ignore[attr-defined]
    assert count([namespace["photo"]]) == 303
    assert count([namespace["speech"]]) == 128
    assert len(b"".join(FakeOutputStream.played)) > 24_000  # half a second and more
    assert len(device.played) == 4  # play_stream twice, play(), the spoken reply
    assert all(output.closed == "drained" for output in device.played)
    assert device.played[1].pcm == device.played[0].pcm  # audio.play() replays it
    assert sum(device.inputs[0].reads) == 5 * 16_000  # record(seconds=5)
    assert any(r.body.get("modalities") == ["text", "audio"] for r in emu.requests)
