"""What the emulator answers: pure functions from a request body to SSE events.

Nothing here touches the network, so every piece of an answer (the text,
the speech, the chunk list, the usage) can be unit-tested and reused by
later extensions (tool calls, thinking, structured output) that add their
own deltas to the list `build_chunks` returns.
"""

from __future__ import annotations

import base64
import itertools
import json
import math
import re
import zlib
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Any, TypeVar

import numpy as np

from langchain_qwen_omni.emulator.options import EmulatorOptions
from langchain_qwen_omni.emulator.params import (
    facts_of,
    high_resolution,
    thinking_enabled,
    wants_audio,
)
from langchain_qwen_omni.emulator.rules import media_details
from langchain_qwen_omni.emulator.tokens import prompt_tokens, text_tokens
from langchain_qwen_omni.emulator.wire import read_request

__all__ = [
    "AUDIO_EXPIRY_SECONDS",
    "DONE_EVENT",
    "MEDIA_PART_TYPES",
    "SAMPLE_RATE",
    "audio_tokens_per_second",
    "build_chunks",
    "count_parts",
    "describe_request",
    "encode_event",
    "encode_events",
    "estimate_usage",
    "first_delta",
    "interleave",
    "last_user_message",
    "message_text",
    "quote",
    "received",
    "resolve_voice",
    "speech_seconds",
    "split_pcm",
    "split_text",
    "synthesize_speech",
    "wants_audio",
    "whole_completion",
]

SAMPLE_RATE = 24_000
"""Omni's speech output: signed 16-bit little-endian mono PCM at 24 kHz."""
AUDIO_EXPIRY_SECONDS = 86_400
"""`expires_at` of an audio delta is this long after `created`."""
DONE_EVENT = b"data: [DONE]\n\n"
MEDIA_PART_TYPES = ("image_url", "input_audio", "video_url", "video")
"""Wire part types that carry media, in the order answers mention them."""
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
"""One shared encoder: `json.dumps` with options builds a new one per call."""
_QUOTE_LIMIT = 200
_FALLBACK_VOICE = "Cherry"
"""Who speaks for a model whose default voice the doc does not give."""
_FALLBACK_AUDIO_RATE = 12.5

_T = TypeVar("_T")


# --- reading the request ---------------------------------------------------


