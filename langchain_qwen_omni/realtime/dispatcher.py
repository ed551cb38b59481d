"""Server events in, typed events and client actions out: the session's state machine.

Synchronous and free of I/O, so every protocol rule (barge-in, tool rounds,
turn ordering, leniency about missing fields) is unit-testable with plain
dicts. The engine feeds it what the socket brings and carries out the
actions it returns: client events to send and tool calls to start.
"""

from __future__ import annotations

import collections
import dataclasses
import logging
from typing import TYPE_CHECKING, Any

from langchain_core.messages import HumanMessage

from langchain_qwen_omni._pcm import decode_wire_b64
from langchain_qwen_omni.realtime.events import (
    AssistantAudio,
    AssistantTranscriptDelta,
    ErrorEvent,
    ResponseDone,
    SpeechStarted,
    SpeechStopped,
    ToolCallFinished,
    ToolCallStarted,
    UserTranscriptCompleted,
    UserTranscriptDelta,
)
from langchain_qwen_omni.realtime.history import AnswerBuilder, response_output
from langchain_qwen_omni.realtime.protocol import (
    function_call_output,
    integer_field,
    mapping_field,
    response_cancel,
    response_create,
    string_field,
)
from langchain_qwen_omni.realtime.tool_runner import parse_arguments

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from langchain_core.messages import BaseMessage

    from langchain_qwen_omni.realtime.events import RealtimeEvent
    from langchain_qwen_omni.realtime.history import PendingCall
    from langchain_qwen_omni.realtime.tool_runner import ToolOutcome

logger = logging.getLogger(__name__)

__all__ = ["Actions", "EventDispatcher", "StartTool"]

_NO_RESPONSE = "_"
"""Key of an answer whose events carry no `response_id` (lenient servers)."""
_CANCEL_WORDS = ("cancel", "no active response", "not active", "no response")


@dataclasses.dataclass(frozen=True)
class StartTool:
    """Run this tool call now (its arguments are complete)."""

    response_id: str | None
    call_id: str
    name: str
    arguments: str


@dataclasses.dataclass
class Actions:
    """What one server event leads to."""

    events: list[RealtimeEvent] = dataclasses.field(default_factory=list)
    """Typed events for the application, in order."""
    send: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    """Client events to send, in order."""
    tools: list[StartTool] = dataclasses.field(default_factory=list)
    """Tool calls to start."""

    def extend(self, other: Actions) -> None:
        """Append another set of actions after these."""
        self.events += other.events
        self.send += other.send
        self.tools += other.tools


@dataclasses.dataclass
class _ToolRound:
    """The calls of one response: their results go back together, then an answer."""

    call_ids: list[str]
    outcomes: dict[str, ToolOutcome] = dataclasses.field(default_factory=dict)
    response_done: bool = False
    stale: bool = False
    """The connection was replaced: results are kept but not sent."""


