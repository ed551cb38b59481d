"""The emulator per family over real loopback HTTP, judged by its own facts.

Requests are posted with httpx or the openai SDK, bypassing the client's
checks, so what is shown is the emulator's own verdict and wire: the API's
error envelope, the documented first chunk, `usage: null` on every chunk
but the last, and media tokens counted by the family's rules.
"""

from __future__ import annotations

import base64
import json
from typing import TYPE_CHECKING, Any

import httpx
import openai
import pytest

from langchain_qwen_omni import ChatQwenOmni, OmniAudio
from langchain_qwen_omni.emulator.answers import SAMPLE_RATE, describe_request
from tests import media

if TYPE_CHECKING:
    from collections.abc import Iterator

    from langchain_qwen_omni.emulator import OmniEmulator

PREFIX = "<400> InternalError.Algo.InvalidParameter: "


def data_url(data: bytes, mime: str = "") -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


def text(value: str) -> dict[str, Any]:
    return {"type": "text", "text": value}


def image(data: bytes) -> dict[str, Any]:
    return {"type": "image_url", "image_url": {"url": data_url(data, "image/png")}}


def audio(data: bytes) -> dict[str, Any]:
    return {
        "type": "input_audio",
        "input_audio": {"data": data_url(data), "format": "wav"},
    }


def user(*parts: dict[str, Any]) -> dict[str, Any]:
    return {"role": "user", "content": list(parts)}


def body(model: str, *messages: dict[str, Any], **params: Any) -> dict[str, Any]:
    messages = messages or (user(text("Hi")),)
    return {"model": model, "messages": list(messages), "stream": True, **params}


def post(emu: OmniEmulator, payload: dict[str, Any]) -> httpx.Response:
    return httpx.post(f"{emu.base_url}/chat/completions", json=payload, timeout=30)


def chunks_of(response: httpx.Response) -> list[dict[str, Any]]:
    """The JSON chunks of an SSE answer, after checking it ends with [DONE]."""
    assert response.status_code == 200, response.text
    events = [e.removeprefix("data: ") for e in response.text.split("\n\n") if e]
    assert events[-1] == "[DONE]"
    return [json.loads(e) for e in events[:-1]]


def answer_text(chunks: list[dict[str, Any]]) -> str:
    return "".join(
        c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"]
    )


def refusal(response: httpx.Response) -> str:
    """The refusal's message, after checking the whole error envelope."""
    assert response.status_code == 400, response.text
    envelope = response.json()
    assert set(envelope) == {"error", "id", "request_id"}
    assert envelope["id"].startswith("chatcmpl-")
    assert len(envelope["request_id"]) == 36
    error = envelope["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert (error["type"], error["code"], error["param"]) == (
        "invalid_request_error",
        "invalid_parameter_error",
        None,
    )
    assert error["message"].startswith(PREFIX)
    return str(error["message"]).removeprefix(PREFIX)


@pytest.fixture
def client(emu: OmniEmulator) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=emu.base_url, api_key="sk-test", max_retries=0) as c:
        yield c


# --- Qwen3.5-Omni: any media mix, many files ----------------------------------


def test_3_5_takes_image_audio_and_a_second_audio_and_counts_their_tokens(
    emu: OmniEmulator,
) -> None:
    first, second = media.wav(0.5), media.wav(1.0)
    payload = body(
        "qwen3.5-omni-plus",
        user(text("What do you see and hear?"), image(media.png(64, 48)), audio(first)),
        {"role": "assistant", "content": "A gradient and a tone."},
        user(text("And now?"), audio(second)),
        stream_options={"include_usage": True},
    )
    chunks = chunks_of(post(emu, payload))
    assert "I received 3 messages (user, assistant, user)" in answer_text(chunks)
    assert "Inline media: input_audio 1: wav, 1.00 s" in answer_text(chunks)
    usage = chunks[-1]["usage"]
    assert usage["prompt_tokens_details"]["image_tokens"] == 24  # 3.5's minimum
    assert usage["prompt_tokens_details"]["audio_tokens"] == 4 + 7  # 7 a second
    assert usage["prompt_tokens"] == sum(usage["prompt_tokens_details"].values())
    assert emu.requests[-1].body == payload  # nothing was rewritten


def test_the_same_mix_is_refused_on_a_one_kind_family(emu: OmniEmulator) -> None:
    mixed = user(text("See and hear"), image(media.png(64, 48)), audio(media.wav(0.5)))
    assert "only one type of multimodal input" in refusal(
        post(emu, body("qwen3-omni-flash", mixed))
    )
    two = (user(audio(media.wav(0.5))), user(audio(media.wav(1.0))))
    assert "only one audio file is supported per request" in refusal(
        post(emu, body("qwen-omni-turbo", *two))
    )


