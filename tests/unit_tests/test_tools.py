"""Tools, structured output and thinking without a network.

The emulator's pure rules (tool arguments from JSON schemas, which tool is
called, JSON and thinking answers, request checks) and the client's request
building (`bind_tools`, `tool_choice` forms, capability checks).
"""

from __future__ import annotations

import dataclasses
import functools
import json
import logging
import operator
from typing import Any, Literal

import pytest
from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage, ToolMessage
from langchain_core.tools import tool
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import BaseModel, Field
from typing_extensions import TypedDict

from langchain_qwen_omni import ChatQwenOmni, OmniInputError
from langchain_qwen_omni._stream import StreamAssembler
from langchain_qwen_omni.emulator import EmulatorOptions
from langchain_qwen_omni.emulator.tools import (
    build_answer,
    check_tools,
    example_from_schema,
    json_answer,
    plan_tool_calls,
    tool_call_deltas,
    tool_results_text,
)
from langchain_qwen_omni.profiles import get_profile
from tests import wire
from tests.convert import wire_of
from tests.wire import deltas as deltas_of

# --- schemas ------------------------------------------------------------------


class Address(BaseModel):
    street: str
    number: int = Field(ge=1, le=9999)


class Person(BaseModel):
    """A person with nested, optional, enum and list fields."""

    name: str = Field(min_length=20)
    code: str = Field(max_length=3)
    age: int = Field(ge=18)
    height: float = Field(lt=3.0)
    unit: Literal["cm", "in"]
    married: bool
    nickname: str | None
    email: str = Field(json_schema_extra={"format": "email"})
    address: Address
    previous: list[Address] = Field(min_length=2)
    tags: list[str]
    scores: dict[str, int]
    note: str = "optional, so left out"


class Tree(BaseModel):
    label: str
    children: list[Tree]


class Chain(BaseModel):
    label: str
    next: Chain | None


@pytest.mark.parametrize("model", [Person, Address, Tree, Chain])
def test_example_is_valid_for_pydantic_schemas(model: type[BaseModel]) -> None:
    value = example_from_schema(model.model_json_schema())
    model.model_validate(value)  # raises if the example breaks the schema
    assert json.loads(json.dumps(value)) == value


def test_example_fills_required_fields_with_typed_values() -> None:
    value = example_from_schema(Person.model_json_schema(), numbers=[42, 1.8])
    assert value["age"] == 42
    assert value["height"] == 1.8
    assert value["unit"] == "cm"
    assert value["married"] is True
    assert value["nickname"] == "emulated nickname"
    assert value["email"] == "user@example.com"
    assert len(value["name"]) >= 20
    assert value["code"] == "emu"
    assert value["address"] == {"street": "emulated street", "number": 1}
    assert len(value["previous"]) == 2
    assert value["tags"] == ["emulated tags"]
    assert "note" not in value


def test_example_clamps_numbers_and_handles_plain_schemas() -> None:
    schema = {
        "type": "object",
        "properties": {
            "small": {"type": "integer", "maximum": 10},
            "big": {"type": "number", "exclusiveMinimum": 100},
            "kind": {"const": "fixed"},
            "maybe": {"type": ["null", "boolean"]},
            "anything": {},
            "pair": {"type": "array", "prefixItems": [{"type": "integer"}, {}]},
            "none": {"type": "array", "maxItems": 0},
        },
        "required": ["small", "big", "kind", "maybe", "anything", "pair", "none"],
    }
    value = example_from_schema(schema, numbers=[5000, 3, 7.9])
    assert value == {
        "small": 10,
        "big": 101.0,
        "kind": "fixed",
        "maybe": True,
        "anything": "emulated anything",
        "pair": [7, "emulated pair"],
        "none": [],
    }


def test_example_numbers_fall_back_to_a_count() -> None:
    schema = convert_to_openai_tool(_add)["function"]["parameters"]
    assert example_from_schema(schema) == {"a": 1, "b": 2}
    assert example_from_schema(schema, numbers=[0]) == {"a": 0, "b": 1}


