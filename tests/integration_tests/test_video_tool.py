"""DescribeVideoTool and create_video_describer against the emulator.

Videos are generated with PyAV (160x120, 10 fps, an AAC track), once per
session. Assertions read what reached the emulator: one `video_url` data
URL per part, each decodable, within the model's limits.
"""

import asyncio
import base64
import io
import itertools
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import av
import httpx2
import openai
import pytest
from langchain.agents import create_agent
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import HumanMessage, ToolMessage

from langchain_qwen_omni import ChatQwenOmni, OmniAudio, OmniInputError
from langchain_qwen_omni import video as video_module
from langchain_qwen_omni._sandbox import RemoteVideo
from langchain_qwen_omni.emulator import Fault, OmniEmulator
from langchain_qwen_omni.profiles import DATA_URL_MAX_BYTES
from langchain_qwen_omni.tools import (
    PROGRESS_EVENT,
    DescribeVideoInput,
    DescribeVideoTool,
    VideoDescription,
    _explained,
    _Job,
    _Options,
    _prepare,
    _url_plan,
    _Workspace,
    create_video_describer,
)
from tests import media

if TYPE_CHECKING:
    from langchain_core.runnables import RunnableConfig

LONG_SECONDS = 100.0


@pytest.fixture(scope="session")
def videos(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The allowed folder: a 4 s clip, a 100 s video, a silent one."""
    folder = tmp_path_factory.mktemp("allowed")
    small = {"width": 160, "height": 120, "fps": 10}
    media.write(folder / "short.mp4", media.mp4(seconds=4.0, **small))
    media.write(folder / "long.mp4", media.mp4(seconds=LONG_SECONDS, **small))
    media.write(folder / "silent.mp4", media.mp4(seconds=20.0, audio=False, **small))
    media.write(folder / "broken.mp4", b"\x00\x00\x00\x18ftypmp42" + b"garbage" * 50)
    # The emulator calls a tool with `"emulated <field>"` for string fields,
    # so an agent driven by the emulator asks for this file.
    shutil.copy(folder / "short.mp4", folder / "emulated video")
    return folder


@pytest.fixture
def turbo(emu: OmniEmulator) -> ChatQwenOmni:
    """A 40 s model: the one that needs long videos cut."""
    return ChatQwenOmni(
        model="qwen-omni-turbo", base_url=emu.base_url, api_key="sk-emu", max_retries=0
    )


def call(args: dict[str, Any], call_id: str = "call-1") -> dict[str, Any]:
    return {"type": "tool_call", "id": call_id, "name": "describe_video", "args": args}


def user_parts(body: dict[str, Any]) -> list[dict[str, Any]]:
    (message,) = body["messages"]
    assert message["role"] == "user"
    content = message["content"]
    return content if isinstance(content, list) else [{"type": "text", "text": content}]


def video_of(body: dict[str, Any]) -> tuple[bytes, str]:
    """The video file a request carries, decoded, and the request's text."""
    parts = user_parts(body)
    (video,) = [p for p in parts if p["type"] == "video_url"]
    url = video["video_url"]["url"]
    assert url.startswith("data:;base64,")
    assert len(url) <= DATA_URL_MAX_BYTES
    text = " ".join(p["text"] for p in parts if p["type"] == "text")
    return base64.b64decode(url.removeprefix("data:;base64,")), text


def seconds_of(data: bytes) -> tuple[float, bool]:
    with av.open(io.BytesIO(data), mode="r") as container:
        assert container.duration is not None
        return container.duration / 1_000_000, bool(container.streams.audio)


class Recorder(BaseCallbackHandler):
    """Records model runs (start/end times, usage) and progress events."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.starts: dict[Any, float] = {}
        self.spans: list[tuple[float, float]] = []
        self.usage: list[dict[str, int]] = []
        self.events: list[tuple[str, dict[str, Any]]] = []

    def on_chat_model_start(self, serialized, messages, *, run_id, **kwargs) -> None:
        with self.lock:
            self.starts[run_id] = time.monotonic()

    def on_llm_end(self, response, *, run_id, **kwargs) -> None:
        with self.lock:
            self.spans.append((self.starts.pop(run_id), time.monotonic()))
            message = response.generations[0][0].message
            self.usage.append(dict(message.usage_metadata or {}))

    def on_custom_event(self, name, data, **kwargs) -> None:
        with self.lock:
            self.events.append((name, data))

    def most_at_once(self) -> int:
        edges = sorted(
            [(s, 1) for s, _ in self.spans] + [(e, -1) for _, e in self.spans]
        )
        running = peak = 0
        for _, step in edges:
            running += step
            peak = max(peak, running)
        return peak


# --- whole, segments, frames ---------------------------------------------------


def test_short_video_is_sent_whole(turbo, videos, emu) -> None:
    tool = DescribeVideoTool(llm=turbo, allowed_dirs=[videos])
    message = tool.invoke(call({"video": "short.mp4", "question": "What colour?"}))
    assert isinstance(message, ToolMessage)
    assert message.status == "success"
    (request,) = emu.requests
    data, text = video_of(request.body)
    assert data == (videos / "short.mp4").read_bytes()
    assert text.startswith("What colour?")
    result = message.artifact
    assert isinstance(result, VideoDescription)
    assert result.strategy == "whole"
    assert "fits as is" in result.reason
    ((start, end),) = [(s.start, s.end) for s in result.segments]
    assert start == 0.0
    assert end == pytest.approx(4.0)
    assert message.content == result.answer
    assert "Media: 1 video_url." in result.answer


def test_a_whole_file_is_encoded_once_while_preparing(turbo, videos) -> None:
    # The data URL is made with the rest of the blocking work (in the worker
    # thread on the async path); the part's request reuses it, unchanged.
    options = _Options(turbo, (videos,), 1, "auto")
    workspace = _Workspace()
    try:
        job = _prepare(options, DescribeVideoInput(video="short.mp4"), workspace)
    finally:
        workspace.close()
    encoded = base64.b64encode((videos / "short.mp4").read_bytes()).decode()
    assert job.whole_url == f"data:;base64,{encoded}"
    assert job.media_block(0)["video_url"]["url"] is job.whole_url


def test_long_video_is_cut_into_segments_that_fit(turbo, videos, emu) -> None:
    tool = DescribeVideoTool(llm=turbo, allowed_dirs=[videos])
    message = tool.invoke(call({"video": str(videos / "long.mp4")}))
    result = message.artifact
    assert result.strategy == "segments"
    assert "over the model's 40 s" in result.reason
    *parts, merge = emu.requests
    assert len(parts) >= 3
    ranges = []
    for request in parts:
        data, text = video_of(request.body)
        seconds, has_sound = seconds_of(data)
        assert seconds <= 40.0
        assert has_sound
        ranges.append(text.split(",")[1].split()[0])  # "Part 1 of 3, 00:00-00:33 ..."
    assert sorted(ranges) == ["00:00-00:33", "00:33-01:07", "01:07-01:40"]
    segments = result.segments
    assert segments[0].start == 0.0
    assert segments[-1].end == LONG_SECONDS
    assert all(a.end == b.start for a, b in itertools.pairwise(segments))
    assert all(s.end - s.start <= 40.0 for s in segments)
    assert all("Part" in s.text for s in segments)
    # The merge is a text call naming every part's time range.
    (merge_part,) = user_parts(merge.body)
    assert merge_part["type"] == "text"
    for label in ("[00:00-00:33]", "[00:33-01:07]", "[01:07-01:40]"):
        assert label in merge_part["text"]
    assert "[00:00-00:33]" in message.content
    assert message.content == result.answer


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_parts_too_long_to_merge_at_once_are_condensed_first(
    videos, emu, mode
) -> None:
    # A model that takes only ~400 tokens: the three parts' texts (about
    # 250 characters each) cannot be merged in one call.
    small = ChatQwenOmni(
        model="qwen-omni-turbo",
        base_url=emu.base_url,
        api_key="sk-emu",
        max_retries=0,
        limits={"max_input_tokens": 400},
    )
    recorder = Recorder()
    tool = DescribeVideoTool(llm=small, allowed_dirs=[videos])
    config: RunnableConfig = {"callbacks": [recorder]}
    args = call({"video": "long.mp4"})
    message = (
        tool.invoke(args, config=config)
        if mode == "sync"
        else await tool.ainvoke(args, config=config)
    )
    *_, condense, final = (r.body for r in emu.requests)
    (condense_part,) = user_parts(condense)
    assert condense_part["text"].startswith(
        "Descriptions of consecutive parts of one video, 00:00-01:07:"
    )
    assert "Combine them into one description of 00:00-01:07" in condense_part["text"]
    (final_part,) = user_parts(final)
    assert final_part["text"].startswith(
        "Descriptions of consecutive parts of one video:\n[00:00-01:07] "
    )
    assert "\n[01:07-01:40] [qwen-omni-turbo emulator]" in final_part["text"]
    assert len(emu.requests) == 5  # three parts, one condensing, the final merge
    result = message.artifact
    assert len(result.segments) == 3
    assert result.usage["total_tokens"] == sum(
        u["total_tokens"] for u in recorder.usage
    )


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_segments_are_described_concurrently_within_the_bound(
    turbo, videos, emu, mode
) -> None:
    emu.configure(chunk_delay=0.02, text_pieces=8)  # each answer takes ~0.2 s
    results = {}
    for bound in (3, 1):
        recorder = Recorder()
        tool = DescribeVideoTool(
            llm=turbo, allowed_dirs=[videos], max_concurrency=bound
        )
        config: RunnableConfig = {"callbacks": [recorder]}
        args = call({"video": "long.mp4"})
        if mode == "sync":
            tool.invoke(args, config=config)
        else:
            await tool.ainvoke(args, config=config)
        results[bound] = recorder
    parallel, serial = results[3], results[1]
    assert len(parallel.spans) == len(serial.spans) == 4  # 3 parts and the merge
    assert parallel.most_at_once() == 3
    assert serial.most_at_once() == 1


def test_frames_strategy_sends_image_sequences_in_range(turbo, videos, emu) -> None:
    tool = DescribeVideoTool(llm=turbo, allowed_dirs=[videos], strategy="frames")
    result = tool.invoke(call({"video": "long.mp4"})).artifact
    assert result.strategy == "frames"
    *parts, _merge = emu.requests
    assert len(parts) == len(result.segments) >= 2
    for request in parts:
        (sequence,) = [p for p in user_parts(request.body) if p["type"] == "video"]
        frames = sequence["video"]
        assert 4 <= len(frames) <= 80
        assert all(f.startswith("data:image/jpeg;base64,/9j/") for f in frames)
        assert (
            "frames sampled at about 2 per second"
            in user_parts(request.body)[-1]["text"]
        )


def test_silent_video_goes_whole_when_it_fits(turbo, videos, emu) -> None:
    tool = DescribeVideoTool(llm=turbo, allowed_dirs=[videos])
    result = tool.invoke(call({"video": "silent.mp4"})).artifact
    assert result.strategy == "whole"
    assert len(emu.requests) == 1


def test_time_range_is_cut_from_a_local_file(turbo, videos, emu) -> None:
    tool = DescribeVideoTool(llm=turbo, allowed_dirs=[videos])
    result = tool.invoke(call({"video": "long.mp4", "start": 10, "end": 30})).artifact
    (request,) = emu.requests
    data, text = video_of(request.body)
    assert seconds_of(data)[0] == pytest.approx(20.0, abs=0.2)
    assert text.startswith("This clip is 00:10-00:30 of a 01:40 video.")
    assert [(s.start, s.end) for s in result.segments] == [(10.0, 30.0)]
    assert "only 00:10-00:30 is wanted" in result.reason


def test_url_video_is_passed_by_url(turbo, emu) -> None:
    tool = DescribeVideoTool(llm=turbo)
    url = "https://example.com/clips/a.mp4"
    result = tool.invoke(call({"video": url})).artifact
    (request,) = emu.requests
    (video,) = [p for p in user_parts(request.body) if p["type"] == "video_url"]
    assert video == {"type": "video_url", "video_url": {"url": url}}
    assert result.strategy == "whole"
    assert result.duration is None
    assert [(s.start, s.end) for s in result.segments] == [(0.0, None)]


def test_url_video_cannot_be_sampled(turbo, emu) -> None:
    tool = DescribeVideoTool(llm=turbo, strategy="frames")
    message = tool.invoke(call({"video": "https://example.com/a.mp4"}))
    assert message.status == "error"
    assert "frames needs the video cut, which needs a local file" in message.content
    assert emu.requests == []


async def test_async_preparation_leaves_the_event_loop_free(
    turbo, videos, monkeypatch
) -> None:
    # Cutting is made to take a second (a pause per picture, as a long video
    # would); on the async path it runs in a worker thread, so a ticker keeps
    # ticking meanwhile.
    SlowCut(monkeypatch, pause=0.005)
    gaps: list[float] = []
    done = asyncio.Event()

    async def ticker() -> None:
        last = time.monotonic()
        while not done.is_set():
            await asyncio.sleep(0.005)
            now = time.monotonic()
            gaps.append(now - last)
            last = now

    tool = DescribeVideoTool(llm=turbo, allowed_dirs=[videos])
    ticking = asyncio.create_task(ticker())
    started = time.monotonic()
    await tool.ainvoke(call({"video": "long.mp4"}))
    elapsed = time.monotonic() - started
    done.set()
    await ticking
    assert elapsed > 1.0  # 200 pictures of 5 ms
    assert len(gaps) > elapsed / 0.05
    assert max(gaps) < 0.25


# --- the artifact and progress -----------------------------------------------


def test_artifact_holds_speech_and_summed_usage(videos, emu) -> None:
    speaker = ChatQwenOmni(
        model="qwen-omni-turbo",
        base_url=emu.base_url,
        api_key="sk-emu",
        modalities=["text", "audio"],
        max_retries=0,
    )
    recorder = Recorder()
    tool = DescribeVideoTool(llm=speaker, allowed_dirs=[videos])
    message = tool.invoke(call({"video": "long.mp4"}), config={"callbacks": [recorder]})
    result = message.artifact
    # Only the merge speaks: parts are asked for text.
    *parts, merge = emu.requests
    assert all(
        "modalities" not in r.body or r.body["modalities"] == ["text"] for r in parts
    )
    assert merge.body["modalities"] == ["text", "audio"]
    assert isinstance(result.audio, OmniAudio)
    assert result.audio.duration > 0.4
    assert result.audio.transcript == result.answer
    assert result.usage is not None
    for key in ("input_tokens", "output_tokens", "total_tokens"):
        assert result.usage[key] == sum(u[key] for u in recorder.usage)
    assert result.usage["output_token_details"]["audio"] > 0
    assert result.question.startswith("Describe what happens")
    assert result.duration == pytest.approx(LONG_SECONDS, abs=0.2)
    assert result.video == "long.mp4"


async def test_async_speech_is_decoded_off_the_event_loop(
    videos, emu, monkeypatch
) -> None:
    speaker = ChatQwenOmni(
        model="qwen-omni-turbo",
        base_url=emu.base_url,
        api_key="sk-emu",
        modalities=["text", "audio"],
        max_retries=0,
    )
    decode = OmniAudio.from_message
    threads: list[threading.Thread] = []

    def spy(message: Any) -> OmniAudio:
        threads.append(threading.current_thread())
        return decode(message)

    monkeypatch.setattr(OmniAudio, "from_message", staticmethod(spy))
    tool = DescribeVideoTool(llm=speaker, allowed_dirs=[videos])
    message = await tool.ainvoke(call({"video": "short.mp4"}))
    assert isinstance(message.artifact.audio, OmniAudio)
    assert len(threads) == 1
    assert threads[0] is not threading.current_thread()


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_progress_events_count_up_in_order(turbo, videos, emu, mode) -> None:
    recorder = Recorder()
    tool = DescribeVideoTool(llm=turbo, allowed_dirs=[videos], max_concurrency=2)
    config: RunnableConfig = {"callbacks": [recorder]}
    if mode == "sync":
        message = tool.invoke(call({"video": "long.mp4"}), config=config)
    else:
        message = await tool.ainvoke(call({"video": "long.mp4"}), config=config)
    events = [data for name, data in recorder.events if name == PROGRESS_EVENT]
    segments = message.artifact.segments
    assert [e["done"] for e in events] == [1, 2, 3]
    assert {e["total"] for e in events} == {3}
    assert sorted((e["start"], e["end"]) for e in events) == [
        (s.start, s.end) for s in segments
    ]
    assert sorted(e["index"] for e in events) == [0, 1, 2]


async def test_progress_events_show_in_astream_events(turbo, videos, emu) -> None:
    describer = create_video_describer(turbo, allowed_dirs=[videos])
    names = [
        (event["event"], event["name"])
        async for event in describer.astream_events({"video": "long.mp4"}, version="v2")
        if event["event"] in ("on_custom_event", "on_chain_end")
    ]
    progress = [n for n in names if n == ("on_custom_event", PROGRESS_EVENT)]
    assert len(progress) == 3
    assert names[-1] == ("on_chain_end", "describe_video")


# --- refusals: nothing read, nothing sent ------------------------------------


@pytest.fixture
def escapes(videos: Path, tmp_path: Path) -> dict[str, str]:
    """Ways out of the allowed folder, each pointing at a real video."""
    outside = media.write(tmp_path / "outside" / "secret.mp4", media.mp4(seconds=4.0))
    inside = tmp_path / "inside"
    inside.mkdir()
    (inside / "link.mp4").symlink_to(outside)
    return {
        "outside dir": str(outside),
        "symlink": str(inside / "link.mp4"),
        "dotdot": "../outside/secret.mp4",
        "file url": outside.as_uri(),
        "no allowed dirs": str(videos / "short.mp4"),
    }


@pytest.mark.parametrize(
    "name", ["outside dir", "symlink", "dotdot", "file url", "no allowed dirs"]
)
def test_sandbox_escapes_are_refused_with_nothing_sent(
    turbo, emu, escapes, tmp_path, name
) -> None:
    allowed = [] if name == "no allowed dirs" else [tmp_path / "inside"]
    tool = DescribeVideoTool(llm=turbo, allowed_dirs=allowed)
    message = tool.invoke(call({"video": escapes[name]}))
    assert message.status == "error"
    assert "not read" in message.content or "scheme is refused" in message.content
    assert message.artifact is None
    assert emu.requests == []


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ({"video": "missing.mp4"}, "not found in the allowed directories"),
        ({"video": "broken.mp4"}, "cannot be decoded as a video"),
        (
            {"video": "https://example.com/a.mp4", "start": 5},
            "needs a local file",
        ),
        ({"video": "long.mp4", "start": 500}, "selects nothing of a 100.0 s video"),
        ({"video": "https://example.com/a.mp4", "end": 5}, "needs a local file"),
        ({"video": "long.mp4", "start": -1}, "start: Input should be greater"),
    ],
)
def test_actionable_errors_come_back_as_tool_messages(
    turbo, videos, emu, args, expected
) -> None:
    tool = DescribeVideoTool(llm=turbo, allowed_dirs=[videos])
    message = tool.invoke(call(args))
    assert isinstance(message, ToolMessage)
    assert message.status == "error"
    assert expected in message.content
    assert emu.requests == []


def test_describer_raises_typed_errors(turbo, videos, emu) -> None:
    describer = create_video_describer(turbo, allowed_dirs=[videos])
    with pytest.raises(OmniInputError, match="outside the allowed directories"):
        describer.invoke({"video": "/etc/hosts"})
    assert emu.requests == []


def test_api_refusal_of_a_url_video_explains_cutting(turbo) -> None:
    request = DescribeVideoInput(video="https://example.com/long.mp4")
    job = _Job(request, RemoteVideo(request.video), _url_plan(request, "auto"), None)
    response = httpx2.Response(400, request=httpx2.Request("POST", "https://x"))
    refusal = openai.BadRequestError(
        "The video modality input does not meet the requirements because: "
        "The video file is too long.",
        response=response,
        body=None,
    )
    with (
        pytest.raises(OmniInputError, match="cutting it needs a local file"),
        _explained(job),
    ):
        raise refusal


# --- chains and agents -----------------------------------------------------------


def test_describer_batches(turbo, videos, emu) -> None:
    describer = create_video_describer(turbo, allowed_dirs=[videos], strategy="frames")
    results = describer.batch(
        [{"video": "short.mp4", "question": "Colours?"}, "silent.mp4"],
        config={"max_concurrency": 2},
    )
    assert [r.strategy for r in results] == ["frames", "frames"]
    assert results[0].question == "Colours?"
    assert len(emu.requests) == 2


async def test_describer_async(turbo, videos, emu) -> None:
    describer = create_video_describer(turbo, allowed_dirs=[videos])
    result = await describer.ainvoke({"video": "long.mp4", "question": "Who?"})
    assert result.strategy == "segments"
    assert len(result.segments) == 3
    assert "Who?" in emu.requests[0].body["messages"][0]["content"][1]["text"]


def test_tool_inside_a_create_agent_loop(turbo, videos, emu) -> None:
    # The agent's brain is the flash model on the emulator, which calls the
    # first tool with `video="emulated video"` (see the `videos` fixture),
    # then answers by quoting the tool's result.
    brain = ChatQwenOmni(base_url=emu.base_url, api_key="sk-emu", max_retries=0)
    tool = DescribeVideoTool(llm=turbo, allowed_dirs=[videos])
    agent = create_agent(brain, tools=[tool])
    state = agent.invoke({"messages": [HumanMessage("What happens in my video?")]})
    messages = state["messages"]
    (tool_message,) = [m for m in messages if isinstance(m, ToolMessage)]
    assert tool_message.status == "success"
    assert isinstance(tool_message.artifact, VideoDescription)
    assert tool_message.artifact.video == "emulated video"
    assert tool_message.artifact.strategy == "whole"
    final = messages[-1]
    assert "The tool describe_video returned" in final.text
    assert "Media: 1 video_url." in final.text
    first, video_call, last = (r.body for r in emu.requests)
    assert first["tools"][0]["function"]["name"] == "describe_video"
    assert video_of(video_call)[0] == (videos / "short.mp4").read_bytes()
    assert last["messages"][-1]["role"] == "tool"


def test_agent_sees_refusals_as_tool_errors(turbo, emu, tmp_path) -> None:
    brain = ChatQwenOmni(base_url=emu.base_url, api_key="sk-emu", max_retries=0)
    tool = DescribeVideoTool(llm=turbo, allowed_dirs=[tmp_path])
    agent = create_agent(brain, tools=[tool])
    state = agent.invoke({"messages": [HumanMessage("Describe it")]})
    (tool_message,) = [m for m in state["messages"] if isinstance(m, ToolMessage)]
    assert tool_message.status == "error"
    assert "not found in the allowed directories" in tool_message.content
    assert len(emu.requests) == 2  # the agent's two turns; no video request


# --- temporary folders: gone however the description ends -----------------------


@pytest.fixture
def made(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The tool's temporary folders, made in a test folder and listed here."""
    root = tmp_path / "tmp"
    root.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(root))
    folders: list[Path] = []
    real = tempfile.mkdtemp

    def mkdtemp(*args: Any, **kwargs: Any) -> str:
        folder = str(real(*args, **kwargs))
        folders.append(Path(folder))
        return folder

    monkeypatch.setattr(tempfile, "mkdtemp", mkdtemp)
    return folders


