"""Errors the real service sends, met over loopback HTTP from a raw server.

The server (`tests.raw_server`) sends scripted bytes, not the emulator's
answers: DashScope's in-band `event:error` frames, 200 answers with JSON or
HTML bodies, stalls and closes before the first event, and hostile events.
Every case runs through the sync and the async paths and checks the type,
the fields, what was retried (requests counted by the server) and that
nothing received is lost.
"""

from __future__ import annotations

import functools
import json
import operator
import pickle
import time
from typing import TYPE_CHECKING, Any

import openai
import pytest
from langchain_core.messages import AIMessage, AIMessageChunk

from langchain_qwen_omni import (
    ChatQwenOmni,
    OmniAPIError,
    OmniContentFilterError,
    OmniRateLimitError,
    OmniStreamError,
    QwenOmniError,
)
from tests.raw_server import (
    CUT,
    RawServer,
    Reply,
    answer,
    chunk,
    error_frame,
    frame,
    text_frames,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

MODES = ["sync", "async"]
THROTTLED = "Allocated quota exceeded, please increase your quota limit."


@pytest.fixture(scope="module")
def _server() -> Iterator[RawServer]:
    with RawServer() as server:
        yield server


@pytest.fixture
def raw(_server: RawServer) -> RawServer:
    _server.script(Reply(answer("fine")))
    return _server


@pytest.fixture(autouse=True)
def fast_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """Both retry layers pause 10 ms where no Retry-After says otherwise."""
    monkeypatch.setattr("openai._base_client.INITIAL_RETRY_DELAY", 0.01)
    monkeypatch.setattr("langchain_qwen_omni._transport.RETRY_INITIAL_DELAY", 0.01)


def model(raw: RawServer, **kwargs: Any) -> ChatQwenOmni:
    kwargs.setdefault("max_retries", 2)
    kwargs.setdefault("timeout", 5.0)
    kwargs.setdefault("api_key", "sk-raw")
    return ChatQwenOmni(base_url=raw.base_url, **kwargs)


async def outcome(
    chat: ChatQwenOmni, mode: str, how: str = "stream"
) -> tuple[list[AIMessageChunk], BaseException | None, AIMessage | None]:
    """The chunks a caller received, the error that ended the call, the answer."""
    chunks: list[AIMessageChunk] = []
    try:
        if how == "invoke":
            message = chat.invoke("hi") if mode == "sync" else await chat.ainvoke("hi")
            return chunks, None, message
        if mode == "sync":
            chunks.extend(chat.stream("hi"))
        else:
            async for piece in chat.astream("hi"):
                chunks.append(piece)  # noqa: PERF401 - kept one by one, for errors
    except Exception as exc:  # noqa: BLE001 - the test inspects it
        return chunks, exc, None
    return chunks, None, None


def merged(chunks: list[AIMessageChunk]) -> AIMessageChunk:
    total = functools.reduce(operator.add, chunks)
    assert isinstance(total, AIMessageChunk)
    return total


def received_text(chunks: list[AIMessageChunk]) -> str:
    return "".join(c.text for c in chunks)


# --- in-band errors after a 200 ----------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("how", ["stream", "invoke"])
async def test_inband_rate_limit_after_content_keeps_fields_and_partial(
    raw: RawServer, mode: str, how: str
) -> None:
    raw.script(
        Reply(
            [
                *text_frames("Hello", " there"),
                error_frame("Throttling.AllocationQuota", THROTTLED),
            ]
        )
    )
    chunks, error, _ = await outcome(model(raw), mode, how)
    assert isinstance(error, OmniRateLimitError)
    assert isinstance(error, OmniAPIError)
    assert isinstance(error, QwenOmniError)
    assert error.code == "Throttling.AllocationQuota"
    assert error.message == THROTTLED
    assert error.request_id == "rid-raw-1"
    assert error.status == 429
    assert error.partial is not None
    assert error.partial.text == "Hello there"
    assert error.partial.text.startswith(received_text(chunks))
    assert THROTTLED in str(error)
    assert "connection was probably cut" not in str(error)
    assert len(raw.requests) == 1  # content had arrived: not retried


@pytest.mark.parametrize("mode", MODES)
async def test_inband_rate_limit_before_content_is_retried(
    raw: RawServer, mode: str
) -> None:
    # The role-only first delta carries no content: nothing reached the caller.
    first = [
        chunk({"role": "assistant", "content": ""}),
        error_frame("Throttling.RateQuota", "slow down"),
    ]
    raw.script(Reply(first), Reply(answer("after", " the", " wait")))
    chunks, error, _ = await outcome(model(raw), mode)
    assert error is None
    assert received_text(chunks) == "after the wait"
    assert merged(chunks).response_metadata["finish_reason"] == "stop"
    assert len(raw.requests) == 2
    assert raw.requests[0] == raw.requests[1]


@pytest.mark.parametrize("mode", MODES)
async def test_inband_rate_limit_retries_run_out(raw: RawServer, mode: str) -> None:
    raw.script(Reply([error_frame("Throttling", "Requests throttling triggered.")]))
    _, error, _ = await outcome(model(raw, max_retries=2), mode, "invoke")
    assert isinstance(error, OmniRateLimitError)
    assert error.code == "Throttling"
    assert error.partial is not None
    assert error.partial.text == ""
    assert len(raw.requests) == 3  # the call and two retries


@pytest.mark.parametrize("mode", MODES)
async def test_inband_rate_limit_honours_the_backoff(
    raw: RawServer, mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("langchain_qwen_omni._transport.RETRY_INITIAL_DELAY", 0.3)
    raw.script(
        Reply([error_frame("Throttling.BurstRate", "burst")]), Reply(answer("ok"))
    )
    _, error, message = await outcome(model(raw), mode, "invoke")
    assert error is None
    assert message is not None
    assert message.text == "ok"
    first, second = raw.arrivals
    assert 0.3 * 0.75 <= second - first < 2.0


@pytest.mark.parametrize("mode", MODES)
async def test_inband_rate_limit_and_sdk_retries_share_max_retries(
    raw: RawServer, mode: str
) -> None:
    throttled = Reply(
        [],
        status=429,
        content_type="application/json",
        headers={"retry-after": "0.01"},
    )
    throttled.steps = [
        json.dumps({"error": {"message": "busy", "code": "limit_requests"}}).encode()
    ]
    raw.script(throttled, Reply([error_frame("Throttling", "busy")]))
    _, error, _ = await outcome(model(raw, max_retries=2), mode, "invoke")
    assert isinstance(error, OmniRateLimitError)
    assert len(raw.requests) == 3  # one 429 retried by the SDK, one in-band by us


@pytest.mark.parametrize("mode", MODES)
async def test_other_inband_error_is_not_retried(raw: RawServer, mode: str) -> None:
    raw.script(
        Reply(
            [
                *text_frames("Par"),
                error_frame("InternalError.Algo", "Model crashed.", 500),
            ]
        )
    )
    _, error, _ = await outcome(model(raw), mode)
    assert type(error) is OmniAPIError
    assert (error.code, error.message, error.status) == (
        "InternalError.Algo",
        "Model crashed.",
        500,
    )
    assert error.partial is not None
    assert error.partial.text == "Par"
    assert len(raw.requests) == 1


@pytest.mark.parametrize("mode", MODES)
async def test_openai_style_error_frame_is_typed_too(raw: RawServer, mode: str) -> None:
    payload = {
        "error": {"message": "overloaded", "code": "ServiceUnavailable"},
        "request_id": "r9",
    }
    raw.script(Reply([*text_frames("a"), frame(payload)]))
    _, error, _ = await outcome(model(raw), mode)
    assert type(error) is OmniAPIError
    assert (error.code, error.message, error.request_id) == (
        "ServiceUnavailable",
        "overloaded",
        "r9",
    )
    assert error.partial is not None
    assert error.partial.text == "a"


@pytest.mark.parametrize("mode", MODES)
async def test_events_in_the_same_write_as_the_error_are_kept(
    raw: RawServer, mode: str
) -> None:
    one_write = b"".join(
        [*text_frames("one", " two", " three"), error_frame("Throttling", "x")]
    )
    raw.script(Reply([one_write]))
    _, error, _ = await outcome(model(raw), mode, "invoke")
    assert isinstance(error, OmniRateLimitError)
    assert error.partial is not None
    assert error.partial.text == "one two three"


# --- moderation ----------------------------------------------------------------------

INPUT_REFUSAL = {
    "error": {
        "message": "<400> InternalError.Algo.DataInspectionFailed: Input text data "
        "may contain inappropriate content.",
        "type": "data_inspection_failed",
        "param": None,
        "code": "data_inspection_failed",
    },
    "id": "chatcmpl-refused",
    "request_id": "rid-mod-1",
}


@pytest.mark.parametrize("mode", MODES)
async def test_input_moderation_is_both_bad_request_and_content_filter(
    raw: RawServer, mode: str
) -> None:
    raw.script(
        Reply(
            [json.dumps(INPUT_REFUSAL).encode()],
            status=400,
            content_type="application/json",
        )
    )
    _, error, _ = await outcome(model(raw), mode, "invoke")
    assert isinstance(error, openai.BadRequestError)
    assert isinstance(error, OmniContentFilterError)
    assert error.side == "input"
    assert error.status == error.status_code == 400
    assert error.code == "data_inspection_failed"
    assert error.request_id == "rid-mod-1"
    assert "Input text data may contain inappropriate content" in error.message
    assert error.partial is not None
    assert error.partial.text == ""
    assert len(raw.requests) == 1  # a 400 is not retried


@pytest.mark.parametrize("mode", MODES)
async def test_output_moderation_mid_stream_keeps_the_partial(
    raw: RawServer, mode: str
) -> None:
    refusal = error_frame(
        "DataInspectionFailed",
        "Output data may contain inappropriate content.",
        400,
    )
    raw.script(Reply([*text_frames("Once", " upon"), refusal]))
    chunks, error, _ = await outcome(model(raw), mode)
    assert isinstance(error, OmniContentFilterError)
    assert not isinstance(error, openai.BadRequestError)
    assert error.side == "output"
    assert error.status == 400
    assert error.partial is not None
    assert error.partial.text == "Once upon" == received_text(chunks)
    assert len(raw.requests) == 1


# --- 200 answers that are not event streams ------------------------------------------

HTML_PAGE = (
    b"<html><head><title>502 Bad Gateway</title></head><body><center>"
    b"<h1>502 Bad Gateway</h1></center><hr><center>Tengine</center></body></html>"
)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("body", "content_type", "code", "message"),
    [
        pytest.param(
            {
                "code": "InvalidApiKey",
                "message": "Invalid API-key provided.",
                "request_id": "r1",
            },
            "application/json",
            "InvalidApiKey",
            "Invalid API-key provided.",
            id="dashscope-json",
        ),
        pytest.param(
            {
                "error": {
                    "message": "Internal failure",
                    "type": "internal_error",
                    "code": "InternalError",
                },
                "request_id": "r1",
            },
            "application/json",
            "InternalError",
            "Internal failure",
            id="compatible-json",
        ),
        pytest.param(
            {
                "code": "InternalError",
                "message": "Sent as text/event-stream.",
                "request_id": "r1",
            },
            "text/event-stream",
            "InternalError",
            "Sent as text/event-stream.",
            id="json-labelled-sse",
        ),
    ],
)
async def test_json_body_with_status_200(  # noqa: PLR0913, PLR0917
    raw: RawServer,
    mode: str,
    body: dict[str, Any],
    content_type: str,
    code: str,
    message: str,
) -> None:
    raw.script(Reply([json.dumps(body).encode()], content_type=content_type))
    _, error, _ = await outcome(model(raw), mode, "invoke")
    assert type(error) is OmniAPIError
    assert (error.code, error.message, error.status) == (code, message, 200)
    assert error.request_id == "r1"
    assert "JSON body instead of an event stream" in str(error)
    assert message in str(error)
    assert len(raw.requests) == 1


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("chunked", [True, False])
async def test_html_body_with_status_200(
    raw: RawServer, mode: str, *, chunked: bool
) -> None:
    raw.script(
        Reply(
            [HTML_PAGE[:40], HTML_PAGE[40:]], content_type="text/html", chunked=chunked
        )
    )
    _, error, _ = await outcome(model(raw), mode)
    assert type(error) is OmniAPIError
    assert error.message == "502 Bad Gateway"
    assert error.status == 200
    assert "HTML page" in str(error)


@pytest.mark.parametrize("mode", MODES)
async def test_json_throttling_body_is_typed_not_retried(
    raw: RawServer, mode: str
) -> None:
    # Only frames inside a stream are retried; a 200 body is raised as it is.
    throttled = {
        "code": "Throttling.RateQuota",
        "message": "Requests rate limit exceeded.",
    }
    raw.script(
        Reply([json.dumps(throttled).encode()], content_type="application/json"),
        Reply(answer("ok")),
    )
    _, error, _ = await outcome(model(raw), mode, "invoke")
    assert isinstance(error, OmniRateLimitError)
    assert error.message == "Requests rate limit exceeded."
    assert error.status == 200
    assert len(raw.requests) == 1


@pytest.mark.parametrize("mode", MODES)
async def test_plain_text_body_is_quoted(raw: RawServer, mode: str) -> None:
    raw.script(
        Reply(
            [b"upstream connect error or disconnect/reset before headers"],
            content_type="text/plain",
        )
    )
    _, error, _ = await outcome(model(raw), mode)
    assert type(error) is OmniAPIError
    assert error.message == "upstream connect error or disconnect/reset before headers"


# --- breaks before the first event ---------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
async def test_stall_before_first_event_is_retried(raw: RawServer, mode: str) -> None:
    raw.script(Reply([3.0, *answer("late")]), Reply(answer("on", " time")))
    start = time.perf_counter()
    chunks, error, _ = await outcome(model(raw, timeout=0.3), mode)
    assert error is None
    assert received_text(chunks) == "on time"
    assert len(raw.requests) == 2
    assert time.perf_counter() - start < 2.5


@pytest.mark.parametrize("mode", MODES)
async def test_stall_before_first_event_ends_in_the_sdk_timeout(
    raw: RawServer, mode: str
) -> None:
    raw.script(Reply([3.0, *answer("late")]))
    _, error, _ = await outcome(model(raw, timeout=0.3, max_retries=1), mode, "invoke")
    assert isinstance(error, openai.APITimeoutError)
    assert len(raw.requests) == 2


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("chunked", [True, False])
async def test_close_before_first_event_is_retried(
    raw: RawServer, mode: str, *, chunked: bool
) -> None:
    raw.script(Reply([CUT], chunked=chunked), Reply(answer("second", " try")))
    chunks, error, _ = await outcome(model(raw), mode)
    assert error is None
    assert received_text(chunks) == "second try"
    assert len(raw.requests) == 2


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("steps", [[CUT], []], ids=["cut", "empty"])
async def test_close_before_first_event_ends_in_the_sdk_connection_error(
    raw: RawServer, mode: str, steps: list[Any]
) -> None:
    raw.script(Reply(steps))
    _, error, _ = await outcome(model(raw, max_retries=1), mode, "invoke")
    assert isinstance(error, openai.APIConnectionError)
    assert not isinstance(error, openai.APITimeoutError)
    assert len(raw.requests) == 2


@pytest.mark.parametrize("mode", MODES)
async def test_break_after_the_first_event_is_not_retried(
    raw: RawServer, mode: str
) -> None:
    raw.script(Reply([*text_frames("Hi"), CUT]))
    _, error, _ = await outcome(model(raw), mode)
    assert isinstance(error, OmniStreamError)
    assert error.partial.text == "Hi"
    assert len(raw.requests) == 1


# --- hostile events: only package errors, with the partial ------------------------

WHOLE = text_frames("The", " whole", " text")


def hostile_usage() -> bytes:
    usage = b'{"prompt_tokens": 1e999, "completion_tokens": 1}'
    return b'data: {"choices": [], "usage": ' + usage + b"}\n\n"


def hostile_tool_index() -> bytes:
    call = b'{"index": 1e999, "id": "c", "function": {"name": "f", "arguments": "{}"}}'
    return (
        b'data: {"choices": [{"index": 0, "delta": {"tool_calls": ['
        + call
        + b"]}}]}\n\n"
    )


def deep_nesting() -> bytes:
    depth = 200_000
    return (
        b'data: {"choices": [{"index": 0, "delta": {"content": '
        + b"[" * depth
        + b"]" * depth
        + b"}}]}\n\n"
    )


def invalid_utf8() -> bytes:
    return (
        b'data: {"choices": [{"index": 0, "delta": {"content": "caf\xe9 \xff"}}]}\n\n'
    )


def huge_integer() -> bytes:
    return (
        b'data: {"choices": [], "usage": {"prompt_tokens": ' + b"9" * 5000 + b"}}\n\n"
    )


def wrong_shape() -> bytes:
    return b'data: {"choices": {"0": "not a list"}}\n\n'


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    "bad",
    [
        hostile_usage,
        hostile_tool_index,
        deep_nesting,
        invalid_utf8,
        huge_integer,
        wrong_shape,
    ],
)
async def test_hostile_event_ends_in_stream_error_with_the_whole_text(
    raw: RawServer, mode: str, bad: Any
) -> None:
    raw.script(Reply([*WHOLE, chunk({}, "stop"), bad(), b"data: [DONE]\n\n"]))
    chunks, error, _ = await outcome(model(raw), mode)
    assert type(error) is OmniStreamError
    assert error.partial.text == "The whole text"
    assert error.partial.response_metadata["finish_reason"] == "stop"
    assert error.partial.text.startswith(received_text(chunks))


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("reason", ["null", "None", "", "undefined", "STOP"])
async def test_a_finish_reason_that_is_no_reason_counts_as_missing(
    raw: RawServer, mode: str, reason: str
) -> None:
    raw.script(Reply([*WHOLE, chunk({}, reason), b"data: [DONE]\n\n"]))
    _, error, _ = await outcome(model(raw), mode, "invoke")
    assert type(error) is OmniStreamError
    assert "without a finish_reason" in str(error)
    assert error.partial.text == "The whole text"
    assert "finish_reason" not in error.partial.response_metadata


