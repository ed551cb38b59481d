"""ChatQwenOmni(dialect="vllm-omni") over HTTP, sync and async.

Two witnesses: the emulator in its `vllm-omni` dialect, which refuses what a
vLLM-Omni server refuses (a `data:` URL in `input_audio`, frame-list parts,
`auto` tools without a tool parser), and a raw server that sends hand-written
vLLM-Omni streams, independent of the emulator's idea of them. Speech is
compared sample for sample with the PCM that went over the wire, headers
stripped.
"""

from __future__ import annotations

import base64
import io
import json
import struct
import subprocess
import sys
from typing import TYPE_CHECKING, Any

import httpx2
import numpy as np
import openai
import pytest
import soundfile as sf
from langchain_core.messages import HumanMessage, ToolMessage
from pydantic import BaseModel

from langchain_qwen_omni import (
    ChatQwenOmni,
    DescribeVideoTool,
    OmniAudio,
    audio_block,
    image_block,
    video_block,
    video_frames_block,
)
from langchain_qwen_omni.emulator import (
    Answer,
    EmulatorOptions,
    OmniEmulator,
    VllmServerOptions,
)
from tests import media
from tests.raw_server import RawServer, Reply, frame

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


INSTRUCT = "Qwen/Qwen3-Omni-30B-A3B-Instruct"
MODES = ["invoke", "stream", "ainvoke", "astream"]


@pytest.fixture(scope="module")
def _server() -> Iterator[OmniEmulator]:
    with OmniEmulator(dialect="vllm-omni") as emulator:
        yield emulator


@pytest.fixture
def vemu(_server: OmniEmulator) -> OmniEmulator:
    """The vLLM-Omni emulator with default settings and an empty log."""
    _server.options = EmulatorOptions(dialect="vllm-omni")
    _server.clear()
    return _server


def serve(emu: OmniEmulator, **vllm: Any) -> None:
    emu.options = EmulatorOptions(dialect="vllm-omni", vllm=VllmServerOptions(**vllm))


def model(base_url: str, **fields: Any) -> ChatQwenOmni:
    settings = {"model": INSTRUCT, "dialect": "vllm-omni", "max_retries": 0, **fields}
    return ChatQwenOmni(base_url=base_url, **settings)


async def ask(llm: Any, mode: str, prompt: Any = "Say hello") -> tuple[Any, list[Any]]:
    """The answer as a message, and the streamed chunks (empty for invoke)."""
    if mode == "invoke":
        return llm.invoke(prompt), []
    if mode == "ainvoke":
        return await llm.ainvoke(prompt), []
    if mode == "stream":
        chunks = list(llm.stream(prompt))
    else:
        chunks = [chunk async for chunk in llm.astream(prompt)]
    total = chunks[0]
    for chunk in chunks[1:]:
        total += chunk
    return total, chunks


def wire_speech(emu: OmniEmulator, body: dict[str, Any]) -> bytes:
    """Replay a request; return the speech samples the server sent, unframed."""
    with httpx2.Client() as client:
        reply = client.post(f"{emu.base_url}/chat/completions", json=body, timeout=30)
    pcm = b""
    for line in reply.text.splitlines():
        if not line.startswith("data: {"):
            continue
        event = json.loads(line[6:])
        if event.get("modality") != "audio":
            continue
        data = base64.b64decode(event["choices"][0]["delta"]["content"])
        if data[:4] == b"RIFF":
            size = struct.unpack_from("<I", data, 40)[0]
            data = data[44:] if size == 0xFFFFFFFF else data[44 : 44 + size]
        pcm += data
    return pcm


# --- text ------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
async def test_text_answers(vemu: OmniEmulator, mode: str) -> None:
    message, chunks = await ask(model(vemu.base_url), mode, "Who are you?")
    assert message.text.startswith(f"[{INSTRUCT} vLLM-Omni emulator]")
    assert "Output: text." in message.text  # modalities were explicit
    assert message.usage_metadata["input_tokens"] > 0
    assert message.response_metadata["finish_reason"] == "stop"
    assert "audio" not in message.additional_kwargs
    (request,) = vemu.requests
    assert request.path == "/v1/chat/completions"
    assert request.body["modalities"] == ["text"]
    assert request.headers["authorization"] == "Bearer EMPTY"
    if chunks:
        assert len(chunks) > 3


