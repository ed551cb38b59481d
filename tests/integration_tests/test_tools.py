"""Tool calling over HTTP against the emulator: bind_tools, tool_choice, streams."""

from __future__ import annotations

import functools
import json
import operator
from typing import TYPE_CHECKING, Any

import httpx
import openai
import pytest
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    HumanMessage,
    ToolMessage,
)
from langchain_core.tools import tool

from langchain_qwen_omni import ChatQwenOmni, OmniInputError

if TYPE_CHECKING:
    from langchain_qwen_omni.emulator import OmniEmulator


@tool
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


@tool
def describe_place(city: str, country: str, population: int, capital: bool) -> str:  # noqa: FBT001
    """Describe a place from a few facts."""
    kind = "capital" if capital else "city"
    return f"{city} is a {kind} of {country} with {population} inhabitants."


UNICODE_TOOL = {
    "type": "function",
    "function": {
        "name": "greet",
        "description": "Greet a company.",
        "parameters": {
            "type": "object",
            "properties": {
                "name": {"type": "string", "enum": ["你好啊集团", "こんにちは"]}
            },
            "required": ["name"],
        },
    },
}


def merged(chunks: list[BaseMessage]) -> AIMessageChunk:
    total = functools.reduce(operator.add, chunks)
    assert isinstance(total, AIMessageChunk)
    return total


def wire_arguments(emu: OmniEmulator, body: dict[str, Any]) -> list[str]:
    """Ask the emulator directly: the argument pieces exactly as streamed."""
    pieces: list[str] = []
    with httpx.stream(
        "POST", emu.base_url + "/chat/completions", json=body, timeout=30
    ) as response:
        for line in response.iter_lines():
            if not line.startswith("data: ") or line == "data: [DONE]":
                continue
            for choice in json.loads(line[6:]).get("choices", []):
                calls = choice["delta"].get("tool_calls") or ()
                pieces.extend(
                    c["function"]["arguments"]
                    for c in calls
                    if c["function"].get("arguments")
                )
    return pieces


def test_invoke_returns_a_parsed_tool_call(chat: ChatQwenOmni, emu: OmniEmulator):
    message = chat.bind_tools([add]).invoke("What is 3 plus 4?")
    assert isinstance(message, AIMessage)
    (call,) = message.tool_calls
    assert call["name"] == "add"
    assert call["args"] == {"a": 3, "b": 4}
    assert call["id"]
    assert message.invalid_tool_calls == []
    assert message.response_metadata["finish_reason"] == "tool_calls"
    assert message.usage_metadata is not None
    assert message.usage_metadata["output_tokens"] > 0
    assert add.invoke(call["args"]) == 7
    body = emu.requests[-1].body
    assert body["tools"] == [
        {
            "type": "function",
            "function": {
                "name": "add",
                "description": "Add two integers.",
                "parameters": {
                    "type": "object",
                    "properties": {
                        "a": {"type": "integer"},
                        "b": {"type": "integer"},
                    },
                    "required": ["a", "b"],
                },
            },
        }
    ]
    assert "tool_choice" not in body


def test_streamed_arguments_over_many_chunks_assemble_exactly(
    chat: ChatQwenOmni, emu: OmniEmulator
):
    chunks = [
        chunk
        for chunk in chat.bind_tools([describe_place]).stream("Tell me about 1 city")
        if isinstance(chunk, AIMessageChunk)
    ]
    body = emu.requests[-1].body
    pieces = wire_arguments(emu, body)
    assert len(pieces) >= 5
    streamed = [c.tool_call_chunks[0]["args"] for c in chunks if c.tool_call_chunks]
    assert [p for p in streamed if p] == pieces
    full = merged(list(chunks))
    (call,) = full.tool_calls
    assert call["args"] == json.loads("".join(pieces))
    assert call["args"] == {
        "city": "emulated city",
        "country": "emulated country",
        "population": 1,
        "capital": True,
    }
    assert chunks[-1].chunk_position == "last"


async def test_async_stream_and_invoke(chat: ChatQwenOmni):
    bound = chat.bind_tools([add])
    chunks = [chunk async for chunk in bound.astream("Add 10 and 32")]
    assert merged(list(chunks)).tool_calls[0]["args"] == {"a": 10, "b": 32}
    message = await bound.ainvoke("Add 10 and 32")
    assert message.tool_calls[0]["args"] == {"a": 10, "b": 32}


