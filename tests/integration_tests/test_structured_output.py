"""Structured output over HTTP against the emulator: schemas, methods, include_raw."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Literal

import pytest
from langchain_core.messages import AIMessage
from pydantic import BaseModel, Field
from typing_extensions import TypedDict

if TYPE_CHECKING:
    from langchain_qwen_omni import ChatQwenOmni
    from langchain_qwen_omni.emulator import OmniEmulator


class Review(BaseModel):
    """A short review of a film."""

    title: str = Field(description="the film's title")
    stars: int = Field(ge=1, le=5, description="rating out of five")
    verdict: Literal["watch", "skip"]
    tags: list[str]


class ReviewDict(TypedDict):
    """A short review of a film."""

    title: str
    stars: int
    verdict: Literal["watch", "skip"]
    tags: list[str]


REVIEW_SCHEMA: dict[str, Any] = {
    "title": "ReviewSchema",
    "description": "A short review of a film.",
    "type": "object",
    "properties": {
        "title": {"type": "string"},
        "stars": {"type": "integer", "minimum": 1, "maximum": 5},
        "verdict": {"type": "string", "enum": ["watch", "skip"]},
        "tags": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["title", "stars", "verdict", "tags"],
}

EXPECTED = {
    "title": "emulated title",
    "stars": 4,
    "verdict": "watch",
    "tags": ["emulated tags"],
}
PROMPT = "Review the film in 4 stars."


@pytest.mark.parametrize(
    ("schema", "name", "expected"),
    [
        (Review, "Review", Review(**EXPECTED)),
        (ReviewDict, "ReviewDict", EXPECTED),
        (REVIEW_SCHEMA, "ReviewSchema", EXPECTED),
    ],
)
def test_function_calling_for_each_kind_of_schema(
    chat: ChatQwenOmni, emu: OmniEmulator, schema: Any, name: str, expected: Any
):
    assert chat.with_structured_output(schema).invoke(PROMPT) == expected
    body = emu.requests[-1].body
    assert [t["function"]["name"] for t in body["tools"]] == [name]
    assert body["tool_choice"] == {"type": "function", "function": {"name": name}}
    assert "response_format" not in body


async def test_async_and_batch(chat: ChatQwenOmni):
    structured = chat.with_structured_output(Review)
    assert await structured.ainvoke(PROMPT) == Review(**EXPECTED)
    assert structured.batch([PROMPT, PROMPT]) == [Review(**EXPECTED)] * 2


def test_streamed_dicts_grow_into_the_answer(chat: ChatQwenOmni):
    parts = list(chat.with_structured_output(ReviewDict).stream(PROMPT))
    assert len(parts) > 1
    assert parts[-1] == EXPECTED


@pytest.mark.parametrize("schema", [Review, ReviewDict, REVIEW_SCHEMA])
def test_include_raw(chat: ChatQwenOmni, schema: Any):
    result = chat.with_structured_output(schema, include_raw=True).invoke(PROMPT)
    assert isinstance(result, dict)
    assert set(result) == {"raw", "parsed", "parsing_error"}
    raw = result["raw"]
    assert isinstance(raw, AIMessage)
    assert raw.tool_calls[0]["args"] == EXPECTED
    assert raw.response_metadata["finish_reason"] == "tool_calls"
    parsed = result["parsed"]
    assert (parsed.model_dump() if isinstance(parsed, BaseModel) else parsed) == (
        EXPECTED
    )
    assert result["parsing_error"] is None


def test_json_mode_parses_the_json_answer(chat: ChatQwenOmni, emu: OmniEmulator):
    answer = chat.with_structured_output(method="json_mode").invoke(
        "Describe this request as JSON."
    )
    assert answer == {
        "model": "qwen3-omni-flash",
        "messages": 1,
        "roles": ["user"],
        "last_user_message": "Describe this request as JSON.",
        "media": {},
    }
    body = emu.requests[-1].body
    assert body["response_format"] == {"type": "json_object"}
    assert "tools" not in body


def test_json_mode_with_a_schema_reports_what_does_not_fit(chat: ChatQwenOmni):
    result = chat.with_structured_output(
        Review, method="json_mode", include_raw=True
    ).invoke("Review the film as JSON.")
    assert isinstance(result, dict)
    assert result["parsed"] is None
    assert "Failed to parse Review" in str(result["parsing_error"])
    assert '"last_user_message"' in result["raw"].text


def test_json_schema_is_sent_as_function_calling(
    chat: ChatQwenOmni, emu: OmniEmulator, caplog: pytest.LogCaptureFixture
):
    with caplog.at_level(logging.WARNING, logger="langchain_qwen_omni.chat_models"):
        structured = chat.with_structured_output(Review, method="json_schema")
    assert "documents no json_schema response format" in caplog.text
    assert structured.invoke(PROMPT) == Review(**EXPECTED)
    body = emu.requests[-1].body
    assert body["tool_choice"]["function"]["name"] == "Review"
    assert "response_format" not in body


def test_a_json_schema_response_format_passed_through_is_answered(
    chat: ChatQwenOmni,
):
    response_format = {
        "type": "json_schema",
        "json_schema": {"name": "ReviewSchema", "schema": REVIEW_SCHEMA},
    }
    message = chat.invoke(PROMPT, response_format=response_format)
    assert Review.model_validate_json(message.text) == Review(**EXPECTED)
