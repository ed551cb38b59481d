"""Scripted answers: the typed answers, the queue, and the chunks they become."""

from __future__ import annotations

import base64
import json
import threading
from typing import Any

import pytest

from langchain_qwen_omni.emulator.options import EmulatorOptions
from langchain_qwen_omni.emulator.script import (
    SCRIPT_MISMATCH,
    Answer,
    Script,
    ScriptedCall,
    ScriptMismatchError,
    as_answer,
)
from langchain_qwen_omni.emulator.tools import build_answer
from tests.wire import deltas

TOOLS = [
    {
        "type": "function",
        "function": {
            "name": name,
            "parameters": {
                "type": "object",
                "properties": {"a": {"type": "number"}, "b": {"type": "number"}},
                "required": ["a", "b"],
            },
        },
    }
    for name in ("add", "multiply")
]


def _body(text: str = "Add 3 and 4", **extra: Any) -> dict[str, Any]:
    return {
        "model": "qwen3-omni-flash",
        "messages": [{"role": "user", "content": text}],
        "stream": True,
        **extra,
    }


def _build(body: dict[str, Any], options: EmulatorOptions) -> list[dict[str, Any]]:
    return build_answer(
        body, options, completion_id="chatcmpl-1", created=1, audio_id="audio_1"
    )


def _answer(body: dict[str, Any], *script: Answer | str) -> list[dict[str, Any]]:
    options = EmulatorOptions()
    options.script.add(*script)
    return _build(body, options)


def _text(chunks: list[dict[str, Any]]) -> str:
    return "".join(d.get("content") or "" for d in deltas(chunks))


