"""Scripted emulator answers over HTTP: agents, speech, JSON mode, the script route."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import TYPE_CHECKING, Any, Literal

import httpx
import openai
import pytest
from langchain.agents import create_agent
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langchain_core.output_parsers import PydanticOutputParser
from langchain_core.tools import tool
from pydantic import BaseModel, Field

from langchain_qwen_omni import ChatQwenOmni
from langchain_qwen_omni.emulator import (
    Answer,
    OmniEmulator,
    RemoteScript,
    emulator_process,
)

if TYPE_CHECKING:
    from langchain_core.language_models import LanguageModelInput

    from langchain_qwen_omni.emulator import Script

CALLS: list[dict[str, Any]] = []


@tool
def get_weather(city: str, unit: Literal["C", "F"] = "C") -> str:
    """The current weather in a city."""
    CALLS.append({"city": city, "unit": unit})
    return f"18 degrees {unit} and sunny in {city}"


class Review(BaseModel):
    """A short review of a film."""

    title: str = Field(description="the film's title")
    stars: int = Field(ge=1, le=5)
    verdict: Literal["watch", "skip"]


def test_constructor_script_then_the_describing_answers():
    with OmniEmulator(script=["First.", Answer.text("Second.")]) as own:
        chat = ChatQwenOmni(base_url=own.base_url, api_key="sk", max_retries=0)
        assert [chat.invoke("hi").text for _ in range(2)] == ["First.", "Second."]
        assert chat.invoke("hi").text.startswith("[qwen3-omni-flash emulator]")
        assert own.script.pending == []
        assert [a.content for a in own.script.used] == ["First.", "Second."]
    with OmniEmulator(script="Only one.") as single:
        chat = ChatQwenOmni(base_url=single.base_url, api_key="sk", max_retries=0)
        assert chat.invoke("hi").text == "Only one."


def test_agent_follows_the_script(chat: ChatQwenOmni, emu: OmniEmulator):
    CALLS.clear()
    emu.enqueue(
        Answer.tool_call("get_weather", {"city": "Paris", "unit": "F"}),
        Answer.text("It is sunny in Paris."),
    )
    agent = create_agent(chat, tools=[get_weather])
    messages = agent.invoke({"messages": [HumanMessage("Weather in Paris?")]})[
        "messages"
    ]
    _question, call, result, answer = messages
    assert isinstance(call, AIMessage)
    assert [(c["name"], c["args"]) for c in call.tool_calls] == [
        ("get_weather", {"city": "Paris", "unit": "F"})
    ]
    assert CALLS == [{"city": "Paris", "unit": "F"}]
    assert isinstance(result, ToolMessage)
    assert result.content == "18 degrees F and sunny in Paris"
    assert isinstance(answer, AIMessage)
    assert answer.text == "It is sunny in Paris."
    assert answer.response_metadata["finish_reason"] == "stop"
    assert not emu.script.pending
    second = emu.requests[1].body
    assert second["messages"][-1]["content"] == "18 degrees F and sunny in Paris"


async def test_async_streamed_parallel_calls(chat: ChatQwenOmni, emu: OmniEmulator):
    emu.enqueue(
        Answer.tool_calls(
            ("get_weather", {"city": "Oslo"}), ("get_weather", {"city": "Rome"})
        )
    )
    model = chat.bind_tools([get_weather])
    merged: Any = None
    async for chunk in model.astream("Oslo and Rome?"):
        merged = chunk if merged is None else merged + chunk
    assert [c["args"] for c in merged.tool_calls] == [
        {"city": "Oslo"},
        {"city": "Rome"},
    ]
    assert len({c["id"] for c in merged.tool_calls}) == 2


def test_spoken_answer_carries_speech(speaker: ChatQwenOmni, emu: OmniEmulator):
    emu.enqueue(Answer.spoken("Hello, I am speaking."))
    message = speaker.invoke("Say hello")
    assert message.text == "Hello, I am speaking."
    audio = message.additional_kwargs["audio"]
    assert audio["transcript"] == "Hello, I am speaking."
    assert len(audio["data"]) > 1000


@pytest.mark.parametrize(
    ("answer", "words"),
    [
        (
            Answer.tool_call("search", {"q": "x"}),
            "calls the tool 'search', which the request does not bind (tools: none)",
        ),
        (Answer.spoken("Hi"), "it is spoken, but the request asks for text only"),
    ],
)
def test_a_contradicted_answer_is_a_400_in_the_api_envelope(
    emu: OmniEmulator, answer: Answer, words: str
):
    emu.enqueue(answer, "next")
    response = httpx.post(
        emu.base_url + "/chat/completions",
        json={
            "model": "qwen3-omni-flash",
            "messages": [{"role": "user", "content": "hi"}],
            "stream": True,
        },
    )
    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"error", "id", "request_id"}
    assert body["error"]["code"] == "emulator_script_mismatch"
    assert body["error"]["message"].startswith(
        "<400> Emulator.Script: Scripted answer 1 ("
    )
    assert words in body["error"]["message"]
    assert [a.to_dict() for a in emu.script.pending] == [{"text": "next"}]


def test_the_client_raises_the_sdks_bad_request_with_the_message(
    chat: ChatQwenOmni, emu: OmniEmulator
):
    emu.enqueue(Answer.tool_call("get_weather", {"city": "Paris"}))
    with pytest.raises(openai.BadRequestError, match="does not bind"):
        chat.invoke("hi")


def test_invalid_requests_and_faults_leave_the_answer_queued(emu: OmniEmulator):
    from langchain_qwen_omni.emulator import Fault  # noqa: PLC0415

    emu.enqueue("kept")
    emu.inject(Fault.rate_limit(retry_after=0.01))
    retrying = ChatQwenOmni(base_url=emu.base_url, api_key="sk", max_retries=1)
    assert retrying.invoke("hi").text == "kept"
    assert len(emu.requests) == 2
    emu.enqueue("still kept")
    bad = {"model": "qwen3-omni-flash", "messages": [], "stream": True}
    assert httpx.post(emu.base_url + "/chat/completions", json=bad).status_code == 400
    assert [a.content for a in emu.script.pending] == ["still kept"]


def test_matched_answers_reach_their_prompts_in_a_batch(
    chat: ChatQwenOmni, emu: OmniEmulator
):
    for name in ("alpha", "beta", "gamma"):
        emu.enqueue(f"answer for {name}", match=f"[{name}]")
    prompts: list[LanguageModelInput] = [
        f"[{name}] question" for name in ("gamma", "alpha", "beta")
    ]
    answers = chat.batch(prompts, config={"max_concurrency": 3})
    assert [a.text for a in answers] == [
        "answer for gamma",
        "answer for alpha",
        "answer for beta",
    ]


# --- JSON mode ---------------------------------------------------------------


def test_json_mode_structured_output_with_format_instructions(
    chat: ChatQwenOmni, emu: OmniEmulator
):
    instructions = PydanticOutputParser(
        pydantic_object=Review
    ).get_format_instructions()
    structured = chat.with_structured_output(Review, method="json_mode")
    review = structured.invoke(f"Review Vertigo in 5 stars.\n{instructions}")
    assert review == Review(title="emulated title", stars=5, verdict="watch")
    assert emu.requests[-1].body["response_format"] == {"type": "json_object"}


def test_json_mode_with_keys_in_the_system_prompt(chat: ChatQwenOmni):
    structured = chat.with_structured_output(method="json_mode")
    answer = structured.invoke(
        [
            ("system", "Answer in JSON with keys: title, stars (integer)."),
            ("user", "Rate Vertigo, 4 stars."),
        ]
    )
    assert answer == {"title": "emulated title", "stars": 4}


def test_scripted_json_answer_in_json_mode(chat: ChatQwenOmni, emu: OmniEmulator):
    emu.enqueue(Answer.json({"title": "Vertigo", "stars": 5, "verdict": "watch"}))
    review = chat.with_structured_output(Review, method="json_mode").invoke("Review")
    assert review == Review(title="Vertigo", stars=5, verdict="watch")


# --- the script route ---------------------------------------------------------


def _post(url: str, body: object) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(  # noqa: S310 - a loopback test URL
        url,
        data=json.dumps(body).encode(),
        headers={"content-type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request) as response:  # noqa: S310
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_remote_script_queues_shows_and_clears(emu: OmniEmulator):
    remote = RemoteScript(emu.base_url)
    assert remote.url == emu.url + "/emulator/script"
    assert remote.add(Answer.tool_call("get_weather", {"city": "Oslo"}), "Done.") == 2
    script: Script = emu.script
    assert script.pending == remote.pending
    chat = ChatQwenOmni(base_url=emu.base_url, api_key="sk", max_retries=0)
    model = chat.bind_tools([get_weather])
    assert model.invoke("Oslo?").tool_calls[0]["args"] == {"city": "Oslo"}
    assert remote.used == [Answer.tool_call("get_weather", {"city": "Oslo"})]
    assert remote.pending == [Answer.text("Done.")]
    remote.clear()
    assert remote.pending == []
    assert remote.used == []


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ([{"text": "hi"}], 'the body is {"answers": [...], "match": null}'),
        ({"answers": ["ok", {"sing": "la"}]}, "answers[1]: unknown scripted answer"),
        ({"answers": [3]}, "answers[0]: a scripted answer must be an Answer or a str"),
        ({"answers": ["ok"], "match": 1}, "match must be a string or null"),
    ],
)
def test_the_route_refuses_malformed_answers_and_queues_none(
    emu: OmniEmulator, body: object, words: str
):
    status, answer = _post(emu.url + "/emulator/script", body)
    assert status == 400
    assert words in answer["error"]["message"]
    assert emu.script.pending == []


def test_the_route_refuses_a_body_that_is_not_json(emu: OmniEmulator):
    response = httpx.post(emu.url + "/emulator/script", content=b"{not json")
    assert response.status_code == 400
    assert "Scripted answers:" in response.json()["error"]["message"]


def test_remote_script_reaches_an_emulator_in_another_process():
    with emulator_process() as base_url:
        remote = RemoteScript(base_url)
        remote.add("From afar.", match="marker-1")
        chat = ChatQwenOmni(base_url=base_url, api_key="sk", max_retries=0)
        assert chat.invoke("no marker").text.startswith("[qwen3-omni-flash emulator]")
        assert chat.invoke("marker-1").text == "From afar."
        assert remote.pending == []


def test_remote_script_refuses_a_url_that_is_not_http():
    with pytest.raises(ValueError, match="needs the emulator's http URL"):
        RemoteScript("localhost:8000")


def test_a_whole_completion_holds_the_scripted_calls(emu: OmniEmulator):
    emu.enqueue(Answer.tool_call("get_weather", {"city": "Lima"}), "Sunny.")
    tools = [{"type": "function", "function": {"name": "get_weather"}}]
    body = {
        "model": "qwen3.8-omni-flash",  # reported to take stream=false
        "messages": [{"role": "user", "content": "Lima?"}],
        "tools": tools,
        "enable_thinking": False,
    }
    url = emu.base_url + "/chat/completions"
    first = httpx.post(url, json=body).json()["choices"][0]
    assert first["finish_reason"] == "tool_calls"
    (call,) = first["message"]["tool_calls"]
    assert call["function"] == {"name": "get_weather", "arguments": '{"city": "Lima"}'}
    second = httpx.post(url, json=body).json()["choices"][0]
    assert second["message"]["content"] == "Sunny."
