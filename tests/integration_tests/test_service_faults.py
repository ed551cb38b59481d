"""The emulator's DashScope-specific faults, met by ChatQwenOmni over loopback.

In-band error frames, moderation of the input and of the output, 200
answers with JSON or HTML bodies, and stalls or closes before the first
event: each through the sync and the async paths, with what was retried
counted in `emu.requests` and the partial checked against the events the
server sent. Also: fault values the emulator refuses, and request bodies
that get a 400 in the documented envelope, never a 500.
"""

import json
import math
import time
from typing import Any

import httpx
import openai
import pytest
from langchain_core.messages import AIMessage

from langchain_qwen_omni import (
    ChatQwenOmni,
    OmniAPIError,
    OmniAudio,
    OmniContentFilterError,
    OmniRateLimitError,
    OmniStreamError,
)
from langchain_qwen_omni.emulator import Fault, OmniEmulator, server
from langchain_qwen_omni.emulator.faults import (
    FAULT_HEADER,
    MAX_DELAY_SECONDS,
    MAX_OVERSIZED_BYTES,
    MODERATION_MESSAGES,
    inband_frame,
)
from langchain_qwen_omni.emulator.server import banner
from tests.integration_tests.test_faults import sent_events, text_and_pcm

MODES = ["sync", "async"]


@pytest.fixture(autouse=True)
def fast_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("openai._base_client.INITIAL_RETRY_DELAY", 0.01)
    monkeypatch.setattr("langchain_qwen_omni._transport.RETRY_INITIAL_DELAY", 0.01)


def model(emu: OmniEmulator, **kwargs: Any) -> ChatQwenOmni:
    kwargs.setdefault("max_retries", 2)
    return ChatQwenOmni(base_url=emu.base_url, api_key="sk-faults", **kwargs)


async def call(
    chat: ChatQwenOmni, mode: str, prompt: str = "Say a long sentence now"
) -> tuple[AIMessage | None, BaseException | None]:
    try:
        message = chat.invoke(prompt) if mode == "sync" else await chat.ainvoke(prompt)
    except Exception as exc:  # noqa: BLE001 - the test inspects it
        return None, exc
    assert isinstance(message, AIMessage)
    return message, None


# --- in-band errors ----------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
async def test_inband_rate_limit_after_content(emu: OmniEmulator, mode: str) -> None:
    emu.inject(Fault.inband_error("Throttling.AllocationQuota", "Quota used up."))
    _, error = await call(model(emu, modalities=["text", "audio"]), mode)
    assert isinstance(error, OmniRateLimitError)
    assert (error.code, error.message, error.status) == (
        "Throttling.AllocationQuota",
        "Quota used up.",
        429,
    )
    assert error.request_id
    assert len(emu.requests) == 1  # content had reached the caller: not retried
    text, pcm = text_and_pcm(sent_events(emu, emu.requests[0].body)[:3])
    assert text
    assert error.partial is not None
    assert error.partial.text == text
    assert OmniAudio.from_message(error.partial).pcm == pcm


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("after_events", [0, 1])  # event 1 is the role-only delta
async def test_inband_rate_limit_before_content_is_retried(
    emu: OmniEmulator, mode: str, after_events: int
) -> None:
    emu.inject(Fault.inband_error(after_events=after_events), times=2)
    message, error = await call(model(emu, max_retries=2), mode, "patience")
    assert error is None
    assert message is not None
    assert "'patience'" in message.text
    assert len(emu.requests) == 3
    assert emu.faults.pending == 0


@pytest.mark.parametrize("mode", MODES)
async def test_other_inband_errors_are_raised_at_once(
    emu: OmniEmulator, mode: str
) -> None:
    emu.inject(Fault.inband_error("InternalError.Algo", "Inference failed.", 0))
    _, error = await call(model(emu), mode)
    assert type(error) is OmniAPIError
    assert (error.code, error.status) == ("InternalError.Algo", 500)
    assert len(emu.requests) == 1


# --- moderation -------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
async def test_input_moderation(emu: OmniEmulator, mode: str) -> None:
    emu.inject(Fault.moderation("input"), times=None)
    _, error = await call(model(emu), mode)
    assert isinstance(error, openai.BadRequestError)
    assert isinstance(error, OmniContentFilterError)
    assert error.side == "input"
    assert error.code == "data_inspection_failed"
    assert error.message == MODERATION_MESSAGES["input"]
    assert error.request_id
    assert len(emu.requests) == 1


@pytest.mark.parametrize("mode", MODES)
async def test_output_moderation(emu: OmniEmulator, mode: str) -> None:
    emu.inject(Fault.moderation("output", after_events=5))
    _, error = await call(model(emu), mode)
    assert isinstance(error, OmniContentFilterError)
    assert not isinstance(error, openai.BadRequestError)
    assert error.side == "output"
    assert error.status == 400
    assert error.partial is not None
    assert len(emu.requests) == 1
    text, _ = text_and_pcm(sent_events(emu, emu.requests[0].body)[:5])
    assert error.partial.text == text
    assert text


