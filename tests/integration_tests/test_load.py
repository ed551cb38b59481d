"""200 concurrent `astream` calls, one in five with a fault: nothing hangs or leaks.

Every call must end, within a bound, in the outcome its fault calls for: a
full answer (no fault, or one retried away: by the SDK before the answer, or
by the package for a break before the first event or an in-band rate limit
before any content), or a typed error (`OmniStreamError` or the service's
`OmniAPIError` carrying the text received so far, or the SDK's own error).
Afterwards the clients' connection pools hold no busy connection and no
task is left running. Run with `-s` to see the figures.

Determinism: a fault that must end in an error hits every try of its call
(`times=None`). On a loaded machine a try can time out before its response
headers even though the server took the fault; the SDK then retries, and a
fault that hit only the first try (`times=1`) let the retry answer in full.
That was the flake seen once: a call planned to fail with `OmniStreamError`
got a full answer. Faults meant to be retried away hit one try, and
`max_retries=2` leaves a spare retry for such a timeout.
"""

import asyncio
import collections
import random
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import openai
import pytest
from langchain_core.messages import AIMessageChunk

from langchain_qwen_omni import (
    ChatQwenOmni,
    OmniAPIError,
    OmniAudio,
    OmniContentFilterError,
    OmniRateLimitError,
    OmniStreamError,
)
from langchain_qwen_omni.emulator import Fault, OmniEmulator

if TYPE_CHECKING:
    from collections.abc import Callable

CALLS = 200
FAULT_SHARE = 0.20
CALL_BOUND_SECONDS = 20.0
"""No call may take longer: a hung stream fails the test instead of blocking it."""
READ_TIMEOUT = 2.0
"""Long enough that a loaded machine does not time out an unfaulted stream."""
STALL = 3 * READ_TIMEOUT


@dataclass(frozen=True)
class Planned:
    """A fault, how many tries it hits (`None`: all), and what the caller sees."""

    fault: Fault
    times: int | None
    expect: type[BaseException] | None  # None: a full answer


def fault_mix(rng: random.Random, count: int) -> list[Planned]:
    """`count` faults, every kind at least twice, in random order."""
    menu: list[Callable[[], Planned]] = [
        # retried away: they hit one try only
        lambda: Planned(Fault.rate_limit(retry_after=0.05), 1, None),
        lambda: Planned(Fault.server_error(503, retry_after=0.05), 1, None),
        lambda: Planned(Fault.reset(), 1, None),
        lambda: Planned(Fault.cut(0), 1, None),
        lambda: Planned(Fault.stall_before_first_event(STALL), 1, None),
        lambda: Planned(Fault.inband_error(after_events=rng.randint(0, 1)), 1, None),
        # errors: they hit every try
        lambda: Planned(Fault.server_error(500), None, openai.InternalServerError),
        lambda: Planned(Fault.unauthorized(), None, openai.AuthenticationError),
        lambda: Planned(Fault.cut(0), None, openai.APIConnectionError),
        lambda: Planned(
            Fault.stall_before_first_event(STALL), None, openai.APITimeoutError
        ),
        lambda: Planned(Fault.cut(rng.randint(1, 20)), None, OmniStreamError),
        lambda: Planned(Fault.malformed(rng.randint(1, 20)), None, OmniStreamError),
        lambda: Planned(Fault.slow(chunk_delay=STALL), None, OmniStreamError),
        lambda: Planned(
            Fault.inband_error(after_events=rng.randint(3, 15)),
            None,
            OmniRateLimitError,
        ),
        lambda: Planned(Fault.moderation("input"), None, openai.BadRequestError),
        lambda: Planned(
            Fault.moderation("output", rng.randint(3, 15)), None, OmniContentFilterError
        ),
        lambda: Planned(Fault.json_body(), None, OmniAPIError),
        lambda: Planned(Fault.html_body(), None, OmniAPIError),
    ]
    assert count >= 2 * len(menu)
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
    """Both retry layers' backoff without Retry-After shrunk to 10 ms."""
    monkeypatch.setattr("openai._base_client.INITIAL_RETRY_DELAY", 0.01)
    monkeypatch.setattr("langchain_qwen_omni._transport.RETRY_INITIAL_DELAY", 0.01)


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
        base_url=emu.base_url, api_key="k", max_retries=2, timeout=READ_TIMEOUT
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
    assert wall < CALL_BOUND_SECONDS + 5


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
    partial = getattr(outcome.error, "partial", None)
    if isinstance(outcome.error, (OmniStreamError, OmniAPIError)):
        assert partial is not None
        received = "".join(c.text for c in outcome.chunks)
        assert partial.text.startswith(received)
    if expected in (OmniRateLimitError, OmniContentFilterError):
        assert partial is not None
        assert partial.text  # after content: raised with what came
    if expected is openai.BadRequestError:
        assert isinstance(outcome.error, OmniContentFilterError)
        assert outcome.error.side == "input"
    return type(outcome.error).__name__
