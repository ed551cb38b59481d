"""The conversation as LangChain messages: answers built from events, history replayed.

`AnswerBuilder` collects one response (its text, speech, tool calls and
usage) into the `AIMessage` shape `ChatQwenOmni` produces, so
`OmniAudio.from_message` and a text conversation with `ChatQwenOmni` carry
on from it. `history_instructions` writes earlier turns into a new session's
instructions: the documented way to give a realtime session context, used
when a session starts from a history and when it reconnects.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from langchain_core.messages import (
    AIMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)

from langchain_qwen_omni._blocks import MODEL_PROVIDER
from langchain_qwen_omni._pcm import encode_b64
from langchain_qwen_omni._stream import usage_from_wire
from langchain_qwen_omni.realtime.protocol import mapping_field, string_field
from langchain_qwen_omni.realtime.tool_runner import parse_arguments

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

    from langchain_core.messages import BaseMessage
    from langchain_core.messages.ai import UsageMetadata

__all__ = [
    "HISTORY_CHARS",
    "AnswerBuilder",
    "PendingCall",
    "history_instructions",
    "response_output",
    "usage_from_realtime",
]

HISTORY_CHARS = 20_000
"""At most this many characters of earlier turns go into the instructions
(the most recent ones), so a long session's replay stays small."""
_HISTORY_HEADER = "The conversation so far (continue it; do not repeat it):"


def usage_from_realtime(usage: Mapping[str, Any]) -> UsageMetadata | None:
    """`response.done`'s usage as LangChain's `UsageMetadata`, or `None` if absent."""
    if not usage:
        return None
    as_chat = {
        "prompt_tokens": usage.get("input_tokens"),
        "completion_tokens": usage.get("output_tokens"),
        "total_tokens": usage.get("total_tokens"),
        "prompt_tokens_details": usage.get("input_tokens_details")
        or usage.get("input_token_details"),
        "completion_tokens_details": usage.get("output_tokens_details")
        or usage.get("output_token_details"),
    }
    try:
        return usage_from_wire(as_chat)
    except (TypeError, ValueError, AttributeError):
        return None


class PendingCall:
    """One tool call of a response, filled in as its events arrive."""

    __slots__ = ("arguments", "call_id", "item_id", "name", "started")

    def __init__(self, call_id: str, name: str | None, item_id: str | None) -> None:
        """Start with no arguments."""
        self.call_id = call_id
        self.name = name
        self.item_id = item_id
        self.arguments: list[str] = []
        self.started = False

    def arguments_text(self) -> str:
        """The arguments received so far, joined."""
        return "".join(self.arguments)


class AnswerBuilder:
    """Collects one response's events into an `AIMessage`; linear in its size."""

    def __init__(self, response_id: str | None, sample_rate: int) -> None:
        """Start an empty answer."""
        self.response_id = response_id
        self.sample_rate = sample_rate
        self.item_id: str | None = None
        self.interrupted = False
        self.calls: dict[str, PendingCall] = {}
        self._text: list[str] = []
        self._pcm = bytearray()
        self._odd = b""

    # --- feeding ---

    def add_text(self, delta: str) -> bool:
        """Add answer text; False once the user interrupted (the rest was not said)."""
        if self.interrupted:
            return False
        self._text.append(delta)
        return True

    def add_audio(self, data: bytes) -> bytes:
        """Add speech; return the whole samples to play (none once interrupted)."""
        if self.interrupted:
            return b""
        if self._odd:
            data = self._odd + data
        cut = len(data) - len(data) % 2
        self._odd = data[cut:]
        pcm = data[:cut]
        self._pcm += pcm
        return pcm

    def interrupt(self) -> None:
        """Keep what was received so far; drop what comes later."""
        self.interrupted = True

    def call(self, call_id: str, name: str | None, item_id: str | None) -> PendingCall:
        """The pending call with this id, created on first sight."""
        pending = self.calls.get(call_id)
        if pending is None:
            pending = self.calls[call_id] = PendingCall(call_id, name, item_id)
        elif name and not pending.name:
            pending.name = name
        return pending

    def fill_from_output(self, output: Iterable[Any]) -> None:
        """Take from `response.done`'s output what the deltas did not bring.

        Lenient on purpose: a server may skip transcript deltas, or send a
        function call only as a finished output item.
        """
        for item in output:
            if not hasattr(item, "get"):
                continue
            kind = string_field(item, "type")
            if kind == "function_call":
                call_id = string_field(item, "call_id") or string_field(item, "id")
                if call_id is None:
                    continue
                pending = self.call(
                    call_id, string_field(item, "name"), string_field(item, "id")
                )
                arguments = string_field(item, "arguments")
                if arguments and not pending.arguments:
                    pending.arguments.append(arguments)
            elif kind == "message" and not self._text and not self.interrupted:
                self._text.extend(_item_text(item))

    # --- reading ---

    @property
    def text(self) -> str:
        """The answer's text (the transcript of its speech)."""
        return "".join(self._text)

    def to_message(
        self, *, model: str, status: str, usage: Mapping[str, Any] | None = None
    ) -> AIMessage:
        """The answer as `ChatQwenOmni` would return it, plus realtime metadata."""
        text = self.text
        kwargs: dict[str, Any] = {}
        if self._pcm:
            kwargs["audio"] = {
                "id": self.item_id or self.response_id,
                "data": encode_b64(self._pcm),
                "transcript": text,
                "expires_at": None,
                "format": "pcm16",
                "sample_rate": self.sample_rate,
                "channels": 1,
            }
        tool_calls: list[dict[str, Any]] = []
        invalid: list[dict[str, Any]] = []
        for pending in self.calls.values():
            arguments = pending.arguments_text()
            args = parse_arguments(arguments)
            entry = {"name": pending.name or "", "id": pending.call_id}
            if args is None:
                invalid.append(
                    {
                        **entry,
                        "args": arguments,
                        "error": "not a JSON object",
                        "type": "invalid_tool_call",
                    }
                )
            else:
                tool_calls.append({**entry, "args": args, "type": "tool_call"})
        metadata = {
            "model_provider": MODEL_PROVIDER,
            "model_name": model,
            "response_id": self.response_id,
            "status": status,
            "interrupted": self.interrupted,
            "finish_reason": "tool_calls" if self.calls else _finish_reason(status),
        }
        return AIMessage(
            content=text,
            additional_kwargs=kwargs,
            tool_calls=tool_calls,
            invalid_tool_calls=invalid,
            usage_metadata=usage_from_realtime(usage or {}),
            response_metadata=metadata,
            id=self.response_id,
        )


