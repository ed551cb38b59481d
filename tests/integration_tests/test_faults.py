"""Faults injected by the emulator, met by ChatQwenOmni over loopback HTTP.

Each fault runs through the sync and the async paths. Retries are the
openai SDK's: counted in `emu.requests`. Broken streams must hand back
everything received, checked against the events the server sent before the
break, sample for sample.
"""

import base64
import functools
import json
import operator
import re
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import openai
import pytest
from langchain_core.messages import AIMessage, AIMessageChunk

from langchain_qwen_omni import ChatQwenOmni, OmniAudio, OmniStreamError
from langchain_qwen_omni.emulator import Fault, OmniEmulator
from langchain_qwen_omni.emulator.faults import (
    FAULT_HEADER,
    MALFORMED_EVENT,
    FaultPlan,
    oversized_text,
)

MODES = ["sync", "async"]


@pytest.fixture
def fast_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """Shrink the SDK's own backoff (0.5 s, doubling) where no Retry-After is sent.

    Only the waiting changes: which errors are retried, and how often, stays
    the SDK's decision.
    """
    monkeypatch.setattr("openai._base_client.INITIAL_RETRY_DELAY", 0.01)


def model(emu: OmniEmulator, **kwargs: Any) -> ChatQwenOmni:
    kwargs.setdefault("max_retries", 2)
    return ChatQwenOmni(base_url=emu.base_url, api_key="sk-faults", **kwargs)


def speaker(emu: OmniEmulator, **kwargs: Any) -> ChatQwenOmni:
    return model(emu, modalities=["text", "audio"], **kwargs)


async def invoke(chat: ChatQwenOmni, mode: str, prompt: str) -> AIMessage:
    """`invoke` or `ainvoke`; the sync call may block: the emulator has its own loop."""
    message = chat.invoke(prompt) if mode == "sync" else await chat.ainvoke(prompt)
    assert isinstance(message, AIMessage)
    return message


async def stream(
    chat: ChatQwenOmni, mode: str, prompt: str
) -> tuple[list[AIMessageChunk], BaseException | None]:
    """The chunks a caller received, and the error that ended the stream."""
    chunks: list[AIMessageChunk] = []
    try:
        if mode == "sync":
            chunks.extend(chat.stream(prompt))
        else:
            chunks.extend([c async for c in chat.astream(prompt)])
    except Exception as exc:  # noqa: BLE001 - the test inspects it
        return chunks, exc
    return chunks, None


def sent_events(emu: OmniEmulator, body: dict[str, Any]) -> list[dict[str, Any]]:
    """The events the server sends for `body`, fetched again without a fault.

    The emulator's answers are deterministic: same text, same speech.
    """
    url = emu.base_url + "/chat/completions"
    with httpx.stream("POST", url, json=body, timeout=30) as response:
        return [
            json.loads(line[6:])
            for line in response.iter_lines()
            if line.startswith("data: ") and line != "data: [DONE]"
        ]


def text_and_pcm(events: list[dict[str, Any]]) -> tuple[str, bytes]:
    """The answer text and the decoded speech carried by `events`."""
    text: list[str] = []
    pcm: list[bytes] = []
    for event in events:
        for choice in event.get("choices") or []:
            delta = choice.get("delta") or {}
            text.append(delta.get("content") or "")
            audio = delta.get("audio") or {}
            text.append(audio.get("transcript") or "")
            if audio.get("data"):
                pcm.append(base64.b64decode(audio["data"]))
    return "".join(text), b"".join(pcm)


