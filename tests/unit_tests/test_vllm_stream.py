"""VllmOmniAssembler and whole answers: vLLM-Omni's chunks read as DashScope's."""

from __future__ import annotations

import base64
import io
import json
from typing import Any

import numpy as np
import pytest
import soundfile as sf

from langchain_qwen_omni import OmniAudio, OmniStreamError
from langchain_qwen_omni._sse import BODY_LIMIT, EventDecoder
from langchain_qwen_omni._vllm_stream import VllmOmniAssembler

PCM = np.random.default_rng(3).integers(-9000, 9000, 6000, dtype=np.int16)
LONG = np.tile(PCM, 5)


def wav_b64(samples: np.ndarray, rate: int = 24_000) -> str:
    buffer = io.BytesIO()
    sf.write(buffer, samples, rate, format="WAV", subtype="PCM_16")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def chunk(delta: dict[str, Any], modality: str | None = "text", **extra: Any) -> dict:
    event: dict[str, Any] = {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "model": "Qwen/Qwen3-Omni-30B-A3B-Instruct",
        "choices": [
            {"index": 0, "delta": delta, "finish_reason": extra.pop("finish", None)}
        ],
        **extra,
    }
    if modality is not None:
        event["modality"] = modality
    return event


def speech(samples: np.ndarray, **extra: Any) -> dict:
    usage = {"prompt_tokens": 9, "completion_tokens": 0, "total_tokens": 9}
    return chunk(
        {"role": "assistant", "content": wav_b64(samples)},
        "audio",
        finish="stop",
        usage=usage,
        **extra,
    )


def run(events: list[dict], *, speech_asked: bool = True) -> tuple[Any, list[Any]]:
    assembler = VllmOmniAssembler(speech=speech_asked)
    chunks = [c for event in events for c in assembler.feed(event)]
    chunks.append(assembler.finish())
    return assembler.message(), chunks


STREAM = [
    chunk({"role": "assistant", "content": ""}),
    chunk({"content": "Hello"}),
    chunk({"content": " there"}, finish="stop"),
    speech(PCM[:2500]),
    speech(PCM[2500:]),
    {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "model": "m",
        "choices": [],
        "usage": {"prompt_tokens": 9, "completion_tokens": 12, "total_tokens": 21},
    },
]


def test_speech_is_routed_by_modality_and_decoded_sample_for_sample() -> None:
    message, chunks = run(STREAM)
    assert message.text == "Hello there"  # no base64 in the text
    assert OmniAudio.from_message(message).pcm == PCM.tobytes()
    assert OmniAudio.from_chunks([c.message for c in chunks]).pcm == PCM.tobytes()
    audio = message.additional_kwargs["audio"]
    assert (audio["sample_rate"], audio["format"], audio["transcript"]) == (
        24_000,
        "pcm16",
        "Hello there",
    )
    assert message.response_metadata["finish_reason"] == "stop"


def test_finish_reasons_on_speech_do_not_end_the_answer_or_repeat() -> None:
    _, chunks = run(STREAM)
    reasons = [c.message.response_metadata.get("finish_reason") for c in chunks]
    assert reasons.count("stop") == 1  # the text's, not one per speech piece


def test_running_usage_beside_speech_is_not_summed() -> None:
    message, chunks = run(STREAM)
    assert message.usage_metadata == {
        "input_tokens": 9,
        "output_tokens": 12,
        "total_tokens": 21,
    }
    summed = chunks[0]
    for piece in chunks[1:]:
        summed += piece
    assert summed.message.usage_metadata["input_tokens"] == 9


def test_without_a_usage_chunk_the_last_running_count_is_kept() -> None:
    message, _ = run(STREAM[:-1])
    assert message.usage_metadata["input_tokens"] == 9


def test_speech_before_the_text_ends_and_speech_only_answers() -> None:
    interleaved = [
        STREAM[0],
        speech(PCM[:100]),
        STREAM[1],
        speech(PCM[100:]),
        STREAM[2],
    ]
    message, _ = run(interleaved)
    assert message.text == "Hello there"
    assert OmniAudio.from_message(message).pcm == PCM.tobytes()
    only_speech, _ = run([speech(PCM)])
    assert only_speech.response_metadata["finish_reason"] == "stop"
    assert OmniAudio.from_message(only_speech).pcm == PCM.tobytes()