class EventDispatcher:
    """The session's state: answers in progress, user turns, tool rounds."""

    def __init__(
        self,
        *,
        model: str,
        messages: list[BaseMessage],
        sample_rate: int,
        barge_in: bool = True,
    ) -> None:
        """Start with the conversation so far.

        Args:
            model: Model name, for the answers' metadata.
            messages: The session's message list; turns are appended to it.
            sample_rate: Sample rate of the speech the server sends.
            barge_in: Whether user speech interrupts an answer (server VAD
                with `interrupt_response`).
        """
        self.model = model
        self.messages = messages
        self.sample_rate = sample_rate
        self.barge_in = barge_in
        self.session: Mapping[str, Any] = {}
        self.interrupted: set[str | None] = set()
        self._answers: dict[str, AnswerBuilder] = {}
        self._finished: collections.deque[str] = collections.deque(maxlen=64)
        self._active: str | None = None
        self._users: dict[str, HumanMessage] = {}
        self._unnamed_turns = 0
        """User turns without an item id so far, counted as each one ends."""
        self._rounds: dict[str, _ToolRound] = {}
        self._calls_by_item: dict[str, str] = {}
        self._speaking = False
        self._cancel_pending = False
        self._handlers: dict[str, Callable[[Mapping[str, Any]], Actions]] = {
            "session.created": self._on_session,
            "session.updated": self._on_session,
            "error": self._on_error,
            "input_audio_buffer.speech_started": self._on_speech_started,
            "input_audio_buffer.speech_stopped": self._on_speech_stopped,
            "input_audio_buffer.committed": self._on_committed,
            "conversation.item.created": self._on_item_created,
            "conversation.item.input_audio_transcription.delta": self._on_user_delta,
            "conversation.item.input_audio_transcription.completed": self._on_user_done,
            "conversation.item.input_audio_transcription.failed": self._on_user_failed,
            "response.created": self._on_response_created,
            "response.output_item.added": self._on_output_item,
            "response.output_item.done": self._on_output_item,
            "response.text.delta": self._on_text_delta,
            "response.audio_transcript.delta": self._on_text_delta,
            "response.audio.delta": self._on_audio_delta,
            "response.audio_transcript.done": self._on_text_done,
            "response.text.done": self._on_text_done,
            "response.function_call_arguments.delta": self._on_arguments_delta,
            "response.function_call_arguments.done": self._on_arguments_done,
            "response.done": self._on_response_done,
        }

    # --- state the engine reads ---

    @property
    def idle(self) -> bool:
        """No answer, user speech or tool round under way: a moment to reconnect."""
        return (
            self._active is None
            and not self._speaking
            and not any(not r.stale for r in self._rounds.values())
        )

    # --- feeding ---

    def handle(self, event: Mapping[str, Any]) -> Actions:
        """Process one server event; unknown types are ignored."""
        kind = string_field(event, "type") or ""
        handler = self._handlers.get(kind)
        if handler is None:
            return Actions()
        return handler(event)

    def tool_finished(self, start: StartTool, outcome: ToolOutcome) -> Actions:
        """Record a tool's result; once the round is complete, send it back."""
        actions = Actions(
            events=[
                ToolCallFinished(
                    call_id=start.call_id,
                    name=start.name,
                    output=outcome.output,
                    is_error=outcome.is_error,
                    message=outcome.message,
                )
            ]
        )
        key = start.response_id or _NO_RESPONSE
        tool_round = self._rounds.get(key)
        if tool_round is None:  # a call outside any round: keep the result
            self.messages.append(outcome.message)
            return actions
        tool_round.outcomes[start.call_id] = outcome
        actions.extend(self._flush_round(key))
        return actions

    def connection_lost(self) -> Actions:
        """The connection broke: end the answer in progress with what arrived."""
        actions = Actions()
        if self._active is not None:
            actions.extend(self._finish(self._active, "incomplete", {}))
        self._speaking = False
        self._cancel_pending = False
        for tool_round in self._rounds.values():
            tool_round.stale = True
        return actions

    # --- handlers ---

    def _on_session(self, event: Mapping[str, Any]) -> Actions:
        self.session = mapping_field(event, "session")
        return Actions()

    def _on_error(self, event: Mapping[str, Any]) -> Actions:
        error = mapping_field(event, "error")
        message = string_field(error, "message") or string_field(event, "message") or ""
        code = string_field(error, "code")
        if self._cancel_pending and _about_cancel(message, code):
            # the server had already stopped the answer we cancelled
            self._cancel_pending = False
            logger.debug("Ignored the refusal of a redundant cancel: %s", message)
            return Actions()
        return Actions(
            events=[
                ErrorEvent(
                    message=message or "The server reported an error.",
                    code=code,
                    param=string_field(error, "param"),
                    error_type=string_field(error, "type"),
                )
            ]
        )

    def _on_speech_started(self, event: Mapping[str, Any]) -> Actions:
        self._speaking = True
        actions = Actions()
        interrupted = None
        if self.barge_in and self._active is not None:
            answer = self._answers[self._active]
            if not answer.interrupted:
                answer.interrupt()
                interrupted = answer.response_id
                self.interrupted.add(answer.response_id)
                self._cancel_pending = True
                actions.send.append(response_cancel(answer.response_id))
        actions.events.append(
            SpeechStarted(
                item_id=string_field(event, "item_id"),
                audio_start_ms=integer_field(event, "audio_start_ms"),
                interrupted_response=interrupted,
            )
        )
        return actions

    def _on_speech_stopped(self, event: Mapping[str, Any]) -> Actions:
        self._speaking = False
        return Actions(
            events=[
                SpeechStopped(
                    item_id=string_field(event, "item_id"),
                    audio_end_ms=integer_field(event, "audio_end_ms"),
                )
            ]
        )

    def _user(self, item_id: str | None) -> HumanMessage:
        """The user turn of an item, appended to the conversation on first sight."""
        key = item_id or f"_user{self._unnamed_turns}"
        message = self._users.get(key)
        if message is None:
            message = HumanMessage(content="", id=item_id)
            self._users[key] = message
            self.messages.append(message)
        return message

    def _on_committed(self, event: Mapping[str, Any]) -> Actions:
        self._speaking = False
        self._user(string_field(event, "item_id"))
        return Actions()

    def _on_item_created(self, event: Mapping[str, Any]) -> Actions:
        item = mapping_field(event, "item")
        if string_field(item, "role") == "user":
            self._user(string_field(item, "id"))
        return Actions()

    def _on_user_delta(self, event: Mapping[str, Any]) -> Actions:
        item_id = string_field(event, "item_id")
        self._user(item_id)
        delta = string_field(event, "delta") or string_field(event, "text") or ""
        if not delta:
            return Actions()
        return Actions(events=[UserTranscriptDelta(item_id=item_id, delta=delta)])

    def _on_user_done(self, event: Mapping[str, Any]) -> Actions:
        item_id = string_field(event, "item_id")
        transcript = string_field(event, "transcript") or ""
        message = self._user(item_id)
        message.content = transcript
        self._unnamed_turns += item_id is None  # the next one is another turn
        return Actions(
            events=[UserTranscriptCompleted(item_id=item_id, transcript=transcript)]
        )

    def _on_user_failed(self, event: Mapping[str, Any]) -> Actions:
        item_id = string_field(event, "item_id")
        self._user(item_id).additional_kwargs["transcription"] = "failed"
        self._unnamed_turns += item_id is None
        error = mapping_field(event, "error")
        message = (
            string_field(error, "message") or "The user's speech was not transcribed."
        )
        return Actions(
            events=[ErrorEvent(message=message, code=string_field(error, "code"))]
        )

    # --- answers ---

    def _answer(self, response_id: str | None) -> AnswerBuilder:
        """The answer of a response, started on first sight (even unannounced)."""
        if response_id is not None and response_id in self._finished:
            late = AnswerBuilder(response_id, self.sample_rate)
            late.interrupt()  # a late event of a finished answer: dropped
            return late
        key = response_id or self._active or _NO_RESPONSE
        answer = self._answers.get(key)
        if answer is None:
            answer = AnswerBuilder(response_id, self.sample_rate)
            self._answers[key] = answer
        if self._active is None:
            self._active = key
        return answer

    def _on_response_created(self, event: Mapping[str, Any]) -> Actions:
        response_id = string_field(mapping_field(event, "response"), "id")
        if self._active is not None and self._active != response_id:
            # a new answer without the old one's `response.done`: close it
            actions = self._finish(self._active, "incomplete", {})
        else:
            actions = Actions()
        self._active = None
        self._answer(response_id)
        return actions

    def _on_output_item(self, event: Mapping[str, Any]) -> Actions:
        item = mapping_field(event, "item")
        answer = self._answer(string_field(event, "response_id"))
        kind = string_field(item, "type")
        if kind == "message" and answer.item_id is None:
            answer.item_id = string_field(item, "id")
            return Actions()
        if kind != "function_call":
            return Actions()
        item_id = string_field(item, "id")
        call_id = string_field(item, "call_id") or item_id
        if call_id is None:
            return Actions()
        pending = answer.call(call_id, string_field(item, "name"), item_id)
        if item_id:
            self._calls_by_item[item_id] = call_id
        arguments = string_field(item, "arguments")
        finished = string_field(event, "type") == "response.output_item.done"
        if finished and arguments is not None:
            pending.arguments[:] = [arguments]
            return self._start(answer, pending)
        return Actions()

    def _on_text_delta(self, event: Mapping[str, Any]) -> Actions:
        response_id = string_field(event, "response_id")
        answer = self._answer(response_id)
        delta = string_field(event, "delta") or ""
        if not delta or not answer.add_text(delta):
            return Actions()
        return Actions(
            events=[
                AssistantTranscriptDelta(
                    response_id=answer.response_id,
                    item_id=string_field(event, "item_id") or answer.item_id,
                    delta=delta,
                )
            ]
        )

    def _on_text_done(self, event: Mapping[str, Any]) -> Actions:
        """The whole text, for servers that send it without deltas."""
        answer = self._answer(string_field(event, "response_id"))
        text = string_field(event, "transcript") or string_field(event, "text")
        if text and not answer.text:
            return self._on_text_delta({**event, "delta": text})
        return Actions()

    def _on_audio_delta(self, event: Mapping[str, Any]) -> Actions:
        answer = self._answer(string_field(event, "response_id"))
        try:  # pieces may come without their `=` padding
            data = decode_wire_b64(string_field(event, "delta") or "")
        except ValueError:  # binascii.Error, or a non-ASCII string
            logger.warning("Skipped a response.audio.delta whose data is not base64.")
            return Actions()
        pcm = answer.add_audio(data)
        if not pcm:
            return Actions()
        return Actions(
            events=[
                AssistantAudio(
                    response_id=answer.response_id,
                    item_id=string_field(event, "item_id") or answer.item_id,
                    pcm=pcm,
                    sample_rate=self.sample_rate,
                )
            ]
        )

    def _pending_call(
        self, event: Mapping[str, Any]
    ) -> tuple[AnswerBuilder, PendingCall] | None:
        answer = self._answer(string_field(event, "response_id"))
        item_id = string_field(event, "item_id")
        call_id = (
            string_field(event, "call_id")
            or self._calls_by_item.get(item_id or "")
            or item_id
        )
        if call_id is None:
            return None
        return answer, answer.call(call_id, string_field(event, "name"), item_id)

    def _on_arguments_delta(self, event: Mapping[str, Any]) -> Actions:
        found = self._pending_call(event)
        if found is not None:
            found[1].arguments.append(string_field(event, "delta") or "")
        return Actions()

    def _on_arguments_done(self, event: Mapping[str, Any]) -> Actions:
        found = self._pending_call(event)
        if found is None:
            return Actions()
        answer, pending = found
        arguments = string_field(event, "arguments")
        if arguments is not None:
            pending.arguments[:] = [arguments]
        return self._start(answer, pending)

    def _start(self, answer: AnswerBuilder, pending: PendingCall) -> Actions:
        """Start a call whose name and arguments are known, once."""
        if pending.started or not pending.name:
            return Actions()
        pending.started = True
        arguments = pending.arguments_text()
        key = answer.response_id or _NO_RESPONSE
        tool_round = self._rounds.setdefault(key, _ToolRound(call_ids=[]))
        tool_round.call_ids.append(pending.call_id)
        start = StartTool(answer.response_id, pending.call_id, pending.name, arguments)
        args = parse_arguments(arguments)
        return Actions(
            events=[ToolCallStarted(pending.call_id, pending.name, args or {})],
            tools=[start],
        )

    def _on_response_done(self, event: Mapping[str, Any]) -> Actions:
        response = mapping_field(event, "response")
        response_id = string_field(response, "id") or string_field(event, "response_id")
        if response_id is not None and response_id in self._finished:
            return Actions()  # repeated, or after a newer answer closed this one
        answer = self._answer(response_id)
        answer.fill_from_output(response_output(event))
        actions = Actions()
        for pending in answer.calls.values():
            if not pending.started and pending.arguments:
                actions.extend(self._start(answer, pending))
        status = string_field(response, "status") or "completed"
        key = next((k for k, a in self._answers.items() if a is answer), _NO_RESPONSE)
        actions.extend(self._finish(key, status, mapping_field(response, "usage")))
        return actions

    def _finish(self, key: str, status: str, usage: Mapping[str, Any]) -> Actions:
        """Turn an answer into its message and event; its tool round may complete."""
        answer = self._answers.pop(key)
        if answer.response_id is not None:
            self._finished.append(answer.response_id)
        if self._active == key:
            self._active = None
        if answer.interrupted and status == "completed":
            status = "cancelled"
        message = answer.to_message(model=self.model, status=status, usage=usage)
        self.messages.append(message)
        actions = Actions(
            events=[
                ResponseDone(
                    response_id=answer.response_id,
                    message=message,
                    status=status,
                    interrupted=answer.interrupted,
                )
            ]
        )
        round_key = answer.response_id or _NO_RESPONSE
        if round_key in self._rounds:
            self._rounds[round_key].response_done = True
            actions.extend(self._flush_round(round_key))
        return actions

    def _flush_round(self, key: str) -> Actions:
        """Send a round's results and ask for the answer, once all are in."""
        tool_round = self._rounds[key]
        if not tool_round.response_done or len(tool_round.outcomes) < len(
            tool_round.call_ids
        ):
            return Actions()
        del self._rounds[key]
        actions = Actions()
        for call_id in tool_round.call_ids:
            outcome = tool_round.outcomes[call_id]
            self.messages.append(outcome.message)
            if not tool_round.stale:
                actions.send.append(function_call_output(call_id, outcome.output))
        if not tool_round.stale:
            actions.send.append(response_create())
        return actions


def _about_cancel(message: str, code: str | None) -> bool:
    text = f"{code or ''} {message}".lower()
    return any(word in text for word in _CANCEL_WORDS)