def samples(pcm: bytes) -> np.ndarray:
    """int16 samples of whole frames (a broken stream may end mid-sample)."""
    return np.frombuffer(pcm[: len(pcm) // 2 * 2], dtype="<i2")


# --- retried before the stream starts -----------------------------------------


RETRIED = [
    pytest.param(Fault.rate_limit(retry_after=0.01), id="429"),
    pytest.param(Fault.server_error(500), id="500"),
    pytest.param(Fault.server_error(503, retry_after=0.01), id="503"),
    pytest.param(Fault.reset(), id="reset"),
]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("fault", RETRIED)
async def test_sdk_retries_then_answers(
    emu: OmniEmulator, fault: Fault, mode: str, fast_backoff: None
) -> None:
    emu.inject(fault, times=2)
    message = await invoke(model(emu, max_retries=2), mode, "retry me")
    assert "'retry me'" in message.text
    assert message.response_metadata["finish_reason"] == "stop"
    requests = emu.requests
    assert len(requests) == 3  # two faults, then the answer
    assert requests[0].body == requests[2].body
    assert len(emu.faults.fired) == 2
    assert emu.faults.pending == 0


EXHAUSTED = [
    pytest.param(Fault.rate_limit(retry_after=0.01), openai.RateLimitError, id="429"),
    pytest.param(Fault.server_error(500), openai.InternalServerError, id="500"),
    pytest.param(Fault.server_error(503), openai.InternalServerError, id="503"),
    pytest.param(Fault.reset(), openai.APIConnectionError, id="reset"),
]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("fault", "error"), EXHAUSTED)
async def test_retries_run_out_with_the_sdk_error(
    emu: OmniEmulator,
    fault: Fault,
    error: type[Exception],
    mode: str,
    fast_backoff: None,
) -> None:
    emu.inject(fault, times=None)
    with pytest.raises(error):
        await invoke(model(emu, max_retries=1), mode, "never answered")
    assert len(emu.requests) == 2  # the first try and one retry


@pytest.mark.parametrize("mode", MODES)
async def test_no_retry_with_max_retries_zero(emu: OmniEmulator, mode: str) -> None:
    emu.inject(Fault.rate_limit(retry_after=0.01), times=None)
    with pytest.raises(openai.RateLimitError) as info:
        await invoke(model(emu, max_retries=0), mode, "once")
    assert len(emu.requests) == 1
    assert info.value.status_code == 429
    assert info.value.code == "limit_requests"
    assert info.value.type == "limit_requests"
    assert "exceeded your current request limit" in info.value.message
    assert info.value.response.headers["retry-after"] == "0.01"


def test_rate_limit_body_is_the_documented_one(emu: OmniEmulator) -> None:
    emu.inject(Fault.rate_limit(retry_after=0.5))
    response = httpx.post(emu.base_url + "/chat/completions", json={})
    assert response.status_code == 429
    assert response.headers["retry-after"] == "0.5"
    error = response.json()["error"]
    assert error["type"] == error["code"] == "limit_requests"
    assert error["message"].startswith("You have exceeded your current request limit.")


@pytest.mark.parametrize("mode", MODES)
async def test_retry_after_is_honoured(emu: OmniEmulator, mode: str) -> None:
    # The SDK's own backoff is shrunk to 10 ms: only Retry-After explains a pause.
    emu.inject(Fault.rate_limit(retry_after=0.3), times=1)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("openai._base_client.INITIAL_RETRY_DELAY", 0.01)
        await invoke(model(emu), mode, "patience")
    first, second = emu.requests
    assert 0.3 <= second.received_at - first.received_at < 2.0


@pytest.mark.parametrize("mode", MODES)
async def test_401_is_not_retried(emu: OmniEmulator, mode: str) -> None:
    emu.inject(Fault.unauthorized(), times=None)
    with pytest.raises(openai.AuthenticationError, match="Incorrect API key") as info:
        await invoke(model(emu, max_retries=3), mode, "who am I")
    assert info.value.code == "invalid_api_key"
    assert len(emu.requests) == 1


def test_400_is_not_retried(emu: OmniEmulator) -> None:
    chat = model(emu, max_retries=3, default_headers={FAULT_HEADER: "flood"})
    with pytest.raises(openai.BadRequestError, match="unknown fault kind 'flood'"):
        chat.invoke("hi")
    assert len(emu.requests) == 1


@pytest.mark.parametrize("mode", MODES)
async def test_fault_header_hits_every_try_of_its_requests(
    emu: OmniEmulator, mode: str
) -> None:
    header = Fault.server_error(503, retry_after=0.01).header()
    assert header == "server_error; status=503; retry_after=0.01"
    chat = model(emu, max_retries=2, default_headers={FAULT_HEADER: header})
    with pytest.raises(openai.InternalServerError) as info:
        await invoke(chat, mode, "doomed")
    assert info.value.status_code == 503
    assert len(emu.requests) == 3
    assert emu.faults.fired == []  # the header, not the queue
    assert "'fine'" in (await invoke(model(emu), mode, "fine")).text


# --- broken after the stream began: the partial is complete -------------------


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("after_events", [1, 3, 8, 17])
async def test_cut_stream_partial_holds_all_sent_text_and_speech(
    emu: OmniEmulator, mode: str, after_events: int
) -> None:
    emu.inject(Fault.cut(after_events))
    chunks, error = await stream(speaker(emu), mode, "Say a long sentence now")
    assert isinstance(error, OmniStreamError)
    assert len(emu.requests) == 1  # a stream that began is not retried
    before = sent_events(emu, emu.requests[0].body)[:after_events]
    text, pcm = text_and_pcm(before)

    partial = error.partial
    assert partial.text == text
    received = OmniAudio.from_message(partial).pcm if pcm else b""
    assert received == pcm
    np.testing.assert_array_equal(samples(received), samples(pcm))
    # what the caller already got is all inside the partial
    if chunks:
        total = functools.reduce(operator.add, chunks)
        assert partial.text.startswith(total.text)
        assert pcm.startswith(OmniAudio.from_chunks(chunks).pcm)


@pytest.mark.parametrize("mode", MODES)
async def test_cut_invoke_keeps_the_partial(emu: OmniEmulator, mode: str) -> None:
    emu.inject(Fault.cut(12))
    with pytest.raises(OmniStreamError, match="broke after it began") as info:
        await invoke(speaker(emu), mode, "Say a long sentence now")
    text, pcm = text_and_pcm(sent_events(emu, emu.requests[0].body)[:12])
    assert info.value.partial.text == text
    assert OmniAudio.from_message(info.value.partial).pcm == pcm
    assert len(pcm) > 20_000


@pytest.mark.parametrize("mode", MODES)
async def test_malformed_event_breaks_with_the_text_before_it(
    emu: OmniEmulator, mode: str
) -> None:
    emu.inject(Fault.malformed(after_events=6))
    _, error = await stream(speaker(emu), mode, "garbled on the way")
    assert isinstance(error, OmniStreamError)
    assert "JSONDecodeError" in str(error)
    text, pcm = text_and_pcm(sent_events(emu, emu.requests[0].body)[:6])
    assert text
    assert error.partial.text == text
    assert OmniAudio.from_message(error.partial).pcm == pcm


@pytest.mark.parametrize("mode", MODES)
async def test_slow_stream_times_out_within_bounds(
    emu: OmniEmulator, mode: str
) -> None:
    emu.configure(answer="one two three four")
    emu.inject(Fault.slow(chunk_delay=2.0))
    start = time.perf_counter()
    _, error = await stream(model(emu, timeout=0.25), mode, "slow")
    elapsed = time.perf_counter() - start
    assert isinstance(error, OmniStreamError)
    assert "APITimeoutError" in str(error)
    assert 0.25 <= elapsed < 1.5
    assert len(emu.requests) == 1


@pytest.mark.parametrize("mode", MODES)
async def test_slow_first_byte_times_out_then_retries(
    emu: OmniEmulator, mode: str, fast_backoff: None
) -> None:
    emu.inject(Fault.slow(first_byte_delay=2.0), times=None)
    start = time.perf_counter()
    with pytest.raises(openai.APITimeoutError):
        await invoke(model(emu, timeout=0.2, max_retries=1), mode, "stalled")
    elapsed = time.perf_counter() - start
    assert len(emu.requests) == 2  # a timeout before the answer is retried
    assert 0.4 <= elapsed < 1.5


@pytest.mark.parametrize("mode", MODES)
async def test_slow_events_within_the_timeout_complete(
    emu: OmniEmulator, mode: str
) -> None:
    # The timeout bounds each read, not the whole answer.
    emu.configure(answer="a b c d")
    emu.inject(Fault.slow(chunk_delay=0.05))
    start = time.perf_counter()
    message = await invoke(model(emu, timeout=0.5), mode, "steady")
    assert message.text == "a b c d"
    assert time.perf_counter() - start >= 0.25  # six events, 50 ms apart


@pytest.mark.parametrize("mode", MODES)
async def test_oversized_answer_arrives_whole(emu: OmniEmulator, mode: str) -> None:
    emu.configure(answer="and the rest")
    size = 6 * 1024 * 1024
    emu.inject(Fault.oversized(size))
    message = await invoke(model(emu), mode, "big")
    assert message.text == oversized_text(size) + "and the rest"
    assert message.response_metadata["finish_reason"] == "stop"


# --- batches keep the good answers --------------------------------------------


def batch_faults(emu: OmniEmulator) -> list[str]:
    emu.inject(Fault.server_error(500), times=None, match="bad-500")
    emu.inject(Fault.cut(2), times=None, match="bad-cut")
    emu.inject(Fault.rate_limit(retry_after=0.01), times=None, match="bad-429")
    return ["good 1", "bad-500", "good 2", "bad-cut", "good 3", "bad-429"]


def check_batch(prompts: list[str], results: list[Any]) -> None:
    outcome = dict(zip(prompts, results, strict=True))
    for prompt in ("good 1", "good 2", "good 3"):
        assert isinstance(outcome[prompt], AIMessage)
        assert f"'{prompt}'" in outcome[prompt].text
    assert isinstance(outcome["bad-500"], openai.InternalServerError)
    assert isinstance(outcome["bad-429"], openai.RateLimitError)
    assert isinstance(outcome["bad-cut"], OmniStreamError)
    assert outcome["bad-cut"].partial.content  # the two events that came


def test_batch_return_exceptions_keeps_good_results(emu: OmniEmulator) -> None:
    prompts = batch_faults(emu)
    results = model(emu, max_retries=0).batch(
        list(prompts), return_exceptions=True, config={"max_concurrency": 3}
    )
    check_batch(prompts, results)


async def test_abatch_return_exceptions_keeps_good_results(emu: OmniEmulator) -> None:
    prompts = batch_faults(emu)
    results = await model(emu, max_retries=0).abatch(
        list(prompts), return_exceptions=True
    )
    check_batch(prompts, results)


# --- the fault descriptions themselves ----------------------------------------


@pytest.mark.parametrize(
    "fault",
    [
        Fault.rate_limit(),
        Fault.rate_limit(retry_after=1.5),
        Fault.server_error(503, retry_after=2),
        Fault.unauthorized(),
        Fault.reset(),
        Fault.cut(0),
        Fault.cut(7),
        Fault.malformed(after_events=2),
        Fault.slow(chunk_delay=0.5, first_byte_delay=1),
        Fault.oversized(1000),
    ],
)
def test_header_round_trips(fault: Fault) -> None:
    assert Fault.from_header(fault.header()) == fault


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("boom", "unknown fault kind 'boom'"),
        ("cut; after_events=x", "not name=number"),
        ("reset; status=500", "reset takes no parameter"),
        ("server_error; status=404", "must be 5xx"),
        ("cut; after_events=-1", "after_events must be >= 0"),
    ],
)
def test_bad_headers_are_refused(header: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Fault.from_header(header)


def test_rewrites_are_pure() -> None:
    events = [
        b'data: {"id": "c1", "model": "m", "choices": []}\n\n',
        b"data: [DONE]\n\n",
    ]
    assert Fault.malformed(after_events=1).rewrite(events) == [
        events[0],
        MALFORMED_EVENT,
        events[1],
    ]
    assert Fault.malformed(after_events=9).rewrite(events)[-1] == MALFORMED_EVENT
    big = Fault.oversized(25).rewrite(events)
    assert big[1:] == events
    chunk = json.loads(big[0].removeprefix(b"data: "))
    assert (chunk["id"], chunk["model"]) == ("c1", "m")
    assert chunk["choices"][0]["delta"]["content"] == oversized_text(25)
    assert len(oversized_text(25)) == 25
    assert Fault.cut(3).rewrite(events) is events


def test_plan_matches_counts_and_orders() -> None:
    plan = FaultPlan()
    plan.add(Fault.reset(), match="alpha")
    plan.add(Fault.cut(1), times=2)
    assert plan.take(b"beta") == Fault.cut(1)
    assert plan.take(b"alpha") == Fault.reset()
    assert plan.take(b"alpha") == Fault.cut(1)
    assert plan.take(b"alpha") is None
    assert plan.pending == 0
    assert [f.kind for f in plan.fired] == ["cut", "reset", "cut"]
    with pytest.raises(ValueError, match="times must be at least 1"):
        plan.add(Fault.reset(), times=0)
    plan.add(Fault.reset(), times=None)
    assert all(plan.take(b"x") == Fault.reset() for _ in range(5))
    plan.clear()
    assert (plan.pending, plan.fired) == (0, [])


# --- the README's examples ------------------------------------------------------

README = Path(__file__).parents[2] / "README.md"
FENCE = re.compile(r"```python\n(?P<code>.*?)```", re.DOTALL)


def last_user_text(body: dict[str, Any]) -> str:
    return str(body["messages"][-1]["content"])


def test_readme_reliability_examples_run(
    emu: OmniEmulator,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The README's reliability examples, run in order against the emulator."""
    text = README.read_text(encoding="utf-8")
    start = text.index("\n## Reliability: retries, timeouts, rate limits")
    blocks = FENCE.findall(text[start : text.index("\n## ", start + 1)])
    assert len(blocks) == 6
    monkeypatch.setenv("DASHSCOPE_API_KEY", "sk-emulator")
    monkeypatch.setenv("DASHSCOPE_BASE_URL", emu.base_url)
    emu.inject(Fault.cut(10), match="long story")
    emu.inject(Fault.moderation("output", after_events=4), match="the picture")
    emu.inject(Fault.unauthorized(), times=None, match="second")
    namespace: dict[str, Any] = {}
    for code in blocks:
        exec(compile(code, str(README), "exec"), namespace)  # noqa: S102

    story = next(r.body for r in emu.requests if "story" in last_user_text(r.body))
    text_sent, pcm_sent = text_and_pcm(sent_events(emu, story)[:10])
    assert namespace["message"].text == text_sent
    assert namespace["audio"].pcm == pcm_sent
    assert len(pcm_sent) > 0

    picture = next(r.body for r in emu.requests if "picture" in last_user_text(r.body))
    assert namespace["reply"].text == text_and_pcm(sent_events(emu, picture)[:4])[0]
    assert namespace["reply"].text

    results = namespace["results"]
    assert isinstance(results[1], openai.AuthenticationError)
    assert ["'first'" in results[0].text, "'third'" in results[2].text] == [True] * 2
    assert namespace["answers"] == [results[0], results[2]]

    limited = sorted(
        r.received_at
        for r in emu.requests
        if last_user_text(r.body) in {"one", "two", "three"}
    )
    assert len(limited) == 3
    assert limited[2] - limited[0] >= 2 * 0.25 - 0.1  # a busy machine delays some

    printed = capsys.readouterr().out  # the last block's own emulator
    assert printed.startswith("[qwen3-omni-flash emulator]")
