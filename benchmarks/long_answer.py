"""A ten-minute spoken answer through every LangChain path, against `stream()`.

6,000 speech pieces (28.8 MB of PCM) and 1,500 words, from an emulator in its
own process. Each path's CPU time in this process is compared with plain
`model.stream()` collected into a list, measured in the same run, alternating:
merging chunks must cost next to nothing beside receiving them, however
LangChain merges (a chain's output, `astream_events`, `+`). Quadratic
merging made these paths 40 times slower than `stream()` at this length.

Run: `python -m benchmarks.long_answer`.
"""

from __future__ import annotations

import asyncio
import functools
import operator
import time
from typing import Any

from langchain_core.prompts import ChatPromptTemplate

from benchmarks._speech_emulator import pcm_bytes, speech_emulator
from benchmarks._timing import Result, alternate, table
from langchain_qwen_omni import ChatQwenOmni, OmniAudio

SECONDS = 600.0
TARGET = 1.5
EVENTS_TARGET = 2.5
"""`astream_events` builds and dispatches an event per chunk: its own cost."""
PROMPT = "Tell me a long story."


def run(rounds: int = 2) -> list[Result]:
    """CPU of each path over CPU of `list(model.stream())`."""
    pcm = pcm_bytes(SECONDS)
    with speech_emulator(SECONDS) as base_url:
        model = ChatQwenOmni(
            base_url=base_url,
            api_key="bench",
            modalities=["text", "audio"],
            timeout=600,
        )
        chain = ChatPromptTemplate.from_messages([("human", "{q}")]) | model
        loop = asyncio.new_event_loop()

        def check(message: Any) -> None:
            if len(OmniAudio.from_message(message).pcm) != pcm:
                msg = "a path lost speech"
                raise AssertionError(msg)

        def stream() -> None:
            chunks = list(model.stream(PROMPT))
            if len(OmniAudio.from_chunks(chunks).pcm) != pcm:
                msg = "stream lost speech"
                raise AssertionError(msg)

        def reduce_add() -> None:
            check(functools.reduce(operator.add, model.stream(PROMPT)))

        def chain_stream() -> None:
            check(functools.reduce(operator.add, chain.stream({"q": PROMPT})))

        async def events() -> Any:
            output = None
            async for event in chain.astream_events({"q": PROMPT}, version="v2"):
                if event["event"] == "on_chain_end" and not event["parent_ids"]:
                    output = event["data"]["output"]
            return output

        cpu = alternate(
            {
                "stream": stream,
                "reduce": reduce_add,
                "chain": chain_stream,
                "events": lambda: check(loop.run_until_complete(events())),
            },
            rounds=rounds,
            warmup=1,
            clock=time.process_time,
        )
        loop.run_until_complete(loop.shutdown_asyncgens())  # closes the SDK clients
        loop.close()
    base = cpu["stream"]
    detail = f"model.stream() took {base:.2f} s CPU for {SECONDS / 60:.0f} min"
    return [
        Result(
            "long answer: reduce(add, stream()) / stream()",
            cpu["reduce"] / base,
            TARGET,
            detail,
        ),
        Result(
            "long answer: (prompt | model).stream() summed / stream()",
            cpu["chain"] / base,
            TARGET,
            detail,
        ),
        Result(
            "long answer: chain astream_events(v2) / stream()",
            cpu["events"] / base,
            EVENTS_TARGET,
            detail,
        ),
    ]


if __name__ == "__main__":
    print(table(run()))
