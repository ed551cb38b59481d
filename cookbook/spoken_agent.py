"""A spoken agent that remembers: tools in silence, only the final answer aloud.

Run it:

    python cookbook/spoken_agent.py                       # qwen3.5-omni-flash
    python cookbook/spoken_agent.py --model qwen3-omni-flash --emulator

A voice assistant built on an agent calls tools between the user's question
and its answer. If every model call speaks, the user hears the working turns
too ("Let me look that up..."), and pays for their speech. With
`spoken_turns="final"`, `ChatQwenOmni` asks each tool-calling turn in text
and requests speech only for the answer that calls no tool: the agent is
silent while it works and speaks once. (A turn that ends up answering is
drafted in text first and then asked again for speech, so the final answer
costs one text draft more.)

The agent keeps the conversation in a LangGraph checkpointer, per thread:
the second question refers to the first. Each spoken answer is saved as a
WAV file.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import _samples
from _common import endpoint, recipe_parser
from langchain.agents import create_agent
from langchain_core.messages import AIMessage, HumanMessage
from langchain_core.tools import tool
from langgraph.checkpoint.memory import InMemorySaver

from langchain_qwen_omni import ChatQwenOmni, OmniAudio

if TYPE_CHECKING:
    from pathlib import Path

QUESTIONS = (
    "How much is a room for 3 nights at 120 per night?",
    "And what if I stay 2 more nights at the same price?",
)


@tool
def stay_cost(nights: float, price_per_night: float) -> str:
    """Total price of a hotel stay."""
    total = nights * price_per_night
    return f"{nights:g} nights at {price_per_night:g} cost {total:.2f}"


def speak(answer: AIMessage, folder: Path, number: int) -> str:
    """Save a spoken answer; say how long it is."""
    if "audio" not in answer.additional_kwargs:
        return "not spoken"
    audio = OmniAudio.from_message(answer)
    audio.save(folder / f"answer{number}.wav")
    return f"{audio.duration:.1f} s spoken"


def main(argv: list[str] | None = None) -> int:
    """Run the recipe; returns the process exit code."""
    parser = recipe_parser(__doc__)
    parser.set_defaults(model="qwen3.5-omni-flash")
    args = parser.parse_args(argv)
    with _samples.sample_dir() as folder, endpoint(args) as connection:
        model = ChatQwenOmni(
            model=args.model,
            modalities=["text", "audio"],
            spoken_turns="final",
            **connection,
        )
        agent = create_agent(model, tools=[stay_cost], checkpointer=InMemorySaver())
        thread: Any = {"configurable": {"thread_id": "guest-42"}}
        for number, question in enumerate(QUESTIONS, start=1):
            print(f"user: {question}")
            result = agent.invoke({"messages": [HumanMessage(question)]}, config=thread)
            turn = result["messages"][-4:]  # question, call, tool result, answer
            for message in turn:
                if isinstance(message, AIMessage) and message.tool_calls:
                    said = speak(message, folder, number)
                    print(f"  model calls {message.tool_calls[0]['name']} ({said})")
            answer = result["messages"][-1]
            print(f"  answer ({speak(answer, folder, number)}): {answer.text}")
        history = agent.get_state(thread).values["messages"]
        print(f"the thread holds {len(history)} messages")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
