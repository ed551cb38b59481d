"""The API key never leaves through any channel a user or a tracer can see.

Every test uses a recognizable key, checks that it did reach the server (so
the test could fail), and then looks for it in one channel: reprs, serialized
models, errors, DEBUG logs of every logger, LangSmith parameters, callback
payloads, traces and the command line's output.
"""

import json
import logging
import socket
import traceback
from collections.abc import Iterator
from typing import Any
from uuid import UUID

import openai
import pytest
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.load import dumpd, dumps, loads
from langchain_core.messages import BaseMessage
from langchain_core.tracers.base import BaseTracer
from langchain_core.tracers.schemas import Run
from typer.testing import CliRunner

from langchain_qwen_omni import ChatQwenOmni, DescribeVideoTool, OmniStreamError
from langchain_qwen_omni.cli import app as cli_app
from langchain_qwen_omni.emulator import Fault, OmniEmulator

KEY = "sk-LEAKCHECK-5f1c9a7e3b2d4068"
MARKER = "LEAKCHECK"
"""Found even if a key were cut or partly masked."""

MODES = ["sync", "async"]
LOGGERS = [
    "",  # the root logger
    "openai",
    "openai._base_client",
    "httpx",
    "httpx2",
    "httpcore",
    "httpcore2",
    "langchain_qwen_omni",
    "langchain_core",
    "asyncio",
]


def assert_clean(*channels: object) -> None:
    for channel in channels:
        text = channel if isinstance(channel, str) else repr(channel)
        assert KEY not in text
        assert MARKER not in text


def model(emu: OmniEmulator, **kwargs: Any) -> ChatQwenOmni:
    kwargs.setdefault("max_retries", 0)
    return ChatQwenOmni(base_url=emu.base_url, api_key=KEY, **kwargs)


def key_reached(emu: OmniEmulator) -> None:
    """The key was really sent: the test would see it if it leaked."""
    assert emu.requests[-1].headers["authorization"] == f"Bearer {KEY}"


def error_text(exc: BaseException) -> str:
    """Everything an error shows when printed or logged, causes included."""
    parts = [str(exc), repr(exc), repr(exc.args)]
    parts.extend(traceback.format_exception(type(exc), exc, exc.__traceback__))
    attributes = ("message", "body", "code", "param", "type", "partial")
    parts.extend(repr(getattr(exc, name, None)) for name in attributes)
    return "\n".join(parts)


async def run(chat: ChatQwenOmni, mode: str, prompt: str = "hello") -> BaseException:
    """Invoke and stream, returning the error, or the answer's failure to raise."""
    try:
        if mode == "sync":
            chat.invoke(prompt)
        else:
            await chat.ainvoke(prompt)
    except Exception as exc:  # noqa: BLE001 - returned for inspection
        return exc
    pytest.fail("the call did not fail")


# --- reprs and serialization ----------------------------------------------------


