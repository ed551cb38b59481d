"""Running the emulator: in a background thread for tests, or in the foreground.

The listening socket is bound here, before uvicorn starts, so that port 0
gets a free port with no race between picking it and using it, and so the
port is known as soon as `start()` returns.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import ipaddress
import socket
import sys
import threading
import time
from typing import TYPE_CHECKING, Any

import uvicorn

from langchain_qwen_omni.emulator.app import RecordedRequest, RequestLog, create_app
from langchain_qwen_omni.emulator.options import EmulatorOptions, check_options
from langchain_qwen_omni.emulator.script import Answer

if TYPE_CHECKING:
    from collections.abc import Iterable
    from types import TracebackType

    from starlette.applications import Starlette
    from typing_extensions import Self

    from langchain_qwen_omni.emulator.faults import Fault, FaultPlan
    from langchain_qwen_omni.emulator.realtime_options import RealtimeState
    from langchain_qwen_omni.emulator.script import Script

__all__ = ["OmniEmulator", "banner", "serve"]

API_PREFIX = "/compatible-mode/v1"
VLLM_API_PREFIX = "/v1"
"""Where a vLLM server (and the emulator's `vllm-omni` dialect) serves."""
_BACKLOG = 2048
_SHUTDOWN_GRACE_SECONDS = 2
_WILDCARDS = frozenset({"", "0.0.0.0", "::"})  # noqa: S104 - naming them, not binding


def _bind(host: str, port: int) -> socket.socket:
    """Bind and listen on a TCP socket; IPv6 when the host has a colon."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP explicitly: asyncio only sets TCP_NODELAY on accepted
    # sockets whose proto says TCP, and without it Nagle's algorithm adds
    # ~40 ms to every response sent in two writes.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(_BACKLOG)
    except OSError:
        sock.close()
        raise
    return sock


def _url_host(host: str) -> str:
    """Host as clients should dial it: wildcards become loopback."""
    if host in ("", "0.0.0.0"):  # noqa: S104 - mapping the wildcard, not binding it
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host else host


def banner(host: str, port: int, prefix: str = API_PREFIX) -> str:
    """The line `serve` prints: the address bound, and the URL to give clients.

    On a wildcard or another non-loopback address the emulator is reachable
    from the network, without authentication, keeping every request it
    receives; the banner says so instead of showing only a loopback URL.
    """
    base_url = f"http://{_url_host(host)}:{port}{prefix}"
    if _is_loopback(host):
        return f"Qwen-Omni emulator listening on {base_url}"
    bound = f"[{host}]:{port}" if ":" in host else f"{host or '0.0.0.0'}:{port}"  # noqa: S104 - naming it, not binding it
    wildcard = host in _WILDCARDS
    where = "every interface" if wildcard else "a network interface"
    reach = "from this machine" if wildcard else "base URL"
    return (
        f"Qwen-Omni emulator listening on {bound} ({where}: no authentication, "
        f"every request kept in memory); {reach}: {base_url}"
    )


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # a name
        return host == "localhost"


class _Server(uvicorn.Server):
    """uvicorn's server, telling the app first when it starts shutting down."""

    def __init__(self, config: uvicorn.Config, app: Starlette) -> None:
        super().__init__(config)
        self._app = app

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        """Flag the app as closing (also on Ctrl+C), then shut down as usual."""
        self._app.state.closing = True
        await super().shutdown(sockets)


def _uvicorn_server(app: Starlette, log_level: str) -> uvicorn.Server:
    config = uvicorn.Config(
        app,
        log_level=log_level,
        access_log=False,
        lifespan="off",
        # the realtime endpoint needs WebSockets (the `websockets` package)
        ws="websockets-sansio" if importlib.util.find_spec("websockets") else "none",
        timeout_graceful_shutdown=_SHUTDOWN_GRACE_SECONDS,
    )
    return _Server(config, app)


class OmniEmulator:
    """A local, Omni-compatible HTTP server running in a background thread.

    Example:
        ```python
        with OmniEmulator(transcript_mode="transcript") as emu:
            chat = ChatQwenOmni(base_url=emu.base_url, api_key="x")
            chat.invoke("hi")
            assert emu.requests[-1].body["stream"] is True
        ```

    Scripted answers make an agent's path deterministic:

        ```python
        script = [Answer.tool_call("add", {"a": 3, "b": 4}), Answer.text("7")]
        with OmniEmulator(script=script) as emu:
            ...  # the first request gets the call, the second the text
            assert not emu.script.pending
        ```
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        script: Iterable[Answer | str] = (),
        **options: Any,
    ) -> None:
        """Prepare the server; nothing listens until `start()`.

        Args:
            host: Interface to bind; loopback by default.
            port: TCP port; 0 picks a free one (see `port` after `start()`).
            script: Answers for the next chat requests, in order (`Answer`s,
                or strs for text answers); see `enqueue`.
            **options: Fields of `EmulatorOptions`, e.g. `chunk_delay=0.01`.

        Raises:
            TypeError: For an unknown option name, or a script entry that is
                not an `Answer` or a str.
            ValueError: For an option value that cannot work.
        """
        self.host = host
        self._requested_port = port
        self._request_log = RequestLog()
        if isinstance(script, (str, Answer)):  # one answer, not an iterable of them
            script = [script]
        settings = EmulatorOptions(**options)
        settings.script.add(*script)
        self.app = create_app(settings, request_log=self._request_log)
        self._socket: socket.socket | None = None
        self._port: int | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    # --- options and records ---

    @property
    def options(self) -> EmulatorOptions:
        """The live settings; attribute changes apply from the next request."""
        options: EmulatorOptions = self.app.state.options
        return options

    @options.setter
    def options(self, options: EmulatorOptions) -> None:
        self.app.state.options = options

    def configure(self, **changes: Any) -> EmulatorOptions:
        """Change several options at once, checked together, and return them.

        Raises:
            TypeError: For an unknown option name.
            ValueError: For a value that cannot work; nothing is changed then.
        """
        updated = dataclasses.replace(self.options, **changes)
        check_options(updated)
        for name, value in changes.items():
            setattr(self.options, name, value)
        return self.options

    def inject(
        self, fault: Fault, *, times: int | None = 1, match: str | None = None
    ) -> None:
        """Make the next `times` matching requests fail with `fault`.

        Example: `emu.inject(Fault.rate_limit(retry_after=0.1), times=2)`
        answers two 429s, then serves normally. Faults queue in order;
        `faults.clear()` drops them, and so does setting fresh `options`.

        Args:
            fault: What goes wrong (see `Fault`'s constructors).
            times: How many requests it hits; `None` hits every one.
            match: Only requests whose JSON body contains this text (e.g. a
                marker in the prompt), to aim at one of concurrent calls.
        """
        self.options.faults.add(fault, times=times, match=match)

    def enqueue(self, *answers: Answer | str, match: str | None = None) -> None:
        """Queue answers for the next chat requests, after those already queued.

        Each request takes the next answer, in order: `Answer.text(...)`,
        `Answer.tool_call(name, {...})`, `Answer.json({...})`,
        `Answer.spoken(...)` (a str is a text answer). Requests that find
        the queue empty get the emulator's rule-based answers. A request
        that contradicts its answer (a tool it does not bind, speech it did
        not ask for) gets a 400 saying so. `script.clear()` drops them, and
        so does setting fresh `options`.

        Args:
            *answers: The answers, in the order requests take them.
            match: Only requests whose JSON body contains this text (e.g. a
                marker in the prompt) take these answers.

        Raises:
            TypeError: For an entry that is not an `Answer` or a str.
        """
        self.options.script.add(*answers, match=match)

    @property
    def script(self) -> Script:
        """The queue of scripted answers: `pending`, `used`, `add()`, `clear()`."""
        return self.options.script

    @property
    def faults(self) -> FaultPlan:
        """The queue of injected faults: `pending`, `fired`, `clear()`."""
        return self.options.faults

    @property
    def realtime(self) -> RealtimeState:
        """The realtime endpoint: its `options`, recorded `sessions`, `reset()`."""
        state: RealtimeState = self.app.state.realtime
        return state

    @property
    def requests(self) -> list[RecordedRequest]:
        """Chat requests received so far, oldest first (a copy)."""
        return self._request_log.snapshot()

    def clear(self) -> None:
        """Forget the recorded requests, e.g. between tests sharing a server."""
        self._request_log.clear()

    # --- addresses ---

    @property
    def port(self) -> int:
        """The TCP port listened on (kept after `stop()`; reused by a restart).

        Raises:
            RuntimeError: Before the first `start()`, when port 0 is unresolved.
        """
        if self._port is None:
            msg = "OmniEmulator has not started: call start() first"
            raise RuntimeError(msg)
        return self._port

    @property
    def url(self) -> str:
        """The server's root URL, e.g. `http://127.0.0.1:8000`."""
        return f"http://{_url_host(self.host)}:{self.port}"

    @property
    def base_url(self) -> str:
        """The OpenAI-compatible base URL to give clients (`/v1` for vLLM-Omni)."""
        vllm = self.options.dialect == "vllm-omni"
        return self.url + (VLLM_API_PREFIX if vllm else API_PREFIX)

    @property
    def running(self) -> bool:
        """Whether the server thread is alive."""
        return self._thread is not None and self._thread.is_alive()

    # --- lifecycle ---

    def start(self, timeout: float = 10.0) -> Self:
        """Start serving and return once connections are accepted.

        Raises:
            RuntimeError: When already running, or when the server fails to
                start within `timeout` seconds.
            OSError: When the address cannot be bound.
        """
        if self.running:
            msg = "OmniEmulator is already running"
            raise RuntimeError(msg)
        self._socket = _bind(self.host, self._port or self._requested_port)
        self._port = int(self._socket.getsockname()[1])
        self.app.state.closing = False
        server = _uvicorn_server(self.app, "warning")
        self._server = server
        self._thread = threading.Thread(
            target=server.run,
            kwargs={"sockets": [self._socket]},
            name=f"OmniEmulator:{self.port}",
            daemon=True,
        )
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                msg = "OmniEmulator failed to start"
                raise RuntimeError(msg)
            time.sleep(0.005)
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Stop serving and join the server thread; safe to call twice."""
        server, thread = self._server, self._thread
        self.app.state.closing = True  # delayed streams abort instead of lingering
        if server is not None:
            server.should_exit = True
        if thread is not None:
            thread.join(timeout)
            if thread.is_alive() and server is not None:
                server.force_exit = True
                thread.join(timeout)
        if self._socket is not None:
            self._socket.close()  # uvicorn closes it too; this covers failed starts
        self._socket = None
        self._server = None
        self._thread = None

    def __enter__(self) -> Self:
        """Start the server for the `with` block."""
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Stop the server when the `with` block ends."""
        self.stop()

    def __repr__(self) -> str:
        """Show where the emulator listens, when it does."""
        where = self.base_url if self.running else "stopped"
        return f"OmniEmulator({where})"


def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    *,
    log_level: str = "info",
    **options: Any,
) -> None:
    """Serve in the foreground until interrupted (Ctrl+C), printing the base URL.

    Args:
        host: Interface to bind.
        port: TCP port; 0 picks a free one (printed).
        log_level: uvicorn's log level.
        **options: Fields of `EmulatorOptions`.
    """
    settings = EmulatorOptions(**options)
    app = create_app(settings)
    sock = _bind(host, port)
    actual_port = sock.getsockname()[1]
    prefix = VLLM_API_PREFIX if settings.dialect == "vllm-omni" else API_PREFIX
    sys.stdout.write(banner(host, actual_port, prefix) + "\n")
    sys.stdout.flush()
    try:
        _uvicorn_server(app, log_level).run(sockets=[sock])
    finally:
        sock.close()
