"""Every package error survives pickle and deepcopy, fields and partial included.

A worker process that raises one must hand it to its caller whole: before,
`OmniStreamError`'s keyword-only `partial` made unpickling fail, and a
`ProcessPoolExecutor` caller got `BrokenProcessPool` instead.
"""

import base64
import copy
import pickle
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import httpx2
import openai
import pytest
from langchain_core.messages import AIMessageChunk

from langchain_qwen_omni import (
    OmniAPIError,
    OmniAudio,
    OmniContentFilterError,
    OmniConversationError,
    OmniInputError,
    OmniRateLimitError,
    OmniStreamError,
    QwenOmniError,
)
from langchain_qwen_omni._service_errors import content_filter_refusal

SECRET = "sk-never-pickled-0123456789"  # noqa: S105 - a marker, not a key
PCM = bytes(range(256)) * 8


def partial() -> AIMessageChunk:
    audio = {"data": base64.b64encode(PCM).decode(), "format": "pcm16"}
    return AIMessageChunk(
        content="Half an answer",
        additional_kwargs={"audio": {**audio, "sample_rate": 24000, "channels": 1}},
        response_metadata={"model_provider": "qwen_omni"},
        id="chatcmpl-1",
    )


def every_error() -> list[QwenOmniError]:
    return [
        QwenOmniError("base"),
        OmniInputError("message 0, block 1: too large"),
        OmniConversationError("strict"),
        OmniStreamError("broke", partial=partial()),
        OmniAPIError(
            "described",
            message="said",
            code="InternalError",
            request_id="r1",
            status=500,
            partial=partial(),
        ),
        OmniRateLimitError(
            "throttled",
            message="Allocated quota exceeded",
            code="Throttling.AllocationQuota",
            request_id="r2",
            status=429,
            partial=partial(),
        ),
        OmniContentFilterError(
            "refused",
            side="output",
            message="Output data may contain inappropriate content.",
            code="DataInspectionFailed",
            request_id="r3",
            status=400,
            partial=partial(),
        ),
        moderation_refusal(),
    ]


def moderation_refusal() -> Any:
    request = httpx2.Request(
        "POST",
        "https://user:pass@dashscope.example/compatible-mode/v1/chat/completions",
        headers={"Authorization": f"Bearer {SECRET}"},
    )
    body = {
        "error": {
            "message": "<400> InternalError.Algo.DataInspectionFailed: Input text "
            "data may contain inappropriate content.",
            "type": "data_inspection_failed",
            "param": None,
            "code": "data_inspection_failed",
        },
        "id": "chatcmpl-x",
        "request_id": "rid-400",
    }
    response = httpx2.Response(400, request=request, json=body)
    sdk = openai.BadRequestError(
        "Error code: 400 - ...", response=response, body=body["error"]
    )
    refusal = content_filter_refusal(sdk, AIMessageChunk(content=""))
    assert refusal is not None
    return refusal


def fields(error: BaseException) -> dict[str, Any]:
    names = ("args", "code", "message", "request_id", "status", "side", "partial")
    found = {name: getattr(error, name, None) for name in names}
    found["type"] = type(error)
    found["str"] = str(error)
    return found


@pytest.mark.parametrize("error", every_error(), ids=lambda e: type(e).__name__)
@pytest.mark.parametrize("how", ["pickle", "deepcopy", "copy"])
def test_round_trip_keeps_type_fields_and_partial(error: Any, how: str) -> None:
    if how == "pickle":
        back = pickle.loads(pickle.dumps(error))  # noqa: S301 - our own bytes
    elif how == "deepcopy":
        back = copy.deepcopy(error)
    else:
        back = copy.copy(error)
    assert back is not error
    assert fields(back) == fields(error)
    if getattr(error, "partial", None) is not None and error.partial.content:
        assert OmniAudio.from_message(back.partial).pcm == PCM


def test_moderation_refusal_is_both_and_pickles_without_the_key() -> None:
    refusal = moderation_refusal()
    assert isinstance(refusal, openai.BadRequestError)
    assert isinstance(refusal, OmniContentFilterError)
    assert refusal.side == "input"
    assert refusal.code == "data_inspection_failed"
    assert refusal.request_id == "rid-400"
    assert refusal.status == refusal.status_code == 400
    data = pickle.dumps(refusal)
    assert SECRET.encode() not in data
    assert b"pass@" not in data
    back = pickle.loads(data)  # noqa: S301 - our own bytes
    assert isinstance(back, openai.BadRequestError)
    assert back.response.status_code == 400
    assert back.response.json()["request_id"] == "rid-400"
    assert "authorization" not in back.request.headers
    assert SECRET not in repr(copy.deepcopy(refusal).__dict__)


def test_a_non_moderation_400_stays_the_sdks() -> None:
    request = httpx2.Request("POST", "https://x/v1/chat/completions")
    body = {"message": "Range of max_tokens should be [1, 8192]", "code": "x"}
    sdk = openai.BadRequestError(
        "Error code: 400", response=httpx2.Response(400, request=request), body=body
    )
    assert content_filter_refusal(sdk, AIMessageChunk(content="")) is None


def raise_stream_error(text: str) -> None:
    msg = "broke in a worker"
    raise OmniStreamError(msg, partial=AIMessageChunk(content=text))


def raise_rate_limit(text: str) -> None:
    msg = "throttled in a worker"
    raise OmniRateLimitError(
        msg,
        code="Throttling",
        status=429,
        partial=AIMessageChunk(content=text),
    )


@pytest.mark.parametrize(
    ("worker", "expected"),
    [(raise_stream_error, OmniStreamError), (raise_rate_limit, OmniRateLimitError)],
)
def test_a_worker_process_hands_the_error_back_whole(
    worker: Any, expected: type[OmniStreamError | OmniRateLimitError]
) -> None:
    with ProcessPoolExecutor(max_workers=1) as pool:
        future = pool.submit(worker, "what the worker received")
        with pytest.raises(expected) as info:
            future.result(timeout=60)
    error = info.value
    assert isinstance(error, (OmniStreamError, OmniRateLimitError))
    assert error.partial is not None
    assert error.partial.text == "what the worker received"
