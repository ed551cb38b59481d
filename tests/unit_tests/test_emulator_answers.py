"""The emulator's pure parts: answer text, speech, chunks, rules, streaming.

No sockets here: everything runs on plain function calls.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

import numpy as np
import pytest

from langchain_qwen_omni.emulator import EmulatorOptions
from langchain_qwen_omni.emulator.answers import (
    DONE_EVENT,
    SAMPLE_RATE,
    build_chunks,
    count_parts,
    describe_request,
    encode_events,
    estimate_usage,
    interleave,
    resolve_voice,
    speech_seconds,
    split_pcm,
    split_text,
    synthesize_speech,
    whole_completion,
)
from langchain_qwen_omni.emulator.app import StreamCutError, stream_events
from langchain_qwen_omni.emulator.errors import (
    error_body,
    invalid_parameter,
    rate_limited,
)
from langchain_qwen_omni.emulator.tools import build_answer
from langchain_qwen_omni.emulator.validation import format_choices, validate_request
from tests import media as tiny_media
from tests.wire import deltas as deltas_of

USER_TEXT = {"role": "user", "content": "Who are you?"}
SYSTEM = {"role": "system", "content": "Be brief."}


def _body(**extra: Any) -> dict[str, Any]:
    return {
        "model": "qwen3-omni-flash",
        "messages": [SYSTEM, USER_TEXT],
        "stream": True,
        **extra,
    }


def _chunks(body: dict[str, Any], **options: Any) -> list[dict[str, Any]]:
    return build_chunks(
        body,
        EmulatorOptions(**options),
        completion_id="chatcmpl-abc",
        created=1_700_000_000,
        audio_id="audio_abc",
    )


def _rms(pcm: bytes) -> float:
    samples = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
    return float(np.sqrt(np.mean(samples**2)))


# --- answer text --------------------------------------------------------------


def test_describe_request_names_model_roles_text_and_media() -> None:
    assert describe_request(_body()) == (
        "[qwen3-omni-flash emulator] I received 2 messages (system, user). "
        "The last user message says: 'Who are you?'. Media: none."
    )


def test_describe_request_counts_media_parts_of_last_user_message() -> None:
    image = {"type": "image_url", "image_url": {"url": "https://x/a.png"}}
    frames = {"type": "video", "video": ["https://x/1.jpg"] * 4}
    content = [
        {"type": "text", "text": "Compare"},
        image,
        image,
        frames,
        {"type": "text", "text": "these."},
    ]
    body = _body(messages=[{"role": "user", "content": content}])
    assert describe_request(body) == (
        "[qwen3-omni-flash emulator] I received 1 message (user). "
        "The last user message says: 'Compare these.'. "
        "Media: 2 image_url, 1 video (4 frames)."
    )
    counts = count_parts(body["messages"][0])
    assert counts["text"] == 2
    assert counts["video_frames"] == 4


def test_describe_request_without_user_message_and_long_text() -> None:
    body = _body(messages=[SYSTEM])
    assert describe_request(body).endswith("There is no user message. Media: none.")
    long_text = "word " * 100
    answer = describe_request(_body(messages=[{"role": "user", "content": long_text}]))
    quoted = answer.split("says: ")[1].split(". Media")[0]
    assert len(quoted) == 202  # 200 characters and the quotes
    assert quoted.endswith("...'")


@pytest.mark.parametrize(
    "text", ["Hello, world!", "  lead and trail  ", "one", "a\nb\tc", ""]
)
def test_split_text_per_word_rebuilds_the_text(text: str) -> None:
    pieces = split_text(text)
    assert "".join(pieces) == text
    assert len(pieces) == len(text.split()) + (text[-1:].isspace())


def test_split_text_into_exact_number_of_pieces() -> None:
    text = "x" * 2000
    pieces = split_text(text, 400)
    assert len(pieces) == 400
    assert {len(p) for p in pieces} == {5}
    assert split_text("abc", 10) == ["a", "b", "c"]


# --- speech -------------------------------------------------------------------


def test_speech_is_24khz_s16le_of_the_expected_length_and_not_silent() -> None:
    text = "x" * 100
    pcm = synthesize_speech(text, "Cherry")
    assert len(pcm) == round(100 * 0.03 * SAMPLE_RATE) * 2
    assert _rms(pcm) > 1000
    assert synthesize_speech(text, "Cherry") == pcm  # deterministic


def test_speech_length_is_floored_and_capped() -> None:
    options = EmulatorOptions(max_speech_seconds=2.0)
    assert speech_seconds("", options) == 0.5
    assert speech_seconds("x" * 10_000, options) == 2.0
    assert len(synthesize_speech("x" * 10_000, "Ethan", options)) == 2 * SAMPLE_RATE * 2


def test_voices_speak_at_different_pitches() -> None:
    def pitch(voice: str) -> float:
        samples = np.frombuffer(synthesize_speech("x" * 100, voice), dtype="<i2")
        spectrum = np.abs(np.fft.rfft(samples.astype(np.float64)))
        return float(np.argmax(spectrum) * SAMPLE_RATE / len(samples))

    assert abs(pitch("Cherry") - pitch("Ethan")) > 5


def test_split_pcm_cycles_sizes_and_loses_nothing() -> None:
    pcm = bytes(range(256)) * 100
    pieces = split_pcm(pcm, (3201, 4799, 4000))
    assert [len(p) for p in pieces[:4]] == [3201, 4799, 4000, 3201]
    assert b"".join(pieces) == pcm


def test_interleave_spreads_second_between_first() -> None:
    assert interleave(["t0", "t1"], ["a0", "a1", "a2", "a3"]) == [
        "t0",
        "a0",
        "a1",
        "t1",
        "a2",
        "a3",
    ]
    assert interleave([], ["a"]) == ["a"]


# --- chunks -------------------------------------------------------------------


def test_text_chunks_have_the_openai_shape() -> None:
    chunks = _chunks(_body())
    for chunk in chunks:
        assert chunk["id"] == "chatcmpl-abc"
        assert chunk["object"] == "chat.completion.chunk"
        assert chunk["created"] == 1_700_000_000
        assert chunk["model"] == "qwen3-omni-flash"
        assert chunk["system_fingerprint"] is None
        (choice,) = chunk["choices"]
        assert choice["index"] == 0
        assert choice["logprobs"] is None
    assert all(chunk["usage"] is None for chunk in chunks)
    deltas = deltas_of(chunks)
    assert deltas[0] == {"content": "", "role": "assistant"}
    assert deltas[-1] == {"content": ""}
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"
    assert all(c["choices"][0]["finish_reason"] is None for c in chunks[:-1])
    text = "".join(d["content"] for d in deltas[1:-1])
    assert text == describe_request(_body())
    assert len(deltas) - 2 == len(text.split())


def test_usage_chunk_only_with_include_usage() -> None:
    assert all(c["choices"] for c in _chunks(_body()))
    chunks = _chunks(_body(stream_options={"include_usage": True}), answer="12345678")
    usage_chunk = chunks[-1]
    assert usage_chunk["choices"] == []
    usage = usage_chunk["usage"]
    assert usage["completion_tokens_details"] == {"text_tokens": 2}
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
    assert usage["prompt_tokens_details"] == {"text_tokens": usage["prompt_tokens"]}


@pytest.mark.parametrize(
    ("model", "rate"), [("qwen3-omni-flash", 12.5), ("qwen-omni-turbo", 25)]
)
def test_usage_counts_audio_tokens_by_model_rate(model: str, rate: float) -> None:
    usage = estimate_usage({"model": model, "messages": []}, "abcd", 2.0)
    assert usage["completion_tokens_details"] == {
        "audio_tokens": 2 * rate,
        "text_tokens": 1,
    }
    assert usage["completion_tokens"] == 2 * rate + 1


def test_audio_chunks_carry_decodable_padded_pieces_with_content_text() -> None:
    body = _body(
        modalities=["text", "audio"], audio={"voice": "Ethan", "format": "wav"}
    )
    deltas = deltas_of(_chunks(body))
    audio = [d["audio"] for d in deltas if "audio" in d]
    text = "".join(d.get("content", "") for d in deltas)
    assert text == describe_request(body)
    assert {a["id"] for a in audio} == {"audio_abc"}
    assert {a["expires_at"] for a in audio} == {1_700_000_000 + 86_400}
    pieces = [base64.b64decode(a["data"], validate=True) for a in audio]
    assert [len(p) for p in pieces[:3]] == [3201, 4799, 4000]
    assert any(a["data"].endswith("=") for a in audio)
    assert b"".join(pieces) == synthesize_speech(text, "Ethan")
    # text leads: the first answer delta is text, speech follows interleaved
    assert "content" in deltas[1]
    assert "audio" in deltas[-2]


def test_transcript_mode_moves_text_into_audio_transcript() -> None:
    body = _body(modalities=["text", "audio"])
    deltas = deltas_of(_chunks(body, transcript_mode="transcript"))
    assert not any(d.get("content") for d in deltas)
    transcript = "".join(
        d["audio"].get("transcript", "") for d in deltas if "audio" in d
    )
    assert transcript == describe_request(body)
    # a text-only answer keeps delta.content whatever the mode
    text_only = deltas_of(_chunks(_body(), transcript_mode="transcript"))
    assert "".join(d.get("content", "") for d in text_only) == describe_request(_body())


def test_fixed_answer_and_text_pieces() -> None:
    deltas = deltas_of(_chunks(_body(), answer="abcdefghij", text_pieces=3))
    assert [d["content"] for d in deltas[1:-1]] == ["abc", "def", "ghij"]


def test_default_voice_comes_from_the_profile() -> None:
    assert resolve_voice({"model": "qwen2.5-omni-7b"}) == "Ethan"
    assert (
        resolve_voice({"model": "qwen3-omni-flash", "audio": {"voice": "Ryan"}})
        == "Ryan"
    )


def test_encode_events_serializes_once_and_ends_with_done() -> None:
    chunks = _chunks(_body())
    events = encode_events(chunks)
    assert events[-1] == DONE_EVENT == b"data: [DONE]\n\n"
    for event, chunk in zip(events, chunks, strict=False):
        assert event.startswith(b"data: ")
        assert event.endswith(b"\n\n")
        assert json.loads(event[6:]) == chunk


# --- rules and errors ---------------------------------------------------------


def _error_message(body: dict[str, Any]) -> str | None:
    """The refusal's message without the API's `<400> Code: ` prefix."""
    error = validate_request(body)
    if error is None:
        return None
    assert error.status == 400
    assert error.body["error"]["type"] == "invalid_request_error"
    assert error.body["error"]["code"] == "invalid_parameter_error"
    assert error.body["error"]["param"] is None
    prefix = "<400> InternalError.Algo.InvalidParameter: "
    assert error.message == prefix + error.detail
    return error.detail


NON_STREAM = (
    "This model only support stream mode, please enable the stream parameter "
    "to access the model."
)


def test_non_streaming_requests_are_refused_with_documented_texts() -> None:
    assert _error_message(_body(stream=False)) == NON_STREAM
    body = _body(modalities=["text", "audio"])
    del body["stream"]
    assert _error_message(body) == NON_STREAM
    assert _error_message(_body()) is None


def test_voice_and_format_rules() -> None:
    turbo = _body(model="qwen-omni-turbo", modalities=["text", "audio"])
    assert _error_message({**turbo, "audio": {"voice": "Ryan", "format": "wav"}}) == (
        "Input should be 'Cherry', 'Serena', 'Ethan' or 'Chelsie': "
        "parameters.audio.voice"
    )
    assert _error_message({**turbo, "audio": {"voice": "Cherry", "format": "mp3"}}) == (
        "Input should be 'wav': parameters.audio.format"
    )
    assert _error_message(turbo) is None  # no audio parameter: default voice
    assert (
        _error_message({**turbo, "modalities": ["text"], "audio": {"voice": "Bob"}})
        is None
    )
    open_model = {**turbo, "model": "qwen2.5-omni-7b", "audio": {"voice": "Cherry"}}
    assert _error_message(open_model) == (
        "Input should be 'Ethan' or 'Chelsie': parameters.audio.voice"
    )


def test_requests_need_a_model_and_messages() -> None:
    assert _error_message({"stream": True, "messages": [USER_TEXT]}) == (
        "Field required: model"
    )
    assert _error_message({"model": "m", "stream": True, "messages": []}) is not None


def test_format_choices() -> None:
    assert format_choices(("A",)) == "'A'"
    assert format_choices(("A", "B", "C")) == "'A', 'B' or 'C'"


def test_error_bodies() -> None:
    body = error_body("boom")
    assert body["error"] == {
        "message": "boom",
        "type": "invalid_request_error",
        "param": None,
        "code": "invalid_parameter_error",
    }
    assert len(body["request_id"]) == 36
    assert body["id"].startswith("chatcmpl-")
    assert body["id"] != error_body("boom")["id"]
    refused = invalid_parameter("Range of max_tokens should be [1, 8192]")
    assert refused.message == (
        "<400> InternalError.Algo.InvalidParameter: Range of max_tokens should be "
        "[1, 8192]"
    )
    assert refused.detail == "Range of max_tokens should be [1, 8192]"
    assert set(refused.body) == {"error", "id", "request_id"}
    limited = rate_limited(retry_after=2)
    assert limited.status == 429
    assert limited.headers == {"retry-after": "2"}
    assert limited.body["error"]["code"] == "limit_requests"
    assert limited.message.startswith("You have exceeded your current request limit.")


@pytest.mark.parametrize(
    "bad",
    [
        {"transcript_mode": "both"},
        {"transcript_mode": "mixed "},
        {"audio_piece_sizes": ()},
        {"audio_piece_sizes": (0,)},
        {"text_pieces": 0},
        {"cut_after_events": -1},
        {"chunk_delay": -1.0},
        {"max_speech_seconds": -1.0},
    ],
)
def test_options_reject_unworkable_values(bad: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="must"):
        EmulatorOptions(**bad)


# --- streaming of pre-built events --------------------------------------------


async def _collect(events: list[bytes], options: EmulatorOptions) -> list[bytes]:
    return [part async for part in stream_events(events, options)]


async def test_stream_events_batches_writes_without_delay() -> None:
    events = [b"data: %d\n\n" % i for i in range(400)]
    writes = await _collect(events, EmulatorOptions())
    assert len(writes) == 1
    assert b"".join(writes) == b"".join(events)
    big = [b"x" * 40_000] * 3
    assert len(await _collect(big, EmulatorOptions())) == 3


async def test_stream_events_sends_each_event_with_a_delay() -> None:
    events = [b"a", b"b", b"c"]
    assert await _collect(events, EmulatorOptions(chunk_delay=0.001)) == events


async def _sent_before_cut(events: list[bytes], options: EmulatorOptions) -> bytes:
    sent = b""
    try:
        async for part in stream_events(events, options):
            sent += part
    except StreamCutError:
        return sent
    pytest.fail("the stream was not cut")


@pytest.mark.parametrize("delay", [0.0, 0.001])
async def test_stream_events_cut_raises_after_n_events(delay: float) -> None:
    events = [b"a", b"b", b"c", b"d"]
    options = EmulatorOptions(cut_after_events=2, chunk_delay=delay)
    assert await _sent_before_cut(events, options) == b"ab"
    assert await _sent_before_cut(events, EmulatorOptions(cut_after_events=0)) == b""
    everything = EmulatorOptions(cut_after_events=4, chunk_delay=delay)
    assert b"".join(await _collect(events, everything)) == b"abcd"


def test_base64_of_joined_pieces_is_not_the_join_of_base64() -> None:
    # Why clients must decode piece by piece: padded pieces break the join.
    pieces = [b"abcde", b"fgh"]
    joined_b64 = "".join(base64.b64encode(p).decode() for p in pieces)
    with pytest.raises(binascii.Error):
        base64.b64decode(joined_b64, validate=True)


async def test_stream_events_abort_when_the_server_is_closing() -> None:
    events = [b"a", b"b", b"c"]
    options = EmulatorOptions(chunk_delay=10.0)
    stream = stream_events(events, options, closing=lambda: True)
    assert await anext(stream) == b"a"
    with pytest.raises(StreamCutError, match="stopping"):
        await anext(stream)


# --- the documented first chunk, usage, and the new answer options ------------


def _answer(body: dict[str, Any], **options: Any) -> list[dict[str, Any]]:
    return build_answer(
        body,
        EmulatorOptions(**options),
        completion_id="chatcmpl-abc",
        created=1_700_000_000,
        audio_id="audio_abc",
    )


def test_first_delta_in_thinking_mode_and_thinking_on_by_default_on_3_8() -> None:
    thinking = {"content": None, "role": "assistant", "reasoning_content": ""}
    plain = {"content": "", "role": "assistant"}
    omni38 = _body(model="qwen3.8-omni-flash")
    cases = [
        (omni38, thinking),
        ({**omni38, "enable_thinking": False}, plain),
        ({**omni38, "reasoning_effort": "none"}, plain),
        ({**omni38, "reasoning_effort": "low"}, thinking),
        (_body(enable_thinking=True), thinking),
        (_body(), plain),
        (_body(model="qwen3.5-omni-plus"), plain),
    ]
    for body, first in cases:
        deltas = deltas_of(_answer(body))
        assert deltas[0] == first, body
        reasoning = "".join(d.get("reasoning_content") or "" for d in deltas)
        assert bool(reasoning) == (first is thinking), body
    assert list(thinking) == ["content", "role", "reasoning_content"]


def test_unpadded_audio_pieces_decode_once_padding_is_restored() -> None:
    body = _body(modalities=["text", "audio"])
    padded = [d["audio"]["data"] for d in deltas_of(_chunks(body)) if "audio" in d]
    bare = [
        d["audio"]["data"]
        for d in deltas_of(_chunks(body, unpadded_audio=True))
        if "audio" in d
    ]
    assert any(p.endswith("=") for p in padded)
    assert not any(p.endswith("=") for p in bare)
    assert bare == [p.rstrip("=") for p in padded]
    with pytest.raises(binascii.Error):
        base64.b64decode(next(p for p in bare if len(p) % 4), validate=True)
    pcm = b"".join(base64.b64decode(p + "=" * (-len(p) % 4)) for p in bare)
    assert pcm == synthesize_speech(describe_request(body), "Cherry")


def test_mixed_transcript_mode_splits_the_text_between_both_placements() -> None:
    body = _body(modalities=["text", "audio"])
    deltas = deltas_of(_chunks(body, transcript_mode="mixed"))
    content = [d["content"] for d in deltas[1:-1] if "content" in d]
    transcript = [
        d["audio"]["transcript"] for d in deltas if "transcript" in d.get("audio", {})
    ]
    assert content
    assert transcript
    joined = "".join(
        d.get("content") or d.get("audio", {}).get("transcript", "") for d in deltas
    )
    assert joined == describe_request(body)
    assert "".join(content) != joined
    assert "".join(transcript) != joined


def test_usage_counts_prompt_media_by_the_family_token_rules() -> None:
    def data(payload: bytes, mime: str = "") -> str:
        return f"data:{mime};base64,{base64.b64encode(payload).decode()}"

    frame = data(tiny_media.png(8, 8), "image/png")
    content = [
        {"type": "text", "text": "What is this?"},
        {"type": "image_url", "image_url": {"url": data(tiny_media.png(64, 48))}},
        {"type": "image_url", "image_url": {"url": "https://x/not-fetched.png"}},
        {"type": "input_audio", "input_audio": {"data": data(tiny_media.wav(0.5))}},
        {"type": "video_url", "video_url": {"url": data(tiny_media.mp4(2.0))}},
        {"type": "video", "video": [frame, frame, "https://x/3.jpg"]},
    ]
    body = {
        "model": "qwen3.5-omni-plus",
        "messages": [{"role": "user", "content": content}],
    }
    usage = estimate_usage(body, "abcd", None)
    assert usage["prompt_tokens_details"] == {
        "text_tokens": 4 + 3,  # 'What is this?' and the message
        "image_tokens": 24,  # 64x48 is 2x2 tiles, raised to 3.5's minimum
        "audio_tokens": 4,  # 0.5 s at 7 tokens a second
        "video_tokens": 4 * 24 + 2 * 24,  # 4 frames at 2 fps, then 2 inline frames
    }
    assert usage["prompt_tokens"] == sum(usage["prompt_tokens_details"].values())
    flash = estimate_usage({**body, "model": "qwen3-omni-flash"}, "abcd", None)
    assert flash["prompt_tokens_details"]["image_tokens"] == 4  # minimum 4
    assert flash["prompt_tokens_details"]["audio_tokens"] == 7  # 12.5 a second


def test_usage_on_every_chunk_is_null_but_the_last() -> None:
    chunks = _answer(
        _body(model="qwen3.8-omni-flash", stream_options={"include_usage": True})
    )
    assert all(c["usage"] is None for c in chunks[:-1])
    assert chunks[-1]["choices"] == []
    assert chunks[-1]["usage"]["completion_tokens_details"]["reasoning_tokens"] > 0


def test_whole_completion_merges_a_streamed_answer() -> None:
    body = _body(
        modalities=["text", "audio"],
        stream_options={"include_usage": True},
        enable_thinking=False,
    )
    chunks = _chunks(body, transcript_mode="mixed", unpadded_audio=True)
    whole = whole_completion(chunks)
    text = describe_request(body)
    assert whole["object"] == "chat.completion"
    assert whole["id"] == "chatcmpl-abc"
    (choice,) = whole["choices"]
    assert choice["finish_reason"] == "stop"
    assert choice["message"]["role"] == "assistant"
    pieces = split_text(text)  # mixed: pieces take turns between the placements
    assert choice["message"]["content"] == "".join(pieces[0::2])
    assert choice["message"]["audio"]["transcript"] == "".join(pieces[1::2])
    pcm = base64.b64decode(choice["message"]["audio"]["data"], validate=True)
    assert pcm == synthesize_speech(text, "Cherry")
    assert whole["usage"] == chunks[-1]["usage"]
    thinking = whole_completion(_answer(_body(model="qwen3.8-omni-flash")))
    assert thinking["choices"][0]["message"]["reasoning_content"]
    schema = {"type": "object", "properties": {}}
    tools = [{"type": "function", "function": {"name": "add", "parameters": schema}}]
    called = whole_completion(_answer(_body(tools=tools)))
    (call,) = called["choices"][0]["message"]["tool_calls"]
    assert call["function"] == {"name": "add", "arguments": "{}"}
    assert call["id"].startswith("call_")
    assert called["choices"][0]["finish_reason"] == "tool_calls"