def test_3_5_refuses_thinking(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        client.chat.completions.create(
            model="qwen3.5-omni-flash",
            messages=[{"role": "user", "content": "Hi"}],
            stream=True,
            extra_body={"enable_thinking": True},
        )
    assert info.value.message.endswith(
        PREFIX + "The model qwen3.5-omni-flash does not support thinking: "
        "parameters.enable_thinking"
    )


def test_3_5_speaks_with_tina_by_default(emu: OmniEmulator) -> None:
    payload = body("qwen3.5-omni-plus", modalities=["text", "audio"])
    chunks = chunks_of(post(emu, payload))
    pieces = [
        c["choices"][0]["delta"]["audio"]["data"]
        for c in chunks
        if "audio" in c["choices"][0]["delta"]
    ]
    pcm = b"".join(base64.b64decode(p) for p in pieces)
    assert len(pcm) == round(len(answer_text(chunks)) * 0.03 * SAMPLE_RATE) * 2


# --- qwen3.8-omni-flash: text only, thinking by default -----------------------


def test_3_8_refuses_speech(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        client.chat.completions.create(
            model="qwen3.8-omni-flash",
            messages=[{"role": "user", "content": "Hi"}],
            stream=True,
            modalities=["text", "audio"],
        )
    assert info.value.status_code == 400
    assert info.value.body == {
        "message": PREFIX
        + "The model qwen3.8-omni-flash does not support audio output.",
        "type": "invalid_request_error",
        "param": None,
        "code": "invalid_parameter_error",
    }


def test_3_8_thinks_by_default_with_the_documented_first_chunk(
    emu: OmniEmulator,
) -> None:
    chunks = chunks_of(
        post(emu, body("qwen3.8-omni-flash", stream_options={"include_usage": True}))
    )
    first = chunks[0]["choices"][0]["delta"]
    assert first == {"content": None, "role": "assistant", "reasoning_content": ""}
    assert '"delta":{"content":null,"role":"assistant","reasoning_content":""}' in (
        json.dumps(chunks[0], separators=(",", ":"))
    )
    reasoning = "".join(
        c["choices"][0]["delta"].get("reasoning_content") or ""
        for c in chunks
        if c["choices"]
    )
    assert reasoning.startswith("The user wrote 'Hi'.")
    assert all(c["usage"] is None for c in chunks[:-1])
    assert chunks[-1]["usage"]["completion_tokens_details"]["reasoning_tokens"] > 0

    off = chunks_of(post(emu, body("qwen3.8-omni-flash", enable_thinking=False)))
    assert off[0]["choices"][0]["delta"] == {"content": "", "role": "assistant"}
    assert not any("reasoning_content" in c["choices"][0]["delta"] for c in off[1:])


def test_3_8_answers_a_non_streaming_call_whole(client: openai.OpenAI) -> None:
    completion = client.chat.completions.create(
        model="qwen3.8-omni-flash",
        messages=[{"role": "user", "content": "Hi"}],
        stream=False,
    )
    message = completion.choices[0].message
    assert message.content is not None
    assert message.content.startswith("[qwen3.8-omni-flash emulator]")
    assert (message.model_extra or {})["reasoning_content"].startswith("The user")
    assert completion.usage is not None
    assert completion.usage.total_tokens > 0
    with pytest.raises(openai.BadRequestError, match="only support stream mode"):
        client.chat.completions.create(
            model="qwen3.5-omni-plus",
            messages=[{"role": "user", "content": "Hi"}],
            stream=False,
        )


# --- what no family takes -----------------------------------------------------


@pytest.mark.parametrize(
    "block",
    [
        {"type": "image", "url": "https://x.test/a.png"},
        {"type": "audio", "base64": "AAAA", "mime_type": "audio/wav"},
        {"type": "input_text", "text": "Hi"},
    ],
)
def test_unknown_part_types_are_refused_in_the_api_envelope(
    emu: OmniEmulator, block: dict[str, Any]
) -> None:
    message = refusal(post(emu, body("qwen3.5-omni-plus", user(text("Hi"), block))))
    assert message == (
        "Input should be 'text', 'image_url', 'input_audio', 'video' or "
        "'video_url': messages[0].content[1].type"
    )


def test_the_first_chunk_stop_chunk_and_usage_of_a_plain_answer(
    emu: OmniEmulator,
) -> None:
    chunks = chunks_of(post(emu, body("qwen3-omni-flash")))
    assert [c["usage"] for c in chunks] == [None] * len(chunks)
    assert chunks[0]["choices"][0]["delta"] == {"content": "", "role": "assistant"}
    stop = chunks[-1]["choices"][0]
    assert (stop["delta"], stop["finish_reason"]) == ({"content": ""}, "stop")
    with_usage = chunks_of(
        post(emu, body("qwen3-omni-flash", stream_options={"include_usage": True}))
    )
    last = with_usage[-1]
    assert last["choices"] == []
    assert set(last["usage"]) == {
        "prompt_tokens",
        "completion_tokens",
        "total_tokens",
        "completion_tokens_details",
        "prompt_tokens_details",
    }
    assert last["usage"]["prompt_tokens_details"] == {"text_tokens": 4}


# --- the new answer options, through the client -------------------------------


def test_mixed_transcript_placement_reaches_the_client_whole(emu: OmniEmulator) -> None:
    emu.configure(transcript_mode="mixed")
    speaker = ChatQwenOmni(
        base_url=emu.base_url,
        api_key="sk-emulator",
        modalities=["text", "audio"],
        max_retries=0,
    )
    message = speaker.invoke("Who are you?")
    assert message.text == describe_request(emu.requests[-1].body)


def test_unpadded_audio_pieces_reach_the_client_whole(emu: OmniEmulator) -> None:
    emu.configure(unpadded_audio=True)
    speaker = ChatQwenOmni(
        base_url=emu.base_url,
        api_key="sk-emulator",
        modalities=["text", "audio"],
        max_retries=0,
    )
    message = speaker.invoke("Who are you?")
    assert message.text == describe_request(emu.requests[-1].body)
    padded = speaker.model_copy()
    emu.configure(unpadded_audio=False)
    assert (
        OmniAudio.from_message(message).pcm
        == OmniAudio.from_message(padded.invoke("Who are you?")).pcm
    )  # the same speech, sample for sample
