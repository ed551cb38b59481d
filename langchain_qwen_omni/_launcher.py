"""The `qwen-omni` console script, which says how to install what it needs.

The command line lives in `cli.py`, whose Typer and Rich imports belong to
the `cli` extra; a core-only install gets a one-line hint instead of a
traceback.
"""

from __future__ import annotations

import sys

from langchain_qwen_omni._extras import require

__all__ = ["main"]


def main() -> None:
    """Run the command line, or exit 1 with the install hint."""
    try:
        require("cli", "typer", "rich", "starlette", "uvicorn")
    except ModuleNotFoundError as exc:
        sys.stderr.write(f"qwen-omni: {exc}\n")
        raise SystemExit(1) from None
    from langchain_qwen_omni.cli import main as cli_main  # noqa: PLC0415

    cli_main()
