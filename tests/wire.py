"""Builders of Omni wire chunks (the decoded SSE events), for tests."""

import base64
from typing import Any

import numpy as np


def event(delta: dict[str, Any] | None = None, **choice: Any) -> dict[str, Any]:
    """One chat.completion.chunk with a single choice."""
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion.chunk",
        "created": 1757647000,
        "model": "qwen3-omni-flash",
        "choices": [
            {"index": 0, "delta": delta or {}, "finish_reason": None, **choice}
        ],
    }


def text(piece: str) -> dict[str, Any]:
    return event({"content": piece})


def transcript(piece: str) -> dict[str, Any]:
    return event({"audio": {"transcript": piece}})


def audio(pcm: bytes, *, expires_at: int = 1757647879) -> dict[str, Any]:
    data = base64.b64encode(pcm).decode()
    return event({"audio": {"data": data, "expires_at": expires_at, "id": "audio_1"}})


def stop() -> dict[str, Any]:
    return event({}, finish_reason="stop")


def usage(**details: Any) -> dict[str, Any]:
    return {
        "id": "chatcmpl-test",
        "choices": [],
        "usage": {
            "prompt_tokens": 207,
            "completion_tokens": 103,
            "total_tokens": 310,
            **details,
        },
    }


def pcm_pieces(sizes: list[int], seed: int = 0) -> list[bytes]:
    """Random PCM bytes cut into pieces of the given (possibly odd) sizes."""
    rng = np.random.default_rng(seed)
    whole = rng.integers(0, 256, size=sum(sizes), dtype=np.uint8).tobytes()
    pieces, start = [], 0
    for size in sizes:
        pieces.append(whole[start : start + size])
        start += size
    return pieces


def deltas(chunks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The deltas of wire chunks, skipping the usage chunk."""
    return [c["choices"][0]["delta"] for c in chunks if c["choices"]]
