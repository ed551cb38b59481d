"""The emulator over real loopback HTTP, through httpx and the openai SDK."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import re
import subprocess
import sys
import time
from typing import TYPE_CHECKING, Any

import httpx
import numpy as np
import openai
import pytest

from langchain_qwen_omni.emulator import (
    OmniEmulator,
    RecordedRequest,
    emulator_process,
)
from langchain_qwen_omni.emulator.answers import SAMPLE_RATE, describe_request

if TYPE_CHECKING:
    from collections.abc import Iterator

    from openai.types.chat import ChatCompletionAudioParam, ChatCompletionMessageParam

MODEL = "qwen3-omni-flash"
MESSAGES: list[ChatCompletionMessageParam] = [
    {"role": "system", "content": "Be brief."},
    {"role": "user", "content": "Who are you?"},
]
AUDIO: ChatCompletionAudioParam = {"voice": "Cherry", "format": "wav"}
EXPECTED_TEXT = (
    "[qwen3-omni-flash emulator] I received 2 messages (system, user). "
    "The last user message says: 'Who are you?'. Media: none."
)


@pytest.fixture
def client(emu: OmniEmulator) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=emu.base_url, api_key="sk-test", max_retries=0) as c:
        yield c


def _body(**extra: Any) -> dict[str, Any]:
    return {"model": MODEL, "messages": MESSAGES, "stream": True, **extra}


def _sse(emu: OmniEmulator, body: dict[str, Any]) -> tuple[httpx.Response, list[str]]:
    """POST and return the response and its raw `data:` payloads."""
    with httpx.stream("POST", f"{emu.base_url}/chat/completions", json=body) as resp:
        raw = resp.read().decode()
    assert raw.endswith("\n\n")
    events = raw.split("\n\n")[:-1]
    assert all(e.startswith("data: ") for e in events)
    return resp, [e.removeprefix("data: ") for e in events]


def _stream_audio(client: openai.OpenAI) -> tuple[str, list[str], str]:
    """Stream a spoken answer; return content text, audio pieces, transcript."""
    stream = client.chat.completions.create(
        model=MODEL,
        messages=MESSAGES,
        stream=True,
        modalities=["text", "audio"],
        audio=AUDIO,
    )
    text, pieces, transcript = "", [], ""
    for chunk in stream:
        if not chunk.choices:
            continue
        delta = chunk.choices[0].delta
        text += delta.content or ""
        audio = getattr(delta, "audio", None)
        if audio is not None:
            audio_dict = audio if isinstance(audio, dict) else audio.model_dump()
            if audio_dict.get("data"):
                pieces.append(audio_dict["data"])
            transcript += audio_dict.get("transcript") or ""
    return text, pieces, transcript


# --- server basics ------------------------------------------------------------


def test_health_and_addresses(emu: OmniEmulator) -> None:
    assert emu.port > 0
    assert emu.base_url == f"http://127.0.0.1:{emu.port}/compatible-mode/v1"
    assert httpx.get(f"{emu.url}/health").json() == {"status": "ok"}
    assert emu.running


def test_lifecycle_port_zero_and_context_manager() -> None:
    emu = OmniEmulator(answer="hi")
    with pytest.raises(RuntimeError, match="start"):
        _ = emu.port
    with emu:
        port = emu.port
        assert httpx.get(f"{emu.url}/health").status_code == 200
        with pytest.raises(RuntimeError, match="already running"):
            emu.start()
    assert not emu.running
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/health")
    emu.stop()  # idempotent


def test_options_are_validated_and_unknown_names_rejected(emu: OmniEmulator) -> None:
    with pytest.raises(TypeError):
        OmniEmulator(no_such_option=1)
    with pytest.raises(ValueError, match="text_pieces"):
        emu.configure(answer="x", text_pieces=0)
    assert emu.options.answer is None  # nothing changed
    assert emu.configure(answer="x").answer == "x"


# --- streamed answers ---------------------------------------------------------


def test_text_stream_wire_shape(emu: OmniEmulator) -> None:
    resp, events = _sse(emu, _body())
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("text/event-stream")
    assert events[-1] == "[DONE]"
    chunks = [json.loads(e) for e in events[:-1]]
    assert len({c["id"] for c in chunks}) == 1
    assert chunks[0]["id"].startswith("chatcmpl-")
    assert all(c["object"] == "chat.completion.chunk" for c in chunks)
    assert all(c["model"] == MODEL and c["system_fingerprint"] is None for c in chunks)
    assert all(isinstance(c["created"], int) for c in chunks)
    assert all(c["usage"] is None for c in chunks)
    deltas = [c["choices"][0]["delta"] for c in chunks]
    assert deltas[0] == {"content": "", "role": "assistant"}
    assert list(deltas[0]) == ["content", "role"]  # the documented order
    assert deltas[-1] == {"content": ""}
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"
    assert "".join(d.get("content", "") for d in deltas) == EXPECTED_TEXT
    assert len(deltas) > 5  # split into word-ish pieces
    assert all(c["choices"] for c in chunks)  # no usage chunk unless asked


def test_usage_chunk_with_include_usage(client: openai.OpenAI) -> None:
    chunks = list(
        client.chat.completions.create(
            model=MODEL,
            messages=MESSAGES,
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    assert chunks[-1].choices == []
    usage = chunks[-1].usage
    assert usage is not None
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens
    assert usage.completion_tokens_details is not None
    assert usage.completion_tokens_details.audio_tokens is None
    assert all(c.usage is None for c in chunks[:-1])

    spoken = client.chat.completions.create(
        model=MODEL,
        messages=MESSAGES,
        stream=True,
        modalities=["text", "audio"],
        stream_options={"include_usage": True},
    )
    details = list(spoken)[-1].usage.completion_tokens_details  # type: ignore[union-attr]
    assert details is not None
    assert details.audio_tokens is not None
    assert details.audio_tokens > 0


def test_audio_stream_decodes_to_speech_of_the_right_length(
    client: openai.OpenAI,
) -> None:
    text, pieces, transcript = _stream_audio(client)
    assert text == EXPECTED_TEXT
    assert transcript == ""
    assert any(p.endswith("=") for p in pieces)  # padded pieces by default
    pcm = b"".join(base64.b64decode(p, validate=True) for p in pieces)
    seconds = len(EXPECTED_TEXT) * 0.03
    assert len(pcm) == round(seconds * SAMPLE_RATE) * 2
    samples = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
    assert np.sqrt(np.mean(samples**2)) > 1000
    assert np.mean(np.abs(samples) > 100) > 0.5  # mostly voiced, not silence


def test_audio_deltas_have_id_and_expiry(emu: OmniEmulator) -> None:
    _, events = _sse(emu, _body(modalities=["text", "audio"], audio=AUDIO))
    chunks = [json.loads(e) for e in events[:-1]]
    audio = [
        c["choices"][0]["delta"]["audio"]
        for c in chunks
        if "audio" in c["choices"][0]["delta"]
    ]
    assert {a["id"] for a in audio} == {audio[0]["id"]}
    assert audio[0]["id"].startswith("audio_")
    assert {a["expires_at"] for a in audio} == {chunks[0]["created"] + 86_400}


def test_transcript_placement(emu: OmniEmulator, client: openai.OpenAI) -> None:
    emu.options.transcript_mode = "transcript"
    text, pieces, transcript = _stream_audio(client)
    assert text == ""
    assert transcript == EXPECTED_TEXT
    assert pieces


def test_fixed_answer_and_bare_v1_path(emu: OmniEmulator) -> None:
    emu.configure(answer="Hello there, friend.", text_pieces=2)
    with openai.OpenAI(base_url=f"{emu.url}/v1", api_key="k", max_retries=0) as c:
        chunks = list(
            c.chat.completions.create(model=MODEL, messages=MESSAGES, stream=True)
        )
    contents = [ch.choices[0].delta.content for ch in chunks]
    assert contents[1:-1] == ["Hello ther", "e, friend."]
    assert emu.requests[-1].path == "/v1/chat/completions"


def test_requests_are_recorded_in_order_before_validation(
    emu: OmniEmulator, client: openai.OpenAI
) -> None:
    list(client.chat.completions.create(model=MODEL, messages=MESSAGES, stream=True))
    with pytest.raises(openai.BadRequestError):
        client.chat.completions.create(model=MODEL, messages=MESSAGES)
    first, second = emu.requests
    assert isinstance(first, RecordedRequest)
    assert first.path == "/compatible-mode/v1/chat/completions"
    assert first.headers["authorization"] == "Bearer sk-test"
    assert first.body == {"model": MODEL, "messages": MESSAGES, "stream": True}
    assert "stream" not in second.body
    emu.clear()
    assert emu.requests == []


# --- errors --------------------------------------------------------------------


def test_non_streaming_call_is_a_documented_400(
    emu: OmniEmulator, client: openai.OpenAI
) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        client.chat.completions.create(
            model="qwen-omni-turbo-2025-01-19", messages=MESSAGES
        )
    assert info.value.status_code == 400
    assert info.value.body == {
        "message": "<400> InternalError.Algo.InvalidParameter: This model only "
        "support stream mode, please enable the stream parameter to access the "
        "model.",
        "type": "invalid_request_error",
        "param": None,
        "code": "invalid_parameter_error",
    }

    with pytest.raises(openai.BadRequestError, match="only support stream mode"):
        client.chat.completions.create(
            model=MODEL,
            messages=MESSAGES,
            modalities=["text", "audio"],
            audio=AUDIO,
        )
    resp = httpx.post(f"{emu.base_url}/chat/completions", json=_body(stream=False))
    assert resp.status_code == 400
    assert len(resp.json()["request_id"]) == 36
    assert resp.json()["id"].startswith("chatcmpl-")


def test_unknown_voice_and_format_are_400(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        client.chat.completions.create(
            model="qwen-omni-turbo",
            messages=MESSAGES,
            stream=True,
            modalities=["text", "audio"],
            audio={"voice": "Ryan", "format": "wav"},
        )
    assert info.value.body["message"] == (  # type: ignore[index]
        "<400> InternalError.Algo.InvalidParameter: Input should be 'Cherry', "
        "'Serena', 'Ethan' or 'Chelsie': parameters.audio.voice"
    )
    with pytest.raises(openai.BadRequestError, match=r"parameters\.audio\.format"):
        client.chat.completions.create(
            model=MODEL,
            messages=MESSAGES,
            stream=True,
            modalities=["text", "audio"],
            audio={"voice": "Cherry", "format": "mp3"},
        )


def test_invalid_json_is_recorded_and_refused(emu: OmniEmulator) -> None:
    resp = httpx.post(f"{emu.base_url}/chat/completions", content=b"{not json")
    assert resp.status_code == 400
    assert emu.requests[-1].body == {"_invalid_json": "{not json"}


def test_the_vllm_dialect_refuses_invalid_json_in_its_own_envelope() -> None:
    with OmniEmulator(dialect="vllm-omni") as emu:
        resp = httpx.post(f"{emu.base_url}/chat/completions", content=b"{not json")
    assert resp.status_code == 400
    assert resp.json() == {
        "error": {
            "message": "The request body is not a valid JSON object.",
            "type": "BadRequestError",
            "param": None,
            "code": 400,
        }
    }


# --- faults --------------------------------------------------------------------


def test_cut_stream_breaks_httpx(emu: OmniEmulator) -> None:
    emu.options.cut_after_events = 3
    received: list[str] = []
    with (
        pytest.raises(httpx.RemoteProtocolError, match="incomplete chunked read"),
        httpx.stream("POST", f"{emu.base_url}/chat/completions", json=_body()) as resp,
    ):
        received.extend(line for line in resp.iter_lines() if line.startswith("data: "))
    assert len(received) == 3


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def test_cut_stream_raises_in_sync_openai_without_server_traceback(
    emu: OmniEmulator, client: openai.OpenAI
) -> None:
    emu.options.cut_after_events = 5
    records = _Records()
    server_log = logging.getLogger("uvicorn.error")
    server_log.addHandler(records)
    try:
        stream = client.chat.completions.create(
            model=MODEL, messages=MESSAGES, stream=True
        )
        seen = [next(stream) for _ in range(5)]
        with pytest.raises(openai.APIConnectionError) as info:
            next(stream)
        server_log.error("probe")  # the handler does see other errors
    finally:
        server_log.removeHandler(records)
    assert len(seen) == 5
    assert "incomplete chunked read" in str(info.value.__cause__)
    assert records.messages == ["probe"]


async def test_cut_stream_raises_in_async_openai(emu: OmniEmulator) -> None:
    emu.options.cut_after_events = 2
    async with openai.AsyncOpenAI(
        base_url=emu.base_url, api_key="k", max_retries=0
    ) as c:
        stream = await c.chat.completions.create(
            model=MODEL, messages=MESSAGES, stream=True
        )
        with pytest.raises(openai.APIConnectionError):
            async for _ in stream:
                pass


def test_chunk_delay_paces_events(emu: OmniEmulator) -> None:
    emu.configure(answer="a b c d", chunk_delay=0.03)  # 6 chunks + [DONE]
    start = time.perf_counter()
    _, events = _sse(emu, _body())
    elapsed = time.perf_counter() - start
    assert len(events) == 7
    assert elapsed >= 6 * 0.03


def test_stop_aborts_slow_streams_promptly() -> None:
    emu = OmniEmulator(chunk_delay=5.0).start()
    url = f"{emu.base_url}/chat/completions"
    with httpx.stream("POST", url, json=_body()) as resp:
        lines = resp.iter_lines()
        assert next(lines).startswith("data: ")
        start = time.perf_counter()
        emu.stop()
        assert time.perf_counter() - start < 1.5
        with pytest.raises(httpx.RemoteProtocolError):
            list(lines)


# --- load and entry point ------------------------------------------------------


async def test_64_concurrent_streams_complete(emu: OmniEmulator) -> None:
    emu.options.audio_piece_sizes = (48_000,)

    async def one(c: openai.AsyncOpenAI, i: int) -> tuple[str, int]:
        messages: list[ChatCompletionMessageParam] = [
            {"role": "user", "content": f"request {i}"}
        ]
        stream = await c.chat.completions.create(
            model=MODEL,
            messages=messages,
            stream=True,
            modalities=["text", "audio"],
        )
        text, audio_bytes = "", 0
        async for chunk in stream:
            delta = chunk.choices[0].delta
            text += delta.content or ""
            audio = getattr(delta, "audio", None)
            if audio is not None:
                audio_bytes += len(base64.b64decode(audio.model_dump()["data"]))
        return text, audio_bytes

    async with openai.AsyncOpenAI(
        base_url=emu.base_url, api_key="k", max_retries=0
    ) as c:
        results = await asyncio.wait_for(
            asyncio.gather(*(one(c, i) for i in range(64))), timeout=30
        )
    for i, (text, audio_bytes) in enumerate(results):
        body = {
            "model": MODEL,
            "messages": [{"role": "user", "content": f"request {i}"}],
        }
        assert text == describe_request(body)
        assert audio_bytes == round(len(text) * 0.03 * SAMPLE_RATE) * 2
    assert len(emu.requests) == 64


def test_module_entry_point_serves_in_the_foreground() -> None:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "langchain_qwen_omni.emulator",
            "--port",
            "0",
            "--log-level",
            "warning",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        base_url = line.split()[-1]
        assert base_url.startswith("http://127.0.0.1:")
        assert base_url.endswith("/compatible-mode/v1")
        _, events = _sse_url(base_url, _body())
        assert json.loads(events[1])["choices"][0]["delta"]["content"]
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _sse_url(base_url: str, body: dict[str, Any]) -> tuple[int, list[str]]:
    resp = httpx.post(f"{base_url}/chat/completions", json=body)
    return resp.status_code, [
        e.removeprefix("data: ") for e in resp.text.split("\n\n")[:-1]
    ]


def test_emulator_process_yields_the_vllm_dialects_base_url() -> None:
    with emulator_process("--dialect", "vllm-omni") as base_url:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/v1", base_url)
        models = httpx.get(f"{base_url}/models").json()
        assert models["data"][0]["owned_by"] == "vllm"
