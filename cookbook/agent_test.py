"""Agent test: a deterministic, offline test of a create_agent agent, scripted.

Run it:

    python cookbook/agent_test.py          # runs the tests below, step by step
    pytest cookbook/agent_test.py          # the same tests, under pytest

An agent's path depends on what the model says, so a test that wants one
path must fix the model's turns. The emulator does that with a script: each
`Answer` is one model turn, taken in order by the agent's requests (a tool
call with given arguments, then a text, here). The agent's own code runs
for real: the tool is called with the scripted arguments, and its result
goes back to the "model" in the next request, where the test can read it
(`emu.requests`). A scripted call of a tool the agent did not bind comes
back as a clear 400 (`... does not bind (tools: ...)`), so a test fails where
the agent diverged, not three turns later.

No key and no network: the recipe always runs against the emulator
(`--emulator` is accepted like everywhere else).
"""

from __future__ import annotations

import traceback
from typing import TYPE_CHECKING, Any

from _common import recipe_parser
from langchain.agents import create_agent
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langchain_core.tools import tool

from langchain_qwen_omni import ChatQwenOmni
from langchain_qwen_omni.emulator import Answer, OmniEmulator

if TYPE_CHECKING:
    from collections.abc import Callable

    from langgraph.graph.state import CompiledStateGraph

SETTINGS = {"model": "qwen3-omni-flash"}
"""The model name the tests ask for; `main` sets it from `--model`."""
BOOKINGS: list[dict[str, Any]] = []

# --- the code under test: an agent of your application ------------------------


@tool
def book_table(restaurant: str, people: int, time: str) -> str:
    """Book a table at a restaurant for a number of people at a time (HH:MM)."""
    if people > 12:  # noqa: PLR2004 - the restaurant's largest table
        return f"No table for {people} people at {restaurant}."
    BOOKINGS.append({"restaurant": restaurant, "people": people, "time": time})
    return f"Booked {restaurant} for {people} at {time}, reference B{len(BOOKINGS)}."


def build_agent(model: ChatQwenOmni) -> CompiledStateGraph[Any]:
    """The agent under test: a concierge that books tables."""
    return create_agent(
        model,
        tools=[book_table],
        system_prompt="You are a concierge. Book tables with book_table.",
    )


def show(messages: list[Any]) -> None:
    """Print the agent's steps, as the test sees them."""
    for message in messages[1:]:
        if isinstance(message, AIMessage) and message.tool_calls:
            for call in message.tool_calls:
                print(f"  model calls {call['name']}({call['args']})")
        elif isinstance(message, ToolMessage):
            print(f"  tool returns: {message.text}")
        elif isinstance(message, AIMessage):
            print(f"  model answers: {message.text}")


# --- the tests -----------------------------------------------------------------


def test_books_the_table_and_confirms() -> None:
    """The model calls the tool with given arguments, then confirms in text."""
    BOOKINGS.clear()
    script = [
        Answer.tool_call(
            "book_table", {"restaurant": "Chez Anna", "people": 4, "time": "19:30"}
        ),
        Answer.text("Done: Chez Anna, 4 people at 19:30 (reference B1)."),
    ]
    with OmniEmulator(script=script) as emu:
        chat = ChatQwenOmni(
            model=SETTINGS["model"], base_url=emu.base_url, api_key="test"
        )
        question = HumanMessage("Book Chez Anna for 4 people at half past seven.")
        messages = build_agent(chat).invoke({"messages": [question]})["messages"]
        show(messages)

        _question, call, result, answer = messages
        assert isinstance(call, AIMessage)
        assert [(c["name"], c["args"]) for c in call.tool_calls] == [
            ("book_table", {"restaurant": "Chez Anna", "people": 4, "time": "19:30"})
        ]
        assert BOOKINGS == [{"restaurant": "Chez Anna", "people": 4, "time": "19:30"}]
        assert isinstance(result, ToolMessage)
        assert result.text == "Booked Chez Anna for 4 at 19:30, reference B1."
        assert answer.text == "Done: Chez Anna, 4 people at 19:30 (reference B1)."
        assert emu.script.pending == []  # every scripted turn was used
        sent_back = emu.requests[1].body["messages"][-1]  # what the model was shown
        assert sent_back["role"] == "tool"
        assert sent_back["content"] == result.text


def test_answers_without_booking_when_asked_nothing_bookable() -> None:
    """A turn that needs no tool: one request, no booking made."""
    BOOKINGS.clear()
    with OmniEmulator(script=["We open at noon."]) as emu:
        chat = ChatQwenOmni(
            model=SETTINGS["model"], base_url=emu.base_url, api_key="test"
        )
        question = HumanMessage("When do you open?")
        messages = build_agent(chat).invoke({"messages": [question]})["messages"]
        show(messages)

        assert messages[-1].text == "We open at noon."
        assert BOOKINGS == []
        assert len(emu.requests) == 1
        bound = [t["function"]["name"] for t in emu.requests[0].body["tools"]]
        assert bound == ["book_table"]  # the agent offered its tool all the same


TESTS: list[Callable[[], None]] = [
    test_books_the_table_and_confirms,
    test_answers_without_booking_when_asked_nothing_bookable,
]


def main(argv: list[str] | None = None) -> int:
    """Run the tests; returns the process exit code (1 if any fails)."""
    args = recipe_parser(__doc__).parse_args(argv)
    SETTINGS["model"] = args.model
    failed = 0
    for test in TESTS:
        print(f"{test.__name__}:")
        try:
            test()
        except Exception:  # noqa: BLE001 - a test runner reports every failure
            failed += 1
            print(f"FAIL {test.__name__}\n{traceback.format_exc(limit=1)}")
        else:
            print(f"PASS {test.__name__}")
    print(f"{len(TESTS) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
