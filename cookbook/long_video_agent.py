"""Long video agent: describe a long local video inside a create_agent agent.

Run it:

    python cookbook/long_video_agent.py --video ~/videos/lecture.mp4
    python cookbook/long_video_agent.py --emulator --seconds 200

The agent (LangChain's `create_agent` with `ChatQwenOmni` as its brain) gets
`DescribeVideoTool`, allowed to read only the video's folder. When it calls
the tool, a video longer than the model accepts (150 s for qwen3-omni-flash,
40 s for the turbo models) is cut into segments that fit, described
concurrently, and merged into one answer with timestamps. The tool's
progress events reach the callbacks given to the agent and are printed as
each part finishes; the ToolMessage's `artifact` holds the parts, the
strategy chosen and why, and the tokens used.

Offline, the emulator plays the model by fixed rules: it calls the tool
with `video="emulated video"` (string arguments are filled with
`"emulated <name>"`), so the generated sample is saved under that name; it
then answers by quoting the tool's result. Online, the model reads the file
name from the question.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import _samples
from _common import endpoint, recipe_parser
from langchain.agents import create_agent
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage

from langchain_qwen_omni import ChatQwenOmni, DescribeVideoTool
from langchain_qwen_omni.tools import PROGRESS_EVENT, VideoDescription

OFFLINE_NAME = "emulated video"


def clock(seconds: float | None) -> str:
    """Seconds as mm:ss."""
    if seconds is None:
        return "end"
    return f"{int(seconds) // 60:02d}:{int(seconds) % 60:02d}"


class PrintProgress(BaseCallbackHandler):
    """Print a line as the tool finishes each part of the video."""

    def on_custom_event(self, name: str, data: Any, **kwargs: Any) -> None:
        """Receive the tool's `describe_video_progress` events."""
        del kwargs
        if name == PROGRESS_EVENT:
            span = f"{clock(data['start'])}-{clock(data['end'])}"
            print(f"  part {data['done']}/{data['total']} described ({span})")


def show(message: Any) -> None:
    """Print one step of the agent's loop."""
    if isinstance(message, AIMessage) and message.tool_calls:
        for call in message.tool_calls:
            print(f"agent calls {call['name']}({call['args']})")
    elif isinstance(message, ToolMessage):
        result = message.artifact
        if isinstance(result, VideoDescription):
            print(f"tool chose {result.strategy}: {result.reason}")
            for part in result.segments:
                print(f"  [{clock(part.start)}-{clock(part.end)}] {part.text}")
            print(f"  tokens: {result.usage}")
        else:
            print(f"tool error: {message.text}")
    elif isinstance(message, AIMessage):
        print(f"answer: {message.text}")


def main(argv: list[str] | None = None) -> int:
    """Run the recipe; returns the process exit code."""
    parser = recipe_parser(__doc__)
    parser.add_argument("--video", type=Path, help="a video file (default: generated)")
    parser.add_argument(
        "--seconds", type=float, default=200.0, help="length of the generated video"
    )
    parser.add_argument(
        "--video-model",
        default=None,
        help="model that watches the video (default: --model)",
    )
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--question", default="What happens in {name}, and when?")
    args = parser.parse_args(argv)

    with _samples.sample_dir() as folder, endpoint(args) as connection:
        clip = args.video or _samples.video(
            folder, "sample.mp4", seconds=args.seconds, size=(128, 96), fps=4
        )
        if connection and not args.video:  # offline: the name the emulator asks for
            clip = clip.rename(clip.with_name(OFFLINE_NAME))
        tool = DescribeVideoTool(
            llm=ChatQwenOmni(model=args.video_model or args.model, **connection),
            allowed_dirs=[clip.parent],  # the only folder the agent may read
            max_concurrency=args.concurrency,
        )
        agent = create_agent(
            ChatQwenOmni(model=args.model, **connection),
            tools=[tool],
            system_prompt="Answer questions about the user's videos with "
            "describe_video; pass the file name as given.",
        )
        question = args.question.format(name=clip.name)
        print(f"question: {question}")
        for update in agent.stream(
            {"messages": [HumanMessage(question)]},
            {"callbacks": [PrintProgress()]},
            stream_mode="updates",
        ):
            for step in update.values():
                for message in step["messages"]:
                    show(message)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