def _finish_reason(status: str) -> str:
    return {"completed": "stop", "incomplete": "length"}.get(status, status)


def _item_text(item: Mapping[str, Any]) -> list[str]:
    """The text or transcript of a finished message item's content parts."""
    parts = item.get("content")
    if not isinstance(parts, list):
        return []
    texts: list[str] = []
    for part in parts:
        if hasattr(part, "get"):
            text = string_field(part, "transcript") or string_field(part, "text")
            if text:
                texts.append(text)
    return texts


def response_output(event: Mapping[str, Any]) -> list[Any]:
    """The `output` list of a `response.done` event (empty if absent)."""
    output = mapping_field(event, "response").get("output")
    return output if isinstance(output, list) else []


# --- replaying history -----------------------------------------------------


def _message_text(message: BaseMessage) -> str:
    if isinstance(message, AIMessage):
        audio = message.additional_kwargs.get("audio")
        transcript = audio.get("transcript") if isinstance(audio, dict) else None
        return message.text or (transcript if isinstance(transcript, str) else "")
    return message.text


def _line(message: BaseMessage) -> str | None:
    """One history line, or `None` for messages with nothing to replay."""
    text = " ".join(_message_text(message).split())
    if isinstance(message, HumanMessage):
        return f"User: {text}" if text else None
    if isinstance(message, AIMessage):
        calls = [
            f"{call['name']}({json.dumps(call['args'], ensure_ascii=False)})"
            for call in message.tool_calls
        ]
        said = f"Assistant: {text}" if text else ""
        if message.response_metadata.get("interrupted"):
            said += " [interrupted by the user]"
        if calls:
            said = f"{said} [called {', '.join(calls)}]".strip()
        return said or None
    if isinstance(message, ToolMessage):
        return f"Tool {message.name or message.tool_call_id} returned: {text}"
    return None


def history_instructions(
    instructions: str | None,
    messages: Sequence[BaseMessage],
    limit: int = HISTORY_CHARS,
) -> str | None:
    """Instructions that carry a conversation into a new session.

    System messages join the instructions; the other turns follow as
    `User: ...` / `Assistant: ...` lines, the most recent `limit` characters.

    Args:
        instructions: The session's own instructions.
        messages: The conversation so far.
        limit: Most characters of history lines kept.
    """
    system = [m.text for m in messages if isinstance(m, SystemMessage) and m.text]
    lines = [line for m in messages if (line := _line(m)) is not None]
    kept: list[str] = []
    size = 0
    for line in reversed(lines):
        size += len(line) + 1
        if size > limit:
            break
        kept.append(line)
    kept.reverse()
    parts = [p for p in (instructions, *system) if p]
    if kept:
        parts.append(_HISTORY_HEADER + "\n" + "\n".join(kept))
    return "\n\n".join(parts) or None
