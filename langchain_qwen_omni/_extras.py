"""Clear errors when an optional extra is not installed."""

from __future__ import annotations

import importlib

__all__ = ["require"]


def require(extra: str, *modules: str) -> None:
    """Import `modules`, or raise naming the extra that installs them.

    Raises:
        ModuleNotFoundError: With the `pip install` line that fixes it.
    """
    name = ""
    try:
        for name in modules:
            importlib.import_module(name)
    except ModuleNotFoundError as exc:
        msg = (
            f"This feature needs the {extra!r} extra ({name} is not installed): "
            f'pip install "langchain-qwen-omni[{extra}]"'
        )
        raise ModuleNotFoundError(msg, name=name) from exc
