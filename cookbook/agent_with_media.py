"""Agent with media: a create_agent agent that looks at a photo and calls a tool.

Run it:

    python cookbook/agent_with_media.py --photo my-photo.jpg
    python cookbook/agent_with_media.py --emulator

The user sends a photo together with a question whose answer needs a
calculation; the agent (LangChain's `create_agent` with `ChatQwenOmni`)
calls a plain Python function as a tool, gets its result back as a
`ToolMessage`, and answers in text. The photo stays in the conversation for
every model call of the loop, as Omni's media do in any chat history. Each
step is printed as it happens.

Offline, the emulator plays the model by fixed rules: it calls the first
tool with the numbers written in the question, then answers by quoting the
tool's result. Online, qwen3-omni-flash decides for itself.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from _common import endpoint, recipe_parser
from _samples import image, sample_dir
from langchain.agents import create_agent
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langchain_core.tools import tool

from langchain_qwen_omni import ChatQwenOmni, image_block

QUESTION = (
    "I want this photo printed at 30 x 20 cm, and the shop charges 0.05 per "
    "square centimetre. What will it cost, and is the photo worth printing?"
)


@tool
def print_cost(width_cm: float, height_cm: float, price_per_cm2: float) -> str:
    """Price of printing a picture of the given size, in the shop's currency."""
    area = width_cm * height_cm
    return f"{area:g} cm2 at {price_per_cm2:g} per cm2 costs {area * price_per_cm2:.2f}"


def photo_message(photo: Path, question: str) -> HumanMessage:
    """The user's turn: the question and the photo (`image_block` reads the file)."""
    return HumanMessage(
        content_blocks=[{"type": "text", "text": question}, image_block(photo)]
    )


def show(message: Any) -> None:
    """Print one step of the agent's loop."""
    if isinstance(message, AIMessage) and message.tool_calls:
        for call in message.tool_calls:
            print(f"model calls {call['name']}({call['args']})")
    elif isinstance(message, ToolMessage):
        print(f"tool {message.name} returns: {message.text}")
    elif isinstance(message, AIMessage):
        print(f"answer: {message.text}")


def run_agent(model: ChatQwenOmni, photo: Path, question: str) -> AIMessage:
    """Run the agent on one question about a photo; return its final answer."""
    agent = create_agent(
        model,
        tools=[print_cost],
        system_prompt="You help customers of a photo print shop. Use the tools.",
    )
    final: AIMessage | None = None
    for update in agent.stream(
        {"messages": [photo_message(photo, question)]}, stream_mode="updates"
    ):
        for step in update.values():
            for message in step["messages"]:
                show(message)
                if isinstance(message, AIMessage):
                    final = message
    if final is None:
        msg = "the agent returned no answer"
        raise RuntimeError(msg)
    return final


def main(argv: list[str] | None = None) -> int:
    """Run the recipe; returns the process exit code."""
    parser = recipe_parser(__doc__)
    parser.add_argument(
        "--photo", type=Path, help="a photo of yours (default: a generated one)"
    )
    parser.add_argument("--question", default=QUESTION)
    args = parser.parse_args(argv)

    with endpoint(args) as connection, sample_dir() as folder:
        model = ChatQwenOmni(model=args.model, **connection)
        photo = args.photo or image(folder, "photo.png")
        print(f"question: {args.question}")
        run_agent(model, photo, args.question)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
