"""The event decoder: SSE framing, in-band errors and bodies that are no stream.

Pure tests of `EventDecoder`, fed bytes as a network would cut them.
"""

import itertools
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from langchain_qwen_omni import OmniAPIError, OmniContentFilterError, OmniRateLimitError
from langchain_qwen_omni._sse import BODY_LIMIT, EventDecoder, MalformedEventError

STREAM = (
    b'data: {"choices": [{"delta": {"content": "Hel"}}]}\n\n'
    b": keep-alive comment\n\n"
    b"id: 7\nretry: 100\n"
    b'data: {"choices": [{"delta": {"content": "lo"}}]}\n\n'
    b'data:{"choices": [], "usage": {"total_tokens": 3}}\n\n'
    b"data: [DONE]\n\n"
    b'data: {"after": "done"}\n\n'
)
EVENTS = [
    {"choices": [{"delta": {"content": "Hel"}}]},
    {"choices": [{"delta": {"content": "lo"}}]},
    {"choices": [], "usage": {"total_tokens": 3}},
]


def decode(*pieces: bytes, **kwargs: Any) -> tuple[list[Any], EventDecoder]:
    decoder = EventDecoder(**kwargs)
    events: list[Any] = []
    for piece in pieces:
        events.extend(decoder.feed(piece))
        if decoder.done:
            return events, decoder
    events.extend(decoder.close())
    return events, decoder


def test_a_stream_decodes_to_its_events_and_stops_at_done() -> None:
    events, decoder = decode(STREAM)
    assert events == EVENTS
    assert decoder.done
    assert decoder.error is None
    assert decoder.events == 3


@pytest.mark.parametrize("newline", [b"\r\n", b"\r"])
def test_other_line_endings(newline: bytes) -> None:
    events, _ = decode(STREAM.replace(b"\n", newline))
    assert events == EVENTS