def test_model_repr_str_dump_and_serialization(
    emu: OmniEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    chat = model(emu, modalities=["text", "audio"])
    chat.invoke("warm the clients up")  # private clients exist and hold the key
    key_reached(emu)
    assert chat.api_key is not None
    assert chat.api_key.get_secret_value() == KEY
    serialized = dumps(chat)
    assert_clean(
        repr(chat),
        str(chat),
        chat.model_dump(),
        chat.model_dump_json(),
        serialized,
        dumpd(chat),
        chat.bind_tools([{"type": "function", "function": {"name": "f"}}]),
        chat.with_config(tags=["x"]),
        DescribeVideoTool(llm=chat),
        chat._identifying_params,
        chat.asdict(),
    )
    assert json.loads(serialized)["kwargs"]["api_key"] == {
        "lc": 1,
        "type": "secret",
        "id": ["DASHSCOPE_API_KEY"],
    }
    restored = loads(
        serialized,
        secrets_map={"DASHSCOPE_API_KEY": KEY},
        valid_namespaces=["langchain_qwen_omni"],
        allowed_objects=[ChatQwenOmni],
    )
    assert isinstance(restored, ChatQwenOmni)
    assert restored.api_key is not None
    assert restored.api_key.get_secret_value() == KEY

    monkeypatch.setenv("DASHSCOPE_API_KEY", KEY)
    from_env = ChatQwenOmni(base_url=emu.base_url)
    assert_clean(repr(from_env), str(from_env), dumps(from_env), from_env.model_dump())


# --- errors ---------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
async def test_401_error_hides_the_key(emu: OmniEmulator, mode: str) -> None:
    emu.inject(Fault.unauthorized(), times=None)
    error = await run(model(emu), mode)
    assert isinstance(error, openai.AuthenticationError)
    key_reached(emu)
    assert_clean(error_text(error))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize("mode", MODES)
async def test_connection_error_hides_the_key(mode: str) -> None:
    nowhere = f"http://127.0.0.1:{free_port()}/compatible-mode/v1"
    chat = ChatQwenOmni(base_url=nowhere, api_key=KEY, max_retries=0)
    error = await run(chat, mode)
    assert isinstance(error, openai.APIConnectionError)
    assert_clean(error_text(error))


@pytest.mark.parametrize("mode", MODES)
async def test_stream_and_timeout_errors_hide_the_key(
    emu: OmniEmulator, mode: str
) -> None:
    emu.inject(Fault.cut(3))
    emu.inject(Fault.slow(first_byte_delay=1.0))
    cut = await run(model(emu), mode)
    assert isinstance(cut, OmniStreamError)
    timed_out = await run(model(emu, timeout=0.1), mode)
    assert isinstance(timed_out, openai.APITimeoutError)
    key_reached(emu)
    assert_clean(error_text(cut), error_text(timed_out))


# --- logs -----------------------------------------------------------------------


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """Every record at DEBUG, from the root logger and each client library's."""
    caplog.set_level(logging.DEBUG)
    for name in LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name)
    return caplog


def log_text(caplog: pytest.LogCaptureFixture) -> str:
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    lines = []
    for record in caplog.records:
        lines.append(formatter.format(record))  # message, args and traceback
        lines.append(repr(record.__dict__))  # extras a structured handler would ship
    return "\n".join(lines)


@pytest.mark.parametrize("mode", MODES)
async def test_debug_logs_of_every_logger_hide_the_key(
    emu: OmniEmulator, mode: str, debug_logs: pytest.LogCaptureFixture
) -> None:
    emu.inject(Fault.rate_limit(retry_after=0.01))  # retry logging too
    chat = model(emu, max_retries=1, modalities=["text", "audio"])
    if mode == "sync":
        chat.invoke("logged")
        list(chat.stream("logged"))
    else:
        await chat.ainvoke("logged")
        [c async for c in chat.astream("logged")]
    emu.inject(Fault.unauthorized())
    await run(chat, mode)
    key_reached(emu)
    names = {record.name for record in debug_logs.records}
    assert any(name.startswith("openai") for name in names)  # DEBUG really on
    assert any(name.startswith(("httpx", "httpcore")) for name in names)
    assert_clean(log_text(debug_logs))


def test_openai_log_debug_hides_the_key(
    emu: OmniEmulator,
    monkeypatch: pytest.MonkeyPatch,
    debug_logs: pytest.LogCaptureFixture,
) -> None:
    # What `OPENAI_LOG=debug` does when the SDK is imported, done again here.
    from openai._utils._logs import setup_logging  # noqa: PLC0415

    monkeypatch.setenv("OPENAI_LOG", "debug")
    openai_logger = logging.getLogger("openai")
    monkeypatch.setattr(openai_logger, "level", openai_logger.level)
    setup_logging()
    assert openai_logger.level == logging.DEBUG
    emu.inject(Fault.server_error(500, retry_after=0.01))
    model(emu, max_retries=1).invoke("verbose")
    key_reached(emu)
    assert "Retrying request" in log_text(debug_logs)
    assert_clean(log_text(debug_logs))


# --- LangSmith parameters, callbacks and traces ---------------------------------


