"""Import time: langchain-qwen-omni vs langchain-openai, each in fresh processes.

Run: `python -m benchmarks.imports`.
"""

from __future__ import annotations

import subprocess
import sys

from benchmarks._timing import Result, alternate, table

_STATEMENTS = {
    "package": "import langchain_qwen_omni",
    "chat_model": "from langchain_qwen_omni import ChatQwenOmni",
    "openai": "import langchain_openai",
    "openai_chat_model": "from langchain_openai import ChatOpenAI",
    "core": "from langchain_core.language_models import BaseChatModel",
}


def _importer(statement: str) -> object:
    def run() -> None:
        subprocess.run([sys.executable, "-c", statement], check=True)  # noqa: S603

    return run


def run(rounds: int = 7) -> list[Result]:
    """Median wall time of each import statement, as ratios."""
    medians = alternate(
        {name: _importer(stmt) for name, stmt in _STATEMENTS.items()},  # type: ignore[misc]
        rounds=rounds,
        warmup=1,
    )
    openai = medians["openai"]
    return [
        Result(
            "import langchain_qwen_omni / import langchain_openai",
            medians["package"] / openai,
            0.5,
            f"{medians['package'] * 1000:.0f} ms vs {openai * 1000:.0f} ms",
        ),
        Result(
            "from .. import ChatQwenOmni / from .. import ChatOpenAI",
            medians["chat_model"] / medians["openai_chat_model"],
            0.75,
            f"floor: langchain-core's BaseChatModel alone is "
            f"{medians['core'] / medians['openai_chat_model']:.2f}",
        ),
    ]


if __name__ == "__main__":
    print(table(run()))