def _calls(chunks: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    merged: dict[int, dict[str, str]] = {}
    for delta in deltas(chunks):
        for piece in delta.get("tool_calls") or ():
            call = merged.setdefault(piece["index"], {"name": "", "arguments": ""})
            call["name"] += piece["function"].get("name") or ""
            call["arguments"] += piece["function"].get("arguments") or ""
    return [(c["name"], json.loads(c["arguments"])) for c in merged.values()]


def _finish(chunks: list[dict[str, Any]]) -> str | None:
    reasons = [c["choices"][0]["finish_reason"] for c in chunks if c["choices"]]
    return str(next(r for r in reversed(reasons) if r))


# --- the answers ------------------------------------------------------------


def test_constructors_and_json_forms_round_trip() -> None:
    answers = [
        Answer.text("Hello"),
        Answer.spoken("Bonjour"),
        Answer.json({"city": "Paris", "n": [1, 2.5, None, True]}),
        Answer.tool_call("add", {"a": 1, "b": 2}),
        Answer.tool_call("now"),
        Answer.tool_calls(("add", {"a": 1}), ScriptedCall.of("multiply", {"b": 2})),
    ]
    assert [a.kind for a in answers] == [
        "text",
        "spoken",
        "json",
        "tool_calls",
        "tool_calls",
        "tool_calls",
    ]
    assert answers[3].calls[0].args == {"a": 1, "b": 2}
    assert answers[4].calls[0].args == {}
    assert [c.name for c in answers[5].calls] == ["add", "multiply"]
    for answer in answers:
        assert Answer.from_dict(json.loads(json.dumps(answer.to_dict()))) == answer
    assert Answer.from_dict({"tool_call": {"name": "now"}}) == answers[4]


@pytest.mark.parametrize(
    ("build", "error", "words"),
    [
        (lambda: Answer.tool_call(""), ValueError, "needs a tool name"),
        (lambda: Answer.tool_call("f", [1]), TypeError, "must be a JSON object"),  # type: ignore[arg-type]
        (lambda: Answer.tool_call("f", {"x": {1, 2}}), TypeError, "not JSON-serial"),
        (lambda: Answer.tool_call("f", {"x": float("nan")}), ValueError, "not valid"),
        (lambda: Answer.json(["a"]), TypeError, "must be a JSON object"),  # type: ignore[arg-type]
        (lambda: Answer.text(b"hi"), TypeError, "must be a str, got bytes"),  # type: ignore[arg-type]
        (Answer.tool_calls, ValueError, "at least one call"),
        (lambda: Answer.tool_calls("add"), TypeError, "(name, arguments) pair"),  # type: ignore[arg-type]
        (lambda: Answer("sung", "la"), ValueError, "must be one of"),  # type: ignore[arg-type]
        (lambda: ScriptedCall("f", "[1]"), ValueError, "must be a JSON object"),
        (lambda: Answer.from_dict({"text": "a", "json": {}}), ValueError, "one key"),
        (lambda: Answer.from_dict({"sing": "a"}), ValueError, "unknown scripted"),
        (lambda: Answer.from_dict({"tool_calls": "add"}), TypeError, "is a list"),
        (lambda: as_answer({"text": "hi"}), TypeError, "Answer.text(...)"),
    ],
)
def test_bad_answers_are_refused_when_built(build: Any, error: Any, words: str) -> None:
    with pytest.raises(error, match=words.replace("(", r"\(").replace(")", r"\)")):
        build()


def test_a_str_is_a_text_answer_and_summaries_name_the_answer() -> None:
    assert as_answer("Hi") == Answer.text("Hi")
    assert Answer.tool_calls(("a", {}), ("b", {})).summary() == "a call of 'a', 'b'"
    assert Answer.json({"k": 1}).summary() == """a json answer '{"k": 1}'"""
    assert Answer.text("x" * 100).summary() == f"a text answer '{'x' * 37}...'"


# --- the queue --------------------------------------------------------------


def test_script_hands_answers_out_in_order_and_shows_what_is_left() -> None:
    script = Script(["one", Answer.json({"n": 2})])
    script.add("three")
    assert len(script) == 3
    taken = [script.take(_body()) for _ in range(4)]
    assert [(t.number, t.answer.content) for t in taken if t] == [
        (1, "one"),
        (2, '{"n": 2}'),
        (3, "three"),
    ]
    assert taken[3] is None
    assert script.pending == []
    assert [a.content for a in script.used] == ["one", '{"n": 2}', "three"]
    assert repr(script) == "Script(pending=0, used=3)"
    script.clear()
    assert script.used == []


def test_matched_answers_go_to_the_requests_that_carry_the_marker() -> None:
    script = Script()
    script.add("for B", match="[B]")
    script.add("for anyone")
    taken = script.take(_body("[A] question"))
    assert taken is not None
    assert taken.answer.content == "for anyone"
    assert script.take(_body("[A] again")) is None
    taken = script.take(_body("[B] question"))
    assert taken is not None
    assert taken.answer.content == "for B"


def test_add_refuses_a_bad_entry_and_queues_nothing() -> None:
    script = Script(["kept"])
    with pytest.raises(TypeError, match="got dict"):
        script.add("fine", {"text": "no"})  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="match must be a str"):
        script.add("fine", match=3)  # type: ignore[arg-type]
    assert [a.content for a in script.pending] == ["kept"]


def test_concurrent_requests_each_take_a_different_answer() -> None:
    script = Script([str(n) for n in range(400)])
    taken: list[str] = []
    lock = threading.Lock()

    def worker() -> None:
        while (turn := script.take(_body())) is not None:
            with lock:
                taken.append(turn.answer.content)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(taken, key=int) == [str(n) for n in range(400)]
    assert len(script.used) == 400


def test_options_take_only_a_script() -> None:
    with pytest.raises(TypeError, match=r"emu\.enqueue"):
        EmulatorOptions(script=["hi"])  # type: ignore[arg-type]
    first, second = EmulatorOptions(), EmulatorOptions()
    assert first.script is not second.script


# --- the chunks -------------------------------------------------------------


def test_text_answer_replaces_the_description_then_the_rules_return() -> None:
    options = EmulatorOptions()
    options.script.add("Scripted hello")
    first = _build(_body(), options)
    second = _build(_body(), options)
    assert _text(first) == "Scripted hello"
    assert _finish(first) == "stop"
    assert _text(second).startswith("[qwen3-omni-flash emulator] I received 1 message")


