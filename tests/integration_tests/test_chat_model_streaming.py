"""ChatQwenOmni against the emulator over real loopback HTTP: text and speech."""

import base64
import functools
import json
import operator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
import soundfile as sf
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage

from langchain_qwen_omni import (
    ChatQwenOmni,
    OmniAudio,
    OmniStreamError,
    aiter_pcm,
    iter_pcm,
)
from langchain_qwen_omni.emulator import OmniEmulator


def server_pcm(emu: OmniEmulator, body: dict[str, Any]) -> bytes:
    """Ask the emulator directly and decode each audio piece: the ground truth."""
    pieces: list[bytes] = []
    with httpx.stream(
        "POST", emu.base_url + "/chat/completions", json=body, timeout=30
    ) as response:
        for line in response.iter_lines():
            if not line.startswith("data: ") or line == "data: [DONE]":
                continue
            choices = json.loads(line[6:]).get("choices", [])
            audio = [(c["delta"].get("audio") or {}).get("data") for c in choices]
            pieces.extend(base64.b64decode(data) for data in audio if data)
    return b"".join(pieces)


def merged(chunks: list[Any]) -> AIMessageChunk:
    total = functools.reduce(operator.add, chunks)
    assert isinstance(total, AIMessageChunk)
    return total


def test_invoke_text(chat: ChatQwenOmni, emu: OmniEmulator) -> None:
    message = chat.invoke("Who are you?")
    assert isinstance(message, AIMessage)
    assert "The last user message says: 'Who are you?'" in message.text
    assert message.response_metadata["finish_reason"] == "stop"
    assert message.response_metadata["model_name"] == "qwen3-omni-flash"
    assert message.response_metadata["model_provider"] == "qwen_omni"
    assert message.usage_metadata is not None
    assert message.usage_metadata["total_tokens"] > 0
    (request,) = emu.requests
    assert request.body["stream"] is True
    assert request.body["stream_options"] == {"include_usage": True}
    assert request.body["messages"] == [{"role": "user", "content": "Who are you?"}]
    assert request.headers["authorization"] == "Bearer sk-emulator"


def test_stream_text_arrives_in_pieces(chat: ChatQwenOmni) -> None:
    chunks = list(chat.stream("Tell me a story"))
    texts = [c.text for c in chunks if c.text]
    assert len(texts) > 3
    assert merged(chunks).text == chat.invoke("Tell me a story").text


def test_batch(chat: ChatQwenOmni) -> None:
    prompts: list[Any] = ["one", "two", "three"]
    results = chat.batch(prompts)
    assert [f"'{p}'" in r.text for p, r in zip(prompts, results, strict=True)] == [
        True
    ] * 3


@pytest.mark.parametrize("transcript_mode", ["content", "transcript"])
def test_speech_invoke_and_stream_equal_server_pcm(
    speaker: ChatQwenOmni, emu: OmniEmulator, transcript_mode: str
) -> None:
    emu.configure(transcript_mode=transcript_mode)
    message = speaker.invoke("Say hello")
    body = emu.requests[-1].body
    expected = server_pcm(emu, body)
    assert len(expected) > 24000  # more than half a second of speech

    assert "Say hello" in message.text  # text from content or from the transcript
    audio = message.additional_kwargs["audio"]
    assert audio["transcript"] == message.text
    assert audio["format"] == "pcm16"
    assert (audio["sample_rate"], audio["channels"]) == (24000, 1)
    assert audio["id"].startswith("audio_")
    assert isinstance(audio["expires_at"], int)
    assert OmniAudio.from_message(message).pcm == expected

    chunks = list(speaker.stream("Say hello"))
    total = merged(chunks)
    assert total.text == message.text
    assert total.additional_kwargs["audio"]["expires_at"] == audio[
        "expires_at"
    ] or isinstance(total.additional_kwargs["audio"]["expires_at"], int)
    assert (
        base64.b64decode(total.additional_kwargs["audio"]["data"], validate=True)
        == expected
    )
    assert OmniAudio.from_chunks(chunks).pcm == expected
    assert b"".join(iter_pcm(chunks)) == expected


def test_speech_request_shape(speaker: ChatQwenOmni, emu: OmniEmulator) -> None:
    ChatQwenOmni(
        base_url=emu.base_url, api_key="k", modalities=["text", "audio"], voice="Ethan"
    ).invoke("hi")
    body = emu.requests[-1].body
    assert body["modalities"] == ["text", "audio"]
    assert body["audio"] == {"voice": "Ethan", "format": "wav"}


