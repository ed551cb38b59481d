"""Image, audio and video input, asserted on the request body the emulator got."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import io
import logging
import re
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage
from PIL import Image

from langchain_qwen_omni import (
    ChatQwenOmni,
    OmniAudio,
    OmniConversationError,
    OmniInputError,
    audio_block,
    chat_models,
    image_block,
    video_block,
    video_frames_block,
)
from langchain_qwen_omni.emulator import emulator_process
from tests import media

if TYPE_CHECKING:
    from collections.abc import Awaitable, Iterator

    from langchain_qwen_omni.emulator import OmniEmulator


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def ask(chat: ChatQwenOmni, *blocks: Any, text: str = "What is this?") -> AIMessage:
    """Send one user message: the text, then the blocks."""
    content: list[Any] = [{"type": "text", "text": text}, *blocks]
    return chat.invoke([HumanMessage(content=content)])


def sent_parts(emu: OmniEmulator) -> list[dict[str, Any]]:
    """The parts of the last message of the last request, after the text."""
    body = emu.requests[-1].body
    text, *parts = body["messages"][-1]["content"]
    assert text["type"] == "text"
    return list(parts)


def image_url(data: bytes, mime: str) -> dict[str, Any]:
    return {
        "type": "image_url",
        "image_url": {"url": f"data:{mime};base64,{b64(data)}"},
    }


# ------------------------------------------------------------------- images
def test_image_from_path_bytes_array_pil_and_url(
    chat: ChatQwenOmni, emu: OmniEmulator, tmp_path: Path
) -> None:
    photo = media.write(tmp_path / "photo.jpg", media.jpeg(32, 24))
    array = media.rgb_array(16, 12)
    message = ask(
        chat,
        image_block(photo),
        image_block(media.png(20, 20)),
        image_block(array),
        image_block(Image.fromarray(array)),
        image_block("https://example.com/cat.png?size=large"),
    )
    parts = sent_parts(emu)
    assert parts[0] == image_url(media.jpeg(32, 24), "image/jpeg")
    assert parts[1] == image_url(media.png(20, 20), "image/png")
    for part in parts[2:4]:
        data = base64.b64decode(part["image_url"]["url"].split(",", 1)[1])
        assert Image.open(io.BytesIO(data)).size == (16, 12)
    assert parts[4] == {
        "type": "image_url",
        "image_url": {"url": "https://example.com/cat.png?size=large"},
    }
    assert "5 image_url" in message.text


def test_image_in_every_block_shape(chat: ChatQwenOmni, emu: OmniEmulator) -> None:
    png = media.png(24, 24)
    ask(
        chat,
        {"type": "image", "base64": b64(png), "mime_type": "image/png"},
        {
            "type": "image",
            "source_type": "base64",
            "data": b64(png),
            "mime_type": "image/png",
        },
        {"type": "file", "base64": b64(png), "mime_type": "image/png"},
        {"type": "image_url", "image_url": {"url": f"data:;base64,{b64(png)}"}},
        {"type": "image_url", "image_url": f"data:image/png;base64,{b64(png)}"},
    )
    assert sent_parts(emu) == [image_url(png, "image/png")] * 5


# -------------------------------------------------------------------- audio
def test_audio_from_a_path_without_suffix(
    chat: ChatQwenOmni, emu: OmniEmulator, tmp_path: Path
) -> None:
    recording = media.write(tmp_path / "recording", media.mp3(1.0))
    message = ask(chat, audio_block(recording), text="Transcribe this.")
    assert sent_parts(emu) == [
        {
            "type": "input_audio",
            "input_audio": {
                "data": f"data:;base64,{b64(media.mp3(1.0))}",
                "format": "mp3",
            },
        }
    ]
    assert "1 input_audio" in message.text


@pytest.mark.parametrize(
    ("block", "data", "fmt"),
    [
        (
            {
                "type": "audio",
                "base64": b64(media.wav(1.0)),
                "mime_type": "audio/x-wav",
            },
            f"data:;base64,{b64(media.wav(1.0))}",
            "wav",
        ),
        (
            {
                "type": "input_audio",
                "input_audio": {"data": b64(media.wav(1.0)), "format": "wav"},
            },
            f"data:;base64,{b64(media.wav(1.0))}",
            "wav",
        ),
        (
            {"type": "audio", "url": f"data:audio/mpeg;base64,{b64(media.mp3(1.0))}"},
            f"data:;base64,{b64(media.mp3(1.0))}",
            "mp3",
        ),
        (
            {"type": "audio", "url": "https://example.com/a/voice.M4A?sig=x.mp3"},
            "https://example.com/a/voice.M4A?sig=x.mp3",
            "aac",
        ),
        (
            audio_block("https://example.com/stream", mime_type="audio/amr"),
            "https://example.com/stream",
            "amr",
        ),
        (
            {
                "type": "input_audio",
                "input_audio": {"data": "https://example.com/q.3gp", "format": "3gp"},
            },
            "https://example.com/q.3gp",
            "3gp",
        ),
    ],
)
def test_audio_block_shapes(
    chat: ChatQwenOmni, emu: OmniEmulator, block: Any, data: str, fmt: str
) -> None:
    ask(chat, block)
    assert sent_parts(emu) == [
        {"type": "input_audio", "input_audio": {"data": data, "format": fmt}}
    ]


def test_audio_from_samples_and_from_a_spoken_answer(
    chat: ChatQwenOmni, speaker: ChatQwenOmni, emu: OmniEmulator
) -> None:
    ask(chat, audio_block(media.tone(1.0, 16_000), sample_rate=16_000))
    (part,) = sent_parts(emu)
    assert part["input_audio"]["format"] == "wav"
    wav = base64.b64decode(part["input_audio"]["data"].removeprefix("data:;base64,"))
    assert wav.startswith(b"RIFF")
    assert len(wav) == 44 + 2 * 16_000

    spoken = OmniAudio.from_message(speaker.invoke("Say something"))
    ask(chat, audio_block(spoken), text="What did you hear?")
    (part,) = sent_parts(emu)
    wav = base64.b64decode(part["input_audio"]["data"].removeprefix("data:;base64,"))
    assert wav == spoken.to_wav_bytes()


# -------------------------------------------------------------------- video
def test_video_file_from_path_bytes_and_url(
    chat: ChatQwenOmni, emu: OmniEmulator, tmp_path: Path
) -> None:
    clip = media.mp4(2.0)
    path = media.write(tmp_path / "clip.mp4", clip)
    expected = {"type": "video_url", "video_url": {"url": f"data:;base64,{b64(clip)}"}}
    for block in (video_block(path), video_block(clip)):
        message = ask(chat, block, text="Describe the video.")
        assert sent_parts(emu) == [expected]
        assert "1 video_url" in message.text
    ask(chat, video_block("https://example.com/talk.mp4"))
    assert sent_parts(emu) == [
        {"type": "video_url", "video_url": {"url": "https://example.com/talk.mp4"}}
    ]
    ask(
        chat,
        {
            "type": "video_url",
            "video_url": {"url": f"data:video/mp4;base64,{b64(clip)}"},
        },
    )
    assert sent_parts(emu) == [expected]


def test_video_as_frames(chat: ChatQwenOmni, emu: OmniEmulator, tmp_path: Path) -> None:
    first = media.write(tmp_path / "frame0.jpg", media.jpeg(32, 32, seed=0))
    frames = [first, media.jpeg(32, 32, seed=1), media.rgb_array(32, 32, seed=2)]
    message = ask(
        chat,
        video_frames_block([*frames, "https://example.com/frame3.jpg"]),
        text="What happens?",
    )
    (part,) = sent_parts(emu)
    assert part["type"] == "video"
    assert part["video"][:2] == [
        f"data:image/jpeg;base64,{b64(media.jpeg(32, 32, seed=0))}",
        f"data:image/jpeg;base64,{b64(media.jpeg(32, 32, seed=1))}",
    ]
    assert part["video"][2].startswith("data:image/png;base64,")
    assert part["video"][3] == "https://example.com/frame3.jpg"
    assert "1 video (4 frames)" in message.text


def test_omni_frame_list_passes(chat: ChatQwenOmni, emu: OmniEmulator) -> None:
    urls = [f"https://example.com/f{i}.jpg" for i in range(4)]
    ask(chat, {"type": "video", "video": urls})
    assert sent_parts(emu) == [{"type": "video", "video": urls}]


# ----------------------------------------------- conversations and refusals
def test_history_is_sent_in_openai_shape(chat: ChatQwenOmni, emu: OmniEmulator) -> None:
    call = {"name": "lookup", "args": {"q": "cat"}, "id": "call_1", "type": "tool_call"}
    history = [
        SystemMessage("Be brief."),
        HumanMessage(
            content_blocks=[{"type": "text", "text": "Look"}, image_block(media.png())]
        ),
        AIMessage(
            content="A cat.",
            additional_kwargs={
                "audio": {"id": "a", "data": "AAAA", "transcript": "A cat."}
            },
        ),
        HumanMessage("Look it up."),
        AIMessage(content="", tool_calls=[call]),
        ToolMessage(content="Cats purr.", tool_call_id="call_1"),
        HumanMessage("And?"),
    ]
    chat.invoke(history)
    messages = emu.requests[-1].body["messages"]
    assert [m["role"] for m in messages] == [
        "system",
        "user",
        "assistant",
        "user",
        "assistant",
        "tool",
        "user",
    ]
    assert messages[2] == {"role": "assistant", "content": "A cat."}
    assert messages[4]["tool_calls"] == [
        {
            "id": "call_1",
            "type": "function",
            "function": {"name": "lookup", "arguments": '{"q": "cat"}'},
        }
    ]
    assert messages[5] == {
        "role": "tool",
        "tool_call_id": "call_1",
        "content": "Cats purr.",
    }


def test_assistant_media_is_flattened_or_refused(
    chat: ChatQwenOmni, emu: OmniEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    """Speech in history goes as its transcript, silently; other media warns."""
    spoken = AIMessage(
        content=[
            {"type": "text", "text": "A cat."},
            {"type": "audio", "base64": "AAAA", "extras": {"transcript": "A cat."}},
        ]
    )
    drawn = AIMessage(
        content_blocks=[{"type": "text", "text": "Drawn: "}, image_block(media.png())]
    )
    question = HumanMessage("And now?")
    with caplog.at_level(logging.WARNING, logger="langchain_qwen_omni"):
        chat.invoke([HumanMessage("What is it?"), spoken, question])
    assert emu.requests[-1].body["messages"][1] == {
        "role": "assistant",
        "content": "A cat.",
    }
    assert not caplog.records
    with caplog.at_level(logging.WARNING, logger="langchain_qwen_omni"):
        chat.invoke([HumanMessage("Draw"), drawn, question])
    assert emu.requests[-1].body["messages"][1] == {
        "role": "assistant",
        "content": "Drawn: ",
    }
    assert "assistant" in caplog.text
    emu.clear()
    strict = chat.model_copy(update={"strict": True})
    with pytest.raises(OmniConversationError, match="Message 1 is an assistant"):
        strict.invoke([HumanMessage("Draw"), drawn, question])
    assert emu.requests == []


@pytest.mark.parametrize(
    ("block", "match"),
    [
        (
            {"type": "image", "url": "file:///etc/passwd"},
            r"Message 0, block 1: 'file:///etc/passwd' is refused",
        ),
        (
            {"type": "video", "url": "/home/me/clip.mp4"},
            r"video_block\('path/to/file'\)",
        ),
        (
            {"type": "audio", "base64": "bm90IGF1ZGlv!", "mime_type": "audio/wav"},
            "does not decode",
        ),
        (
            {"type": "image_url", "image_url": {"url": "data:image/png,raw"}},
            "does not end in ';base64'",
        ),
        (
            {"type": "audio", "url": "https://example.com/stream"},
            "cannot tell the audio format",
        ),
    ],
)
async def test_bad_input_fails_before_the_network(
    chat: ChatQwenOmni, emu: OmniEmulator, block: Any, match: str
) -> None:
    message = HumanMessage(content=[{"type": "text", "text": "x"}, block])
    with pytest.raises(OmniInputError, match=match):
        chat.invoke([message])
    with pytest.raises(OmniInputError, match=match):
        await chat.ainvoke([message])
    assert emu.requests == []


# -------------------------------------------------------- async, no stalls
STALL = 0.05
"""The longest pause of the event loop a 7 MB file may cause, in seconds."""


@pytest.fixture(scope="module")
def remote_base_url() -> Iterator[str]:
    """An emulator in its own process, like a real server.

    The session emulator runs in this process, where its own work on a
    7 MB body (parsing, decoding, probing) would hold the interpreter and
    pause the client's event loop too; a real API does not.
    """
    with emulator_process() as base_url:
        yield base_url


async def loop_pauses(work: Awaitable[Any]) -> tuple[Any, float, float]:
    """Run `work` beside a 1 ms ticker; return its result and the longest pauses.

    Returns the longest wall-clock time between two ticks, and the most CPU
    time the event loop's own thread spent between two ticks. The first is
    what a user feels; the second counts only work done on the loop itself
    (not waiting for a busy machine or another thread), so it does not vary
    with the load of the machine.
    """
    wall: list[float] = []
    cpu: list[float] = []
    done = asyncio.Event()

    async def ticker() -> None:
        last, last_cpu = time.perf_counter(), time.thread_time()
        while not done.is_set():
            await asyncio.sleep(0.001)
            now, now_cpu = time.perf_counter(), time.thread_time()
            wall.append(now - last)
            cpu.append(now_cpu - last_cpu)
            last, last_cpu = now, now_cpu

    task = asyncio.create_task(ticker())
    await asyncio.sleep(0.005)
    try:
        result = await work
    finally:
        done.set()
        await task
    assert len(wall) > 10
    return result, max(wall), max(cpu)


@pytest.fixture
def long_recording(tmp_path: Path) -> tuple[HumanMessage, bytes]:
    data = media.wav_of_size(7 * 1024 * 1024)
    path = media.write(tmp_path / "long.wav", data)
    blocks: list[Any] = [{"type": "text", "text": "Summarize."}, audio_block(path)]
    return HumanMessage(content_blocks=blocks), data


async def test_large_local_file_does_not_stall_the_event_loop(
    remote_base_url: str, long_recording: tuple[HumanMessage, bytes]
) -> None:
    """A 7 MB file is read and encoded in a worker thread, in short steps.

    The loop's own CPU time between ticks stays under 50 ms on every try;
    the wall-clock pause must too on one of three tries, since a machine
    busy with other work can delay any thread now and then.
    """
    message, data = long_recording
    chat = ChatQwenOmni(base_url=remote_base_url, api_key="sk-emulator", max_retries=0)
    await chat.ainvoke([HumanMessage(content_blocks=[audio_block(media.wav(1.0))])])
    walls = []
    for _ in range(3):
        answer, wall, cpu = await loop_pauses(chat.ainvoke([message]))
        assert f"wav, 229.37 s, {len(data):,} bytes" in answer.text
        assert cpu < STALL, f"the event loop itself worked {cpu * 1000:.0f} ms"
        walls.append(wall)
        if wall < STALL:
            break
    assert min(walls) < STALL, f"the event loop paused {min(walls) * 1000:.0f} ms"


async def test_the_stall_probe_sees_work_done_on_the_loop(
    chat: ChatQwenOmni,
    emu: OmniEmulator,
    long_recording: tuple[HumanMessage, bytes],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The control: with the request built on the loop itself, the probe fails."""

    async def on_the_loop(_: object, func: Any, *args: Any, **kwargs: Any) -> Any:
        return func(*args, **kwargs)

    monkeypatch.setattr(chat_models, "run_in_executor", on_the_loop)
    message, data = long_recording
    _, _, cpu = await loop_pauses(chat.ainvoke([message]))
    assert cpu > STALL
    (part,) = sent_parts(emu)
    sent = part["input_audio"]["data"].removeprefix("data:;base64,")
    assert (
        hashlib.sha256(base64.b64decode(sent)).digest() == hashlib.sha256(data).digest()
    )


