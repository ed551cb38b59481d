"""Async concurrency: `abatch` of 64 and 256 requests vs one request (200 ms streams).

A ratio near 1 means the streams overlap fully (no serialization in the
client, the thread hop for request building, or the connection pool). The
emulator runs in its own process, so its CPU does not count against the
client's, but it shares the machine's two cores: the floor line, a bare
aiohttp loop that only reads the bytes, shows what the emulator itself
allows. The raw openai SDK (`asyncio.gather` of its streams) is measured in
the same run, and so is the client's CPU per request.

Run: `python -m benchmarks.concurrency`.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import time
from typing import TYPE_CHECKING, Any, cast

import openai

from benchmarks._timing import Result, table
from langchain_qwen_omni import ChatQwenOmni
from langchain_qwen_omni._clients import aiohttp_available
from langchain_qwen_omni.emulator import emulator_process

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from langchain_core.language_models import LanguageModelInput

SIZES = {64: 1.3, 256: 2.5}  # requests: target
EVENTS = 20
DELAY = 0.01  # 20 events x 10 ms: a 200 ms stream
MODEL = "qwen3-omni-flash"


async def _times(
    single: Callable[[str], Awaitable[object]],
    batch: Callable[[list[str]], Awaitable[object]],
    size: int,
    rounds: int,
) -> tuple[float, float, float]:
    """Median wall time of one call and of `size` at once; CPU ms per request."""
    prompts = [f"request {i}" for i in range(size)]
    await single("warm up")
    await batch(prompts)
    ones: list[float] = []
    batches: list[float] = []
    cpu: list[float] = []
    for _ in range(rounds):
        start = time.perf_counter()
        await single("one")
        ones.append(time.perf_counter() - start)
        start, cpu_start = time.perf_counter(), time.process_time()
        await batch(prompts)
        batches.append(time.perf_counter() - start)
        cpu.append((time.process_time() - cpu_start) / size * 1000)
    return statistics.median(ones), statistics.median(batches), statistics.median(cpu)


async def _measure(base_url: str, rounds: int) -> dict[str, dict[int, tuple]]:
    model = ChatQwenOmni(base_url=base_url, api_key="bench")
    client = openai.AsyncOpenAI(base_url=base_url, api_key="bench")

    async def raw(prompt: str) -> object:
        stream = await client.chat.completions.create(
            model=MODEL,
            messages=[{"role": "user", "content": prompt}],
            stream=True,
        )
        return [chunk async for chunk in stream]

    async def raw_batch(prompts: list[str]) -> object:
        return await asyncio.gather(*(raw(p) for p in prompts))

    async def omni_batch(prompts: list[str]) -> object:
        answers = await model.abatch(cast("list[LanguageModelInput]", prompts))
        if len(answers) != len(prompts):
            msg = "abatch lost answers"
            raise AssertionError(msg)
        return answers

    variants: dict[str, tuple[Callable, Callable]] = {
        "omni": (model.ainvoke, omni_batch),
        "raw": (raw, raw_batch),
    }
    session = _floor_session()
    if session is not None:
        variants["floor"] = _floor(session, base_url)
    measured: dict[str, dict[int, tuple]] = {name: {} for name in variants}
    try:
        for size in SIZES:
            for name, (single, batch) in variants.items():
                measured[name][size] = await _times(single, batch, size, rounds)
    finally:
        if session is not None:
            await session.close()
    return measured


def _floor_session() -> Any:
    """An aiohttp session for the floor line, or None without aiohttp."""
    if not aiohttp_available():
        return None
    import aiohttp  # noqa: PLC0415

    return aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=1000))


def _floor(session: Any, base_url: str) -> tuple[Callable, Callable]:
    """Requests that only read the response bytes: what the emulator allows."""
    headers = {"Authorization": "Bearer b", "Content-Type": "application/json"}

    async def floor(prompt: str) -> None:
        body = {"model": MODEL, "messages": [{"role": "user", "content": prompt}]}
        async with session.post(
            f"{base_url}/chat/completions",
            data=json.dumps({**body, "stream": True}),
            headers=headers,
        ) as response:
            async for _ in response.content.iter_any():
                pass

    async def floor_batch(prompts: list[str]) -> object:
        return await asyncio.gather(*(floor(p) for p in prompts))

    return floor, floor_batch


def run(rounds: int = 5) -> list[Result]:
    """Measure wall(abatch of N) / wall(one request), with the floor and raw SDK."""
    words = " ".join(["word"] * EVENTS)
    with emulator_process(
        "--answer", words, "--text-pieces", str(EVENTS), "--chunk-delay", str(DELAY)
    ) as base_url:
        measured = asyncio.run(_measure(base_url, rounds))
    results = []
    transport = "aiohttp" if aiohttp_available() else "httpx"
    for size, target in SIZES.items():
        one, batch, cpu = measured["omni"][size]
        raw_one, raw_batch, raw_cpu = measured["raw"][size]
        floor = ""
        if "floor" in measured:
            floor_one, floor_batch, _ = measured["floor"][size]
            floor = f"; floor (bare aiohttp) {floor_batch / floor_one:.2f}"
        results.append(
            Result(
                f"abatch({size}) / one request",
                batch / one,
                target,
                f"one {one * 1000:.0f} ms, {size} in {batch * 1000:.0f} ms, "
                f"{cpu:.1f} ms CPU/request ({transport}); raw SDK gather "
                f"{raw_batch / raw_one:.2f} at {raw_cpu:.1f} ms CPU/request{floor}",
            )
        )
    return results


if __name__ == "__main__":
    print(table(run()))