def test_recursive_schemas_stop_where_they_repeat() -> None:
    assert example_from_schema(Tree.model_json_schema()) == {
        "label": "emulated label",
        "children": [],
    }
    assert example_from_schema(Chain.model_json_schema()) == {
        "label": "emulated label",
        "next": None,
    }
    loop = {"$ref": "#/$defs/Loop", "$defs": {"Loop": {"$ref": "#/$defs/Loop"}}}
    assert example_from_schema(loop) == "emulated value"  # ends, does not hang


# --- which tool the emulator calls ------------------------------------------------


@tool
def _add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


@tool
def _weather(city: str) -> str:
    """Weather in a city."""
    return f"Sunny in {city}"


TOOLS = [convert_to_openai_tool(_add), convert_to_openai_tool(_weather)]


def _body(*messages: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "model": "qwen3-omni-flash",
        "messages": list(messages) or [{"role": "user", "content": "Add 3 and 4"}],
        "stream": True,
        **extra,
    }


def _names(body: dict[str, Any]) -> list[str]:
    return [call.name for call in plan_tool_calls(body)]


def _after_call(name: str, result: str = "7") -> list[dict[str, Any]]:
    return [
        {"role": "user", "content": "Add 3 and 4"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": name, "arguments": "{}"},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": result},
    ]


def test_first_tool_is_called_with_the_user_numbers() -> None:
    (call,) = plan_tool_calls(_body(tools=TOOLS))
    assert call.name == "_add"
    assert json.loads(call.arguments) == {"a": 3, "b": 4}


@pytest.mark.parametrize(
    ("extra", "names"),
    [
        ({}, []),
        ({"tools": TOOLS, "tool_choice": "none"}, []),
        ({"tools": TOOLS, "tool_choice": "auto"}, ["_add"]),
        ({"tools": TOOLS, "tool_choice": "required"}, ["_add"]),
        (
            {
                "tools": TOOLS,
                "tool_choice": {"type": "function", "function": {"name": "_weather"}},
            },
            ["_weather"],
        ),
        ({"tools": TOOLS, "parallel_tool_calls": True}, ["_add", "_weather"]),
    ],
)
def test_tool_choice_decides_the_call(extra: dict[str, Any], names: list[str]) -> None:
    assert _names(_body(**extra)) == names


def test_after_tool_results_the_answer_is_text_quoting_them() -> None:
    body = _body(*_after_call("_add", "The sum is 7"), tools=TOOLS)
    assert plan_tool_calls(body) == []
    assert tool_results_text(body) == (
        "[qwen3-omni-flash emulator] The tool _add returned 'The sum is 7'."
    )


def test_forced_choice_after_results_calls_the_next_tool() -> None:
    body = _body(*_after_call("_add"), tools=TOOLS, tool_choice="required")
    assert _names(body) == ["_weather"]
    body = _body(*_after_call("_weather"), tools=TOOLS[1:], tool_choice="required")
    assert _names(body) == ["_weather"]


def test_tool_call_deltas_stream_arguments_in_pieces() -> None:
    (call,) = plan_tool_calls(_body(tools=TOOLS))
    deltas = tool_call_deltas([call], "call_x")
    first, *rest = (delta["tool_calls"][0] for delta in deltas)
    assert first == {
        "index": 0,
        "id": "call_x_0",
        "type": "function",
        "function": {"name": "_add", "arguments": ""},
    }
    assert len(rest) >= 3
    assert "".join(piece["function"]["arguments"] for piece in rest) == call.arguments


def _answer(body: dict[str, Any], **options: Any) -> list[dict[str, Any]]:
    return build_answer(
        body,
        EmulatorOptions(**options),
        completion_id="chatcmpl-abc",
        created=1_700_000_000,
        audio_id="audio_abc",
    )


def test_tool_call_answer_chunks() -> None:
    chunks = _answer(
        _body(tools=TOOLS, stream_options={"include_usage": True}, modalities=["text"])
    )
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    assert chunks[-2]["choices"][0]["finish_reason"] == "tool_calls"
    assert all(c["id"] == "chatcmpl-abc" for c in chunks)
    assert not any("content" in d for d in deltas_of(chunks)[1:])
    usage = chunks[-1]["usage"]
    assert usage["completion_tokens"] > 0
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]


