"""The emulator in its own process, so its CPU does not count against the client."""

from __future__ import annotations

import contextlib
import re
import subprocess
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator


@contextlib.contextmanager
def emulator_process(*args: str) -> Iterator[str]:
    """Run the emulator module on a free port with ARGS; yield its base URL."""
    command = [
        sys.executable,
        "-m",
        "langchain_qwen_omni.emulator",
        "--port",
        "0",
        "--log-level",
        "warning",
        *args,
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)  # noqa: S603
    try:
        assert process.stdout is not None
        for line in process.stdout:
            if match := re.search(r"(http://\S+/compatible-mode/v1)", line):
                yield match.group(1)
                break
        else:
            msg = "the emulator process exited before listening"
            raise RuntimeError(msg)
    finally:
        process.terminate()
        process.wait(timeout=10)