# --- speech ------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    "server",
    [
        {},
        {"wav_headers": "first"},
        {"wav_headers": "none"},
        {"interleave_speech": True},
    ],
    ids=["header-every-piece", "header-first-piece", "no-header", "interleaved"],
)
async def test_speech_is_the_servers_pcm_sample_for_sample(
    vemu: OmniEmulator, mode: str, server: dict[str, Any]
) -> None:
    serve(vemu, **server)
    vemu.options.audio_piece_sizes = (3201, 4799, 4000)  # odd byte counts
    speaker = model(vemu.base_url, modalities=["text", "audio"], voice="Chelsie")
    message, chunks = await ask(speaker, mode)
    (request,) = vemu.requests
    assert request.body["speaker"] == "Chelsie"
    sent = wire_speech(vemu, request.body)
    assert len(sent) > 24_000
    audio = OmniAudio.from_message(message)
    assert audio.pcm == sent
    assert (audio.sample_rate, audio.channels) == (24_000, 1)
    assert "speaker chelsie" in message.text
    assert "UklGR" not in message.text  # no WAV shown as text
    assert audio.transcript == message.text
    if chunks:
        assert OmniAudio.from_chunks(chunks).pcm == sent
        stops = [c for c in chunks if c.response_metadata.get("finish_reason")]
        assert len(stops) == 1


@pytest.mark.parametrize("mode", ["invoke", "astream"])
async def test_speech_at_another_rate_is_resampled(
    vemu: OmniEmulator, mode: str
) -> None:
    serve(vemu, sample_rate=16_000)
    speaker = model(vemu.base_url, modalities=["text", "audio"])
    message, _ = await ask(speaker, mode)
    sent = wire_speech(vemu, vemu.requests[0].body)
    audio = OmniAudio.from_message(message)
    assert audio.sample_rate == 24_000
    assert audio.duration == pytest.approx(len(sent) / 2 / 16_000, abs=0.002)


@pytest.mark.parametrize("mode", ["invoke", "ainvoke"])
async def test_whole_answers_from_a_server_that_does_not_stream(
    vemu: OmniEmulator, mode: str
) -> None:
    serve(vemu, streaming=False)
    streaming = model(vemu.base_url)
    with pytest.raises(openai.BadRequestError, match="Not support streaming"):
        await ask(streaming, mode)
    whole = model(vemu.base_url, modalities=["text", "audio"], whole_answers=True)
    message, _ = await ask(whole, mode)
    request = vemu.requests[-1]
    assert request.body["stream"] is False
    assert "stream_options" not in request.body
    assert message.text.startswith(f"[{INSTRUCT} vLLM-Omni emulator]")
    audio = OmniAudio.from_message(message)
    assert audio.duration > 1.0
    assert audio.id is not None
    assert message.usage_metadata["total_tokens"] > 0


# --- media in ------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["invoke", "ainvoke"])
async def test_image_audio_and_frames_in_one_message(
    vemu: OmniEmulator, mode: str
) -> None:
    question = HumanMessage(
        content_blocks=[
            {"type": "text", "text": "Compare these"},
            image_block(media.png(32, 32)),
            audio_block(media.wav(0.5)),
            video_frames_block([media.png(16, 16, seed=i) for i in range(3)]),
        ]
    )
    message, _ = await ask(model(vemu.base_url), mode, [question])
    assert "Media: 4 image_url, 1 input_audio." in message.text
    parts = vemu.requests[0].body["messages"][0]["content"]
    audio = next(p for p in parts if p["type"] == "input_audio")
    assert base64.b64decode(audio["input_audio"]["data"]) == media.wav(0.5)


def test_a_video_is_seen_and_heard(vemu: OmniEmulator) -> None:
    llm = model(vemu.base_url)
    clip = HumanMessage(
        content_blocks=[
            {"type": "text", "text": "What happens?"},
            video_block(media.mp4(2.0)),
        ]
    )
    assert "Audio in video: on." in llm.invoke([clip]).text
    silent = HumanMessage(
        content_blocks=[
            video_block(media.mp4(2.0, audio=False)),
            {"type": "text", "text": "?"},
        ]
    )
    assert "Audio in video" not in llm.invoke([silent]).text  # vLLM would refuse it