def test_thinking_streams_reasoning_first_and_counts_it() -> None:
    plain = _answer(_body(stream_options={"include_usage": True}))
    thought = _answer(
        _body(stream_options={"include_usage": True}, enable_thinking=True)
    )
    deltas = deltas_of(thought)
    reasoning = [d["reasoning_content"] for d in deltas if "reasoning_content" in d]
    first_text = next(i for i, d in enumerate(deltas) if d.get("content"))
    last_reasoning = max(i for i, d in enumerate(deltas) if "reasoning_content" in d)
    assert last_reasoning < first_text
    assert "".join(reasoning) == (
        "The user wrote 'Add 3 and 4'. I will describe what I received."
    )
    plain_usage, usage = plain[-1]["usage"], thought[-1]["usage"]
    tokens = usage["completion_tokens_details"]["reasoning_tokens"]
    assert tokens > 0
    assert usage["completion_tokens"] == plain_usage["completion_tokens"] + tokens
    assert usage["total_tokens"] == plain_usage["total_tokens"] + tokens


def test_json_object_answer_describes_the_request() -> None:
    body = _body(response_format={"type": "json_object"})
    assert json.loads(json_answer(body) or "") == {
        "model": "qwen3-omni-flash",
        "messages": 1,
        "roles": ["user"],
        "last_user_message": "Add 3 and 4",
        "media": {},
    }
    text = "".join(d.get("content", "") for d in deltas_of(_answer(body)))
    assert json.loads(text)["last_user_message"] == "Add 3 and 4"


def test_json_schema_answer_is_an_instance() -> None:
    response_format = {
        "type": "json_schema",
        "json_schema": {"name": "Person", "schema": Person.model_json_schema()},
    }
    text = json_answer(_body(response_format=response_format)) or ""
    Person.model_validate_json(text)


def test_fixed_answer_option_wins_over_json_and_results() -> None:
    body = _body(response_format={"type": "json_object"})
    text = "".join(d.get("content", "") for d in deltas_of(_answer(body, answer="Hi")))
    assert text == "Hi"


# --- request rules ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            {"tools": TOOLS, "model": "qwen-omni-turbo"},
            "The tool call is not supported.",
        ),
        ({"tools": {"a": 1}}, "Input should be a valid list: tools"),
        ({"tools": [{"type": "function"}]}, "tools[0]"),
        ({"tools": TOOLS, "tool_choice": "sometimes"}, "tool_choice"),
        (
            {
                "tools": TOOLS,
                "tool_choice": {"type": "function", "function": {"name": "nope"}},
            },
            "'nope', which is not in tools",
        ),
        ({"response_format": {"type": "xml"}}, "response_format.type"),
    ],
)
def test_tool_rules(extra: dict[str, Any], message: str) -> None:
    error = check_tools(_body(**extra))
    assert error is not None
    assert error.status == 400
    assert message in error.message


def test_valid_tool_requests_pass() -> None:
    for extra in (
        {},
        {"tools": TOOLS, "tool_choice": "auto"},
        {
            "tools": TOOLS,
            "tool_choice": {"type": "function", "function": {"name": "_add"}},
        },
        {"response_format": {"type": "json_object"}},
    ):
        assert check_tools(_body(**extra)) is None


# --- the client: bind_tools and the request body ---------------------------------


def _model(**fields: Any) -> ChatQwenOmni:
    return ChatQwenOmni(api_key="sk-test", **fields)


def _payload(chat: ChatQwenOmni, **kwargs: Any) -> dict[str, Any]:
    return chat._build_payload([HumanMessage("hi")], None, **kwargs)


def test_bind_tools_puts_openai_tools_in_the_body() -> None:
    bound = _model().bind_tools([_add, _weather])
    payload = _payload(_model(), **bound.kwargs)  # type: ignore[attr-defined]
    assert payload["tools"] == TOOLS
    assert "tool_choice" not in payload