def left_in(folders: list[Path]) -> list[Path]:
    assert folders, "no temporary folder was made"
    return [folder for folder in folders if folder.exists()]


async def describe(tool: DescribeVideoTool, mode: str, args: dict[str, Any]) -> Any:
    if mode == "sync":
        return await asyncio.to_thread(tool.invoke, call(args))
    return await tool.ainvoke(call(args))


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_temp_folder_is_removed_after_success(turbo, videos, emu, made, mode):
    tool = DescribeVideoTool(llm=turbo, allowed_dirs=[videos])
    message = await describe(tool, mode, {"video": "long.mp4"})
    assert message.artifact.strategy == "segments"
    assert len(emu.requests) == 4  # three parts and the merge
    assert left_in(made) == []


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_temp_folder_is_removed_when_the_api_fails(
    turbo, videos, emu, made, mode
):
    emu.inject(Fault.server_error(500), times=None)
    tool = DescribeVideoTool(llm=turbo, allowed_dirs=[videos])
    with pytest.raises(openai.InternalServerError):
        await describe(tool, mode, {"video": "long.mp4"})
    assert left_in(made) == []


@pytest.fixture
def oversized(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every cut ends with a segment found too large, after writing them all."""

    def too_big(paths: list[Path], max_bytes: int) -> None:
        assert paths  # the segments exist, and must go with their folder
        msg = "Segment segment-000.mp4 came out too large."
        raise OmniInputError(msg)

    monkeypatch.setattr(video_module, "_check_sizes", too_big)


@pytest.mark.usefixtures("oversized")
@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_temp_folder_is_removed_when_cutting_fails(
    turbo, videos, emu, made, mode
):
    tool = DescribeVideoTool(llm=turbo, allowed_dirs=[videos])
    message = await describe(tool, mode, {"video": "long.mp4"})
    assert message.status == "error"
    assert "came out too large" in message.content
    assert left_in(made) == []
    assert emu.requests == []


class SlowCut:
    """Makes cutting slow (a pause per picture) and tells when it began."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, pause: float = 0.02) -> None:
        self.started = threading.Event()
        self.pictures = 0
        real = video_module._SegmentWriter.add_picture

        def add_picture(writer: Any, frame: Any, index: int) -> None:
            self.pictures += 1
            if self.pictures == 3:
                self.started.set()
            time.sleep(pause)
            real(writer, frame, index)

        monkeypatch.setattr(video_module._SegmentWriter, "add_picture", add_picture)


async def test_cancelling_an_async_description_while_it_cuts_leaves_no_folder(
    turbo, videos, emu, made, monkeypatch
) -> None:
    slow = SlowCut(monkeypatch)
    tool = DescribeVideoTool(llm=turbo, allowed_dirs=[videos])
    task = asyncio.create_task(tool.ainvoke(call({"video": "long.mp4"})))
    assert await asyncio.to_thread(slow.started.wait, 30)
    assert made[0].is_dir()  # the cut is under way
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert left_in(made) == []
    stopped_at = slow.pictures
    await asyncio.sleep(0.3)
    assert slow.pictures == stopped_at  # the worker thread stopped too
    assert stopped_at < 200  # long before the end (200 pictures at 2 per second)
    assert emu.requests == []


async def test_cancelling_while_parts_are_described_leaves_no_folder(
    turbo, videos, emu, made
) -> None:
    emu.inject(Fault.slow(first_byte_delay=5.0), times=None)
    tool = DescribeVideoTool(llm=turbo, allowed_dirs=[videos])
    task = asyncio.create_task(tool.ainvoke(call({"video": "long.mp4"})))
    for _ in range(300):
        if emu.requests:
            break
        await asyncio.sleep(0.02)
    assert emu.requests  # the parts are being described
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert left_in(made) == []


def test_keyboard_interrupt_while_cutting_leaves_no_folder(
    turbo, videos, emu, made, monkeypatch
) -> None:
    slow = SlowCut(monkeypatch, pause=0.0)
    real = video_module._SegmentWriter.add_picture

    def interrupted(writer: Any, frame: Any, index: int) -> None:
        real(writer, frame, index)
        if slow.started.is_set():
            raise KeyboardInterrupt

    monkeypatch.setattr(video_module._SegmentWriter, "add_picture", interrupted)
    tool = DescribeVideoTool(llm=turbo, allowed_dirs=[videos])
    with pytest.raises(KeyboardInterrupt):
        tool.invoke(call({"video": "long.mp4"}))
    assert left_in(made) == []
    assert emu.requests == []


_CTRL_C_SCRIPT = textwrap.dedent(
    """
    import asyncio, sys, time
    from langchain_qwen_omni import ChatQwenOmni, DescribeVideoTool
    from langchain_qwen_omni import video

    real = video._SegmentWriter.add_picture
    def add_picture(writer, frame, index):
        print("cutting", flush=True)
        time.sleep(0.05)
        real(writer, frame, index)
    video._SegmentWriter.add_picture = add_picture

    mode, folder = sys.argv[1], sys.argv[2]
    llm = ChatQwenOmni(model="qwen-omni-turbo", base_url="http://127.0.0.1:9/v1",
                       api_key="x", max_retries=0)
    tool = DescribeVideoTool(llm=llm, allowed_dirs=[folder])
    call = {"type": "tool_call", "id": "1", "name": "describe_video",
            "args": {"video": "long.mp4"}}
    if mode == "sync":
        tool.invoke(call)
    else:
        asyncio.run(tool.ainvoke(call))
    """
)


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_ctrl_c_while_cutting_leaves_no_folder(videos, tmp_path, mode) -> None:
    # A real Ctrl-C: SIGINT to a process cutting a video, in a plain program
    # (KeyboardInterrupt) and in an asyncio one (asyncio.run cancels its task).
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    process = subprocess.Popen(
        [sys.executable, "-c", _CTRL_C_SCRIPT, mode, str(videos)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "TMPDIR": str(scratch)},
    )
    assert process.stdout is not None
    assert process.stdout.readline() == b"cutting\n"
    assert list(scratch.glob("qwen-omni-video-*"))  # the cut is under way
    process.send_signal(signal.SIGINT)
    _, errors = process.communicate(timeout=60)
    assert process.returncode != 0
    assert b"KeyboardInterrupt" in errors
    assert list(scratch.glob("qwen-omni-video-*")) == []