@settings(max_examples=200, deadline=None)
@given(
    cuts=st.lists(st.integers(0, len(STREAM)), max_size=12),
    newline=st.sampled_from([b"\n", b"\r\n", b"\r"]),
)
def test_any_cutting_of_the_bytes_gives_the_same_events(
    cuts: list[int], newline: bytes
) -> None:
    whole = STREAM.replace(b"\n", newline)
    bounds = [0, *sorted(c * len(whole) // len(STREAM) for c in cuts), len(whole)]
    pieces = [whole[a:b] for a, b in itertools.pairwise(bounds) if b > a]
    events, _ = decode(*pieces)
    assert events == EVENTS


def test_several_data_lines_join_with_newlines() -> None:
    events, _ = decode(b'data: {"a":\ndata: 1}\n\n')
    assert events == [{"a": 1}]


def test_a_line_longer_than_many_chunks() -> None:
    text = "x" * 300_000
    frame = b"data: " + json.dumps({"choices": [{"delta": {"content": text}}]}).encode()
    pieces = [frame[i : i + 1000] for i in range(0, len(frame), 1000)]
    events, _ = decode(*pieces, b"\n\n")
    assert events[0]["choices"][0]["delta"]["content"] == text


# --- in-band errors ------------------------------------------------------------------


def error_frame(code: str, message: str, status: int | None = 429) -> bytes:
    data = json.dumps({"code": code, "message": message, "request_id": "rid"})
    line = f":HTTP_STATUS/{status}\n" if status else ""
    return f"event:error\n{line}data:{data}\n\n".encode()


def test_events_before_an_error_frame_are_handed_over_first() -> None:
    events, decoder = decode(
        STREAM.split(b"\n\n")[0]
        + b"\n\n"
        + error_frame("Throttling.AllocationQuota", "quota")
    )
    assert events == EVENTS[:1]
    error = decoder.error
    assert isinstance(error, OmniRateLimitError)
    assert (error.code, error.message, error.request_id, error.status) == (
        "Throttling.AllocationQuota",
        "quota",
        "rid",
        429,
    )
    assert decoder.done


@pytest.mark.parametrize(
    ("code", "message", "status", "kind"),
    [
        ("Throttling", "x", None, OmniRateLimitError),
        ("InternalError", "busy", 429, OmniRateLimitError),
        ("limit_requests", "x", None, OmniRateLimitError),
        (
            "DataInspectionFailed",
            "Output data may contain ...",
            400,
            OmniContentFilterError,
        ),
        ("data_inspection_failed", "x", None, OmniContentFilterError),
        ("InternalError.Algo", "x", 500, OmniAPIError),
    ],
)
def test_error_codes_pick_the_class(
    code: str, message: str, status: int | None, kind: type[OmniAPIError]
) -> None:
    _, decoder = decode(error_frame(code, message, status))
    assert type(decoder.error) is kind
    assert decoder.error.status == status


def test_an_error_frame_without_json_is_quoted() -> None:
    _, decoder = decode(b"event: error\ndata: upstream timed out\n\n")
    assert type(decoder.error) is OmniAPIError
    assert decoder.error.message == "upstream timed out"


def test_an_error_frame_cut_before_its_blank_line_still_counts() -> None:
    _, decoder = decode(error_frame("Throttling", "late")[:-2])
    assert isinstance(decoder.error, OmniRateLimitError)


@pytest.mark.parametrize(
    "payload",
    [
        {"error": {"message": "m", "code": "c"}},
        {"error": "plain text error"},
        {"code": "c", "message": "m"},
    ],
)
def test_error_objects_without_an_event_line(payload: dict[str, Any]) -> None:
    _, decoder = decode(b"data: " + json.dumps(payload).encode() + b"\n\n")
    assert isinstance(decoder.error, OmniAPIError)


def test_hostile_fields_of_an_error_become_text_or_nothing() -> None:
    payload = b'{"code": [[[1]]], "message": 1e999, "request_id": {"a": 1}}'
    _, decoder = decode(b"event:error\ndata:" + payload + b"\n\n")
    assert type(decoder.error) is OmniAPIError
    assert decoder.error.code is None
    assert decoder.error.message == "inf"
    assert decoder.error.request_id is None


# --- malformed frames ----------------------------------------------------------------


def test_deep_nesting_is_a_malformed_event() -> None:
    deep = b"[" * 200_000 + b"]" * 200_000
    first = STREAM.split(b"\n\n")[0]
    events, decoder = decode(first + b"\n\ndata: " + deep + b"\n\n")
    assert len(events) == 1
    assert isinstance(decoder.error, MalformedEventError)
    assert isinstance(decoder.error, ValueError)


def test_invalid_utf8_is_a_malformed_event() -> None:
    _, decoder = decode(b'data: {"a": "\xff\xfe"}\n\n')
    assert isinstance(decoder.error, UnicodeDecodeError)


def test_truncated_json_is_a_malformed_event() -> None:
    _, decoder = decode(b'data: {"choices": [{"delta": {"content": \n\n')
    assert isinstance(decoder.error, json.JSONDecodeError)


# --- bodies that are not event streams -----------------------------------------------


@pytest.mark.parametrize(
    ("body", "content_type", "message"),
    [
        (
            b'{"code": "X", "message": "json says no"}',
            "application/json",
            "json says no",
        ),
        (b'\xef\xbb\xbf  \n{"message": "after a BOM"}', "", "after a BOM"),
        (
            b"<html><title>Denied &amp; gone</title></html>",
            "text/html",
            "Denied & gone",
        ),
        (b"<p>no <b>title</b> here</p>", "", "no title here"),
        (b"Service Unavailable", "text/html", "Service Unavailable"),
    ],
)
def test_bodies_that_are_no_stream(
    body: bytes, content_type: str, message: str
) -> None:
    events, decoder = decode(body[:5], body[5:], content_type=content_type)
    assert events == []
    assert type(decoder.error) is OmniAPIError
    assert decoder.error.message == message
    assert decoder.error.status == 200


def test_a_plain_text_body_is_quoted_at_its_end() -> None:
    events, decoder = decode(b"upstream connect error\n", content_type="text/plain")
    assert events == []
    assert isinstance(decoder.error, OmniAPIError)
    assert decoder.error.message == "upstream connect error"


def test_a_huge_page_is_read_only_up_to_the_bound() -> None:
    decoder = EventDecoder(content_type="text/html")
    fed = 0
    page = b"<html>" + b"<p>filler</p>" * 1000
    while not decoder.done:
        decoder.feed(page)
        fed += len(page)
        assert fed < 10 * BODY_LIMIT
    assert fed <= BODY_LIMIT + len(page)
    assert isinstance(decoder.error, OmniAPIError)
    assert decoder.error.message.startswith("filler filler")


def test_a_full_chat_completion_body_says_so() -> None:
    body = json.dumps({"choices": [{"message": {"content": "hi"}}]}).encode()
    _, decoder = decode(body, content_type="application/json")
    assert isinstance(decoder.error, OmniAPIError)
    assert "stream=true" in decoder.error.message


def test_an_empty_body_has_no_events_and_no_error() -> None:
    events, decoder = decode(b"", b"\n\n")
    assert events == []
    assert decoder.error is None


@pytest.mark.parametrize(
    "keep_alive", [b"event: ping\n\n", b"data:\n\n", b"data: \n\n", b": ping\n\n"]
)
def test_keep_alives_between_events_are_skipped(keep_alive: bytes) -> None:
    first, rest = STREAM.split(b"\n\n", 1)
    events, decoder = decode(first + b"\n\n" + keep_alive + rest)
    assert events == EVENTS
    assert decoder.error is None


def test_an_error_frame_without_data_is_still_an_error() -> None:
    _, decoder = decode(b"event: error\n:HTTP_STATUS/503\n\n")
    assert type(decoder.error) is OmniAPIError
    assert decoder.error.status == 503
