"""Realtime agent: a spoken question, two tools run at once, a spoken answer.

Run it:

    python cookbook/realtime_agent.py --question my-question.wav --out answer.wav
    python cookbook/realtime_agent.py --emulator

A `QwenOmniRealtime` session (Qwen-Omni-Realtime over a WebSocket) hears the
question as 16 kHz speech, streamed like a microphone would. The model calls
two LangChain tools; the session runs them concurrently as soon as their
arguments are complete, sends the results back and asks for the answer,
which streams as speech and text. Both transcripts and every tool call print
as they happen; the answer is saved as a 24 kHz WAV. Finally the
conversation, now LangChain messages in `session.messages`, carries on in
text with `ChatQwenOmni`.

Offline, the emulator cannot hear words: the recipe tells it what the
question says (the `x-omni-realtime` header), and it calls the tools the
question names, with arguments made from their schemas. Online, ask your
own recorded question (tools need qwen3.5-omni-plus/flash-realtime).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from _common import endpoint, recipe_parser
from _samples import sample_dir, wav
from langchain_core.messages import HumanMessage
from langchain_core.tools import tool

from langchain_qwen_omni import ChatQwenOmni, OmniAudio
from langchain_qwen_omni.realtime import (
    AssistantTranscriptDelta,
    QwenOmniRealtime,
    ResponseDone,
    ToolCallFinished,
    ToolCallStarted,
    UserTranscriptCompleted,
)

QUESTION = (
    "What is the weather in Paris, and the local time there? "
    "Use get_weather and get_local_time."
)


@tool
async def get_weather(city: str) -> str:
    """The current weather in a city."""
    await asyncio.sleep(0.3)  # a slow web service
    return f"Sunny and 21 C in {city}"


@tool
async def get_local_time(city: str) -> str:
    """The local time in a city."""
    await asyncio.sleep(0.3)
    return f"09:30 in {city}"


def emulator_script(connection: dict[str, Any]) -> dict[str, str]:
    """Handshake headers telling the emulator what the question says (offline)."""
    if connection.get("api_key") != "emulator":
        return {}
    return {"x-omni-realtime": f"transcripts={QUESTION}; speed=4"}


async def talk(session: QwenOmniRealtime, question: Path) -> ResponseDone:
    """Ask one spoken question; print what happens until the spoken answer is done."""
    await session.send_audio(question)  # any rate or format: sent as 16 kHz PCM16
    await session.end_turn()  # the silence after which the server answers
    speaking = False
    async for event in session:
        if isinstance(event, UserTranscriptCompleted):
            print(f"You: {event.transcript}")
        elif isinstance(event, ToolCallStarted):
            print(f"  -> {event.name}({event.args})")
        elif isinstance(event, ToolCallFinished):
            print(f"  <- {event.name}: {event.output}")
        elif isinstance(event, AssistantTranscriptDelta):
            if not speaking:
                print("Qwen: ", end="")
                speaking = True
            print(event.delta, end="", flush=True)
        elif isinstance(event, ResponseDone) and not event.has_tool_calls:
            print()
            return event
    msg = "the session ended before the answer"
    raise RuntimeError(msg)


async def run(args: Any, connection: dict[str, Any], question: Path) -> None:
    """The session, its answer saved, then the same conversation in text."""
    session = QwenOmniRealtime(
        model=args.model,
        tools=[get_weather, get_local_time],
        instructions="You are a concise travel assistant. Use the tools.",
        default_headers=emulator_script(connection),
        **connection,
    )
    async with session:
        done = await talk(session, question)
    audio = OmniAudio.from_message(done.message)
    audio.save(args.out)
    print(
        f"{audio.duration:.2f} s of speech ({audio.sample_rate} Hz) saved to {args.out}"
    )
    print("conversation:", ", ".join(type(m).__name__ for m in session.messages))

    # the spoken conversation continues in text with the chat model
    chat = ChatQwenOmni(**connection)
    reply = await chat.ainvoke(
        [*session.messages, HumanMessage("Summarize that in one line.")]
    )
    print(f"In text: {reply.text}")


def main(argv: list[str] | None = None) -> int:
    """Run the recipe; returns the process exit code."""
    parser = recipe_parser(__doc__)
    parser.set_defaults(model="qwen3.5-omni-plus-realtime")
    parser.add_argument(
        "--question", type=Path, help="a recorded question (WAV, MP3, ...)"
    )
    parser.add_argument("--out", type=Path, default=Path("realtime-answer.wav"))
    args = parser.parse_args(argv)

    with endpoint(args) as connection, sample_dir() as folder:
        question = args.question or wav(folder, "question.wav", seconds=1.5)
        asyncio.run(run(args, connection, question))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
