"""Async concurrency: `abatch` of 64 requests vs one request, 200 ms streams each.

A ratio near 1 means the 64 streams overlap fully (no serialization in the
client, the thread hop for request building, or the connection pool). The
emulator runs in its own process, so its CPU does not count against the
client; the raw openai SDK doing the same is measured in the same run.

Run: `python -m benchmarks.concurrency`.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from typing import TYPE_CHECKING

import openai

from benchmarks._timing import Result, table
from langchain_qwen_omni import ChatQwenOmni
from langchain_qwen_omni.emulator import emulator_process

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

REQUESTS = 64
EVENTS = 20
DELAY = 0.01  # 20 events x 10 ms: a 200 ms stream


async def _ratio(
    call: Callable[[str], Awaitable[object]], rounds: int
) -> tuple[float, float]:
    """Median wall time of one call and of 64 concurrent calls."""
    single: list[float] = []
    batch: list[float] = []
    await call("warm up")
    for _ in range(rounds):
        start = time.perf_counter()
        await call("one")
        single.append(time.perf_counter() - start)
        start = time.perf_counter()
        await asyncio.gather(*(call(f"request {i}") for i in range(REQUESTS)))
        batch.append(time.perf_counter() - start)
    return statistics.median(single), statistics.median(batch)


async def _measure(base_url: str, rounds: int) -> dict[str, tuple[float, float]]:
    model = ChatQwenOmni(base_url=base_url, api_key="bench")
    client = openai.AsyncOpenAI(base_url=base_url, api_key="bench")

    async def omni_batch_member(prompt: str) -> object:
        return await model.ainvoke(prompt)

    async def raw(prompt: str) -> object:
        stream = await client.chat.completions.create(
            model="qwen3-omni-flash",
            messages=[{"role": "user", "content": prompt}],
            stream=True,
        )
        return [chunk async for chunk in stream]

    single, _ = await _ratio(omni_batch_member, 1)
    batch: list[float] = []
    for _ in range(rounds):
        start = time.perf_counter()
        answers = await model.abatch([f"request {i}" for i in range(REQUESTS)])
        batch.append(time.perf_counter() - start)
        if len(answers) != REQUESTS:
            msg = "abatch lost answers"
            raise AssertionError(msg)
    omni_single, _ = await _ratio(omni_batch_member, rounds)
    return {
        "omni": (min(single, omni_single), statistics.median(batch)),
        "raw": await _ratio(raw, rounds),
    }


def run(rounds: int = 5) -> list[Result]:
    """Measure wall(abatch of 64) / wall(one request), and the raw SDK's."""
    words = " ".join(["word"] * EVENTS)
    with emulator_process(
        "--answer", words, "--text-pieces", str(EVENTS), "--chunk-delay", str(DELAY)
    ) as base_url:
        measured = asyncio.run(_measure(base_url, rounds))
    single, batch = measured["omni"]
    raw_single, raw_batch = measured["raw"]
    return [
        Result(
            "abatch(64) / one request",
            batch / single,
            1.3,
            f"one {single * 1000:.0f} ms, 64 in {batch * 1000:.0f} ms; raw SDK "
            f"gather(64) / one = {raw_batch / raw_single:.2f}",
        )
    ]


if __name__ == "__main__":
    print(table(run()))