def test_audio_by_url_goes_as_audio_url(vemu: OmniEmulator) -> None:
    remote = HumanMessage(
        content_blocks=[{"type": "audio", "url": "https://example.com/q.mp3"}]
    )
    assert "Media: 1 audio_url." in model(vemu.base_url).invoke([remote]).text


# --- tools and reasoning --------------------------------------------------------------


class GetWeather(BaseModel):
    """Get the weather in a city."""

    city: str


@pytest.mark.parametrize("mode", ["invoke", "ainvoke"])
async def test_tools_with_a_server_that_has_a_tool_parser(
    vemu: OmniEmulator, mode: str
) -> None:
    serve(vemu, auto_tool_choice=True)
    llm = model(vemu.base_url, limits={"tool_calling": True}).bind_tools([GetWeather])
    first, _ = await ask(llm, mode, [HumanMessage("Weather in Hangzhou?")])
    (call,) = first.tool_calls
    assert call["name"] == "GetWeather"
    assert isinstance(call["args"]["city"], str)
    follow_up = [
        HumanMessage("Weather in Hangzhou?"),
        first,
        ToolMessage("sunny, 24 C", tool_call_id=call["id"]),
    ]
    answer, _ = await ask(llm, mode, follow_up)
    assert "returned 'sunny, 24 C'" in answer.text


def test_tools_without_a_tool_parser_are_refused_by_the_server(
    vemu: OmniEmulator,
) -> None:
    llm = model(vemu.base_url, limits={"tool_calling": True}).bind_tools([GetWeather])
    with pytest.raises(openai.BadRequestError, match="enable-auto-tool-choice"):
        llm.invoke("Weather?")
    forced = model(vemu.base_url, limits={"tool_calling": True})
    structured = forced.with_structured_output(
        GetWeather
    )  # a named tool: no parser needed
    assert isinstance(structured.invoke("Weather in Paris?"), GetWeather)


@pytest.mark.parametrize("mode", ["invoke", "ainvoke"])
async def test_scripted_answers_in_the_vllm_dialect(mode: str) -> None:
    script = [Answer.tool_call("GetWeather", {"city": "Oslo"}), Answer.spoken("Rain.")]
    server = VllmServerOptions(auto_tool_choice=True)
    with OmniEmulator(dialect="vllm-omni", vllm=server, script=script) as emu:
        llm = model(
            emu.base_url, modalities=["text", "audio"], limits={"tool_calling": True}
        )
        bound = llm.bind_tools([GetWeather])
        first, _ = await ask(bound, mode, [HumanMessage("Weather in Oslo?")])
        assert first.tool_calls[0]["args"] == {"city": "Oslo"}
        follow_up = [
            HumanMessage("Weather in Oslo?"),
            first,
            ToolMessage("rain", tool_call_id=first.tool_calls[0]["id"]),
        ]
        answer, _ = await ask(bound, mode, follow_up)
        assert answer.text == "Rain."
        assert OmniAudio.from_message(answer).duration > 0.2
        assert not emu.script.pending


@pytest.mark.parametrize("field", ["reasoning", "reasoning_content"])
async def test_a_thinking_model_reasons_in_either_field(
    vemu: OmniEmulator, field: str
) -> None:
    serve(vemu, reasoning_field=field)
    thinker = model(vemu.base_url, model="Qwen/Qwen3-Omni-30B-A3B-Thinking")
    message = await thinker.ainvoke("Why is the sky blue?")
    assert "I answer by describing" in message.additional_kwargs["reasoning_content"]
    assert message.text.startswith(
        "[Qwen/Qwen3-Omni-30B-A3B-Thinking vLLM-Omni emulator]"
    )


# --- the video tool -------------------------------------------------------------------