def test_a_cut_stream_still_raises_with_what_arrived() -> None:
    assembler = VllmOmniAssembler(speech=True)
    for event in STREAM[:2]:
        assembler.feed(event)
    with pytest.raises(OmniStreamError, match="without a finish_reason") as caught:
        assembler.finish()
    assert caught.value.partial.text == "Hello"


def test_reasoning_in_either_field() -> None:
    for field in ("reasoning", "reasoning_content"):
        message, _ = run(
            [
                chunk({field: "think "}),
                chunk({field: "hard"}),
                chunk({}, finish="stop"),
            ],
            speech_asked=False,
        )
        assert message.additional_kwargs["reasoning_content"] == "think hard"


def test_untagged_wav_in_content_is_speech_when_speech_was_asked() -> None:
    event = speech(PCM)
    del event["modality"]
    message, _ = run([chunk({"content": "Hi"}, modality=None, finish="stop"), event])
    assert message.text == "Hi"
    assert OmniAudio.from_message(message).pcm == PCM.tobytes()


def test_undecodable_speech_is_a_stream_error_keeping_the_text() -> None:
    assembler = VllmOmniAssembler(speech=True)
    assembler.feed(STREAM[1])
    with pytest.raises(OmniStreamError, match="vLLM-Omni") as caught:
        assembler.feed(chunk({"content": "@@@@"}, "audio"))
    assert caught.value.partial.text == "Hello"


def test_restart_forgets_everything() -> None:
    assembler = VllmOmniAssembler(speech=True)
    assembler.feed(STREAM[1])
    assembler.feed(STREAM[3])
    assembler.restart()
    for event in STREAM:
        assembler.feed(event)
    assembler.finish()
    assert OmniAudio.from_message(assembler.message()).pcm == PCM.tobytes()


# --- whole answers ---------------------------------------------------------------


def whole_answer() -> dict[str, Any]:
    return {
        "id": "chatcmpl-2",
        "object": "chat.completion",
        "model": "Qwen/Qwen3-Omni-30B-A3B-Instruct",
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": "Whole answer",
                    "tool_calls": [
                        {
                            "id": "c1",
                            "type": "function",
                            "function": {"name": "a", "arguments": "{}"},
                        },
                        {
                            "id": "c2",
                            "type": "function",
                            "function": {"name": "b", "arguments": "{}"},
                        },
                    ],
                },
                "finish_reason": "tool_calls",
            },
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": None,
                    "audio": {
                        "id": "audio-1",
                        "data": wav_b64(LONG),
                        "expires_at": 5,
                        "transcript": "",
                    },
                },
                "finish_reason": "stop",
            },
        ],
        "usage": {"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7},
    }


def test_a_whole_json_answer_is_one_event_even_past_64_kib() -> None:
    body = json.dumps(whole_answer()).encode()
    assert len(body) > BODY_LIMIT
    decoder = EventDecoder(content_type="application/json", whole_answers=True)
    events = [
        e for i in range(0, len(body), 1000) for e in decoder.feed(body[i : i + 1000])
    ]
    events += decoder.close()
    assert decoder.error is None
    assert len(events) == 1
    assert events[0]["object"] == "chat.completion.chunk"
    assert events[0]["choices"][0]["delta"]["content"] == "Whole answer"
    message, _ = run(events)
    assert message.text == "Whole answer"
    assert [call["name"] for call in message.tool_calls] == ["a", "b"]
    audio = OmniAudio.from_message(message)
    assert audio.pcm == LONG.tobytes()
    assert audio.id == "audio-1"
    assert message.usage_metadata["total_tokens"] == 7


def test_a_json_error_body_is_still_an_error() -> None:
    decoder = EventDecoder(content_type="application/json", whole_answers=True)
    decoder.feed(json.dumps({"error": {"message": "nope", "code": 400}}).encode())
    assert decoder.close() == []
    assert decoder.error is not None
    assert "nope" in str(decoder.error)


def test_dashscope_must_stream_so_a_whole_answer_is_an_error_there() -> None:
    small = {"choices": [{"message": {"content": "hi"}, "finish_reason": "stop"}]}
    decoder = EventDecoder(content_type="application/json")
    decoder.feed(json.dumps(small).encode())
    assert decoder.close() == []
    assert decoder.error is not None
    assert "stream=true" in str(decoder.error)
