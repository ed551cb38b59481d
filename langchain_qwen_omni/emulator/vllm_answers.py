"""What the emulator's `vllm-omni` dialect answers (pure functions).

The answer follows the emulator's usual rules (the next scripted answer;
else it describes the request, or calls the tools it is given, or quotes
tool results, or answers JSON) in vLLM-Omni's shapes, from its serving code:

- streamed text chunks tagged `"modality": "text"`: a role chunk, the
  pieces, the last piece with `finish_reason` (`stop` or `tool_calls`);
  a thinking model's reasoning first, in `delta.reasoning` (newer vLLM) or
  `delta.reasoning_content`;
- streamed speech after the text (or between its pieces, like a server
  with async chunking): chunks tagged `"modality": "audio"` whose
  `delta.content` is the base64 of a WAV file (a header on every piece, or
  only the first), each with `finish_reason: "stop"` and a `usage` counting
  no completion tokens;
- the usage chunk (`choices: []`, no media breakdown) when asked;
- a whole answer (`stream=false`): the text choice, then a separate speech
  choice whose `message.audio.data` is one base64 WAV file.

The speech is the emulator's speech-like PCM for the answer text and the
speaker, at 24 kHz (resampled when the server is set to another rate), cut
into pieces of `audio_piece_sizes` bytes, which may be odd.
"""

from __future__ import annotations

import base64
import struct
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from langchain_qwen_omni.emulator.answers import (
    AUDIO_EXPIRY_SECONDS,
    SAMPLE_RATE,
    count_parts,
    interleave,
    last_user_message,
    message_text,
    model_of,
    quote,
    received,
    split_pcm,
    split_text,
    synthesize_speech,
)
from langchain_qwen_omni.emulator.tokens import text_tokens
from langchain_qwen_omni.emulator.tools import plan_answer, tool_call_deltas
from langchain_qwen_omni.emulator.vllm_facts import (
    DEFAULT_MODALITIES,
    DEFAULT_SPEAKER,
    speaks,
    thinks,
)
from langchain_qwen_omni.emulator.vllm_rules import (
    estimate_prompt_tokens,
    requested_speaker,
)

if TYPE_CHECKING:
    from langchain_qwen_omni.emulator.options import EmulatorOptions
    from langchain_qwen_omni.emulator.vllm_facts import VllmServerOptions

__all__ = [
    "UNKNOWN_WAV_SIZE",
    "build_vllm_answer",
    "describe_vllm_request",
    "output_modalities",
    "speech_pcm",
    "wav_bytes",
]

UNKNOWN_WAV_SIZE = 0xFFFFFFFF
"""The `data` size a WAV header carries when the length is not known yet."""


def output_modalities(body: Mapping[str, Any]) -> tuple[str, ...]:
    """What the answer holds: the request's `modalities`, else text and speech."""
    modalities = body.get("modalities")
    chosen = tuple(modalities) if isinstance(modalities, list) else DEFAULT_MODALITIES
    if not speaks(model_of(body)):
        chosen = tuple(name for name in chosen if name != "audio") or ("text",)
    return chosen


def _speaker(body: Mapping[str, Any], options: VllmServerOptions) -> str:
    speaker = requested_speaker(body, options.speaker_field)
    return speaker.strip().lower() if isinstance(speaker, str) else DEFAULT_SPEAKER


def describe_vllm_request(body: Mapping[str, Any], options: VllmServerOptions) -> str:
    """The deterministic answer: what the request held, as the server read it.

    Names the model, the roles, the last user text, its parts by wire type,
    the output asked for (and the speaker), and `use_audio_in_video`.
    """
    sentences = [f"[{model_of(body)} vLLM-Omni emulator] {received(body)}"]
    user = last_user_message(body)
    if user is not None:
        counts = count_parts(user)
        media = ", ".join(
            f"{n} {kind}" for kind, n in sorted(counts.items()) if kind != "text"
        )
        sentences.append(f"The last user message says: {quote(message_text(user))}.")
        sentences.append(f"Media: {media or 'none'}.")
    output = output_modalities(body)
    spoken = f" (speaker {_speaker(body, options)})" if "audio" in output else ""
    sentences.append(f"Output: {', '.join(output)}{spoken}.")
    kwargs = body.get("mm_processor_kwargs")
    if isinstance(kwargs, Mapping) and kwargs.get("use_audio_in_video"):
        sentences.append("Audio in video: on.")
    return " ".join(sentences)