@pytest.fixture(scope="module")
def videos(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("vllm-videos")
    small = {"width": 64, "height": 48, "fps": 4}
    media.write(folder / "clip.mp4", media.mp4(seconds=6.0, **small))
    media.write(folder / "silent.mp4", media.mp4(seconds=6.0, audio=False, **small))
    return folder


@pytest.mark.parametrize("mode", ["invoke", "ainvoke"])
async def test_the_video_tool_cuts_by_the_self_hosted_limits(
    vemu: OmniEmulator, videos: Path, mode: str
) -> None:
    llm = model(vemu.base_url, limits={"video_max_seconds": 4.0})
    tool = DescribeVideoTool(llm=llm, allowed_dirs=[videos])
    args = {"type": "tool_call", "id": "c1", "name": "describe_video"}
    call = {**args, "args": {"video": "clip.mp4"}}
    message = tool.invoke(call) if mode == "invoke" else await tool.ainvoke(call)
    assert message.status == "success"
    assert message.artifact.strategy == "segments"
    *parts, merge = vemu.requests
    assert len(parts) >= 2
    for request in parts:
        assert request.body["modalities"] == ["text"]
        assert request.body["mm_processor_kwargs"] == {"use_audio_in_video": True}
        (video,) = [
            p
            for p in request.body["messages"][0]["content"]
            if p["type"] == "video_url"
        ]
        assert video["video_url"]["url"].startswith("data:video/mp4;base64,")
    merged = merge.body["messages"][0]["content"]  # the merge sends text only
    assert isinstance(merged, str) or {p["type"] for p in merged} == {"text"}
    assert "Audio in video: on." in message.artifact.segments[0].text


def test_the_video_tool_samples_a_silent_video_into_image_parts(
    vemu: OmniEmulator, videos: Path
) -> None:
    llm = model(vemu.base_url, limits={"video_max_seconds": 4.0})
    tool = DescribeVideoTool(llm=llm, allowed_dirs=[videos])
    call = {"type": "tool_call", "id": "c1", "name": "describe_video"}
    message = tool.invoke({**call, "args": {"video": "silent.mp4"}})
    assert message.artifact.strategy == "frames"
    for request in vemu.requests[:-1] if len(vemu.requests) > 1 else vemu.requests:
        parts = request.body["messages"][0]["content"]
        kinds = {p["type"] for p in parts}
        assert kinds == {"text", "image_url"}  # frames as images, no video part
        assert sum(p["type"] == "image_url" for p in parts) >= 2
        assert "mm_processor_kwargs" not in request.body


def test_the_video_tool_sends_a_short_video_whole(
    vemu: OmniEmulator, videos: Path
) -> None:
    tool = DescribeVideoTool(llm=model(vemu.base_url), allowed_dirs=[videos])
    result = tool.invoke({"video": "clip.mp4", "question": "What colour?"})
    assert "Media: 1 video_url." in result
    (request,) = vemu.requests
    assert request.body["mm_processor_kwargs"] == {"use_audio_in_video": True}


# --- a separately written server ---------------------------------------------------


def wav_b64(samples: np.ndarray, rate: int = 24_000, subtype: str = "PCM_16") -> str:
    buffer = io.BytesIO()
    sf.write(buffer, samples, rate, format="WAV", subtype=subtype)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def vllm_chunk(delta: dict[str, Any], modality: str, finish: str | None = None) -> dict:
    return {
        "id": "chatcmpl-raw",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": INSTRUCT,
        "choices": [
            {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
        ],
        "modality": modality,
    }


def vllm_stream(pieces: list[str]) -> list[bytes]:
    """A stream as vLLM-Omni writes it: text, then speech pieces, usage, [DONE]."""
    usage = {"prompt_tokens": 7, "completion_tokens": 0, "total_tokens": 7}
    speech = [
        {
            **vllm_chunk({"role": "assistant", "content": piece}, "audio", "stop"),
            "usage": usage,
        }
        for piece in pieces
    ]
    return [
        frame(vllm_chunk({"role": "assistant", "content": ""}, "text")),
        frame(vllm_chunk({"content": "Hello"}, "text")),
        frame(vllm_chunk({"content": " world"}, "text", "stop")),
        *(frame(event) for event in speech),
        frame(
            {
                "id": "chatcmpl-raw",
                "object": "chat.completion.chunk",
                "created": 1,
                "model": INSTRUCT,
                "choices": [],
                "usage": {
                    "prompt_tokens": 7,
                    "completion_tokens": 5,
                    "total_tokens": 12,
                },
            }
        ),
        b"data: [DONE]\n\n",
    ]


SAMPLES = np.random.default_rng(11).integers(-12_000, 12_000, 30_000, dtype=np.int16)


@pytest.fixture(scope="module")
def raw() -> Iterator[RawServer]:
    with RawServer() as server:
        yield server


@pytest.mark.parametrize("mode", MODES)
async def test_a_real_shaped_stream_from_another_server(
    raw: RawServer, mode: str
) -> None:
    pieces = [wav_b64(SAMPLES[i : i + 7000]) for i in range(0, SAMPLES.size, 7000)]
    raw.script(Reply(vllm_stream(pieces)))
    speaker = model(raw.base_url, modalities=["text", "audio"])
    message, _ = await ask(speaker, mode)
    assert message.text == "Hello world"
    assert OmniAudio.from_message(message).pcm == SAMPLES.tobytes()
    assert message.usage_metadata == {
        "input_tokens": 7,
        "output_tokens": 5,
        "total_tokens": 12,
    }
    sent = json.loads(raw.requests[0])
    assert sent["modalities"] == ["text", "audio"]
    assert sent["speaker"] == "Ethan"


def test_a_float_wav_at_16khz_with_a_header_once(raw: RawServer) -> None:
    t = np.arange(16_000) / 16_000
    tone = np.sin(2 * np.pi * 300 * t) * 0.3
    first = wav_b64(tone[:4000].astype(np.float32), 16_000, "FLOAT")
    rest = [
        base64.b64encode(tone[i : i + 3000].astype("<f4").tobytes()).decode()
        for i in range(4000, tone.size, 3000)
    ]
    raw.script(Reply(vllm_stream([first, *rest])))
    message = model(raw.base_url, modalities=["text", "audio"]).invoke("tone")
    audio = OmniAudio.from_message(message)
    assert audio.duration == pytest.approx(1.0, abs=0.002)
    samples = audio.to_numpy().astype(np.float64)
    expected = np.sin(2 * np.pi * 300 * np.arange(samples.size) / 24_000) * 0.3 * 32768
    assert np.max(np.abs(samples - expected)) < 300


def test_a_whole_answer_to_a_streamed_request_is_accepted(raw: RawServer) -> None:
    answer = {
        "id": "chatcmpl-raw",
        "object": "chat.completion",
        "model": INSTRUCT,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "Whole"},
                "finish_reason": "stop",
            },
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": None,
                    "audio": {
                        "id": "audio-x",
                        "data": wav_b64(SAMPLES),
                        "expires_at": 9,
                        "transcript": "",
                    },
                },
                "finish_reason": "stop",
            },
        ],
        "usage": {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3},
    }
    raw.script(Reply([json.dumps(answer).encode()], content_type="application/json"))
    message = model(raw.base_url, modalities=["text", "audio"]).invoke("hi")
    assert message.text == "Whole"
    assert OmniAudio.from_message(message).pcm == SAMPLES.tobytes()


