"""LangChain's `InMemoryRateLimiter` with ChatQwenOmni, measured at the emulator.

The gaps are measured between the arrival times the emulator records, so
they are what the API would see, not what the client believes it sent.
"""

from typing import Any

import numpy as np
from langchain_core.rate_limiters import InMemoryRateLimiter

from langchain_qwen_omni import ChatQwenOmni
from langchain_qwen_omni.emulator import Fault, OmniEmulator

RATE = 10.0
"""Requests per second: one every 100 ms."""
SPACING = 1 / RATE
JITTER = 0.05
"""How much later than its slot the first request may arrive (threads, loops)."""


def limiter() -> InMemoryRateLimiter:
    # A bucket of one token: no bursts, every request waits for its slot.
    return InMemoryRateLimiter(
        requests_per_second=RATE, check_every_n_seconds=0.005, max_bucket_size=1
    )


def model(emu: OmniEmulator, rate_limiter: InMemoryRateLimiter, **kwargs: Any) -> Any:
    """A model whose SDK clients are ready, so no request waits for their set-up."""
    chat = ChatQwenOmni(
        base_url=emu.base_url, api_key="sk-limits", rate_limiter=rate_limiter, **kwargs
    )
    chat.invoke("warm up")
    assert chat._async_client is not None  # built on first use: build it now
    emu.clear()
    return chat


def gaps(emu: OmniEmulator) -> np.ndarray:
    return np.diff(sorted(r.received_at for r in emu.requests))


def assert_spaced(emu: OmniEmulator, count: int) -> None:
    """Request i arrives no earlier than i slots after the first.

    Compared from the first arrival rather than gap by gap: a request that
    reaches the server late (threads, a busy machine) shortens the next gap
    without any slot being taken early.
    """
    assert len(emu.requests) == count
    arrivals = np.array(sorted(r.received_at for r in emu.requests))
    offsets = arrivals - arrivals[0]
    slots = np.arange(count) * SPACING
    assert (offsets >= slots - JITTER).all(), offsets
    assert offsets[-1] < slots[-1] * 3, offsets


def test_batch_requests_are_spaced(emu: OmniEmulator) -> None:
    chat = model(emu, limiter())
    results = chat.batch([f"call {i}" for i in range(5)], config={"max_concurrency": 5})
    assert [f"'call {i}'" in r.text for i, r in enumerate(results)] == [True] * 5
    assert_spaced(emu, 5)


async def test_abatch_requests_are_spaced(emu: OmniEmulator) -> None:
    chat = model(emu, limiter())
    results = await chat.abatch([f"call {i}" for i in range(5)])
    assert all(f"'call {i}'" in r.text for i, r in enumerate(results))
    assert_spaced(emu, 5)


async def test_streams_are_spaced(emu: OmniEmulator) -> None:
    chat = model(emu, limiter())
    for i in range(2):
        assert "".join([c.text for c in chat.stream(f"sync {i}")])
    for i in range(3):
        assert "".join([c.text async for c in chat.astream(f"async {i}")])
    assert_spaced(emu, 5)


async def test_one_limiter_shared_by_models_spaces_them_together(
    emu: OmniEmulator,
) -> None:
    shared = limiter()
    text = model(emu, shared)
    speech = model(emu, shared, modalities=["text", "audio"])
    await text.abatch(["t1", "t2", "t3"])
    await speech.abatch(["s1", "s2"])
    assert_spaced(emu, 5)


def test_sdk_retries_of_one_call_are_not_rate_limited(emu: OmniEmulator) -> None:
    # The limiter grants one slot per call; the SDK's retries of that call
    # follow Retry-After instead. Documented in the README.
    chat = model(emu, limiter(), max_retries=2)
    emu.inject(Fault.rate_limit(retry_after=0.01), times=2)
    assert "'once'" in chat.invoke("once").text
    assert len(emu.requests) == 3
    assert gaps(emu).max() < SPACING / 2
