"""The emulator's vllm-omni dialect: its checks and answers, as pure functions."""

from __future__ import annotations

import ast
import base64
import io
import struct
from pathlib import Path
from typing import Any

import pytest
import soundfile as sf

from langchain_qwen_omni.emulator import EmulatorOptions, VllmServerOptions
from langchain_qwen_omni.emulator.answers import synthesize_speech
from langchain_qwen_omni.emulator.vllm_answers import (
    build_vllm_answer,
    describe_vllm_request,
)
from langchain_qwen_omni.emulator.vllm_facts import (
    AUTO_TOOLS_MESSAGE,
    INCORRECT_PADDING,
    NO_STREAMING_MESSAGE,
)
from langchain_qwen_omni.emulator.vllm_rules import (
    check_video_sound,
    validate_vllm_request,
)
from tests import media

MODEL = "Qwen/Qwen3-Omni-30B-A3B-Instruct"
EMULATOR = Path(__file__).resolve().parents[2] / "langchain_qwen_omni" / "emulator"
CLIENT_ONLY = {
    "rules",
    "profiles",
    "_convert",
    "media",
    "_wire",
    "_wire_vllm",
    "_vllm_stream",
    "_wav_pieces",
    "chat_models",
}


def options(**vllm: Any) -> EmulatorOptions:
    return EmulatorOptions(dialect="vllm-omni", vllm=VllmServerOptions(**vllm))


def body(*content: Any, **fields: Any) -> dict[str, Any]:
    parts = [{"type": "text", "text": "hi"}, *content]
    return {"model": MODEL, "messages": [{"role": "user", "content": parts}], **fields}


def refusal(request: dict[str, Any], opts: EmulatorOptions | None = None) -> str | None:
    error = validate_vllm_request(request, opts or options())
    if error is None:
        return None
    assert error.body["error"]["type"] in {"BadRequestError", "NotFoundError"}
    assert error.body["error"]["code"] == error.status
    return error.message


def answer(request: dict[str, Any], opts: EmulatorOptions | None = None) -> Any:
    return build_vllm_answer(
        request, opts or options(), completion_id="chatcmpl-abc", created=100
    )


def test_the_emulator_never_imports_the_clients_rulebook() -> None:
    for path in EMULATOR.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.ImportFrom) or not node.module:
                continue
            if node.module == "langchain_qwen_omni":
                names = {alias.name for alias in node.names}
            elif node.module.startswith("langchain_qwen_omni.emulator"):
                continue  # the emulator's own modules (it has its own rules)
            elif node.module.startswith("langchain_qwen_omni."):
                names = {node.module.split(".")[1]}
            else:
                continue
            assert not names & CLIENT_ONLY, (path.name, node.module)


# --- what the server refuses ---------------------------------------------------


def test_frame_lists_are_no_vllm_part() -> None:
    frames = {"type": "video", "video": ["https://e.com/1.jpg", "https://e.com/2.jpg"]}
    assert refusal(body(frames)) == "Unknown part type: video"


def test_input_audio_wants_raw_base64() -> None:
    raw = base64.b64encode(media.wav(0.1)).decode()
    assert (
        refusal(
            body({"type": "input_audio", "input_audio": {"data": raw, "format": "wav"}})
        )
        is None
    )
    as_url = {
        "type": "input_audio",
        "input_audio": {"data": f"data:;base64,{raw}", "format": "wav"},
    }
    assert refusal(body(as_url)) == INCORRECT_PADDING


def test_urls_must_be_http_or_data() -> None:
    local = {"type": "image_url", "image_url": {"url": "cat.png"}}
    assert "HTTP, data or file URL" in str(refusal(body(local)))


def test_auto_tools_need_a_tool_parser() -> None:
    tools = [{"type": "function", "function": {"name": "f", "parameters": {}}}]
    assert refusal(body(tools=tools)) == AUTO_TOOLS_MESSAGE
    assert refusal(body(tools=tools), options(auto_tool_choice=True)) is None
    named = {"type": "function", "function": {"name": "f"}}
    assert refusal(body(tools=tools, tool_choice=named)) is None


def test_stream_options_need_a_stream_and_old_releases_do_not_stream() -> None:
    assert "only be defined when `stream=True`" in str(
        refusal(body(stream_options={"include_usage": True}))
    )
    assert refusal(body(stream=True), options(streaming=False)) == NO_STREAMING_MESSAGE


def test_the_context_is_bounded_by_max_model_len() -> None:
    message = refusal(body(max_tokens=70_000))
    assert message is not None
    assert "maximum context length is 65536 tokens" in message
    assert refusal(body(max_tokens=1000), options(max_model_len=500)) is not None
    qwen25 = {**body(max_tokens=40_000), "model": "Qwen/Qwen2.5-Omni-7B"}
    assert "32768" in str(refusal(qwen25))


def test_speakers_and_models() -> None:
    assert refusal(body(speaker="Chelsie")) is None
    assert "not supported" in str(refusal(body(speaker="Cherry")))
    qwen25 = {**body(speaker="Aiden"), "model": "Qwen/Qwen2.5-Omni-7B"}
    assert "ethan, chelsie" in str(refusal(qwen25))
    served = options(served_model_name="omni")
    error = validate_vllm_request(body(), served)
    assert error is not None
    assert error.status == 404


def test_a_silent_video_cannot_be_heard() -> None:
    silent = base64.b64encode(media.mp4(2.0, audio=False)).decode()
    part = {
        "type": "video_url",
        "video_url": {"url": f"data:video/mp4;base64,{silent}"},
    }
    heard = {"mm_processor_kwargs": {"use_audio_in_video": True}}
    assert "no audio stream" in str(refusal(body(part, **heard)))
    assert refusal(body(part)) is None