# --- the README's section ----------------------------------------------------------


def test_the_readmes_self_hosting_examples_run(
    vemu: OmniEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.integration_tests.test_docstrings import (  # noqa: PLC0415
        FENCE,
        ROOT,
        readme_section,
        run_block,
    )

    monkeypatch.chdir(tmp_path)
    serve(vemu, auto_tool_choice=True)
    markdown = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme_section(markdown, "Self-hosting with vLLM-Omni")
    namespace: dict[str, object] = {
        "__name__": "readme_self_hosting",
        "questions": ["first question", "second question", "third question"],
    }
    blocks = FENCE.findall(section)
    assert len(blocks) >= 4
    for code in blocks:
        for host in ("http://gpu-box:8000/v1", "http://balancer:8080/v1"):
            code = code.replace(host, vemu.base_url)  # noqa: PLW2901
        run_block(code, namespace, "Self-hosting with vLLM-Omni")
    assert sf.info(tmp_path / "hello.wav").samplerate == 24_000
    answers = namespace["answers"]
    assert isinstance(answers, list)
    assert len(answers) == 3
    assert all("vLLM-Omni emulator" in answer.text for answer in answers)


def test_the_emulator_plays_vllm_omni_in_the_foreground() -> None:
    command = [
        sys.executable,
        *("-m", "langchain_qwen_omni.emulator"),
        *("--dialect", "vllm-omni", "--port", "0", "--log-level", "warning"),
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline() if process.stdout else ""
        base_url = line.rsplit(" ", 1)[-1].strip()
        assert base_url.endswith("/v1")
        assert "compatible-mode" not in base_url
        listed = httpx2.get(f"{base_url}/models", timeout=10).json()
        assert listed["data"][0]["id"] == INSTRUCT
        assert "vLLM-Omni emulator" in model(base_url).invoke("hi").text
    finally:
        process.terminate()
        process.wait(timeout=10)