def messages_of(body: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """Return the request's messages that are objects, ignoring anything else."""
    messages = body.get("messages")
    if not isinstance(messages, list):
        return []
    return [m for m in messages if isinstance(m, Mapping)]


def last_user_message(body: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """Return the last message with role `user`, the one the model answers."""
    message: Mapping[str, Any]
    for message in reversed(messages_of(body)):
        if message.get("role") == "user":
            return message
    return None


def _parts(content: object) -> list[Mapping[str, Any]]:
    """Normalize message content to a list of parts; a string is one text part."""
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    if isinstance(content, list):
        return [p for p in content if isinstance(p, Mapping)]
    return []


def message_text(message: Mapping[str, Any]) -> str:
    """Join the text parts of a message with spaces."""
    texts = [
        str(part.get("text", ""))
        for part in _parts(message.get("content"))
        if part.get("type") == "text"
    ]
    return " ".join(texts)


def count_parts(message: Mapping[str, Any]) -> Counter[str]:
    """Count a message's parts by wire type.

    Image sequences (`{"type": "video", "video": [...]}`) also add their
    frame count under the key `"video_frames"`.
    """
    counts: Counter[str] = Counter()
    for part in _parts(message.get("content")):
        kind = str(part.get("type", "unknown"))
        counts[kind] += 1
        if kind == "video":
            frames = part.get("video")
            counts["video_frames"] += len(frames) if isinstance(frames, list) else 0
    return counts


def resolve_voice(body: Mapping[str, Any]) -> str:
    """Return the requested voice, else the family's default voice."""
    audio = body.get("audio")
    if isinstance(audio, Mapping) and isinstance(audio.get("voice"), str):
        return str(audio["voice"])
    return facts_of(body).default_voice or _FALLBACK_VOICE


def model_of(body: Mapping[str, Any]) -> str:
    """Return the requested model name as a string."""
    return str(body.get("model", ""))


# --- the answer text -------------------------------------------------------


def quote(text: str) -> str:
    """Quote user text on one line, shortened so answers stay small."""
    flat = " ".join(text.split())
    if len(flat) > _QUOTE_LIMIT:
        flat = flat[: _QUOTE_LIMIT - 3] + "..."
    return f"'{flat}'"


def _describe_media(counts: Counter[str]) -> str:
    """Say which media parts a message holds, e.g. `1 image_url, 1 video (4 frames)`."""
    known = [*MEDIA_PART_TYPES, "text", "video_frames"]
    pieces = []
    for kind in MEDIA_PART_TYPES:
        if not counts[kind]:
            continue
        piece = f"{counts[kind]} {kind}"
        if kind == "video":
            piece += f" ({counts['video_frames']} frames)"
        pieces.append(piece)
    pieces.extend(
        f"{n} {kind}" for kind, n in sorted(counts.items()) if kind not in known
    )
    return ", ".join(pieces) or "none"


def received(body: Mapping[str, Any]) -> str:
    """Say how many messages came, with their roles: `I received 2 messages (...)`."""
    messages = messages_of(body)
    roles = ", ".join(str(m.get("role", "?")) for m in messages)
    plural = "" if len(messages) == 1 else "s"
    return f"I received {len(messages)} message{plural} ({roles})."


def describe_request(body: Mapping[str, Any]) -> str:
    """Describe what the request holds: the emulator's deterministic answer.

    Tests assert on this text to check what a client actually sent, so it
    names the model, the message roles, the last user text and its media.
    """
    sentences = [f"[{model_of(body)} emulator] {received(body)}"]
    user = last_user_message(body)
    if user is None:
        sentences.append("There is no user message. Media: none.")
    else:
        counts = count_parts(user)
        sentences.append(f"The last user message says: {quote(message_text(user))}.")
        sentences.append(f"Media: {_describe_media(counts)}.")
        wire_user = read_request(body).last_user()  # the same message, as read
        if wire_user is not None and (details := media_details(wire_user)):
            sentences.append(f"Inline media: {details}.")
    return " ".join(sentences)


def split_text(text: str, pieces: int | None = None) -> list[str]:
    """Split text into delta pieces whose concatenation is the text.

    Args:
        text: The answer text.
        pieces: Exact number of pieces of near-equal length; `None` gives one
            piece per word, each carrying the whitespace before it.
    """
    if not text:
        return []
    if pieces is None:
        return re.findall(r"\s*\S+|\s+", text)
    count = max(1, min(pieces, len(text)))
    bounds = [i * len(text) // count for i in range(count + 1)]
    return [text[a:b] for a, b in itertools.pairwise(bounds)]


# --- speech ----------------------------------------------------------------


def speech_seconds(text: str, options: EmulatorOptions) -> float:
    """Length of the speech for a text: proportional, floored and capped."""
    seconds = max(
        len(text) * options.speech_seconds_per_char, options.min_speech_seconds
    )
    return min(seconds, options.max_speech_seconds)


def synthesize_speech(
    text: str, voice: str, options: EmulatorOptions | None = None
) -> bytes:
    """Make speech-like PCM (s16le, mono, 24 kHz) for an answer text.

    Real speech rather than silence lets clients test level meters, players
    and voice-activity logic. The same text length and voice always give the
    same bytes.
    """
    seconds = speech_seconds(text, options or EmulatorOptions())
    return _synthesize(round(seconds * SAMPLE_RATE), voice)


@lru_cache(maxsize=64)
def _synthesize(samples: int, voice: str) -> bytes:
    """Render a voiced tone with harmonics, intonation and syllable envelope.

    Cached because benchmarks ask for the same answer thousands of times.
    """
    if samples <= 0:
        return b""
    seed = zlib.crc32(voice.encode())
    rng = np.random.default_rng(seed)
    t = np.arange(samples, dtype=np.float64) / SAMPLE_RATE
    f0 = 100.0 + seed % 140  # each voice gets its own pitch, 100..239 Hz
    pitch = f0 * (1.0 + 0.08 * np.sin(2 * np.pi * 0.7 * t) - 0.04 * (t % 2.0) / 2.0)
    phase = 2 * np.pi * np.cumsum(pitch) / SAMPLE_RATE
    wave = (
        np.sin(phase)
        + 0.5 * np.sin(2 * phase)
        + 0.3 * np.sin(3 * phase)
        + 0.15 * np.sin(5 * phase)
    )
    envelope = np.zeros(samples, dtype=np.float64)
    start = 0
    while start < samples:
        length = int(SAMPLE_RATE * rng.uniform(0.12, 0.28))  # one syllable
        gap = int(SAMPLE_RATE * rng.choice([0.02, 0.03, 0.04, 0.15]))
        stop = min(start + length, samples)
        envelope[start:stop] = np.sin(np.linspace(0.0, np.pi, length))[: stop - start]
        start = stop + gap
    pcm = 0.3 * 32767 / 1.95 * wave * envelope
    return pcm.astype("<i2").tobytes()


def split_pcm(pcm: bytes, sizes: Sequence[int]) -> list[bytes]:
    """Cut PCM into pieces whose sizes cycle through `sizes`."""
    pieces = []
    start = 0
    for size in itertools.cycle(sizes):
        if start >= len(pcm):
            break
        pieces.append(pcm[start : start + size])
        start += size
    return pieces


def interleave(first: Sequence[_T], second: Sequence[_T]) -> list[_T]:
    """Merge two sequences evenly by relative position, `first` winning ties.

    Text deltas lead the speech deltas that say them, as in real streams.
    """
    keyed = [(i / len(first), 0, item) for i, item in enumerate(first)]
    keyed += [(i / len(second), 1, item) for i, item in enumerate(second)]
    keyed.sort(key=lambda entry: (entry[0], entry[1]))
    return [item for _, _, item in keyed]


# --- usage -----------------------------------------------------------------


def audio_tokens_per_second(model: str) -> float:
    """Tokens per second of spoken answer: 12.5 (Qwen3 and 3.5), 25 (turbo, 2.5)."""
    rate = facts_of({"model": model}).tokens.audio_output_per_second
    return _FALLBACK_AUDIO_RATE if rate is None else rate


def estimate_usage(
    body: Mapping[str, Any], text: str, speech: float | None
) -> dict[str, Any]:
    """Count the tokens of a request and its answer, deterministically.

    The prompt's media follow the family's token rules (`emulator.tokens`);
    text is about four characters a token.

    Args:
        body: The request: its messages make the prompt tokens.
        text: The answer text.
        speech: Seconds of speech produced, or `None` for a text-only answer.
    """
    prompt_details = prompt_tokens(
        read_request(body), facts_of(body), high_resolution=high_resolution(body)
    )
    prompt = sum(prompt_details.values())
    details: dict[str, int] = {}
    if speech is not None:
        details["audio_tokens"] = math.ceil(
            speech * audio_tokens_per_second(model_of(body))
        )
    details["text_tokens"] = text_tokens(text)
    completion = sum(details.values())
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "completion_tokens_details": details,
        "prompt_tokens_details": prompt_details,
    }


# --- chunks and SSE --------------------------------------------------------


def _chunk(
    envelope: Mapping[str, Any],
    delta: dict[str, Any],
    finish_reason: str | None = None,
) -> dict[str, Any]:
    return {
        **envelope,
        "choices": [
            {
                "index": 0,
                "delta": delta,
                "finish_reason": finish_reason,
                "logprobs": None,
            }
        ],
    }


def first_delta(body: Mapping[str, Any]) -> dict[str, Any]:
    """The delta of an answer's first chunk, as documented.

    `{"content": "", "role": "assistant"}`, and in thinking mode
    `{"content": null, "role": "assistant", "reasoning_content": ""}`.
    """
    if thinking_enabled(body):
        return {"content": None, "role": "assistant", "reasoning_content": ""}
    return {"content": "", "role": "assistant"}


def _audio_data(piece: bytes, options: EmulatorOptions) -> str:
    data = base64.b64encode(piece).decode("ascii")
    return data.rstrip("=") if options.unpadded_audio else data


def _text_deltas(texts: list[str], options: EmulatorOptions) -> list[dict[str, Any]]:
    """Deltas carrying a spoken answer's text, placed as `transcript_mode` says."""
    if options.transcript_mode == "transcript":
        return [{"audio": {"transcript": piece}} for piece in texts]
    if options.transcript_mode == "mixed":
        return [
            {"audio": {"transcript": piece}} if index % 2 else {"content": piece}
            for index, piece in enumerate(texts)
        ]
    return [{"content": piece} for piece in texts]


def build_chunks(
    body: Mapping[str, Any],
    options: EmulatorOptions,
    *,
    completion_id: str,
    created: int,
    audio_id: str,
) -> list[dict[str, Any]]:
    """Build the chunk dicts of a streamed answer to a valid request.

    Order: the first delta (see `first_delta`), text (and speech) deltas, the
    `stop` delta `{"content": ""}`, then the usage chunk when
    `stream_options.include_usage` is true. Every chunk but that last one has
    `"usage": null`. Ids and time come in as arguments so the result is a
    pure function of its inputs.
    """
    model = model_of(body)
    envelope = {
        "id": completion_id,
        "object": "chat.completion.chunk",
        "created": created,
        "model": model,
        "system_fingerprint": None,
        "usage": None,
    }
    text = options.answer if options.answer is not None else describe_request(body)
    texts = split_text(text, options.text_pieces)
    speech: float | None = None
    if wants_audio(body):
        speech = speech_seconds(text, options)
        pcm = synthesize_speech(text, resolve_voice(body), options)
        expires_at = created + AUDIO_EXPIRY_SECONDS
        audio_deltas: list[dict[str, Any]] = [
            {
                "audio": {
                    "data": _audio_data(piece, options),
                    "expires_at": expires_at,
                    "id": audio_id,
                }
            }
            for piece in split_pcm(pcm, options.audio_piece_sizes)
        ]
        deltas = interleave(_text_deltas(texts, options), audio_deltas)
    else:
        deltas = [{"content": piece} for piece in texts]
    chunks = [_chunk(envelope, first_delta(body))]
    chunks.extend(_chunk(envelope, delta) for delta in deltas)
    chunks.append(_chunk(envelope, {"content": ""}, "stop"))
    stream_options = body.get("stream_options")
    if (
        isinstance(stream_options, Mapping)
        and stream_options.get("include_usage") is True
    ):
        chunks.append(
            {**envelope, "choices": [], "usage": estimate_usage(body, text, speech)}
        )
    return chunks


def whole_completion(chunks: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Merge a streamed answer's chunks into one `chat.completion` object.

    For the models that take `stream=false`: the message holds the joined
    text (both placements), reasoning, tool calls and speech of the chunks.
    """
    first = chunks[0]
    content: list[str] = []
    reasoning: list[str] = []
    pcm: list[bytes] = []
    transcript: list[str] = []
    calls: dict[int, dict[str, Any]] = {}
    audio_id = None
    finish_reason = None
    usage = None
    for chunk in chunks:
        usage = chunk.get("usage") or usage
        for choice in chunk["choices"]:
            delta = choice["delta"]
            finish_reason = choice["finish_reason"] or finish_reason
            content.append(delta.get("content") or "")
            reasoning.append(delta.get("reasoning_content") or "")
            audio = delta.get("audio") or {}
            transcript.append(audio.get("transcript") or "")
            if audio.get("data"):
                data = audio["data"]
                pcm.append(base64.b64decode(data + "=" * (-len(data) % 4)))
                audio_id = audio["id"]
            for call in delta.get("tool_calls") or ():
                _merge_call(calls.setdefault(call["index"], {}), call)
    message: dict[str, Any] = {"role": "assistant", "content": "".join(content)}
    if any(reasoning):
        message["reasoning_content"] = "".join(reasoning)
    if calls:
        message["tool_calls"] = [calls[index] for index in sorted(calls)]
    if audio_id is not None:
        message["audio"] = {
            "id": audio_id,
            "data": base64.b64encode(b"".join(pcm)).decode("ascii"),
            "expires_at": first["created"] + AUDIO_EXPIRY_SECONDS,
            "transcript": "".join(transcript),
        }
    return {
        "id": first["id"],
        "object": "chat.completion",
        "created": first["created"],
        "model": first["model"],
        "system_fingerprint": None,
        "choices": [
            {
                "index": 0,
                "message": message,
                "finish_reason": finish_reason,
                "logprobs": None,
            }
        ],
        "usage": usage,
    }


def _merge_call(merged: dict[str, Any], piece: Mapping[str, Any]) -> None:
    """Add one streamed tool-call piece to the call it belongs to."""
    for key in ("id", "type"):
        if piece.get(key):
            merged[key] = piece[key]
    function = merged.setdefault("function", {"name": "", "arguments": ""})
    given = piece.get("function") or {}
    function["name"] += given.get("name") or ""
    function["arguments"] += given.get("arguments") or ""


def encode_event(chunk: Mapping[str, Any]) -> bytes:
    """Serialize one chunk as an SSE event, once, to the bytes sent."""
    return b"data: " + _ENCODER.encode(chunk).encode() + b"\n\n"


def encode_events(chunks: Iterable[Mapping[str, Any]]) -> list[bytes]:
    """Serialize all chunks and the closing `[DONE]` event."""
    return [*(encode_event(chunk) for chunk in chunks), DONE_EVENT]
