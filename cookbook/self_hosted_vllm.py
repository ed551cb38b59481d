r"""Self-hosted Qwen-Omni: the open weights on your own vLLM-Omni server.

Run it against your server, or offline against the emulator's vLLM-Omni
dialect:

    vllm serve Qwen/Qwen3-Omni-30B-A3B-Instruct --omni --port 8000 \\
        --enable-auto-tool-choice --tool-call-parser hermes
    python cookbook/self_hosted_vllm.py --base-url http://localhost:8000/v1
    python cookbook/self_hosted_vllm.py --emulator

`dialect="vllm-omni"` writes requests the way vLLM-Omni takes them (raw
base64 audio, frames as image parts, explicit `modalities`, the `speaker`
field, `use_audio_in_video` for a video's sound) and reads its stream
(speech as WAV pieces tagged `"modality": "audio"`), so the answer is the
same `AIMessage` and `OmniAudio` as from Model Studio. Tools need the
server's tool parser: `limits={"tool_calling": True}` says it has one.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import _samples
from langchain_core.messages import HumanMessage, ToolMessage
from langchain_core.tools import tool

from langchain_qwen_omni import (
    ChatQwenOmni,
    OmniAudio,
    audio_block,
    image_block,
    video_block,
)

if TYPE_CHECKING:
    from collections.abc import Iterator


@tool
def get_weather(city: str) -> str:
    """Get the current weather in a city."""
    return f"sunny and 24 C in {city}"


@contextlib.contextmanager
def server(args: argparse.Namespace) -> Iterator[str]:
    """Your server's base URL, or an emulated vLLM-Omni server's."""
    if not args.emulator:
        yield args.base_url
        return
    print(
        "Running against the emulator's vLLM-Omni dialect (its answers describe "
        "the request; they are not a model's).",
        file=sys.stderr,
    )
    from langchain_qwen_omni.emulator import (  # noqa: PLC0415  # only offline
        OmniEmulator,
        VllmServerOptions,
    )

    started_with = VllmServerOptions(auto_tool_choice=True)  # has a tool parser
    with OmniEmulator(dialect="vllm-omni", vllm=started_with) as emulator:
        yield emulator.base_url


def main(argv: list[str] | None = None) -> int:
    """Run the recipe; returns the process exit code."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--emulator", action="store_true", help="run offline")
    parser.add_argument("--base-url", default="http://localhost:8000/v1")
    parser.add_argument("--model", default="Qwen/Qwen3-Omni-30B-A3B-Instruct")
    parser.add_argument("--voice", default="Chelsie", help="Ethan, Chelsie or Aiden")
    parser.add_argument("--out", type=Path, default=Path("self_hosted.wav"))
    args = parser.parse_args(argv)

    with _samples.sample_dir() as folder, server(args) as base_url:
        settings: dict[str, Any] = {
            "model": args.model,
            "dialect": "vllm-omni",
            "base_url": base_url,
            "timeout": 600,
        }
        # 1. A spoken answer: the WAV pieces arrive as 24 kHz PCM, like the API's.
        speaker = ChatQwenOmni(
            **settings, modalities=["text", "audio"], voice=args.voice
        )
        reply = speaker.invoke("Introduce yourself in one sentence.")
        audio = OmniAudio.from_message(reply)
        audio.save(args.out)
        print("spoken:", reply.text)
        print(f"speech: {audio.duration:.1f} s at {audio.sample_rate} Hz -> {args.out}")

        # 2. Media in one message: an image, a recording and a video with sound.
        model = ChatQwenOmni(**settings)
        question = HumanMessage(
            content_blocks=[
                {"type": "text", "text": "What do you see and hear?"},
                image_block(_samples.image(folder)),
                audio_block(_samples.wav(folder)),
                video_block(_samples.video(folder)),
            ]
        )
        print("media:", model.invoke([question]).text)

        # 3. A tool call, answered and sent back.
        with_tools = ChatQwenOmni(**settings, limits={"tool_calling": True})
        bound = with_tools.bind_tools([get_weather])
        ask = HumanMessage("What is the weather in Hangzhou?")
        call = bound.invoke([ask])
        for tool_call in call.tool_calls:
            print("tool call:", tool_call["name"], tool_call["args"])
        results = [
            ToolMessage(get_weather.invoke(c["args"]), tool_call_id=c["id"])
            for c in call.tool_calls
        ]
        print("after the tool:", bound.invoke([ask, call, *results]).text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