# ------------------------------------------------------------ README examples
README = Path(__file__).parents[2] / "README.md"
FENCE = re.compile(r"```python\n(?P<code>.*?)```", re.DOTALL)


def readme_section(title: str) -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else None]


def test_readme_input_examples_run(
    emu: OmniEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The README's input examples, run in order against the emulator."""
    for name, data in {
        "photo.jpg": media.jpeg(64, 48),
        "question.mp3": media.mp3(1.0),
        "clip.mp4": media.mp4(2.0),
        **{f"frame{i}.jpg": media.jpeg(32, 32, seed=i) for i in (1, 2, 3)},
    }.items():
        media.write(tmp_path / name, data)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DASHSCOPE_API_KEY", "sk-emulator")
    monkeypatch.setenv("DASHSCOPE_BASE_URL", emu.base_url)
    blocks = FENCE.findall(readme_section("Image, audio and video input"))
    assert len(blocks) == 4
    namespace: dict[str, Any] = {}
    for code in blocks:
        exec(compile(code, str(README), "exec"), namespace)  # noqa: S102
    sent = [request.body["messages"][-1]["content"] for request in emu.requests]
    assert [[part["type"] for part in content] for content in sent] == [
        ["text", "image_url"],
        ["text", "input_audio"],
        ["text", "video_url"],
        ["text", "video"],
    ]
    assert sent[0][1] == image_url(media.jpeg(64, 48), "image/jpeg")
    assert sent[1][1]["input_audio"]["format"] == "mp3"
    assert len(sent[3][1]["video"]) == 3
    extra = namespace["same_kind"] + namespace["also_audio"]
    assert [block["type"] for block in extra] == ["image"] * 3 + ["audio"] * 2