def test_input_moderation_body_is_the_documented_one(emu: OmniEmulator) -> None:
    emu.inject(Fault.moderation())
    response = httpx.post(emu.base_url + "/chat/completions", json={})
    assert response.status_code == 400
    body = response.json()
    assert body["error"]["type"] == body["error"]["code"] == "data_inspection_failed"
    assert body["error"]["message"].startswith(
        "<400> InternalError.Algo.DataInspection"
    )
    assert body["id"].startswith("chatcmpl-")
    assert body["request_id"]


def test_inband_frame_is_shaped_like_dashscopes() -> None:
    frame = inband_frame("Throttling.AllocationQuota", "m", 429)
    event, status, data, blank, end = frame.decode().split("\n")
    assert (event, status, blank, end) == ("event:error", ":HTTP_STATUS/429", "", "")
    payload = json.loads(data.removeprefix("data:"))
    assert payload["code"] == "Throttling.AllocationQuota"
    assert payload["message"] == "m"
    assert payload["request_id"]


# --- bodies that are no stream ------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
async def test_json_body(emu: OmniEmulator, mode: str) -> None:
    emu.inject(Fault.json_body())
    _, error = await call(model(emu), mode)
    assert type(error) is OmniAPIError
    assert error.status == 200
    assert error.code == "InternalError"
    assert error.message.startswith("An internal error has occured")
    assert error.request_id
    assert len(emu.requests) == 1


@pytest.mark.parametrize("mode", MODES)
async def test_html_body(emu: OmniEmulator, mode: str) -> None:
    emu.inject(Fault.html_body())
    _, error = await call(model(emu), mode)
    assert type(error) is OmniAPIError
    assert (error.status, error.message) == (200, "502 Bad Gateway")


# --- breaks before the first event ---------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
async def test_stall_before_first_event_is_retried(
    emu: OmniEmulator, mode: str
) -> None:
    emu.inject(Fault.stall_before_first_event(seconds=5))
    start = time.perf_counter()
    message, error = await call(model(emu, timeout=0.3), mode, "stalled")
    assert error is None
    assert message is not None
    assert "'stalled'" in message.text
    assert len(emu.requests) == 2
    assert 0.3 <= time.perf_counter() - start < 3


@pytest.mark.parametrize("mode", MODES)
async def test_stall_before_first_event_runs_out_as_the_sdk_timeout(
    emu: OmniEmulator, mode: str
) -> None:
    emu.inject(Fault.stall_before_first_event(seconds=5), times=None)
    _, error = await call(model(emu, timeout=0.2, max_retries=1), mode)
    assert isinstance(error, openai.APITimeoutError)
    assert len(emu.requests) == 2


@pytest.mark.parametrize("mode", MODES)
async def test_a_stall_shorter_than_the_timeout_is_just_slow(
    emu: OmniEmulator, mode: str
) -> None:
    emu.inject(Fault.stall_before_first_event(seconds=0.3))
    message, error = await call(model(emu, timeout=2), mode, "late")
    assert error is None
    assert message is not None
    assert "'late'" in message.text
    assert len(emu.requests) == 1


@pytest.mark.parametrize("mode", MODES)
async def test_a_close_before_the_first_event_is_retried(
    emu: OmniEmulator, mode: str
) -> None:
    emu.inject(Fault.cut(0))
    message, error = await call(model(emu), mode, "again")
    assert error is None
    assert message is not None
    assert "'again'" in message.text
    assert len(emu.requests) == 2


@pytest.mark.parametrize("mode", MODES)
async def test_closes_before_the_first_event_run_out_as_the_sdk_error(
    emu: OmniEmulator, mode: str
) -> None:
    emu.inject(Fault.cut(0), times=None)
    _, error = await call(model(emu, max_retries=2), mode)
    assert isinstance(error, openai.APIConnectionError)
    assert not isinstance(error, OmniStreamError)
    assert len(emu.requests) == 3


# --- fault values the emulator refuses ------------------------------------------------


@pytest.mark.parametrize(
    "build",
    [
        lambda: Fault.slow(chunk_delay=math.nan),
        lambda: Fault.slow(first_byte_delay=math.inf),
        lambda: Fault.slow(chunk_delay=-0.1),
        lambda: Fault.rate_limit(retry_after=math.nan),
        lambda: Fault.stall_before_first_event(seconds=math.inf),
        lambda: Fault.stall_before_first_event(seconds=MAX_DELAY_SECONDS + 1),
        lambda: Fault.oversized(MAX_OVERSIZED_BYTES + 1),
        lambda: Fault.oversized(-1),
        lambda: Fault.cut(-1),
        lambda: Fault.moderation("sideways"),
        lambda: Fault.inband_error(""),
        lambda: Fault.inband_error("X", "m" * 5000),
    ],
)
def test_impossible_fault_values_are_refused(build: Any) -> None:
    with pytest.raises(ValueError, match=r"Fault|moderation side|inband_error needs"):
        build()


