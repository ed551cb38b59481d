"""What every recipe shares: its command line and where its model points.

Each recipe takes `--emulator` to run offline against the bundled emulator of
the Omni API. Without a `DASHSCOPE_API_KEY` it uses the emulator anyway and
says so, so every recipe runs on a fresh checkout. The emulator is a test
double: its answers describe the request it received, they are not a model's.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = ["endpoint", "recipe_parser", "shown_repairs"]


def recipe_parser(doc: str | None) -> argparse.ArgumentParser:
    """An argument parser with the options every recipe shares.

    Args:
        doc: The recipe's module docstring; its first line is the description.
    """
    summary = (doc or "").strip().splitlines()[0] if doc else None
    parser = argparse.ArgumentParser(description=summary)
    parser.add_argument(
        "--emulator",
        action="store_true",
        help="run offline against the bundled emulator (the default without "
        "DASHSCOPE_API_KEY)",
    )
    parser.add_argument(
        "--model", default="qwen3-omni-flash", help="model name (%(default)s)"
    )
    return parser


@contextlib.contextmanager
def endpoint(args: argparse.Namespace) -> Iterator[dict[str, Any]]:
    """Yield the connection arguments for `ChatQwenOmni(**connection)`.

    With a key and without `--emulator` that is nothing at all: the model
    reads `DASHSCOPE_API_KEY` and `DASHSCOPE_BASE_URL` itself. Otherwise an
    emulator runs for the duration of the `with` block.
    """
    if not args.emulator and os.environ.get("DASHSCOPE_API_KEY"):
        yield {}
        return
    if not args.emulator:
        print(
            "DASHSCOPE_API_KEY is not set: running against the local emulator "
            "(its answers describe the request; they are not a model's).",
            file=sys.stderr,
        )
    from langchain_qwen_omni.emulator import OmniEmulator  # noqa: PLC0415  # only offline

    with OmniEmulator() as emulator:
        yield {"base_url": emulator.base_url, "api_key": "emulator"}


@contextlib.contextmanager
def shown_repairs() -> Iterator[None]:
    """Print the warnings `ChatQwenOmni` logs when it repairs a conversation.

    Each line is prefixed with `(repaired)`; the handler is removed on exit.
    """
    repairs = logging.getLogger("langchain_qwen_omni")
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("  (repaired) %(message)s"))
    repairs.addHandler(handler)
    try:
        yield
    finally:
        repairs.removeHandler(handler)
