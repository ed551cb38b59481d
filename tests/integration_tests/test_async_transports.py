"""The async client behaves the same on the SDK's aiohttp and httpx transports.

With `aiohttp` installed the async client sends through it (half the CPU
per request); without, through httpx. Answers, speech, retries, timeouts and
errors must not depend on which one a user happens to have.
"""

from typing import Any

import openai
import pytest

from langchain_qwen_omni import ChatQwenOmni, OmniAudio, OmniStreamError, _clients
from langchain_qwen_omni.emulator import Fault, OmniEmulator


@pytest.fixture(params=["aiohttp", "httpx"])
def transport(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "aiohttp":
        pytest.importorskip("aiohttp")
    else:
        monkeypatch.setattr(_clients, "aiohttp_available", lambda: False)
    return str(request.param)


@pytest.fixture
def fast_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("openai._base_client.INITIAL_RETRY_DELAY", 0.01)


def model(emu: OmniEmulator, **kwargs: Any) -> ChatQwenOmni:
    return ChatQwenOmni(
        base_url=emu.base_url,
        api_key="sk-transport",
        modalities=["text", "audio"],
        **kwargs,
    )


async def test_speech_arrives_whole(transport: str, emu: OmniEmulator) -> None:
    speaker = model(emu)
    client = speaker._async_client
    assert (type(client._client._transport).__name__ == "AiohttpTransport") is (
        transport == "aiohttp"
    )
    message = await speaker.ainvoke("hello over " + transport)
    chunks = [c async for c in speaker.astream("hello over " + transport)]
    assert OmniAudio.from_message(message).pcm == OmniAudio.from_chunks(chunks).pcm
    assert OmniAudio.from_message(message).duration > 0.4
    assert f"hello over {transport}" in message.text


async def test_rate_limit_is_retried(
    transport: str, emu: OmniEmulator, fast_backoff: None
) -> None:
    emu.inject(Fault.rate_limit(retry_after=0.01), times=1)
    message = await model(emu, max_retries=1).ainvoke("retried")
    assert "retried" in message.text
    assert len(emu.requests) == 2


async def test_errors_keep_their_types(transport: str, emu: OmniEmulator) -> None:
    emu.inject(Fault.unauthorized(), times=1)
    with pytest.raises(openai.AuthenticationError):
        await model(emu, max_retries=0).ainvoke("who am I")

    emu.inject(Fault.cut(9), times=1)
    with pytest.raises(OmniStreamError) as info:
        await model(emu, max_retries=0).ainvoke("Say something long enough to cut")
    assert info.value.partial.text
    assert OmniAudio.from_message(info.value.partial).pcm


async def test_read_timeout_breaks_the_stream(
    transport: str, emu: OmniEmulator
) -> None:
    emu.inject(Fault.slow(chunk_delay=0.6), times=1)
    with pytest.raises((OmniStreamError, openai.APITimeoutError)):
        await model(emu, max_retries=0, timeout=0.2).ainvoke("slow")


async def test_reset_connection_is_a_connection_error(
    transport: str, emu: OmniEmulator
) -> None:
    """aiohttp's mapping in the SDK calls a reset a timeout: both are this type."""
    emu.inject(Fault.reset(), times=1)
    with pytest.raises(openai.APIConnectionError):
        await model(emu, max_retries=0).ainvoke("reset")
