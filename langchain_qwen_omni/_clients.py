"""The openai SDK clients `ChatQwenOmni` sends its requests through.

The SDK is imported on first use: importing it takes longer than the rest of
this package together, and code that only builds chains, binds tools or
reads profiles never needs it.

Clients are shared: every model with the same configuration (key, endpoint,
retries, timeout, headers) uses one sync client, and one async client per
event loop, so their connection pools are reused across model instances
(agents and chains copy models freely). An async client belongs to the loop
it first ran in (its pooled connections do), hence one per loop, closed when
the loop shuts down its async generators (as `asyncio.run` does); it is
built by the worker thread that prepares the request, because building one
loads TLS certificates for tens of milliseconds, which must not stall the
loop.

With `aiohttp` installed (`pip install "langchain-qwen-omni[aiohttp]"`), the
async client sends through the SDK's aiohttp transport: it spends half the
CPU per request of the default httpx transport, whose connection pool scans
every connection on each request and response, so many concurrent streams
(`abatch`, servers) scale better. Errors, retries and timeouts stay the SDK's.
"""

from __future__ import annotations

import collections
import contextlib
import importlib
import importlib.util
import threading
import weakref
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import asyncio
    from collections.abc import AsyncGenerator, Callable, Hashable

__all__ = [
    "async_client_for",
    "make_async_client",
    "make_sync_client",
    "openai_module",
    "sync_client_for",
]

_MAX_CONFIGS = 32
"""Clients kept per kind (and loop): more distinct configurations than this
in one process evict the least recently used, which models still holding it
keep alive."""


def openai_module() -> Any:
    """The openai SDK module, imported on first use."""
    return importlib.import_module("openai")


def make_sync_client(params: dict[str, Any]) -> Any:
    """An `openai.OpenAI` client for `params` (key, base URL, retries, timeout)."""
    return openai_module().OpenAI(**params)


_ASYNC_FIRST_USE = ("anyio._backends._asyncio",)
"""Modules the SDK imports on the event loop the first time it sends a request:
imported here, with the client, in the worker thread instead."""


def make_async_client(params: dict[str, Any]) -> Any:
    """An `openai.AsyncOpenAI` client for `params`, on aiohttp when installed."""
    openai = openai_module()
    for module in _ASYNC_FIRST_USE:
        with contextlib.suppress(ImportError):
            importlib.import_module(module)
    if aiohttp_available():
        return openai.AsyncOpenAI(**params, http_client=openai.DefaultAioHttpClient())
    return openai.AsyncOpenAI(**params)


def aiohttp_available() -> bool:
    """Whether the SDK has an aiohttp transport and aiohttp is installed."""
    return (
        hasattr(openai_module(), "DefaultAioHttpClient")
        and importlib.util.find_spec("aiohttp") is not None
    )


def _key(params: dict[str, Any]) -> Hashable:
    """A hashable identity of a configuration (headers as sorted pairs)."""
    return tuple(
        sorted(
            (name, tuple(sorted(value.items())) if isinstance(value, dict) else value)
            for name, value in params.items()
        )
    )


class _Shared:
    """Clients by configuration, least recently used evicted past a bound."""

    def __init__(self, make: Callable[[dict[str, Any]], Any]) -> None:
        self._make = make
        self._clients: collections.OrderedDict[Hashable, Any] = (
            collections.OrderedDict()
        )
        self._closers: list[object] = []  # keeps the shutdown hooks alive

    def get(
        self, params: dict[str, Any], loop: asyncio.AbstractEventLoop | None = None
    ) -> Any:
        """The client for `params`, built if need be (and closed with `loop`)."""
        key = _key(params)
        client = self._clients.get(key)
        if client is None:
            client = self._clients[key] = self._make(params)
            if loop is not None:
                loop.call_soon_threadsafe(self._close_at_shutdown, key, client)
            if len(self._clients) > _MAX_CONFIGS:
                self._clients.popitem(last=False)
        else:
            self._clients.move_to_end(key)
        return client

    def _close_at_shutdown(self, key: Hashable, client: Any) -> None:
        """On the loop: have the loop close `client` when it shuts down.

        `loop.shutdown_asyncgens()` (run by `asyncio.run`) closes every
        started async generator of the loop; this one, started right here
        without a task, then closes the client (its connections, aiohttp's
        session) and forgets it.
        """
        closer = _closer(self._clients, key, client)
        with contextlib.suppress(StopIteration):  # suspended at its `yield`
            closer.asend(None).send(None)
        self._closers.append(closer)


async def _closer(
    clients: dict[Hashable, Any], key: Hashable, client: Any
) -> AsyncGenerator[None, None]:
    try:
        yield
    finally:
        if clients.get(key) is client:
            del clients[key]
        await client.close()


_lock = threading.Lock()  # building a client takes long: one builder at a time
_sync = _Shared(make_sync_client)
_async_without_loop = _Shared(make_async_client)
_LOOP_ATTRIBUTE = "_langchain_qwen_omni_clients"
# Loops that take no attributes (uvloop's): clients without the shutdown hook,
# which would keep the loop alive from this module-level table.
_async_elsewhere: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Shared] = (
    weakref.WeakKeyDictionary()
)


def sync_client_for(params: dict[str, Any]) -> Any:
    """The shared `openai.OpenAI` client for this configuration."""
    with _lock:
        return _sync.get(params)


def async_client_for(
    params: dict[str, Any], loop: asyncio.AbstractEventLoop | None
) -> Any:
    """The shared `openai.AsyncOpenAI` client for this configuration and loop.

    Call it from a worker thread where it may have to build the client. The
    loop holds its own clients (and they hold it, through their shutdown
    hook), so a finished loop and its clients are collected together.
    """
    with _lock:
        if loop is None:
            return _async_without_loop.get(params)
        shared: _Shared | None = getattr(loop, _LOOP_ATTRIBUTE, None)
        if shared is not None:
            return shared.get(params, loop)
        shared = _Shared(make_async_client)
        try:
            setattr(loop, _LOOP_ATTRIBUTE, shared)
        except AttributeError:
            shared = _async_elsewhere.setdefault(loop, shared)
            return shared.get(params)
        return shared.get(params, loop)