class Payloads(BaseCallbackHandler):
    """Keeps the repr of every callback's arguments."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        self.starts = 0

    def on_chat_model_start(
        self,
        serialized: dict[str, Any],
        messages: list[list[BaseMessage]],
        **kwargs: Any,
    ) -> None:
        self.starts += 1
        assert "invocation_params" in kwargs
        assert "metadata" in kwargs
        self.seen.append(repr((serialized, messages, kwargs)))
        self.seen.append(json.dumps([serialized, kwargs], default=repr))

    def on_llm_new_token(self, token: Any, **kwargs: Any) -> None:
        self.seen.append(repr((token, kwargs)))

    def on_llm_end(self, response: Any, **kwargs: Any) -> None:
        self.seen.append(repr((response, kwargs)))

    def on_llm_error(self, error: BaseException, **kwargs: Any) -> None:
        self.seen.append(error_text(error) + repr(kwargs))


class Recorder(BaseTracer):
    """A tracer that keeps every finished run, as LangSmith would receive it."""

    def __init__(self) -> None:
        super().__init__()
        self.runs: list[Run] = []

    def _persist_run(self, run: Run) -> None:
        self.runs.append(run)

    def dumped(self) -> str:
        def walk(run: Run) -> Iterator[Run]:
            yield run
            for child in run.child_runs:
                yield from walk(child)

        everything = [r for top in self.runs for r in walk(top)]
        return "\n".join(
            json.dumps(run.model_dump(), default=repr) + repr(run) for run in everything
        )


def test_langsmith_params_hide_the_key(emu: OmniEmulator) -> None:
    chat = model(emu, temperature=0.2, max_tokens=64, stop=["END"])
    params = chat._get_ls_params()
    assert params["ls_provider"] == "dashscope"
    assert params["ls_model_name"] == "qwen3-omni-flash"
    assert_clean(params, chat._get_ls_params(model="qwen-omni-turbo", stop=["x"]))


@pytest.mark.parametrize("mode", MODES)
async def test_callbacks_and_traces_hide_the_key(emu: OmniEmulator, mode: str) -> None:
    chat = model(emu, modalities=["text", "audio"], temperature=0.1)
    chain = chat.bind(seed=7).with_config(
        metadata={"purpose": "leak check"}, run_name="speaker"
    )
    payloads, recorder = Payloads(), Recorder()
    config: Any = {"callbacks": [payloads, recorder], "tags": ["secret-test"]}
    emu.inject(Fault.unauthorized(), match="rejected")
    if mode == "sync":
        chain.invoke("traced", config=config)
        list(chain.stream("traced", config=config))
        chain.batch(["traced", "rejected"], config=config, return_exceptions=True)
    else:
        await chain.ainvoke("traced", config=config)
        [c async for c in chain.astream("traced", config=config)]
        await chain.abatch(
            ["traced", "rejected"], config=config, return_exceptions=True
        )
    key_reached(emu)
    assert payloads.starts == 4
    assert len(recorder.runs) == 4
    assert any(run.error for run in recorder.runs)  # the rejected call is traced
    assert "ls_provider" in recorder.dumped()  # LangSmith metadata is in the trace
    assert_clean(*payloads.seen, recorder.dumped())


async def test_astream_events_hide_the_key(emu: OmniEmulator) -> None:
    events = [e async for e in model(emu).astream_events("events", version="v2")]
    key_reached(emu)
    assert {e["event"] for e in events} >= {"on_chat_model_start", "on_chat_model_end"}
    assert_clean(json.dumps(events, default=repr), events)


# --- the command line -----------------------------------------------------------


def test_cli_errors_hide_the_key(emu: OmniEmulator) -> None:
    emu.inject(Fault.unauthorized(), times=None)
    result = CliRunner().invoke(
        cli_app,
        ["chat", "hello", "--base-url", emu.base_url],
        env={"DASHSCOPE_API_KEY": KEY},
    )
    assert result.exit_code != 0
    key_reached(emu)
    assert_clean(result.output, error_text(result.exception or Exception()))


def test_the_check_finds_a_nested_key() -> None:
    # The check itself works on nested containers with other objects in them.
    with pytest.raises(AssertionError):
        assert_clean({"run": [UUID(int=1), {"headers": {"authorization": KEY}}]})