@pytest.mark.parametrize(
    ("choice", "wire_choice"),
    [
        ("auto", "auto"),
        ("none", "none"),
        ("required", "required"),
        ("any", "required"),
        (True, "required"),
        ("_weather", {"type": "function", "function": {"name": "_weather"}}),
        (
            {"type": "function", "function": {"name": "_add"}},
            {"type": "function", "function": {"name": "_add"}},
        ),
    ],
)
def test_tool_choice_forms(choice: Any, wire_choice: Any) -> None:
    bound = _model().bind_tools([_add, _weather], tool_choice=choice)
    assert bound.kwargs["tool_choice"] == wire_choice  # type: ignore[attr-defined]


@pytest.mark.parametrize("choice", [None, False])
def test_no_tool_choice_leaves_the_default(choice: Any) -> None:
    bound = _model().bind_tools([_add], tool_choice=choice)
    assert "tool_choice" not in bound.kwargs  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "choice", ["_multiply", {"type": "function", "function": {"name": "x"}}, 3]
)
def test_unknown_tool_choice_is_refused(choice: Any) -> None:
    with pytest.raises(OmniInputError, match="tool_choice=") as info:
        _model().bind_tools([_add], tool_choice=choice)
    assert "['_add']" in str(info.value)


def test_parallel_tool_calls_is_sent() -> None:
    bound = _model().bind_tools([_add], parallel_tool_calls=False)
    assert bound.kwargs["parallel_tool_calls"] is False  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "name",
    [
        "qwen-omni-turbo",
        "qwen-omni-turbo-2025-03-26",
        "qwen2.5-omni-7b",
        "qwen3-omni-30b-a3b-captioner",
    ],
)
def test_models_without_tool_calling_refuse_at_bind_and_call_time(name: str) -> None:
    model = _model(model=name)
    with pytest.raises(
        OmniInputError, match=r"bind_tools\(\): .*cannot call tools"
    ) as info:
        model.bind_tools([_add])
    assert "limits={'tool_calling': True}" in str(info.value)
    with pytest.raises(OmniInputError, match="tools in the request"):
        _payload(model, tools=TOOLS)
    with pytest.raises(OmniInputError, match="cannot call tools"):
        model.with_structured_output(Address)
    model.with_structured_output(Address, method="json_mode")  # no tools needed


def test_call_time_model_override_is_checked_too() -> None:
    with pytest.raises(OmniInputError, match="'qwen-omni-turbo' cannot call tools"):
        _payload(_model(), tools=TOOLS, model="qwen-omni-turbo")


def test_unknown_model_names_are_treated_as_capable(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING):
        model = _model(model="qwen9-omni-turbo-preview")
        assert get_profile(model.model).tool_calling is False  # the family guess
        bound = model.bind_tools([_add])
    assert _payload(model, **bound.kwargs)["tools"] == TOOLS[:1]  # type: ignore[attr-defined]


def test_limits_override_enables_or_disables_tools() -> None:
    turbo = _model(model="qwen-omni-turbo", limits={"tool_calling": True})
    assert _payload(turbo, **turbo.bind_tools([_add]).kwargs)["tools"]  # type: ignore[attr-defined]
    whole = dataclasses.replace(get_profile("qwen-omni-turbo"), tool_calling=True)
    _model(model="qwen-omni-turbo", limits=whole).bind_tools([_add])
    refused = _model(model="qwen9-omni-new", limits={"tool_calling": False})
    with pytest.raises(OmniInputError, match="cannot call tools"):
        refused.bind_tools([_add])
    # other limits leave an unknown name's benefit of the doubt alone
    _model(model="qwen9-omni-turbo", limits={"audio_max_seconds": 600}).bind_tools(
        [_add]
    )


# --- the client: structured output and thinking ------------------------------------


class Joke(TypedDict):
    """A joke."""

    setup: str
    punchline: str


