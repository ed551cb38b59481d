"""Streaming a spoken answer: CPU per event against the floor and the raw SDK.

The answer has 400 chunks alternating transcript text and 4,800-byte PCM
pieces (the older transcript placement, where ChatOpenAI loses everything).
The emulator runs in its own process and each variant's CPU time in this
process is measured (`time.process_time`), alternating the variants, so
neither the emulator nor the rest of the machine counts.

The floor is the least any client must do per event: read the socket, split
the SSE events, `json.loads` each, and decode each speech piece once
(`http.client` and the standard library, no SDK).

Run: `python -m benchmarks.stream`.
"""

from __future__ import annotations

import base64
import binascii
import http.client
import json
import time
import urllib.parse
from typing import Any

import openai
from langchain_openai import ChatOpenAI

from benchmarks._speech_emulator import speech_emulator
from benchmarks._timing import Result, alternate, table
from langchain_qwen_omni import ChatQwenOmni, OmniAudio

PIECES = 200  # text pieces; as many PCM pieces, so 400 chunks
PCM_PIECE = 4800
SECONDS = PIECES * PCM_PIECE / 2 / 24000
PROMPT = "Tell me a story."
MODEL = "qwen3-omni-flash"
SPEECH: Any = {"voice": "Cherry", "format": "wav"}


class Floor:
    """Socket read, SSE split, `json.loads`, one base64 decode per piece."""

    def __init__(self, base_url: str) -> None:
        """Keep one connection open, as the SDK's pool does."""
        url = urllib.parse.urlsplit(base_url)
        self._path = f"{url.path}/chat/completions"
        self._connection = http.client.HTTPConnection(url.hostname or "", url.port)
        self._body = json.dumps(
            {
                "model": MODEL,
                "messages": [{"role": "user", "content": PROMPT}],
                "modalities": ["text", "audio"],
                "audio": SPEECH,
                "stream": True,
                "stream_options": {"include_usage": True},
            }
        ).encode()

    def __call__(self) -> tuple[str, bytes]:
        """One answer: its text and PCM."""
        headers = {"Content-Type": "application/json", "Authorization": "Bearer b"}
        self._connection.request("POST", self._path, self._body, headers)
        response = self._connection.getresponse()
        text: list[str] = []
        pcm: list[bytes] = []
        pending = b""
        while block := response.read1(65536):
            *events, pending = (pending + block).split(b"\n\n")
            for event in events:
                data = event.removeprefix(b"data: ")
                if data == b"[DONE]":
                    continue
                for choice in json.loads(data)["choices"]:
                    audio = choice["delta"].get("audio") or {}
                    if piece := audio.get("transcript"):
                        text.append(piece)
                    if piece := audio.get("data"):
                        pcm.append(binascii.a2b_base64(piece))
        return "".join(text), b"".join(pcm)


def raw_sdk_loop(client: openai.OpenAI) -> tuple[str, bytes]:
    """The loop of the API docs: decode each audio piece, then join the bytes."""
    stream = client.chat.completions.create(
        model=MODEL,
        messages=[{"role": "user", "content": PROMPT}],
        modalities=["text", "audio"],
        audio=SPEECH,
        stream=True,
        stream_options={"include_usage": True},
    )
    text: list[str] = []
    pcm: list[bytes] = []
    for chunk in stream:
        if not chunk.choices:
            continue
        delta = chunk.choices[0].delta
        if delta.content:
            text.append(delta.content)
        if delta.audio is not None:
            audio: Any = delta.audio
            if audio.transcript:
                text.append(audio.transcript)
            if audio.data:
                pcm.append(base64.b64decode(audio.data))
    return "".join(text), b"".join(pcm)


def omni_stream(model: ChatQwenOmni) -> tuple[str, bytes]:
    """What a user does: stream, show text, then decode the speech."""
    chunks = list(model.stream(PROMPT))
    audio = OmniAudio.from_chunks(chunks)
    return audio.transcript, audio.pcm


def omni_invoke(model: ChatQwenOmni) -> tuple[str, bytes]:
    """Invoke aggregates the same stream; decode its speech."""
    message = model.invoke(PROMPT)
    return str(message.text), OmniAudio.from_message(message).pcm


def openai_stream(model: ChatOpenAI) -> str:
    """ChatOpenAI streaming the same answer (it keeps neither text nor audio)."""
    return "".join(str(chunk.text) for chunk in model.stream(PROMPT))


def run(rounds: int = 15) -> list[Result]:
    """Measure the stream and invoke ratios against the floor and the raw SDK."""
    with speech_emulator(SECONDS, words=PIECES, transcript=True) as base_url:
        floor = Floor(base_url)
        client = openai.OpenAI(base_url=base_url, api_key="bench")
        omni = ChatQwenOmni(
            base_url=base_url, api_key="bench", modalities=["text", "audio"]
        )
        chat_openai = ChatOpenAI(
            base_url=base_url,
            api_key="bench",
            model=MODEL,
            model_kwargs={"modalities": ["text", "audio"], "audio": SPEECH},
            streaming=True,
        )
        expected = floor()
        for name, answer in {
            "raw SDK loop": raw_sdk_loop(client),
            "stream": omni_stream(omni),
            "invoke": omni_invoke(omni),
        }.items():
            if answer != expected:
                msg = f"{name} differs from the floor's answer"
                raise AssertionError(msg)
        kept = len(openai_stream(chat_openai))
        cpu = alternate(
            {
                "floor": floor,
                "raw": lambda: raw_sdk_loop(client),
                "stream": lambda: omni_stream(omni),
                "invoke": lambda: omni_invoke(omni),
                "chat_openai": lambda: openai_stream(chat_openai),
            },
            rounds=rounds,
            clock=time.process_time,
        )
    events = 2 * PIECES
    per_event = {name: seconds / events * 1e6 for name, seconds in cpu.items()}
    detail = (
        f"us CPU per event: floor {per_event['floor']:.1f}, raw SDK "
        f"{per_event['raw']:.1f}, stream {per_event['stream']:.1f}, invoke "
        f"{per_event['invoke']:.1f} ({events} events, {len(expected[1]) // PCM_PIECE}"
        " PCM pieces)"
    )
    raw, base = cpu["raw"], cpu["floor"]
    return [
        Result("stream / floor (CPU per event)", cpu["stream"] / base, 3.0, detail),
        Result("invoke / floor (CPU per event)", cpu["invoke"] / base, 2.0, detail),
        Result(
            "raw SDK loop / floor (reference)",
            raw / base,
            float("inf"),
            "the SDK's own cost over the floor, measured in the same run",
        ),
        Result("stream / raw SDK loop", cpu["stream"] / raw, 1.10, "", 1.00),
        Result("invoke / raw SDK loop", cpu["invoke"] / raw, 1.10, ""),
        Result(
            "ChatOpenAI stream / raw (reference)",
            cpu["chat_openai"] / raw,
            float("inf"),
            f"keeps {kept} of {len(expected[0])} chars and no audio",
        ),
    ]


if __name__ == "__main__":
    print(table(run()))
