"""Agents over HTTP against the emulator: create_agent and a LangGraph graph."""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Any

import pytest
from langchain.agents import create_agent
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    HumanMessage,
    ToolMessage,
)
from langchain_core.tools import tool
from langgraph.graph import END, START, MessagesState, StateGraph
from langgraph.prebuilt import ToolNode, tools_condition
from pydantic import BaseModel

from tests import media

if TYPE_CHECKING:
    from langchain_qwen_omni import ChatQwenOmni
    from langchain_qwen_omni.emulator import OmniEmulator

CALLS: list[dict[str, Any]] = []


@tool
def print_cost(width_cm: float, height_cm: float, price_per_cm2: float) -> str:
    """Price of printing a picture of the given size."""
    CALLS.append({"width": width_cm, "height": height_cm, "price": price_per_cm2})
    area = width_cm * height_cm
    return f"{area:g} cm2 at {price_per_cm2:g} each costs {area * price_per_cm2:.2f}"


QUESTION = "What does printing this photo at 30 x 20 cm cost, at 0.05 per cm2?"
RESULT = "600 cm2 at 0.05 each costs 30.00"


def photo_message() -> HumanMessage:
    png = base64.b64encode(media.png(64, 48)).decode()
    return HumanMessage(
        [
            {"type": "text", "text": QUESTION},
            {"type": "image", "base64": png, "mime_type": "image/png"},
        ]
    )


def test_create_agent_calls_the_tool_and_answers(chat: ChatQwenOmni, emu: OmniEmulator):
    CALLS.clear()
    agent = create_agent(chat, tools=[print_cost], system_prompt="Be brief.")
    result = agent.invoke({"messages": [photo_message()]})
    _question, call, tool_result, answer = result["messages"]
    assert isinstance(call, AIMessage)
    assert call.tool_calls[0]["name"] == "print_cost"
    assert CALLS == [{"width": 30.0, "height": 20.0, "price": 0.05}]
    assert isinstance(tool_result, ToolMessage)
    assert tool_result.content == RESULT
    assert isinstance(answer, AIMessage)
    assert answer.tool_calls == []
    assert f"The tool print_cost returned '{RESULT}'." in answer.text
    first, second = (r.body for r in emu.requests)
    assert first["messages"][0] == {"role": "system", "content": "Be brief."}
    assert [p["type"] for p in first["messages"][1]["content"]] == [
        "text",
        "image_url",
    ]
    assert [m["role"] for m in second["messages"]] == [
        "system",
        "user",
        "assistant",
        "tool",
    ]
    assert second["messages"][3]["content"] == RESULT


async def test_create_agent_async(chat: ChatQwenOmni):
    agent = create_agent(chat, tools=[print_cost])
    result = await agent.ainvoke({"messages": [HumanMessage(QUESTION)]})
    assert RESULT in result["messages"][-1].text


def test_create_agent_with_a_structured_response(chat: ChatQwenOmni, emu: OmniEmulator):
    class Quote(BaseModel):
        """The price quote given to the customer."""

        total: float
        currency: str

    agent = create_agent(chat, tools=[print_cost], response_format=Quote)
    result = agent.invoke({"messages": [HumanMessage(QUESTION)]})
    assert result["structured_response"] == Quote(
        total=30, currency="emulated currency"
    )
    calls = [r.body["tool_choice"] for r in emu.requests]
    assert calls == ["required", "required"]  # the answer tool is forced
    assert RESULT in [m.content for m in result["messages"]]


def test_state_graph_streams_message_chunks(chat: ChatQwenOmni):
    model = chat.bind_tools([print_cost])

    def call_model(state: MessagesState) -> dict[str, Any]:
        return {"messages": [model.invoke(state["messages"])]}

    graph = StateGraph(MessagesState)
    graph.add_node("model", call_model)
    graph.add_node("tools", ToolNode([print_cost]))
    graph.add_edge(START, "model")
    graph.add_conditional_edges("model", tools_condition, ["tools", END])
    graph.add_edge("tools", "model")
    app = graph.compile()

    chunks: dict[str, list[Any]] = {"model": [], "tools": []}
    events: Any = app.stream({"messages": [photo_message()]}, stream_mode="messages")
    for message, metadata in events:
        chunks[metadata["langgraph_node"]].append(message)

    model_chunks = chunks["model"]
    assert all(isinstance(c, AIMessageChunk) for c in model_chunks)
    assert sum(1 for c in model_chunks if c.tool_call_chunks) >= 4
    text = "".join(c.text for c in model_chunks)
    assert f"The tool print_cost returned '{RESULT}'." in text
    (tool_message,) = chunks["tools"]
    assert isinstance(tool_message, ToolMessage)
    assert tool_message.content == RESULT

    final = app.invoke({"messages": [HumanMessage(QUESTION)]})
    assert [type(m).__name__ for m in final["messages"]] == [
        "HumanMessage",
        "AIMessage",
        "ToolMessage",
        "AIMessage",
    ]


@tool(response_format="content")
def take_screenshot() -> list[dict[str, Any]]:
    """Take a screenshot of the user's screen."""
    png = base64.b64encode(media.png(40, 30)).decode()
    return [
        {"type": "text", "text": "the screen now"},
        {"type": "image", "base64": png, "mime_type": "image/png"},
    ]