@pytest.mark.parametrize(
    "header",
    [
        "slow; first_byte_delay=nan",
        "slow; chunk_delay=inf",
        "slow; first_byte_delay=1e999",
        "stall_before_first_event; seconds=-1",
        "oversized; size=99999999999",
        "rate_limit; retry_after=nan",
    ],
)
def test_bad_fault_headers_get_a_400_at_once(emu: OmniEmulator, header: str) -> None:
    start = time.perf_counter()
    response = httpx.post(
        emu.base_url + "/chat/completions",
        json={"model": "qwen3-omni-flash", "messages": [], "stream": True},
        headers={FAULT_HEADER: header},
        timeout=5,
    )
    assert time.perf_counter() - start < 2
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid_parameter_error"
    assert f"InvalidParameter: {FAULT_HEADER}: Fault " in error["message"]


@pytest.mark.parametrize(
    "fault",
    [
        Fault.inband_error(),
        Fault.inband_error("InternalError", "Broke; badly = 100% ", 0, 503),
        Fault.moderation(),
        Fault.moderation("output", after_events=7),
        Fault.json_body(),
        Fault.html_body(),
        Fault.stall_before_first_event(),
        Fault.stall_before_first_event(0.25),
        Fault.oversized(6 * 1024 * 1024),
        Fault.slow(chunk_delay=0.1, first_byte_delay=0.001),
    ],
)
def test_new_faults_round_trip_through_the_header(fault: Fault) -> None:
    assert Fault.from_header(fault.header()) == fault


# --- bodies that break the rules get a 400, never a 500 ----------------------------


@pytest.mark.parametrize(
    "raw",
    [
        b'{"model": "qwen3-omni-flash", "messages": '
        + b"[" * 100_000
        + b"]" * 100_000
        + b"}",
        b'{"model": "m", "messages": [{"role": "user", "content": "\xff"}]}',
        b"[" * 100_000,
        b"",
        b"null",
    ],
    ids=["deep", "invalid-utf8", "deep-unclosed", "empty", "null"],
)
def test_malformed_bodies_get_400_in_the_envelope(
    emu: OmniEmulator, raw: bytes
) -> None:
    response = httpx.post(emu.base_url + "/chat/completions", content=raw, timeout=10)
    assert response.status_code == 400
    body = response.json()
    assert set(body["error"]) >= {"message", "type", "code", "param"}
    assert body["error"]["code"] == "invalid_parameter_error"


def test_a_body_the_rules_cannot_read_gets_400_not_500(
    emu: OmniEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_rule(body: Any) -> None:
        raise OverflowError(body["max_tokens"])

    monkeypatch.setattr(
        "langchain_qwen_omni.emulator.app.validate_request", broken_rule
    )
    body = {"model": "qwen3-omni-flash", "messages": [{"role": "user", "content": "x"}]}
    response = httpx.post(
        emu.base_url + "/chat/completions", json={**body, "max_tokens": 1}, timeout=10
    )
    assert response.status_code == 400
    message = response.json()["error"]["message"]
    assert "malformed (OverflowError)" in message


# --- the banner -------------------------------------------------------------------


def test_banner_shows_the_address_bound() -> None:
    assert banner("127.0.0.1", 8000) == (
        "Qwen-Omni emulator listening on http://127.0.0.1:8000/compatible-mode/v1"
    )
    wide = banner("0.0.0.0", 8000)  # noqa: S104 - a string, nothing is bound
    assert wide.startswith("Qwen-Omni emulator listening on 0.0.0.0:8000 ")
    assert "no authentication" in wide
    assert wide.endswith("http://127.0.0.1:8000/compatible-mode/v1")
    assert banner("10.0.0.5", 80).startswith(
        "Qwen-Omni emulator listening on 10.0.0.5:80 "
    )
    assert "[::]:80" in banner("::", 80)


def test_serve_prints_the_host_it_is_bound_to(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    class NoRun:
        def run(self, sockets: list[Any]) -> None:
            self.port = sockets[0].getsockname()[1]

    runner = NoRun()
    monkeypatch.setattr(server, "_uvicorn_server", lambda app, level: runner)
    server.serve("0.0.0.0", 0)  # noqa: S104 - what the test is about
    line = capsys.readouterr().out.strip()
    assert line == banner("0.0.0.0", runner.port)  # noqa: S104
    assert line.startswith(f"Qwen-Omni emulator listening on 0.0.0.0:{runner.port} ")


@pytest.mark.parametrize(
    "options",
    [
        {"chunk_delay": math.nan},
        {"chunk_delay": math.inf},
        {"max_speech_seconds": math.nan},
        {"speech_seconds_per_char": math.inf},
    ],
)
def test_emulator_options_refuse_nan_and_infinite_delays(
    options: dict[str, Any],
) -> None:
    with pytest.raises(ValueError, match="finite"):
        OmniEmulator(**options)
