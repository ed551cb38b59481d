"""The emulator in a process of its own.

In-process, the emulator's work (parsing megabytes of request body, decoding
media) holds the interpreter the client under test runs in. Benchmarks and
event-loop tests therefore talk to an emulator in its own process, as a
client talks to the real API.
"""

from __future__ import annotations

import contextlib
import re
import subprocess
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import os
    from collections.abc import Iterator

__all__ = ["emulator_process", "listening_process"]

_LISTENING = re.compile(r"(http://\S+/v1)")
"""The base URL in the banner: `.../compatible-mode/v1`, or `.../v1` (vLLM-Omni)."""


@contextlib.contextmanager
def emulator_process(*args: str) -> Iterator[str]:
    """Run `python -m langchain_qwen_omni.emulator` on a free port; yield its base URL.

    Args:
        *args: More command-line options, e.g. `"--chunk-delay", "0.01"`.

    Raises:
        RuntimeError: If the process exits before it listens.
    """
    command = [
        sys.executable,
        *("-m", "langchain_qwen_omni.emulator"),
        *("--port", "0", "--log-level", "warning"),
        *args,
    ]
    with listening_process(command) as base_url:
        yield base_url


@contextlib.contextmanager
def listening_process(
    command: list[str], *, cwd: str | os.PathLike[str] | None = None
) -> Iterator[str]:
    """Run an emulator command; yield the base URL its banner prints.

    Shared by `emulator_process` and variants of the emulator (benchmarks
    serve their own answers the same way).

    Raises:
        RuntimeError: If the process exits before it listens.
    """
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=cwd)  # noqa: S603  # our own module, no shell
    try:
        for line in process.stdout or ():
            if match := _LISTENING.search(line):
                yield match.group(1)
                return
        msg = "the emulator process exited before listening"
        raise RuntimeError(msg)
    finally:
        process.terminate()
        process.wait(timeout=10)
