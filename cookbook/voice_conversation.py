"""A spoken, multi-turn conversation: a recording in each turn, a spoken answer back.

Run it:

    python cookbook/voice_conversation.py            # qwen3.5-omni-flash
    python cookbook/voice_conversation.py --model qwen3-omni-flash --emulator

Each turn the user speaks (a WAV file here; a microphone in a real
assistant), the model answers aloud, and the whole exchange stays in the
LangChain history, so later turns can refer to earlier ones. The spoken
answers go back as their transcripts (Omni takes text in assistant turns).

Families differ in how many recordings one request may carry. Qwen3.5-Omni
takes hundreds, so every recording is heard again each turn. qwen3-omni-flash,
turbo and Qwen2.5-Omni take one audio file per request: `ChatQwenOmni` keeps
the latest recording and sends earlier ones as their transcript (given with
`audio_block(..., transcript=...)`, e.g. from your speech recogniser) or, when
there is none, a short note naming their length, with one warning. With
`strict=True` it raises `OmniConversationError` instead.
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
)

if TYPE_CHECKING:
    from pathlib import Path

QUESTIONS = (
    "What is the tallest mountain in Japan?",
    "How high is it?",
    None,  # said, but not transcribed: sent as a short note on one-audio families
    "Thanks, that is all.",
)


def spoken_turns(folder: Path) -> list[HumanMessage]:
    """Four user turns, each a recording (with its transcript when known)."""
    return [
        HumanMessage(
            content_blocks=[
                audio_block(
                    _samples.wav(folder, f"turn{number}.wav", seconds=1.0 + number / 4),
                    transcript=words,
                )
            ]
        )
        for number, words in enumerate(QUESTIONS, start=1)
    ]


def main(argv: list[str] | None = None) -> int:
    """Run the recipe; returns the process exit code."""
    parser = recipe_parser(__doc__)
    parser.set_defaults(model="qwen3.5-omni-flash")
    args = parser.parse_args(argv)
    with (
        shown_repairs(),
        _samples.sample_dir() as folder,
        endpoint(args) as connection,
    ):
        model = ChatQwenOmni(
            model=args.model, modalities=["text", "audio"], **connection
        )
        history: list[BaseMessage] = [
            SystemMessage("You are a friendly voice assistant. Be brief.")
        ]
        for number, turn in enumerate(spoken_turns(folder), start=1):
            history.append(turn)
            answer = model.invoke(history)
            history.append(answer)  # its speech goes back as its transcript
            audio = OmniAudio.from_message(answer)
            audio.save(folder / f"answer{number}.wav")
            print(f"turn {number} ({audio.duration:.1f} s spoken): {answer.text}")

        strict = model.model_copy(update={"strict": True})
        try:
            strict.invoke(history)
            print(f"strict=True: {args.model} hears every recording.")
        except OmniConversationError as error:
            print(f"strict=True refuses instead: {error}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
