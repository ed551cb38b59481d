"""Quickstart: ask Qwen-Omni a question with invoke, stream and the async API.

Run it:

    python cookbook/quickstart.py              # online with DASHSCOPE_API_KEY
    python cookbook/quickstart.py --emulator   # offline

It shows the three ways to call a chat model: `invoke` returns the whole
answer (Omni always streams over the wire; `invoke` gathers the stream),
`stream` yields the text as it arrives, and `ainvoke`/`astream`/`abatch` do
the same from asyncio.
"""

from __future__ import annotations

import asyncio

from _common import endpoint, recipe_parser

from langchain_qwen_omni import ChatQwenOmni


async def ask_async(model: ChatQwenOmni) -> None:
    """The async twins: one answer, a stream, and several questions at once."""
    answer = await model.ainvoke("Name one thing you can do with audio.")
    print("ainvoke:", answer.text)

    print("astream: ", end="")
    async for chunk in model.astream("Describe a sunrise in one sentence."):
        print(chunk.text, end="", flush=True)
    print()

    answers = await model.abatch(["Say hi in French.", "Say hi in Japanese."])
    for answer in answers:
        print("abatch:", answer.text)


def main(argv: list[str] | None = None) -> int:
    """Run the recipe; returns the process exit code."""
    args = recipe_parser(__doc__).parse_args(argv)
    with endpoint(args) as connection:
        model = ChatQwenOmni(model=args.model, **connection)

        message = model.invoke("Who are you? Answer in one sentence.")
        print("invoke:", message.text)
        print("tokens:", message.usage_metadata)

        print("stream: ", end="")
        for chunk in model.stream("Tell me a two-sentence story about a cat."):
            print(chunk.text, end="", flush=True)
        print()

        asyncio.run(ask_async(model))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
