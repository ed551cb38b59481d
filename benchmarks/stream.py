"""Streaming a spoken answer: ChatQwenOmni vs the raw openai SDK loop vs ChatOpenAI.

The answer has 400 chunks alternating transcript text and 4,800-byte PCM
pieces (the older transcript placement, where ChatOpenAI loses everything).
All variants talk to the same in-process emulator over loopback HTTP.

Run: `python -m benchmarks.stream`.
"""

from __future__ import annotations

import base64
from typing import Any

import openai
from langchain_openai import ChatOpenAI

from benchmarks._timing import Result, alternate, table
from langchain_qwen_omni import ChatQwenOmni, OmniAudio
from langchain_qwen_omni.emulator import OmniEmulator

PIECES = 200  # text pieces; as many PCM pieces, so 400 chunks
PCM_PIECE = 4800
PROMPT = "Tell me a story."
SPEECH: Any = {"voice": "Cherry", "format": "wav"}


def emulator() -> OmniEmulator:
    """An emulator answering 200 words and 200 x 4,800 bytes of speech."""
    answer = " ".join(f"word{i}" for i in range(PIECES))
    seconds = PIECES * PCM_PIECE / 2 / 24000
    return OmniEmulator(
        answer=answer,
        text_pieces=PIECES,
        transcript_mode="transcript",
        audio_piece_sizes=(PCM_PIECE,),
        speech_seconds_per_char=seconds / len(answer),
        max_speech_seconds=seconds,
    )


def raw_sdk_loop(client: openai.OpenAI) -> tuple[str, bytes]:
    """The loop of the API docs: decode each audio piece, then join the bytes."""
    stream = client.chat.completions.create(
        model="qwen3-omni-flash",
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
    """Measure the stream and invoke ratios against the raw SDK loop."""
    with emulator() as emu:
        client = openai.OpenAI(base_url=emu.base_url, api_key="bench")
        omni = ChatQwenOmni(
            base_url=emu.base_url, api_key="bench", modalities=["text", "audio"]
        )
        chat_openai = ChatOpenAI(
            base_url=emu.base_url,
            api_key="bench",
            model="qwen3-omni-flash",
            model_kwargs={"modalities": ["text", "audio"], "audio": SPEECH},
            streaming=True,
        )
        raw_text, raw_pcm = raw_sdk_loop(client)
        for name, (text, pcm) in {
            "stream": omni_stream(omni),
            "invoke": omni_invoke(omni),
        }.items():
            if (text, pcm) != (raw_text, raw_pcm):
                msg = f"ChatQwenOmni {name} differs from the raw loop's answer"
                raise AssertionError(msg)
        kept = len(openai_stream(chat_openai))
        medians = alternate(
            {
                "raw": lambda: raw_sdk_loop(client),
                "stream": lambda: omni_stream(omni),
                "invoke": lambda: omni_invoke(omni),
                "chat_openai": lambda: openai_stream(chat_openai),
            },
            rounds=rounds,
        )
    raw = medians["raw"]
    detail = f"{len(raw_pcm) // PCM_PIECE} PCM pieces, {len(raw_text)} chars"
    return [
        Result("stream / raw SDK loop", medians["stream"] / raw, 1.10, detail, 1.00),
        Result("invoke / raw SDK loop", medians["invoke"] / raw, 1.10, detail),
        Result(
            "ChatOpenAI stream / raw (reference)",
            medians["chat_openai"] / raw,
            float("inf"),
            f"keeps {kept} of {len(raw_text)} chars and no audio",
        ),
    ]


if __name__ == "__main__":
    print(table(run()))