def test_structured_output_binds_the_schema_as_a_forced_tool() -> None:
    runnable = _model().with_structured_output(Joke)
    bound = runnable.first  # type: ignore[attr-defined]
    assert bound.kwargs["tools"][0]["function"]["name"] == "Joke"
    assert bound.kwargs["tool_choice"] == {
        "type": "function",
        "function": {"name": "Joke"},
    }
    message = AIMessage(
        "",
        tool_calls=[
            {"name": "Joke", "args": {"setup": "a", "punchline": "b"}, "id": "1"}
        ],
    )
    assert runnable.last.invoke(message) == {"setup": "a", "punchline": "b"}  # type: ignore[attr-defined]


def test_json_mode_sets_the_response_format() -> None:
    runnable = _model().with_structured_output(method="json_mode")
    bound = runnable.first  # type: ignore[attr-defined]
    assert bound.kwargs["response_format"] == {"type": "json_object"}
    assert "tools" not in bound.kwargs
    assert runnable.last.invoke(AIMessage('{"a": 1}')) == {"a": 1}  # type: ignore[attr-defined]


def test_json_schema_degrades_to_function_calling_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING):
        runnable = _model().with_structured_output(Address, method="json_schema")
    assert "documents no json_schema" in caplog.text
    bound = runnable.first  # type: ignore[attr-defined]
    assert bound.kwargs["tool_choice"]["function"]["name"] == "Address"
    assert "response_format" not in bound.kwargs


def test_structured_output_argument_errors() -> None:
    with pytest.raises(ValueError, match="needs a schema"):
        _model().with_structured_output(None)
    with pytest.raises(ValueError, match="Unknown structured output method"):
        _model().with_structured_output(Joke, method="xml")  # type: ignore[arg-type]


def test_thinking_is_sent_and_refused_with_speech() -> None:
    assert _payload(_model(enable_thinking=True))["enable_thinking"] is True
    assert _payload(_model(), enable_thinking=True)["enable_thinking"] is True
    speaker = _model(modalities=["text", "audio"])
    with pytest.raises(OmniInputError, match="thinking"):
        _payload(speaker, enable_thinking=True)


# --- the client: wire shapes of tool turns and streamed calls ----------------------


def test_tool_turns_round_trip_to_the_wire_shape() -> None:
    history = [
        HumanMessage("Add 3 and 4"),
        AIMessage(
            "",
            tool_calls=[{"name": "_add", "args": {"a": 3, "b": 4}, "id": "call_1"}],
        ),
        ToolMessage("7", tool_call_id="call_1"),
    ]
    assert wire_of(history)[1:] == [
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "_add", "arguments": '{"a": 3, "b": 4}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": "7"},
    ]


def test_several_streamed_tools_assemble_by_index() -> None:
    def piece(index: int, **fields: Any) -> dict[str, Any]:
        return wire.event({"tool_calls": [{"index": index, **fields}]})

    events = [
        piece(0, id="call_a", function={"name": "_add", "arguments": ""}),
        piece(1, id="call_b", function={"name": "_weather", "arguments": '{"ci'}),
        piece(0, function={"arguments": '{"a": 3,'}),
        piece(1, function={"arguments": 'ty": "Oslo"}'}),
        piece(0, function={"arguments": ' "b": 4}'}),
        wire.event({}, finish_reason="tool_calls"),
    ]
    assembler = StreamAssembler(speech=False)
    chunks = [c.message for e in events for c in assembler.feed(e)]
    chunks.append(assembler.finish().message)
    expected = [
        {"name": "_add", "args": {"a": 3, "b": 4}, "id": "call_a", "type": "tool_call"},
        {
            "name": "_weather",
            "args": {"city": "Oslo"},
            "id": "call_b",
            "type": "tool_call",
        },
    ]
    assert assembler.message().tool_calls == expected
    merged = functools.reduce(operator.add, chunks)
    assert isinstance(merged, AIMessageChunk)
    assert merged.tool_calls == expected
    blocks = assembler.message().content_blocks
    assert [b["type"] for b in blocks] == ["tool_call", "tool_call"]