# --- speech ----------------------------------------------------------------


def _resample(pcm: bytes, rate: int) -> bytes:
    if rate == SAMPLE_RATE or not pcm:
        return pcm
    samples = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
    count = max(1, round(samples.size * rate / SAMPLE_RATE))
    times = np.arange(count) * (SAMPLE_RATE / rate)
    out = np.interp(times, np.arange(samples.size), samples)
    return bytes(np.clip(np.rint(out), -32768, 32767).astype("<i2").tobytes())


def speech_pcm(text: str, speaker: str, options: EmulatorOptions) -> bytes:
    """The speech for an answer: 16-bit mono PCM at the server's sample rate."""
    pcm = synthesize_speech(text, speaker, options)
    return _resample(pcm, options.vllm.sample_rate)


def wav_bytes(pcm: bytes, rate: int, *, size: int | None = None) -> bytes:
    """A 16-bit mono WAV file holding `pcm` (`size` overrides the data size)."""
    declared = len(pcm) if size is None else size
    header = struct.pack(
        "<4sI4s4sIHHIIHH4sI",
        b"RIFF",
        min(36 + declared, UNKNOWN_WAV_SIZE),
        b"WAVE",
        b"fmt ",
        16,
        1,
        1,
        rate,
        rate * 2,
        2,
        16,
        b"data",
        declared,
    )
    return header + pcm


def _speech_pieces(pcm: bytes, options: EmulatorOptions) -> list[str]:
    rate = options.vllm.sample_rate
    headers = options.vllm.wav_headers
    pieces = split_pcm(pcm, options.audio_piece_sizes)
    out = []
    for index, piece in enumerate(pieces):
        if headers == "every":
            data = wav_bytes(piece, rate)
        elif headers == "first" and index == 0:
            data = wav_bytes(piece, rate, size=UNKNOWN_WAV_SIZE)
        else:
            data = piece
        out.append(base64.b64encode(data).decode("ascii"))
    return out


# --- the answer ----------------------------------------------------------------


class _Answer:
    """One answer's parts, decided once and then written streamed or whole."""

    def __init__(self, body: Mapping[str, Any], options: EmulatorOptions) -> None:
        self.calls, text, turn = plan_answer(body, options)
        if self.calls:
            text = ""
        elif text is None:
            text = describe_vllm_request(body, options.vllm)
        self.text = text
        model = model_of(body)
        plan = (
            "I give the scripted answer."
            if turn
            else ("I answer by describing what I received.")
        )
        asked = quote(message_text(last_user_message(body) or {}))
        self.reasoning = f"The user asked {asked}; {plan}" if thinks(model) else ""
        speech = "audio" in output_modalities(body) and not self.calls
        self.pcm = (
            speech_pcm(text, _speaker(body, options.vllm), options) if speech else b""
        )
        self.speech = speech
        prompt = estimate_prompt_tokens(body)
        arguments = "".join(call.arguments for call in self.calls)
        completion = text_tokens(self.text + self.reasoning + arguments)
        self.prompt_tokens = prompt
        self.usage = {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
        }


def _chunk(
    envelope: Mapping[str, Any],
    delta: dict[str, Any],
    modality: str,
    finish_reason: str | None = None,
) -> dict[str, Any]:
    choice = {
        "index": 0,
        "delta": delta,
        "logprobs": None,
        "finish_reason": finish_reason,
    }
    return {**envelope, "choices": [choice], "modality": modality}