def test_speech_saved_to_wav_reads_back_sample_for_sample(
    speaker: ChatQwenOmni, tmp_path: Path
) -> None:
    message = speaker.invoke("Read this aloud")
    audio = OmniAudio.from_message(message)
    path = audio.save(tmp_path / "answer.wav")
    samples, rate = sf.read(path, dtype="int16")
    assert rate == 24000
    assert np.array_equal(samples, audio.to_numpy())
    assert np.abs(samples).max() > 1000  # speech-like, not silence
    assert audio.duration == pytest.approx(len(samples) / 24000)


def test_v1_output_has_one_audio_block_that_merges(emu: OmniEmulator) -> None:
    model = ChatQwenOmni(
        base_url=emu.base_url,
        api_key="k",
        modalities=["text", "audio"],
        output_version="v1",
    )
    message = model.invoke("hi")
    kinds = [b["type"] for b in message.content_blocks]
    assert kinds == ["text", "audio"]
    expected = OmniAudio.from_message(message).pcm
    block = message.content_blocks[1]
    assert block["mime_type"].startswith("audio/pcm;rate=24000")  # type: ignore[typeddict-item]
    assert base64.b64decode(block["base64"]) == expected  # type: ignore[typeddict-item]

    total = merged(list(model.stream("hi")))
    assert [b["type"] for b in total.content_blocks] == ["text", "audio"]
    streamed = total.content_blocks[1]
    assert base64.b64decode(streamed["base64"], validate=True) == expected  # type: ignore[typeddict-item]
    assert streamed["mime_type"] == block["mime_type"]  # type: ignore[typeddict-item]


def test_invoke_reports_each_chunk_to_streaming_callbacks(chat: ChatQwenOmni) -> None:
    tokens: list[str] = []

    class Collect(BaseCallbackHandler):
        def on_llm_new_token(self, token: Any, **kwargs: Any) -> None:
            tokens.append(token)

    message = chat.invoke("hello there", config={"callbacks": [Collect()]})
    assert len([t for t in tokens if t]) > 3
    assert "".join(tokens) == message.text


def test_cut_stream_keeps_partial_text_and_audio(
    speaker: ChatQwenOmni, emu: OmniEmulator
) -> None:
    emu.configure(cut_after_events=12)
    received: list[Any] = []
    with pytest.raises(OmniStreamError) as info:
        received.extend(speaker.stream("Say something long enough to be cut"))
    partial = info.value.partial
    body = emu.requests[-1].body
    emu.configure(cut_after_events=None)
    expected_text = speaker.invoke(body["messages"][0]["content"]).text
    assert partial.text
    assert expected_text.startswith(partial.text)
    assert partial.text != expected_text
    pcm = OmniAudio.from_message(partial).pcm
    assert len(pcm) > 0
    assert server_pcm(emu, body).startswith(pcm)
    # what the caller already received is part of the partial too
    assert merged(received).text == partial.text

    emu.configure(cut_after_events=12)
    with pytest.raises(OmniStreamError) as info:
        speaker.invoke("Say something long enough to be cut")
    assert info.value.partial.text == partial.text
    assert OmniAudio.from_message(info.value.partial).pcm == pcm


async def test_async_paths(speaker: ChatQwenOmni, emu: OmniEmulator) -> None:
    message = await speaker.ainvoke("async hello")
    expected = server_pcm(emu, emu.requests[-1].body)
    assert OmniAudio.from_message(message).pcm == expected

    chunks = [c async for c in speaker.astream("async hello")]
    assert merged(chunks).text == message.text
    assert OmniAudio.from_chunks(chunks).pcm == expected

    pcm = b"".join([p async for p in aiter_pcm(speaker.astream("async hello"))])
    assert pcm == expected

    results = await speaker.abatch(["a1", "a2", "a3"])
    assert ["'a1'" in results[0].text, "'a3'" in results[2].text] == [True, True]
    assert all(OmniAudio.from_message(r).duration > 0.4 for r in results)


async def test_async_cut_stream_keeps_partial(
    speaker: ChatQwenOmni, emu: OmniEmulator
) -> None:
    emu.configure(cut_after_events=9)
    with pytest.raises(OmniStreamError) as info:
        await speaker.ainvoke([HumanMessage("Say something long enough to be cut")])
    assert info.value.partial.text
    assert len(OmniAudio.from_message(info.value.partial).pcm) > 0
