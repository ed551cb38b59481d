"""Multi-turn conversation across modalities, with Omni's rules at work.

Run it:

    python cookbook/conversation.py
    python cookbook/conversation.py --model qwen-omni-turbo --emulator

Omni has rules other chat APIs do not, and they differ by family: text-only
assistant turns everywhere; on qwen3-omni-flash, turbo and Qwen2.5-Omni one
kind of media per user message and one audio and one video file per request;
on older models no system prompt together with speech. You keep a normal
LangChain history; `ChatQwenOmni` repairs what it can without changing the
meaning (each kind of repair logged once as a warning, printed here) and
raises a typed error for the rest. With `strict=True` it raises instead of
repairing. The conversation below: a picture, then a sound, then a picture
and a video in one message, all answered aloud. Run it with
`--model qwen3.5-omni-flash` to see the mixed message sent as it is.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import _samples
from _common import endpoint, recipe_parser, shown_repairs
from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage

from langchain_qwen_omni import (
    ChatQwenOmni,
    OmniAudio,
    OmniConversationError,
    audio_block,
    image_block,
    video_block,
)

if TYPE_CHECKING:
    from pathlib import Path


def turns(folder: Path) -> list[HumanMessage]:
    """Three user turns, each with different media."""
    return [
        HumanMessage(
            content_blocks=[
                image_block(_samples.image(folder)),
                {"type": "text", "text": "What is in this picture?"},
            ]
        ),
        HumanMessage(
            content_blocks=[
                audio_block(_samples.wav(folder)),
                {"type": "text", "text": "And what is this sound?"},
            ]
        ),
        HumanMessage(  # two kinds of media: sent as two user messages
            content_blocks=[
                image_block(_samples.image(folder, "second.png", seed=3)),
                video_block(_samples.video(folder)),
                {"type": "text", "text": "Do this picture and this video match?"},
            ]
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    """Run the recipe; returns the process exit code."""
    args = recipe_parser(__doc__).parse_args(argv)
    with (
        shown_repairs(),
        _samples.sample_dir() as folder,
        endpoint(args) as connection,
    ):
        model = ChatQwenOmni(
            model=args.model, modalities=["text", "audio"], **connection
        )
        history: list[BaseMessage] = [
            SystemMessage("You are a concise guide. Answer in one sentence.")
        ]
        for number, turn in enumerate(turns(folder), start=1):
            history.append(turn)
            answer = model.invoke(history)
            history.append(answer)  # its speech goes back as its transcript
            seconds = OmniAudio.from_message(answer).duration
            print(f"turn {number} ({seconds:.1f} s spoken): {answer.text}")

        strict = model.model_copy(update={"strict": True})
        try:
            strict.invoke(history)
        except OmniConversationError as error:
            print(f"strict=True refuses instead: {error}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