def test_scripted_text_wins_over_the_fixed_answer_option() -> None:
    options = EmulatorOptions(answer="fixed")
    options.script.add("scripted")
    assert _text(_build(_body(), options)) == "scripted"
    assert _text(_build(_body(), options)) == "fixed"


def test_tool_call_answer_streams_the_given_arguments() -> None:
    chunks = _answer(
        _body(tools=TOOLS), Answer.tool_call("multiply", {"a": 6, "b": "seven"})
    )
    assert _calls(chunks) == [("multiply", {"a": 6, "b": "seven"})]
    assert _finish(chunks) == "tool_calls"
    assert _text(chunks) == ""


def test_several_calls_in_one_answer() -> None:
    answer = Answer.tool_calls(("add", {"a": 1, "b": 2}), ("multiply", {"a": 3}))
    chunks = _answer(_body(tools=TOOLS), answer)
    assert _calls(chunks) == [("add", {"a": 1, "b": 2}), ("multiply", {"a": 3})]


def test_json_answer_is_the_text_of_the_answer() -> None:
    value = {"title": "Été", "stars": 5}
    chunks = _answer(_body(response_format={"type": "json_object"}), Answer.json(value))
    assert json.loads(_text(chunks)) == value


def test_spoken_answer_speaks_its_text() -> None:
    body = _body(modalities=["text", "audio"])
    chunks = _answer(body, Answer.spoken("Hello there, listener"))
    assert _text(chunks) == "Hello there, listener"
    pcm = b"".join(
        base64.b64decode(d["audio"]["data"]) for d in deltas(chunks) if "audio" in d
    )
    assert len(pcm) > 0


def test_text_answer_is_spoken_when_the_request_asks_for_speech() -> None:
    chunks = _answer(_body(modalities=["text", "audio"]), "Hi")
    assert any("audio" in d for d in deltas(chunks))
    assert _text(chunks) == "Hi"


def test_thinking_says_the_answer_is_scripted() -> None:
    chunks = _answer(_body(enable_thinking=True), "Hi")
    reasoning = "".join(d.get("reasoning_content") or "" for d in deltas(chunks))
    assert reasoning == "The user wrote 'Add 3 and 4'. I will give the scripted answer."


@pytest.mark.parametrize(
    ("body", "answer", "words"),
    [
        (
            _body(),
            Answer.tool_call("add", {"a": 1}),
            "calls the tool 'add', which the request does not bind (tools: none)",
        ),
        (
            _body(tools=TOOLS),
            Answer.tool_call("search", {}),
            (
                "calls the tool 'search', which the request does not bind "
                "(tools: add, multiply)"
            ),
        ),
        (
            _body(tools=TOOLS, tool_choice="none"),
            Answer.tool_call("add", {}),
            """tool_choice ("none") rules out calling 'add'""",
        ),
        (
            _body(
                tools=TOOLS,
                tool_choice={"type": "function", "function": {"name": "multiply"}},
            ),
            Answer.tool_call("add", {}),
            "rules out calling 'add'",
        ),
        (
            _body(tools=TOOLS, tool_choice="required"),
            Answer.text("no call"),
            'forces a tool call (tool_choice="required")',
        ),
        (
            _body(),
            Answer.spoken("Hello"),
            'it is spoken, but the request asks for text only (modalities=["text"])',
        ),
    ],
)
def test_a_request_that_contradicts_its_answer_gets_a_clear_error(
    body: dict[str, Any], answer: Answer, words: str
) -> None:
    options = EmulatorOptions()
    options.script.add(answer)
    with pytest.raises(ScriptMismatchError) as caught:
        _build(body, options)
    error = caught.value.error
    assert error.status == 400
    assert error.body["error"]["code"] == SCRIPT_MISMATCH
    assert error.message.startswith("<400> Emulator.Script: Scripted answer 1 (")
    assert words in error.message
    assert options.script.used == [answer]  # the request took it
