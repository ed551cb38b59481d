"""Running the model's tool calls with LangChain tools, concurrently and safely.

A tool that fails does not end the session: its error text goes back to the
model as the call's output, which lets the model say what went wrong.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from typing import TYPE_CHECKING, Any

from langchain_core.messages import ToolMessage
from langchain_core.utils.function_calling import convert_to_openai_tool

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from langchain_core.tools import BaseTool

logger = logging.getLogger(__name__)

__all__ = ["ToolOutcome", "parse_arguments", "run_tool_call", "tool_specs"]


def tool_specs(tools: Sequence[BaseTool]) -> list[dict[str, Any]]:
    """The session's `tools`: `{"type": "function", "function": {...}}` per tool."""
    return [convert_to_openai_tool(tool) for tool in tools]


@dataclasses.dataclass(frozen=True)
class ToolOutcome:
    """What a call produced: the message for the history, the text for the model."""

    message: ToolMessage
    output: str
    is_error: bool


def _error(call_id: str, name: str, text: str) -> ToolOutcome:
    message = ToolMessage(content=text, tool_call_id=call_id, name=name, status="error")
    return ToolOutcome(message, text, is_error=True)


def parse_arguments(arguments: str) -> dict[str, Any] | None:
    """The call's arguments as a dict, or `None` when they are not a JSON object."""
    try:
        value = json.loads(arguments or "{}")
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


async def run_tool_call(
    tools: Mapping[str, BaseTool], call_id: str, name: str, arguments: str
) -> ToolOutcome:
    """Run one call; every failure becomes an error outcome, never an exception.

    Cancellation still propagates, so closing a session stops its tools.
    """
    tool = tools.get(name)
    if tool is None:
        known = ", ".join(tools) or "none"
        return _error(
            call_id, name, f"Error: there is no tool named {name!r} (tools: {known})."
        )
    args = parse_arguments(arguments)
    if args is None:
        return _error(
            call_id, name, f"Error: the arguments are not a JSON object: {arguments!r}."
        )
    call = {"name": name, "args": args, "id": call_id, "type": "tool_call"}
    try:
        result = await tool.ainvoke(call)
    except Exception as exc:  # noqa: BLE001  # any tool failure goes back to the model
        logger.info("Tool %s failed: %s: %s", name, type(exc).__name__, exc)
        return _error(call_id, name, f"Error: {type(exc).__name__}: {exc}")
    if not isinstance(result, ToolMessage):
        result = ToolMessage(content=_text(result), tool_call_id=call_id, name=name)
    output = _text(result.content)
    return ToolOutcome(result, output, is_error=result.status == "error")


def _text(value: object) -> str:
    """A tool result as the text the model receives."""
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        return str(value)
