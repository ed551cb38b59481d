"""LCEL chain with media in the prompt template, batched over a folder of images.

Run it:

    python cookbook/lcel_batch.py --folder ./photos --concurrency 4
    python cookbook/lcel_batch.py --emulator

A `ChatPromptTemplate` can hold media blocks whose fields are template
variables, so one chain serves every picture: load the file, fill the
template, ask the model, parse the text. `batch_as_completed` runs the
pictures concurrently (bounded by `max_concurrency`) and yields each answer
as soon as it is ready, which drives a Rich progress bar.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import _samples
from _common import endpoint, recipe_parser
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import RunnableLambda
from rich.console import Console
from rich.progress import Progress
from rich.table import Table
from rich.text import Text

from langchain_qwen_omni import ChatQwenOmni, image_block

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".gif", ".bmp")

prompt = ChatPromptTemplate.from_messages(
    [
        ("system", "You write alt text: one short sentence, no preamble."),
        (
            "user",
            [
                {"type": "image", "base64": "{image}", "mime_type": "{mime_type}"},
                {"type": "text", "text": "Alt text for {name}, please."},
            ],
        ),
    ]
)


def load(path: Path) -> dict[str, Any]:
    """Read one picture into the template's variables."""
    block = image_block(path.read_bytes())
    return {
        "image": block["base64"],
        "mime_type": block["mime_type"],
        "name": path.name,
    }


def main(argv: list[str] | None = None) -> int:
    """Run the recipe; returns the process exit code."""
    parser = recipe_parser(__doc__)
    parser.add_argument("--folder", type=Path, help="pictures (default: generated)")
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args(argv)

    with _samples.sample_dir() as scratch, endpoint(args) as connection:
        model = ChatQwenOmni(model=args.model, **connection)
        chain = RunnableLambda(load) | prompt | model | StrOutputParser()

        folder = args.folder or scratch
        if args.folder is None:
            _samples.images(folder, count=6)
        paths = sorted(
            p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES
        )

        answers: dict[int, str] = {}
        with Progress() as progress:
            task = progress.add_task("Describing pictures", total=len(paths))
            for index, text in chain.batch_as_completed(
                paths, config={"max_concurrency": args.concurrency}
            ):
                answers[index] = text
                progress.advance(task)

    table = Table("picture", "alt text")
    for index, path in enumerate(paths):
        table.add_row(path.name, Text(answers[index]))  # Text: no markup
    Console().print(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
