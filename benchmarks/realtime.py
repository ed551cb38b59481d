"""Realtime sessions: the client's cost per event, and its answer latency.

Both against the emulator in its own process, over loopback WebSockets:

- `realtime events / raw websockets loop`: one long spoken answer (about
  1,000 events: speech pieces and transcript words) through
  `QwenOmniRealtime` (typed events, realigned PCM, the answer kept as an
  `AIMessage`) against a bare `websockets` loop that parses each event and
  decodes each speech piece, measured alternately in one run. Both turn off
  permessage-deflate (the client does by default: base64 speech barely
  compresses), so the ratio is the client's own work. The detail
  gives the client's extra microseconds per event and that cost as a share
  of the emulator's real-time pacing (one speech piece per 100 ms).
- `end of speech -> first audio / VAD silence`: the question is streamed at
  real-time pace; the time from its last spoken sample to the first answer
  audio the application receives, against the physical floor the server's
  VAD sets (it waits `silence_duration_ms` of silence). The detail gives the
  raw loop's own ratio from the same run.

Run: `python -m benchmarks.realtime`.
"""

from __future__ import annotations

import asyncio
import base64
import json
import statistics
import time
from typing import Any

import numpy as np
from websockets.asyncio.client import connect

from benchmarks._timing import Result, alternate, table
from langchain_qwen_omni.emulator import emulator_process
from langchain_qwen_omni.realtime import AssistantAudio, QwenOmniRealtime, ResponseDone
from langchain_qwen_omni.realtime.endpoint import realtime_url

MODEL = "qwen3.5-omni-plus-realtime"
LONG_ANSWER = "word " * 400
LONG_HEADERS = {
    "x-omni-realtime": f"speed=0; max_speech_seconds=60; answers={LONG_ANSWER}"
}
PACED_HEADERS = {"x-omni-realtime": "speed=1; answers=A short answer."}
SILENCE_MS = 400
TURNS: dict[str, Any] = {"silence_duration_ms": SILENCE_MS}
PIECE_SECONDS = 0.1
EVENTS_TARGET = 1.30
LATENCY_TARGET = 1.15


def _pcm(seconds: float, *, loud: bool) -> bytes:
    t = np.arange(round(seconds * 16_000)) / 16_000
    wave = 0.4 * np.sin(2 * np.pi * 220 * t) if loud else np.zeros_like(t)
    return (wave * 32767).astype("<i2").tobytes()


QUESTION = _pcm(0.5, loud=True) + _pcm(0.5, loud=False)


def _append(pcm: bytes) -> str:
    audio = base64.b64encode(pcm).decode()
    return json.dumps({"type": "input_audio_buffer.append", "audio": audio})


async def _receive_until(ws: Any, kind: str) -> int:
    count = 0
    async for raw in ws:
        count += 1
        if json.loads(raw).get("type") == kind:
            break
    return count


# --- cost per event --------------------------------------------------------------


async def _raw_answer(url: str) -> int:
    """The bare loop: parse every event, decode every speech piece, keep the PCM."""
    headers = {"Authorization": "Bearer bench", **LONG_HEADERS}
    async with connect(
        url, additional_headers=headers, max_size=None, compression=None
    ) as ws:
        await _receive_until(ws, "session.created")
        session = {
            "modalities": ["text", "audio"],
            "turn_detection": {"type": "server_vad", **TURNS},
        }
        await ws.send(json.dumps({"type": "session.update", "session": session}))
        await _receive_until(ws, "session.updated")
        for start in range(0, len(QUESTION), 3200):
            await ws.send(_append(QUESTION[start : start + 3200]))
        pcm = bytearray()
        events = 0
        async for raw in ws:
            event = json.loads(raw)
            events += 1
            if event["type"] == "response.audio.delta":
                pcm += base64.b64decode(event["delta"])
            elif event["type"] == "response.done":
                break
        await ws.send(json.dumps({"type": "session.finish"}))
        await _receive_until(ws, "session.finished")
    return events