def test_v1_output_has_tool_call_blocks(emu: OmniEmulator):
    model = ChatQwenOmni(
        base_url=emu.base_url, api_key="sk-emulator", output_version="v1"
    )
    message = model.bind_tools([add]).invoke("Add 1 and 2")
    assert message.content == [
        {
            "type": "tool_call",
            "name": "add",
            "args": {"a": 1, "b": 2},
            "id": message.tool_calls[0]["id"],
        }
    ]


@pytest.mark.parametrize(
    ("choice", "wire_choice", "called"),
    [
        ("auto", "auto", "add"),
        ("required", "required", "add"),
        ("any", "required", "add"),
        (True, "required", "add"),
        (
            "describe_place",
            {"type": "function", "function": {"name": "describe_place"}},
            "describe_place",
        ),
        (
            {"type": "function", "function": {"name": "describe_place"}},
            {"type": "function", "function": {"name": "describe_place"}},
            "describe_place",
        ),
    ],
)
def test_tool_choice_forms(
    chat: ChatQwenOmni, emu: OmniEmulator, choice: Any, wire_choice: Any, called: str
):
    message = chat.bind_tools([add, describe_place], tool_choice=choice).invoke("Go")
    assert emu.requests[-1].body["tool_choice"] == wire_choice
    assert [call["name"] for call in message.tool_calls] == [called]


def test_tool_choice_none_gives_text(chat: ChatQwenOmni, emu: OmniEmulator):
    message = chat.bind_tools([add], tool_choice="none").invoke("Add 1 and 2")
    assert emu.requests[-1].body["tool_choice"] == "none"
    assert message.tool_calls == []
    assert "The last user message says: 'Add 1 and 2'" in message.text


def test_parallel_calls_arrive_by_index(chat: ChatQwenOmni, emu: OmniEmulator):
    bound = chat.bind_tools([add, describe_place], parallel_tool_calls=True)
    full = merged(list(bound.stream("Add 5 and 6, and describe 7 places")))
    assert emu.requests[-1].body["parallel_tool_calls"] is True
    assert [(c["name"], c["args"]) for c in full.tool_calls] == [
        ("add", {"a": 5, "b": 6}),
        (
            "describe_place",
            {
                "city": "emulated city",
                "country": "emulated country",
                "population": 7,
                "capital": True,
            },
        ),
    ]
    assert len({c["id"] for c in full.tool_calls}) == 2


def test_tool_results_round_trip_and_are_quoted(chat: ChatQwenOmni, emu: OmniEmulator):
    bound = chat.bind_tools([add])
    question = HumanMessage("What is 3 plus 4?")
    call_message = bound.invoke([question])
    call = call_message.tool_calls[0]
    result = ToolMessage(str(add.invoke(call["args"])), tool_call_id=call["id"])
    answer = bound.invoke([question, call_message, result])
    assert answer.tool_calls == []
    assert "The tool add returned '7'." in answer.text
    assert emu.requests[-1].body["messages"][1:] == [
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": call["id"],
                    "type": "function",
                    "function": {"name": "add", "arguments": '{"a": 3, "b": 4}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": call["id"], "content": "7"},
    ]


def test_non_ascii_arguments_survive_the_stream(chat: ChatQwenOmni):
    chunks = list(chat.bind_tools([UNICODE_TOOL]).stream("Greet them"))
    assert merged(list(chunks)).tool_calls[0]["args"] == {"name": "你好啊集团"}


def test_model_without_tools_is_refused_before_any_request(emu: OmniEmulator):
    turbo = ChatQwenOmni(model="qwen-omni-turbo", base_url=emu.base_url, api_key="k")
    with pytest.raises(OmniInputError, match="cannot call tools"):
        turbo.bind_tools([add])
    with pytest.raises(OmniInputError, match="tools in the request"):
        turbo.invoke("Hi", tools=[UNICODE_TOOL])
    assert emu.requests == []


def test_unknown_model_is_let_through_and_the_api_decides(emu: OmniEmulator):
    model = ChatQwenOmni(
        model="qwen-omni-turbo-preview",  # unknown to the client, turbo to the API
        base_url=emu.base_url,
        api_key="k",
        max_retries=0,
    )
    bound = model.bind_tools([add])  # unknown: treated as capable
    with pytest.raises(openai.BadRequestError, match="The tool call is not supported"):
        bound.invoke("Add 1 and 2")
    assert emu.requests[-1].body["tools"][0]["function"]["name"] == "add"
