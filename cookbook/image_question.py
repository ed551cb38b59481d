"""Image question: ask about a local picture and about a picture on the web.

Run it:

    python cookbook/image_question.py --image photo.jpg
    python cookbook/image_question.py --url https://example.com/cat.jpg
    python cookbook/image_question.py --emulator

`image_block` turns a path, bytes, an http(s) URL, a numpy array or a PIL
image into a standard LangChain image block. A local file is read and sent
as base64 when the request is built; a URL is sent as it is, for the service
to fetch (no upload, no size limit on your side).
"""

from __future__ import annotations

from pathlib import Path

import _samples
from _common import endpoint, recipe_parser
from langchain_core.messages import HumanMessage

from langchain_qwen_omni import ChatQwenOmni, image_block


def main(argv: list[str] | None = None) -> int:
    """Run the recipe; returns the process exit code."""
    parser = recipe_parser(__doc__)
    parser.add_argument("--image", type=Path, help="a picture (default: generated)")
    parser.add_argument("--url", default=_samples.IMAGE_URL, help="a picture's URL")
    parser.add_argument("--question", default="What is in this picture? Be brief.")
    args = parser.parse_args(argv)

    with _samples.sample_dir() as folder, endpoint(args) as connection:
        model = ChatQwenOmni(model=args.model, **connection)
        picture = args.image or _samples.image(folder)

        local = HumanMessage(
            content_blocks=[
                image_block(picture),
                {"type": "text", "text": args.question},
            ]
        )
        print(f"{picture.name}:", model.invoke([local]).text)

        remote = HumanMessage(
            content_blocks=[
                image_block(args.url),
                {"type": "text", "text": args.question},
            ]
        )
        print(f"{args.url}:", model.invoke([remote]).text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