async def _client_answer(base_url: str) -> int:
    """The same answer through `QwenOmniRealtime`."""
    session = QwenOmniRealtime(
        model=MODEL, base_url=base_url, api_key="bench", turn_detection=TURNS,
        default_headers=LONG_HEADERS,
    )  # fmt: skip
    events = 0
    async with session:
        await session.send_audio(QUESTION, 16_000)
        async for event in session:
            events += 1
            if isinstance(event, ResponseDone):
                break
    return events


# --- latency ---------------------------------------------------------------------


async def _paced(send: Any, pcm: bytes) -> None:
    """Send PCM in 100 ms pieces at real-time pace, each once it was spoken."""
    start = time.monotonic()
    for index, offset in enumerate(range(0, len(pcm), 3200)):
        await asyncio.sleep(
            max(start + (index + 1) * PIECE_SECONDS - time.monotonic(), 0)
        )
        await send(pcm[offset : offset + 3200])


async def _client_latency(base_url: str) -> float:
    session = QwenOmniRealtime(
        model=MODEL, base_url=base_url, api_key="bench", turn_detection=TURNS,
        default_headers=PACED_HEADERS,
    )  # fmt: skip
    async with session:
        await session.send_audio(_pcm(0.5, loud=True), 16_000, pace=1.0)
        spoken = time.monotonic()
        silence = asyncio.create_task(
            session.send_audio(_pcm(2.0, loud=False), 16_000, pace=1.0)
        )
        async for event in session:
            if isinstance(event, AssistantAudio):
                waited = time.monotonic() - spoken
                break
        silence.cancel()
    return waited


async def _raw_latency(url: str) -> float:
    headers = {"Authorization": "Bearer bench", **PACED_HEADERS}
    async with connect(
        url, additional_headers=headers, max_size=None, compression=None
    ) as ws:
        await _receive_until(ws, "session.created")
        session = {"turn_detection": {"type": "server_vad", **TURNS}}
        await ws.send(json.dumps({"type": "session.update", "session": session}))
        await _receive_until(ws, "session.updated")

        async def send(pcm: bytes) -> None:
            await ws.send(_append(pcm))

        await _paced(send, _pcm(0.5, loud=True))
        spoken = time.monotonic()
        silence = asyncio.create_task(_paced(send, _pcm(2.0, loud=False)))
        async for raw in ws:
            if json.loads(raw)["type"] == "response.audio.delta":
                waited = time.monotonic() - spoken
                break
        silence.cancel()
    return waited


def run(rounds: int = 5) -> list[Result]:
    """Both lines, each from alternating runs against one emulator process."""
    with emulator_process() as base_url:
        url = realtime_url(base_url, MODEL)
        counts: dict[str, int] = {}

        def raw() -> None:
            counts["raw"] = asyncio.run(_raw_answer(url))

        def client() -> None:
            counts["client"] = asyncio.run(_client_answer(base_url))

        times = alternate({"raw": raw, "client": client}, rounds=rounds)
        client_latency = [asyncio.run(_client_latency(base_url)) for _ in range(3)]
        raw_latency = [asyncio.run(_raw_latency(url)) for _ in range(3)]
    events = counts["raw"]
    extra_us = (times["client"] - times["raw"]) / events * 1e6
    floor = SILENCE_MS / 1000
    latency = statistics.median(client_latency) / floor
    raw_ratio = statistics.median(raw_latency) / floor
    return [
        Result(
            "realtime events / raw websockets loop",
            times["client"] / times["raw"],
            EVENTS_TARGET,
            f"{events} events per answer; {extra_us:+.0f} us per event, "
            f"{max(extra_us, 0) / (PIECE_SECONDS * 1e6):.2%} of the 100 ms pacing",
        ),
        Result(
            "end of speech -> first audio / VAD silence",
            latency,
            LATENCY_TARGET,
            f"median of 3, floor {SILENCE_MS} ms of silence; raw loop {raw_ratio:.3f}",
        ),
    ]


if __name__ == "__main__":
    print(table(run()))