@pytest.mark.parametrize("mode", MODES)
async def test_crlf_frames_split_anywhere_still_decode(
    raw: RawServer, mode: str
) -> None:
    whole = b"".join(answer("split", " across", " writes")).replace(b"\n", b"\r\n")
    raw.script(Reply([whole[i : i + 7] for i in range(0, len(whole), 7)]))
    _, error, message = await outcome(model(raw), mode, "invoke")
    assert error is None
    assert message is not None
    assert message.text == "split across writes"
    assert message.usage_metadata is not None
    assert message.usage_metadata["total_tokens"] == 5


@pytest.mark.parametrize("mode", MODES)
async def test_a_pickled_refusal_carries_no_key(raw: RawServer, mode: str) -> None:
    raw.script(
        Reply(
            [json.dumps(INPUT_REFUSAL).encode()],
            status=400,
            content_type="application/json",
        )
    )
    _, error, _ = await outcome(
        model(raw, api_key="sk-must-not-travel"), mode, "invoke"
    )
    assert isinstance(error, openai.BadRequestError)
    assert "sk-must-not-travel" in str(error.request.headers.get("authorization"))
    data = pickle.dumps(error)
    assert b"sk-must-not-travel" not in data
    back = pickle.loads(data)  # noqa: S301 - our own bytes
    assert isinstance(back, openai.BadRequestError)
    assert isinstance(back, OmniContentFilterError)
    assert (back.code, back.side, back.request_id) == (
        "data_inspection_failed",
        "input",
        "rid-mod-1",
    )
