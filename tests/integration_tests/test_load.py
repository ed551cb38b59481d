"""200 concurrent `astream` calls, one in ten with a fault: nothing hangs or leaks.

Every call must end, within a bound, in the outcome its fault calls for: a
full answer (no fault, or one the SDK retries away), or a typed error
(`OmniStreamError` carrying the text received so far, or the SDK's own
error). Afterwards the client's connection pool holds no busy connection.
Run with `-s` to see the figures.
"""

import asyncio
import collections
import random
import time
from dataclasses import dataclass
from typing import Any

import openai
import pytest
from langchain_core.messages import AIMessageChunk

from langchain_qwen_omni import ChatQwenOmni, OmniAudio, OmniStreamError
from langchain_qwen_omni.emulator import Fault, OmniEmulator

CALLS = 200
FAULT_SHARE = 0.10
CALL_BOUND_SECONDS = 15.0
"""No call may take longer: a hung stream fails the test instead of blocking it."""
READ_TIMEOUT = 1.0


@dataclass(frozen=True)
class Planned:
    """A fault, how many tries it hits (`None`: all), and what the caller sees."""

    fault: Fault
    times: int | None
    expect: type[BaseException] | None  # None: a full answer


def fault_mix(rng: random.Random, count: int) -> list[Planned]:
    """`count` faults, every kind at least twice, in random order."""
    menu = [
        lambda: Planned(Fault.rate_limit(retry_after=0.05), 1, None),
        lambda: Planned(Fault.server_error(503, retry_after=0.05), 1, None),
        lambda: Planned(Fault.reset(), 1, None),
        lambda: Planned(Fault.server_error(500), None, openai.InternalServerError),
        lambda: Planned(Fault.unauthorized(), None, openai.AuthenticationError),
        lambda: Planned(Fault.cut(rng.randint(0, 20)), 1, OmniStreamError),
        lambda: Planned(Fault.malformed(rng.randint(1, 20)), 1, OmniStreamError),
        lambda: Planned(Fault.slow(chunk_delay=3 * READ_TIMEOUT), 1, OmniStreamError),
    ]
    picks = [menu[i % len(menu)]() for i in range(count)]
    rng.shuffle(picks)
    return picks


@dataclass
class Outcome:
    index: int
    chunks: list[AIMessageChunk]
    error: BaseException | None


async def one_call(chat: ChatQwenOmni, index: int) -> Outcome:
    chunks: list[AIMessageChunk] = []

    async def consume() -> None:
        async for chunk in chat.astream(prompt(index)):
            chunks.append(chunk)  # noqa: PERF401 - kept one by one, for errors

    try:
        await asyncio.wait_for(consume(), CALL_BOUND_SECONDS)
    except Exception as exc:  # noqa: BLE001 - classified by the test
        return Outcome(index, chunks, exc)
    return Outcome(index, chunks, None)


def prompt(index: int) -> str:
    return f"load call {index:03d}"


def busy_connections(chat: ChatQwenOmni) -> list[Any]:
    """Connections of the async client's pool that are neither idle nor closed.

    The client sends through aiohttp when it is installed, else through httpx.
    """
    transport: Any = chat._async_client._client._transport
    if hasattr(transport, "_pool"):  # httpx
        pool = transport._pool
        return [c for c in pool.connections if not (c.is_idle() or c.is_closed())]
    session = transport.client  # aiohttp: its session, once a request was sent
    return list(session.connector._acquired) if session is not None else []


async def stray_tasks() -> list[asyncio.Task[Any]]:
    """Tasks other than this one still running after a short grace.

    The grace lets the event loop finish closing async generators that were
    garbage-collected (it schedules their `aclose()` as tasks); a hung call
    would still be running.
    """
    for _ in range(50):
        others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        if not others:
            break
        await asyncio.sleep(0.01)
    return others


@pytest.fixture
def fast_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """The SDK's backoff without Retry-After (after a reset) shrunk to 10 ms."""
    monkeypatch.setattr("openai._base_client.INITIAL_RETRY_DELAY", 0.01)


async def test_200_concurrent_streams_with_faults(
    emu: OmniEmulator, fast_backoff: None
) -> None:
    rng = random.Random(8)  # noqa: S311 - a repeatable scenario, not a secret
    faulted = sorted(rng.sample(range(CALLS), int(CALLS * FAULT_SHARE)))
    plan = dict(zip(faulted, fault_mix(rng, len(faulted)), strict=True))
    for index, planned in plan.items():
        emu.inject(planned.fault, times=planned.times, match=prompt(index))
    speaking = {i for i in range(CALLS) if i % 5 == 0}
    text = ChatQwenOmni(
        base_url=emu.base_url, api_key="k", max_retries=1, timeout=READ_TIMEOUT
    )
    speech = text.model_copy(update={"modalities": ["text", "audio"]})

    start = time.perf_counter()
    outcomes = await asyncio.gather(
        *(one_call(speech if i in speaking else text, i) for i in range(CALLS))
    )
    wall = time.perf_counter() - start

    tally: collections.Counter[str] = collections.Counter()
    for outcome in outcomes:
        fault = plan.get(outcome.index)
        expected = fault.expect if fault else None
        tally[check(outcome, expected, speaking=outcome.index in speaking)] += 1
    assert sum(tally.values()) == CALLS
    assert busy_connections(text) == []
    assert busy_connections(speech) == []
    assert await stray_tasks() == []
    assert emu.faults.pending == sum(p.times is None for p in plan.values())
    kinds = collections.Counter(p.fault.kind for p in plan.values())
    print(  # noqa: T201 - the figures, shown with -s
        f"\n{CALLS} concurrent astream calls, {len(plan)} with faults "
        f"{dict(sorted(kinds.items()))}: outcomes {dict(sorted(tally.items()))}, "
        f"{len(emu.requests)} requests, wall {wall:.2f} s"
    )
    assert wall < 20


def check(
    outcome: Outcome, expected: type[BaseException] | None, *, speaking: bool
) -> str:
    """Assert the call ended as its fault calls for; name the outcome."""
    marker = f"'{prompt(outcome.index)}'"
    if expected is None:
        assert outcome.error is None, (outcome.index, outcome.error)
        total = sum(outcome.chunks[1:], outcome.chunks[0])
        assert marker in total.text
        assert total.response_metadata["finish_reason"] == "stop"
        if speaking:
            assert OmniAudio.from_chunks(outcome.chunks).duration > 0.4
        return "answer"
    assert isinstance(outcome.error, expected), (outcome.index, outcome.error)
    if isinstance(outcome.error, OmniStreamError):
        received = "".join(c.text for c in outcome.chunks)
        assert outcome.error.partial.text.startswith(received)
    return type(outcome.error).__name__