@pytest.mark.parametrize("data", ["@@@@", "ÄÄÄÄ"])
def test_a_video_that_cannot_be_decoded_is_not_judged_silent(data: str) -> None:
    part = {"type": "video_url", "video_url": {"url": f"data:video/mp4;base64,{data}"}}
    heard = {"mm_processor_kwargs": {"use_audio_in_video": True}}
    assert check_video_sound(body(part, **heard)) is None


# --- what the server answers ---------------------------------------------------


def wav_pcm(piece_b64: str) -> tuple[int, bytes]:
    """The rate and the raw bytes of a WAV's data chunk (any byte count)."""
    data = base64.b64decode(piece_b64)
    info = sf.info(io.BytesIO(data)) if len(data) % 2 == 0 else None
    rate = struct.unpack_from("<I", data, 24)[0]
    assert info is None or info.samplerate == rate
    assert data[36:40] == b"data"
    size = struct.unpack_from("<I", data, 40)[0]
    return rate, data[44 : 44 + size]


def test_modalities_default_to_speech() -> None:
    chunks = answer(body(stream=True))
    assert {c.get("modality") for c in chunks} == {"text", "audio"}
    text_only = answer(body(stream=True, modalities=["text"]))
    assert {c.get("modality") for c in text_only} == {"text"}


def test_speech_is_wav_files_with_a_finish_reason_each() -> None:
    request = body(stream=True, stream_options={"include_usage": True}, speaker="Aiden")
    chunks = answer(request)
    text = [c for c in chunks if c.get("modality") == "text"]
    speech = [c for c in chunks if c.get("modality") == "audio"]
    assert text[-1]["choices"][0]["finish_reason"] == "stop"
    assert all(c["choices"][0]["finish_reason"] == "stop" for c in speech)
    assert all(c["usage"]["completion_tokens"] == 0 for c in speech)
    assert chunks[-1]["choices"] == []
    assert "prompt_tokens_details" not in chunks[-1]["usage"]  # no media breakdown
    said = "".join(c["choices"][0]["delta"].get("content") or "" for c in text)
    assert "speaker aiden" in said
    pcm = b""
    for c in speech:
        rate, samples = wav_pcm(c["choices"][0]["delta"]["content"])
        assert rate == 24_000
        pcm += samples
    assert pcm == synthesize_speech(said, "aiden", options())  # odd pieces lose nothing


def test_a_fixed_release_sends_one_header() -> None:
    chunks = answer(body(stream=True), options(wav_headers="first"))
    pieces = [
        base64.b64decode(c["choices"][0]["delta"]["content"])
        for c in chunks
        if c.get("modality") == "audio"
    ]
    assert pieces[0][:4] == b"RIFF"
    assert struct.unpack_from("<I", pieces[0], 40)[0] == 0xFFFFFFFF
    assert all(piece[:4] != b"RIFF" for piece in pieces[1:])


def test_speech_can_come_between_text_pieces() -> None:
    chunks = answer(body(stream=True), options(interleave_speech=True))
    kinds = [c["modality"] for c in chunks]
    first_speech = kinds.index("audio")
    assert "text" in kinds[first_speech:]


def test_a_thinking_model_reasons_in_the_chosen_field() -> None:
    thinker = {**body(stream=True), "model": "Qwen/Qwen3-Omni-30B-A3B-Thinking"}
    chunks = answer(thinker)
    assert any("reasoning" in c["choices"][0]["delta"] for c in chunks if c["choices"])
    assert all(c.get("modality") == "text" for c in chunks)  # no talker
    old = answer(thinker, options(reasoning_field="reasoning_content"))
    assert any("reasoning_content" in c["choices"][0]["delta"] for c in old)


def test_a_whole_answer_has_a_separate_speech_choice() -> None:
    whole = answer(body(speaker="Chelsie"))
    assert whole["object"] == "chat.completion"
    text, spoken = whole["choices"]
    assert text["message"]["content"].startswith(f"[{MODEL} vLLM-Omni emulator]")
    rate, pcm = wav_pcm(spoken["message"]["audio"]["data"])
    assert rate == 24_000
    assert pcm == synthesize_speech(text["message"]["content"], "chelsie", options())


def test_tool_calls_stream_as_openai_deltas() -> None:
    tools = [
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "parameters": {
                    "type": "object",
                    "properties": {"city": {"type": "string"}},
                    "required": ["city"],
                },
            },
        }
    ]
    chunks = answer(body(stream=True, tools=tools), options(auto_tool_choice=True))
    calls = [
        c for c in chunks if c["choices"] and "tool_calls" in c["choices"][0]["delta"]
    ]
    assert calls
    assert chunks[-1]["choices"][0]["finish_reason"] == "tool_calls"
    assert all(c.get("modality") == "text" for c in chunks)


def test_the_description_names_what_the_server_read() -> None:
    request = body(
        {"type": "image_url", "image_url": {"url": "https://e.com/a.png"}},
        {"type": "audio_url", "audio_url": {"url": "https://e.com/a.mp3"}},
        modalities=["text"],
        mm_processor_kwargs={"use_audio_in_video": True},
    )
    said = describe_vllm_request(request, VllmServerOptions())
    assert "Media: 1 audio_url, 1 image_url." in said
    assert "Output: text." in said
    assert "Audio in video: on." in said


def test_options_are_checked() -> None:
    with pytest.raises(ValueError, match="wav_headers"):
        options(wav_headers="some")
    with pytest.raises(ValueError, match="sample_rate"):
        options(sample_rate=0)
    with pytest.raises(ValueError, match="dialect"):
        EmulatorOptions(dialect="openai")  # type: ignore[arg-type]