def test_an_image_returned_by_a_tool_reaches_the_model(
    chat: ChatQwenOmni, emu: OmniEmulator, caplog
):
    agent = create_agent(chat, tools=[take_screenshot])
    with caplog.at_level("WARNING"):
        result = agent.invoke({"messages": [HumanMessage("What is on my screen?")]})
    tool_result = result["messages"][2]
    assert isinstance(tool_result, ToolMessage)
    assert isinstance(tool_result.content, list)  # the agent's history keeps it
    second = emu.requests[1].body
    assert [m["role"] for m in second["messages"]] == [
        "user",
        "assistant",
        "tool",
        "user",
    ]
    assert second["messages"][2]["content"] == "the screen now"
    (image,) = second["messages"][3]["content"]
    assert image["type"] == "image_url"
    assert image["image_url"]["url"].startswith("data:image/png;base64,")
    assert any("moved the image of tool" in r.getMessage() for r in caplog.records)


def test_strict_refuses_an_image_in_a_tool_result(emu: OmniEmulator):
    from langchain_qwen_omni import ChatQwenOmni, OmniConversationError  # noqa: PLC0415

    strict = ChatQwenOmni(base_url=emu.base_url, api_key="sk", strict=True)
    agent = create_agent(strict, tools=[take_screenshot])
    with pytest.raises(
        OmniConversationError, match="Message 2 is a tool result with image"
    ):
        agent.invoke({"messages": [HumanMessage("What is on my screen?")]})
    assert len(emu.requests) == 1  # the first turn only: nothing else left


# --- agents that speak only their final answer ---------------------------------


def speaking_agent(emu: OmniEmulator, **fields: Any) -> Any:
    from langchain_qwen_omni import ChatQwenOmni  # noqa: PLC0415

    model = ChatQwenOmni(
        base_url=emu.base_url,
        api_key="sk",
        modalities=["text", "audio"],
        spoken_turns="final",
        **fields,
    )
    return create_agent(model, tools=[print_cost])


def test_an_agent_speaks_only_its_final_answer(emu: OmniEmulator):
    from langchain_qwen_omni import OmniAudio  # noqa: PLC0415

    result = speaking_agent(emu).invoke({"messages": [photo_message()]})
    _question, call, _tool_result, answer = result["messages"]
    assert call.tool_calls[0]["name"] == "print_cost"
    assert "audio" not in call.additional_kwargs  # the working turn is silent
    assert OmniAudio.from_message(answer).duration > 0.4  # the answer is spoken
    assert f"The tool print_cost returned '{RESULT}'." in answer.text
    bodies = [r.body for r in emu.requests]
    assert [b.get("modalities") for b in bodies] == [None, None, ["text", "audio"]]
    assert [b.get("tool_choice") for b in bodies] == [None, None, "none"]
    assert all(b["tools"] for b in bodies)  # the spoken call still knows the tools


async def test_an_agent_speaks_only_its_final_answer_async(emu: OmniEmulator):
    agent = speaking_agent(emu)
    result = await agent.ainvoke({"messages": [photo_message()]})
    assert "audio" not in result["messages"][1].additional_kwargs
    assert result["messages"][-1].additional_kwargs["audio"]["data"]
    assert [r.body.get("modalities") for r in emu.requests] == [
        None,
        None,
        ["text", "audio"],
    ]


def test_streamed_agent_turns_keep_their_chunks(emu: OmniEmulator):
    agent = speaking_agent(emu)
    spoken = False
    calls = []
    for chunk, _meta in agent.stream(
        {"messages": [photo_message()]}, stream_mode="messages"
    ):
        if isinstance(chunk, AIMessageChunk):
            calls.extend(chunk.tool_call_chunks)
            spoken = spoken or bool(
                chunk.additional_kwargs.get("audio", {}).get("data")
            )
    assert [c["name"] for c in calls if c["name"]] == ["print_cost"]
    assert spoken


def test_without_tools_or_speech_nothing_changes(emu: OmniEmulator):
    from langchain_qwen_omni import ChatQwenOmni  # noqa: PLC0415

    speaker = ChatQwenOmni(
        base_url=emu.base_url,
        api_key="sk",
        modalities=["text", "audio"],
        spoken_turns="final",
    )
    assert speaker.invoke("Hello").additional_kwargs["audio"]["data"]
    text = ChatQwenOmni(base_url=emu.base_url, api_key="sk", spoken_turns="final")
    text.bind_tools([print_cost]).invoke(QUESTION)
    assert len(emu.requests) == 2  # one request each: no draft


def test_a_scripted_spoken_agent_is_deterministic(emu: OmniEmulator):
    from langchain_qwen_omni.emulator import Answer  # noqa: PLC0415

    emu.enqueue(
        Answer.tool_call(
            "print_cost", {"width_cm": 10, "height_cm": 10, "price_per_cm2": 1}
        ),
        Answer.text("It costs 100."),  # the text draft of the final answer
        Answer.spoken("It costs one hundred."),  # the spoken final answer
    )
    result = speaking_agent(emu).invoke({"messages": [HumanMessage("Cost?")]})
    call, answer = result["messages"][1], result["messages"][-1]
    assert call.tool_calls[0]["args"] == {
        "width_cm": 10,
        "height_cm": 10,
        "price_per_cm2": 1,
    }
    assert answer.text == "It costs one hundred."
    assert answer.additional_kwargs["audio"]["transcript"] == "It costs one hundred."
    assert emu.script.pending == []
