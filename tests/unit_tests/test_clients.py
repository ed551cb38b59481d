"""SDK clients: shared per configuration (and event loop), built off the loop."""

import asyncio
import gc
import threading
import weakref
from typing import Any

import pytest
from langchain_core.messages import BaseMessage, HumanMessage

from langchain_qwen_omni import ChatQwenOmni, _clients

KEY = "sk-test"


def test_models_with_one_configuration_share_one_sync_client() -> None:
    first = ChatQwenOmni(api_key=KEY, base_url="http://127.0.0.1:9/v1")
    second = ChatQwenOmni(api_key=KEY, base_url="http://127.0.0.1:9/v1", voice="Ethan")
    other_key = ChatQwenOmni(api_key="sk-other", base_url="http://127.0.0.1:9/v1")
    other_timeout = ChatQwenOmni(
        api_key=KEY, base_url="http://127.0.0.1:9/v1", timeout=3
    )
    assert first._client is second._client
    assert first.model_copy()._client is first._client
    assert other_key._client is not first._client
    assert other_timeout._client is not first._client
    assert other_timeout._client.timeout == 3


def test_headers_are_part_of_the_configuration() -> None:
    base: dict[str, Any] = {"api_key": KEY, "base_url": "http://127.0.0.1:9/v1"}
    plain = ChatQwenOmni(**base)
    tagged = ChatQwenOmni(**base, default_headers={"X-Team": "a"})
    same = ChatQwenOmni(**base, default_headers={"X-Team": "a"})
    assert tagged._client is same._client
    assert tagged._client is not plain._client


def test_async_clients_are_per_event_loop() -> None:
    model = ChatQwenOmni(api_key=KEY, base_url="http://127.0.0.1:9/v1")

    async def client() -> Any:
        return model._async_client

    loop_a, loop_b = asyncio.new_event_loop(), asyncio.new_event_loop()
    try:
        in_a = loop_a.run_until_complete(client())
        assert loop_a.run_until_complete(client()) is in_a
        assert (
            ChatQwenOmni(
                api_key=KEY, base_url="http://127.0.0.1:9/v1"
            )._async_client_in(loop_a)
            is in_a
        )
        assert loop_b.run_until_complete(client()) is not in_a
    finally:
        loop_a.close()
        loop_b.close()


def test_the_async_client_is_built_in_the_worker_thread(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Building a client loads TLS certificates: never on the event loop."""
    built_in: list[threading.Thread] = []
    make = _clients.make_async_client

    def recording(params: dict[str, Any]) -> Any:
        built_in.append(threading.current_thread())
        return make(params)

    monkeypatch.setattr(_clients, "make_async_client", recording)
    # a configuration no other test uses, so the client is built here
    model = ChatQwenOmni(api_key="sk-worker-thread", base_url="http://127.0.0.1:9/v1")

    async def prepare() -> tuple[threading.Thread, Any]:
        loop = asyncio.get_running_loop()
        messages: list[BaseMessage] = [HumanMessage("hi")]
        _, _, client = await loop.run_in_executor(
            None, model._prepare_async, loop, messages, None
        )
        return threading.current_thread(), client

    loop_thread, client = asyncio.run(prepare())
    assert built_in
    assert loop_thread not in built_in
    assert client is not None


def test_async_clients_close_when_their_loop_shuts_down() -> None:
    model = ChatQwenOmni(api_key="sk-closing", base_url="http://127.0.0.1:9/v1")
    closed: list[bool] = []

    async def use() -> Any:
        loop = asyncio.get_running_loop()
        client = await loop.run_in_executor(None, model._async_client_in, loop)
        original = client.close

        async def close() -> None:
            closed.append(True)
            await original()

        client.close = close  # type: ignore[method-assign]
        await asyncio.sleep(0)  # the shutdown hook is registered on the loop
        return client

    asyncio.run(use())
    assert closed == [True]


def test_aiohttp_transport_is_used_when_installed() -> None:
    pytest.importorskip("aiohttp")
    model = ChatQwenOmni(api_key="sk-aiohttp", base_url="http://127.0.0.1:9/v1")
    transport = model._async_client_in(None)._client._transport
    assert type(transport).__name__ == "AiohttpTransport"
    assert type(model._client._client._transport).__name__ == "HTTPTransport"


def test_a_finished_loop_and_its_clients_are_collected() -> None:
    """Clients live with their loop: no table keeps either alive."""
    model = ChatQwenOmni(api_key="sk-collected", base_url="http://127.0.0.1:9/v1")
    seen: list[Any] = []

    async def use() -> None:
        loop = asyncio.get_running_loop()
        client = await loop.run_in_executor(None, model._async_client_in, loop)
        await asyncio.sleep(0)
        seen.extend([weakref.ref(loop), weakref.ref(client)])

    asyncio.run(use())
    gc.collect()
    assert [ref() for ref in seen] == [None, None]
