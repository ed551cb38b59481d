"""JSON mode in the emulator: the keys read from the prompt, the object answered."""

from __future__ import annotations

import json
import time
from typing import Any, Literal

import pytest
from langchain_core.output_parsers import JsonOutputParser, PydanticOutputParser
from pydantic import BaseModel, Field

from langchain_qwen_omni.emulator.json_prompt import (
    SCAN_CHARS,
    described_schema,
    json_objects,
    prose,
    schema_of_example,
)
from langchain_qwen_omni.emulator.tools import example_from_schema, json_answer


class Review(BaseModel):
    """A short review of a film."""

    title: str = Field(description="the film's title")
    stars: int = Field(ge=1, le=5)
    verdict: Literal["watch", "skip"]
    tags: list[str]
    note: str | None = None


class Node(BaseModel):
    """A tree: optional links back to the same model must not loop."""

    name: str
    parent: Node | None = None
    children: list[Node] = []
    first: Node | None


def _answer(*messages: tuple[str, str]) -> Any:
    body = {
        "model": "qwen3-omni-flash",
        "messages": [{"role": role, "content": text} for role, text in messages],
        "response_format": {"type": "json_object"},
    }
    return json.loads(json_answer(body) or "null")


def test_langchain_format_instructions_give_the_pydantic_fields() -> None:
    instructions = PydanticOutputParser(
        pydantic_object=Review
    ).get_format_instructions()
    value = _answer(("user", f"Review the film in 4 stars. {instructions}"))
    assert value == {
        "title": "emulated title",
        "stars": 4,  # from the prose, not from the schema's minimum
        "verdict": "watch",
        "tags": ["emulated tags"],
        "note": None,
    }
    Review.model_validate(value)


def test_format_instructions_in_the_system_message() -> None:
    instructions = JsonOutputParser(pydantic_object=Review).get_format_instructions()
    value = _answer(("system", instructions), ("user", "Rate it 5 stars."))
    assert Review.model_validate(value).stars == 5


def test_an_example_object_gives_its_keys_with_values_of_its_types() -> None:
    prompt = (
        'Answer in JSON like {"city": "...", "population": 0, "ratio": 0.5, '
        '"coastal": true, "districts": ["..."], "mayor": {"name": "..."}, '
        '"motto": null}. France has 68 million people.'
    )
    assert _answer(("user", prompt)) == {
        "city": "emulated city",
        "population": 68,
        "ratio": 1.0,
        "coastal": True,
        "districts": ["emulated districts"],
        "mayor": {"name": "emulated name"},
        "motto": None,
    }


@pytest.mark.parametrize(
    ("prompt", "expected"),
    [
        ("Reply in JSON with keys: city, country.", {"city", "country"}),
        ("JSON, fields: `a`, 'b' and \"c\" please", {"a", "b", "c"}),
        ("Use these Keys: name or nickname; nothing else", {"name", "nickname"}),
    ],
)
def test_listed_keys(prompt: str, expected: set[str]) -> None:
    value = _answer(("user", prompt))
    assert set(value) == expected
    assert all(v == f"emulated {k}" for k, v in value.items())


def test_listed_keys_take_a_type_in_parentheses() -> None:
    prompt = "JSON with keys: n (integer), x (float), ok (bool), tags (list), m (dict)"
    assert _answer(("user", prompt + ". Take 7 and 2.5")) == {
        "n": 7,
        "x": 2.5,
        "ok": True,
        "tags": ["emulated tags"],
        "m": {},
    }


def test_the_last_description_in_a_text_wins_and_the_user_over_the_system() -> None:
    text = 'Not {"old": 1} but {"new": "x"}. Output JSON.'
    assert set(_answer(("user", text))) == {"new"}
    value = _answer(("system", "JSON with keys: sys"), ("user", "keys: usr"))
    assert set(value) == {"usr"}
    assert set(_answer(("system", "JSON with keys: sys"), ("user", "hi"))) == {"sys"}


def test_without_a_description_the_answer_describes_the_request() -> None:
    assert _answer(("user", "Tell me about Paris in JSON.")) == {
        "model": "qwen3-omni-flash",
        "messages": 1,
        "roles": ["user"],
        "last_user_message": "Tell me about Paris in JSON.",
        "media": {},
    }


def test_json_objects_and_prose() -> None:
    text = 'a {"x": {"y": 1}} b {not json} c {"z": [1]} d ["list"]'
    assert [value for _, _, value in json_objects(text)] == [
        {"x": {"y": 1}},
        {"z": [1]},
    ]
    assert prose(text).split() == ["a", "b", "{not", "json}", "c", "d", '["list"]']


def test_only_the_end_of_a_long_text_is_read_and_stray_braces_are_cheap() -> None:
    early = '{"early": 1}' + " " * SCAN_CHARS
    assert described_schema([early + "keys: late"]) == {
        "type": "object",
        "properties": {"late": {"type": "string"}},
        "required": ["late"],
    }
    assert described_schema([early]) is None
    for hostile in ("{" * 20_000_000, '{"a": ' * 200_000):  # 20 MB, deep nesting
        start = time.perf_counter()
        assert described_schema([hostile]) is None
        assert time.perf_counter() - start < 1.0


def test_schema_of_example() -> None:
    assert schema_of_example({"a": [1], "b": False}) == {
        "type": "object",
        "properties": {
            "a": {"type": "array", "items": {"type": "integer"}},
            "b": {"type": "boolean"},
        },
        "required": ["a", "b"],
    }


def test_optional_fields_of_a_recursive_schema_end() -> None:
    schema = Node.model_json_schema()
    value = example_from_schema(schema, optional=True)
    assert value == {
        "name": "emulated name",
        "first": None,
        "parent": None,
        "children": [],
    }
    Node.model_validate(value)
    assert example_from_schema(schema) == {"name": "emulated name", "first": None}