def _text_chunks(
    answer: _Answer, envelope: Mapping[str, Any], options: EmulatorOptions, call_id: str
) -> list[dict[str, Any]]:
    field = options.vllm.reasoning_field
    deltas: list[dict[str, Any]] = [
        {field: piece} for piece in split_text(answer.reasoning)
    ]
    if answer.calls:
        deltas.extend(tool_call_deltas(answer.calls, call_id))
        reason = "tool_calls"
    else:
        deltas.extend(
            {"content": piece} for piece in split_text(answer.text, options.text_pieces)
        )
        reason = "stop"
    chunks = [_chunk(envelope, {"role": "assistant", "content": ""}, "text")]
    if not deltas:
        deltas = [{}]
    chunks.extend(_chunk(envelope, delta, "text") for delta in deltas[:-1])
    chunks.append(_chunk(envelope, deltas[-1], "text", reason))
    return chunks


def _speech_chunks(
    answer: _Answer, envelope: Mapping[str, Any], options: EmulatorOptions
) -> list[dict[str, Any]]:
    usage = {
        "prompt_tokens": answer.prompt_tokens,
        "completion_tokens": 0,
        "total_tokens": answer.prompt_tokens,
    }
    return [
        {
            **_chunk(
                envelope, {"role": "assistant", "content": piece}, "audio", "stop"
            ),
            "usage": usage,
        }
        for piece in _speech_pieces(answer.pcm, options)
    ]


def _streamed(
    body: Mapping[str, Any],
    answer: _Answer,
    envelope: Mapping[str, Any],
    options: EmulatorOptions,
    call_id: str,
) -> list[dict[str, Any]]:
    text = _text_chunks(answer, envelope, options, call_id)
    speech = _speech_chunks(answer, envelope, options) if answer.speech else []
    if options.vllm.interleave_speech and speech:
        chunks = [text[0], *interleave(text[1:-1], speech[:-1]), text[-1], speech[-1]]
    else:
        chunks = [*text, *speech]
    stream_options = body.get("stream_options")
    if isinstance(stream_options, Mapping) and stream_options.get("include_usage"):
        chunks.append({**envelope, "choices": [], "usage": answer.usage})
    return chunks


def _whole(
    answer: _Answer, envelope: Mapping[str, Any], options: EmulatorOptions, call_id: str
) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": answer.text or None}
    if answer.reasoning:
        message[options.vllm.reasoning_field] = answer.reasoning
    reason = "stop"
    if answer.calls:
        message["content"] = None
        message["tool_calls"] = [
            {
                "id": f"{call_id}_{index}",
                "type": "function",
                "function": {"name": call.name, "arguments": call.arguments},
            }
            for index, call in enumerate(answer.calls)
        ]
        reason = "tool_calls"
    choices: list[dict[str, Any]] = [
        {"index": 0, "message": message, "logprobs": None, "finish_reason": reason}
    ]
    if answer.speech:
        audio = {
            "id": f"audio-{envelope['id'].removeprefix('chatcmpl-')[:16]}",
            "data": base64.b64encode(
                wav_bytes(answer.pcm, options.vllm.sample_rate)
            ).decode("ascii"),
            "expires_at": envelope["created"] + AUDIO_EXPIRY_SECONDS,
            "transcript": "",
        }
        choices.append(
            {
                "index": 0,
                "message": {"role": "assistant", "content": None, "audio": audio},
                "logprobs": None,
                "finish_reason": "stop",
            }
        )
    return {
        **envelope,
        "object": "chat.completion",
        "choices": choices,
        "usage": answer.usage,
    }


def build_vllm_answer(
    body: Mapping[str, Any],
    options: EmulatorOptions,
    *,
    completion_id: str,
    created: int,
) -> list[dict[str, Any]] | dict[str, Any]:
    """The chunks of a streamed answer, or the whole answer when not streamed."""
    envelope = {
        "id": completion_id,
        "object": "chat.completion.chunk",
        "created": created,
        "model": model_of(body),
    }
    answer = _Answer(body, options)
    call_id = f"chatcmpl-tool-{completion_id.removeprefix('chatcmpl-')[:16]}"
    if body.get("stream") is True:
        return _streamed(body, answer, envelope, options, call_id)
    return _whole(answer, envelope, options, call_id)
