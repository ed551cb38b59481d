"""Thinking mode: stream the model's reasoning, then its answer.

Run it:

    python cookbook/thinking.py --question "Is 1001 a prime number?"
    python cookbook/thinking.py --emulator

With `enable_thinking=True` (qwen3-omni-flash) the model reasons before it
answers. The reasoning streams first, as `reasoning` content blocks (and in
`additional_kwargs["reasoning_content"]` for older code); the answer text
follows; `usage_metadata` counts the reasoning tokens. Thinking answers are
text only: asking for speech as well raises `OmniInputError` before any
request.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from _common import endpoint, recipe_parser

from langchain_qwen_omni import ChatQwenOmni

if TYPE_CHECKING:
    from langchain_core.messages import AIMessageChunk


def main(argv: list[str] | None = None) -> int:
    """Run the recipe; returns the process exit code."""
    parser = recipe_parser(__doc__)
    parser.add_argument(
        "--question",
        default="A bat and a ball cost 1.10 in total. The bat "
        "costs 1.00 more than the ball. How much is the ball?",
    )
    args = parser.parse_args(argv)

    with endpoint(args) as connection:
        model = ChatQwenOmni(model=args.model, enable_thinking=True, **connection)
        whole: AIMessageChunk | None = None
        section = ""
        for chunk in model.stream(args.question):
            for block in chunk.content_blocks:
                kind = block["type"]
                if kind not in {"reasoning", "text"}:
                    continue
                if kind != section:
                    section = kind
                    print(f"\n--- {'thinking' if kind == 'reasoning' else 'answer'}")
                text = (
                    block.get("reasoning") if kind == "reasoning" else block.get("text")
                )
                print(text or "", end="", flush=True)
            whole = chunk if whole is None else whole + chunk
        print()

    if whole is not None and whole.usage_metadata:
        details = whole.usage_metadata.get("output_token_details", {})
        print("reasoning tokens:", details.get("reasoning"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
