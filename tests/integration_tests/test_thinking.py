"""Thinking mode over HTTP against the emulator: reasoning blocks and usage."""

from __future__ import annotations

import functools
import operator
from typing import TYPE_CHECKING

import pytest
from langchain_core.messages import AIMessageChunk
from langchain_core.tools import tool

from langchain_qwen_omni import ChatQwenOmni, OmniInputError

if TYPE_CHECKING:
    from langchain_qwen_omni.emulator import OmniEmulator

REASONING = "The user wrote 'Why is the sky blue?'. I will describe what I received."


@pytest.fixture
def thinker(emu: OmniEmulator) -> ChatQwenOmni:
    return ChatQwenOmni(
        base_url=emu.base_url, api_key="sk-emulator", enable_thinking=True
    )


def test_invoke_keeps_reasoning_apart_from_the_answer(
    thinker: ChatQwenOmni, emu: OmniEmulator
):
    message = thinker.invoke("Why is the sky blue?")
    assert emu.requests[-1].body["enable_thinking"] is True
    assert message.additional_kwargs["reasoning_content"] == REASONING
    assert message.text.startswith("[qwen3-omni-flash emulator]")
    assert REASONING not in message.text
    blocks = message.content_blocks
    assert [b["type"] for b in blocks] == ["reasoning", "text"]
    assert blocks[0]["reasoning"] == REASONING  # type: ignore[typeddict-item]


def test_usage_reports_reasoning_tokens(thinker: ChatQwenOmni, chat: ChatQwenOmni):
    plain = chat.invoke("Why is the sky blue?").usage_metadata
    usage = thinker.invoke("Why is the sky blue?").usage_metadata
    assert plain is not None
    assert usage is not None
    reasoning = usage["output_token_details"]["reasoning"]
    assert reasoning == len(REASONING) // 4 + 1
    assert usage["output_tokens"] == plain["output_tokens"] + reasoning
    assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"]


def test_stream_sends_reasoning_before_the_answer(thinker: ChatQwenOmni):
    chunks = [
        c
        for c in thinker.stream("Why is the sky blue?")
        if isinstance(c, AIMessageChunk)
    ]
    kinds = [
        "reasoning" if c.additional_kwargs.get("reasoning_content") else "text"
        for c in chunks
        if c.additional_kwargs.get("reasoning_content") or c.text
    ]
    assert kinds == sorted(kinds)  # every reasoning piece before any text
    assert kinds.count("reasoning") > 1
    full = functools.reduce(operator.add, chunks)
    assert isinstance(full, AIMessageChunk)
    assert full.additional_kwargs["reasoning_content"] == REASONING
    assert [b["type"] for b in full.content_blocks] == ["reasoning", "text"]


async def test_v1_output_streams_one_reasoning_block(emu: OmniEmulator):
    model = ChatQwenOmni(
        base_url=emu.base_url,
        api_key="sk-emulator",
        enable_thinking=True,
        output_version="v1",
    )
    chunks = [c async for c in model.astream("Why is the sky blue?")]
    full = functools.reduce(operator.add, chunks)
    assert isinstance(full.content, list)
    assert [b["type"] for b in full.content] == ["reasoning", "text"]  # type: ignore[index]
    assert full.content[0]["reasoning"] == REASONING  # type: ignore[index]


def test_thinking_per_call_and_off_by_default(chat: ChatQwenOmni, emu: OmniEmulator):
    assert "reasoning_content" not in chat.invoke("Hi").additional_kwargs
    assert "enable_thinking" not in emu.requests[-1].body
    message = chat.invoke("Hi", enable_thinking=True)
    assert emu.requests[-1].body["enable_thinking"] is True
    assert message.additional_kwargs["reasoning_content"]


def test_thinking_then_a_tool_call(thinker: ChatQwenOmni):
    @tool
    def sky_colour(hour: int) -> str:
        """Colour of the sky at an hour of the day."""
        return "blue" if 6 <= hour <= 18 else "black"

    message = thinker.bind_tools([sky_colour]).invoke("What colour at 14?")
    assert message.additional_kwargs["reasoning_content"] == (
        "The user wrote 'What colour at 14?'. I will call sky_colour."
    )
    assert message.tool_calls[0]["args"] == {"hour": 14}
    assert [b["type"] for b in message.content_blocks] == ["reasoning", "tool_call"]


def test_speech_with_thinking_is_refused_before_any_request(
    speaker: ChatQwenOmni, emu: OmniEmulator
):
    with pytest.raises(OmniInputError, match=r"thinking.*modalities=\[\"text\"\]"):
        speaker.invoke("Hi", enable_thinking=True)
    both = ChatQwenOmni(
        base_url=emu.base_url,
        api_key="sk-emulator",
        modalities=["text", "audio"],
        enable_thinking=True,
    )
    with pytest.raises(
        OmniInputError, match="Speech cannot be requested with thinking"
    ):
        list(both.stream("Hi"))
    assert emu.requests == []
