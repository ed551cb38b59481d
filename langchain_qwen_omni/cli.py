"""The `qwen-omni` command line."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(
    name="qwen-omni",
    help="Qwen-Omni from the terminal: chat, speech, and an offline emulator.",
    no_args_is_help=True,
    add_completion=False,
)


@app.callback()
def _root() -> None:
    """Qwen-Omni from the terminal."""


@app.command()
def demo(
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Where to save the speech.")
    ] = Path("demo-output/omni-demo.wav"),
) -> None:
    """Stream a spoken answer from the bundled emulator and save it as WAV."""
    from langchain_qwen_omni.demo import run_demo  # noqa: PLC0415  # keep --help fast

    run_demo(output, echo=lambda text: typer.echo(text, nl=False))


def main() -> None:
    """Console-script entry point."""
    app()
