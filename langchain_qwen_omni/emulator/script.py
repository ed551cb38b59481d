"""Scripted answers: what the emulator says next, queued by a test.

The emulator's own answers follow fixed rules (it describes the request,
calls the first tool with made-up arguments), which checks what a client
sends but cannot drive an agent down a chosen path. A script can: each
`Answer` is one model turn (a text, tool calls with given arguments, a JSON
object, a spoken text), and each chat completion request takes the next one
in order. Requests that find the script empty get the rule-based answers.

An answer is checked twice: when it is built (types, JSON-serializable
arguments), and against the request that takes it (the tool it calls must be
bound, a spoken answer needs a request for speech); a request that
contradicts its answer gets `ScriptMismatchError`'s 400 in the API's error
envelope, naming the answer and what to change. This module holds the data
and the queue; `tools.build_answer` turns an answer into chunks.
"""

from __future__ import annotations

import dataclasses
import json
import threading
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Literal, get_args

from langchain_qwen_omni.emulator.errors import EmulatorError, error_body

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = [
    "SCRIPT_MISMATCH",
    "Answer",
    "AnswerKind",
    "Script",
    "ScriptMismatchError",
    "ScriptedCall",
    "ScriptedTurn",
    "as_answer",
    "script_mismatch",
]

AnswerKind = Literal["text", "tool_calls", "json", "spoken"]
SCRIPT_MISMATCH = "emulator_script_mismatch"
"""The `code` of the error answering a request its scripted answer contradicts."""
_KINDS = get_args(AnswerKind)
_HINT = (
    "use Answer.text(...), Answer.tool_call(name, {...}), Answer.json({...}) "
    "or Answer.spoken(...) (a plain str is a text answer)"
)


def _json_object_text(value: object, where: str) -> str:
    """Serialize a JSON object, or say why it is not one.

    Raises:
        TypeError: For a value that is not a mapping or not serializable.
        ValueError: For NaN or infinite numbers, which JSON cannot hold.
    """
    if not isinstance(value, Mapping):
        msg = f"{where} must be a JSON object (a dict), got {type(value).__name__}"
        raise TypeError(msg)
    try:
        return json.dumps(value, ensure_ascii=False, allow_nan=False)
    except TypeError as exc:
        msg = f"{where} is not JSON-serializable: {exc}"
        raise TypeError(msg) from exc
    except ValueError as exc:
        msg = f"{where} is not valid JSON: {exc}"
        raise ValueError(msg) from exc


@dataclasses.dataclass(frozen=True)
class ScriptedCall:
    """One tool call of a scripted answer: the tool's name and its arguments."""

    name: str
    arguments: str = "{}"
    """The arguments as the JSON object text that is streamed."""

    def __post_init__(self) -> None:
        """Refuse an empty name and arguments that are not a JSON object."""
        if not isinstance(self.name, str) or not self.name:
            msg = f"a scripted tool call needs a tool name, got {self.name!r}"
            raise ValueError(msg)
        if not isinstance(self.arguments, str):
            msg = (
                "ScriptedCall.arguments is JSON text; build calls with Answer.tool_call"
            )
            raise TypeError(msg)
        try:
            value = json.loads(self.arguments)
        except ValueError as exc:
            msg = f"the arguments of {self.name!r} are not JSON: {exc}"
            raise ValueError(msg) from exc
        if not isinstance(value, dict):
            msg = f"the arguments of {self.name!r} must be a JSON object"
            raise ValueError(msg)  # noqa: TRY004 - JSON text of the wrong shape

    @classmethod
    def of(cls, name: str, arguments: Mapping[str, Any] | None = None) -> Self:
        """Build a call from a name and a dict of arguments (`None`: no arguments).

        Raises:
            TypeError: For arguments that are not a JSON-serializable dict.
            ValueError: For an empty name, NaN or infinite numbers.
        """
        where = f"the arguments of {name!r}"
        return cls(
            name, _json_object_text({} if arguments is None else arguments, where)
        )

    @property
    def args(self) -> dict[str, Any]:
        """The arguments as a dict."""
        value: dict[str, Any] = json.loads(self.arguments)
        return value


@dataclasses.dataclass(frozen=True)
class Answer:
    """One scripted model turn; build it with the class methods.

    Example:
        ```python
        script = [
            Answer.tool_call("get_weather", {"city": "Paris"}),
            Answer.text("It is sunny in Paris."),
        ]
        with OmniEmulator(script=script) as emu: ...
        ```
    """

    kind: AnswerKind
    content: str = ""
    """The text of a `text`, `spoken` or `json` answer (JSON as text)."""
    calls: tuple[ScriptedCall, ...] = ()
    """The calls of a `tool_calls` answer, in order."""

    def __post_init__(self) -> None:
        """Refuse an answer whose parts do not fit its kind."""
        if self.kind not in _KINDS:
            msg = f"Answer.kind must be one of {', '.join(_KINDS)}, got {self.kind!r}"
            raise ValueError(msg)
        if not isinstance(self.content, str):
            got = type(self.content).__name__
            msg = f"the content of a scripted answer must be a str, got {got}"
            raise TypeError(msg)
        if (self.kind == "tool_calls") != bool(self.calls):
            msg = "a tool_calls answer needs at least one call, and only it has calls"
            raise ValueError(msg)
        if not all(isinstance(call, ScriptedCall) for call in self.calls):
            msg = "Answer.calls holds ScriptedCall items (see Answer.tool_calls)"
            raise TypeError(msg)

    @classmethod
    def text(cls, content: str) -> Self:
        """A text answer; spoken too when the request asks for speech."""
        return cls("text", content)

    @classmethod
    def spoken(cls, content: str) -> Self:
        """A spoken answer: its text, and speech synthesized from it.

        The request that takes it must ask for speech (`modalities` with
        `"audio"`); one that asks for text only gets the emulator's error, so
        a test can check which turns speak.
        """
        return cls("spoken", content)

    @classmethod
    def json(cls, value: Mapping[str, Any]) -> Self:
        """A JSON object, streamed as the text of the answer.

        Raises:
            TypeError: For a value that is not a JSON-serializable dict.
            ValueError: For NaN or infinite numbers.
        """
        return cls("json", _json_object_text(value, "Answer.json's value"))

    @classmethod
    def tool_call(cls, name: str, arguments: Mapping[str, Any] | None = None) -> Self:
        """A call of one tool with the given arguments.

        Raises:
            TypeError: For arguments that are not a JSON-serializable dict.
            ValueError: For an empty name, NaN or infinite numbers.
        """
        return cls("tool_calls", calls=(ScriptedCall.of(name, arguments),))

    @classmethod
    def tool_calls(
        cls, *calls: ScriptedCall | tuple[str, Mapping[str, Any] | None]
    ) -> Self:
        """Several calls in one answer, as parallel tool calls stream.

        Example: `Answer.tool_calls(("add", {"a": 1}), ("mul", {"b": 2}))`.

        Raises:
            TypeError: For a call that is neither a `ScriptedCall` nor a
                `(name, arguments)` pair.
            ValueError: For no call at all.
        """
        built: list[ScriptedCall] = []
        for call in calls:
            if isinstance(call, ScriptedCall):
                built.append(call)
            elif isinstance(call, tuple) and len(call) == 2:  # noqa: PLR2004 - a pair
                built.append(ScriptedCall.of(*call))
            else:
                msg = f"a tool call is a (name, arguments) pair, got {call!r}"
                raise TypeError(msg)
        return cls("tool_calls", calls=tuple(built))

    # --- JSON form, for the HTTP endpoint and script files ---

    def to_dict(self) -> dict[str, Any]:
        """The answer as JSON: `{"text": ...}`, `{"spoken": ...}`, `{"json": {...}}`
        or `{"tool_calls": [{"name": ..., "arguments": {...}}]}`.
        """  # noqa: D205 - the forms are the summary
        if self.kind == "tool_calls":
            calls = [{"name": c.name, "arguments": c.args} for c in self.calls]
            return {"tool_calls": calls}
        if self.kind == "json":
            return {"json": json.loads(self.content)}
        return {self.kind: self.content}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """Read the JSON form (see `to_dict`); `tool_call` takes one call too.

        Raises:
            TypeError: For values of the wrong type.
            ValueError: For a form with no known key, or more than one.
        """
        if not isinstance(data, Mapping) or len(data) != 1:
            msg = (
                "a scripted answer is an object with one key: text, spoken, json, "
                f"tool_call or tool_calls; got {data!r:.200}"
            )
            raise ValueError(msg)
        ((key, value),) = data.items()
        if key == "text":
            return cls.text(value)
        if key == "spoken":
            return cls.spoken(value)
        if key == "json":
            return cls.json(value)
        if key == "tool_call":
            value = [value]
        elif key != "tool_calls":
            msg = (
                f"unknown scripted answer {key!r}: use text, spoken, json, "
                "tool_call or tool_calls"
            )
            raise ValueError(msg)
        if not isinstance(value, list) or not all(
            isinstance(c, Mapping) for c in value
        ):
            msg = 'tool_calls is a list of {"name": ..., "arguments": {...}} objects'
            raise TypeError(msg)
        return cls.tool_calls(*((c.get("name", ""), c.get("arguments")) for c in value))

    def summary(self) -> str:
        """A short description for error messages, e.g. `a call of 'add'`."""
        if self.kind == "tool_calls":
            names = ", ".join(repr(call.name) for call in self.calls)
            return f"a call of {names}"
        head = self.content if len(self.content) <= 40 else self.content[:37] + "..."  # noqa: PLR2004
        return f"a {self.kind} answer {head!r}"


def as_answer(entry: object) -> Answer:
    """An entry of a script as an `Answer`: a plain str is a text answer.

    Raises:
        TypeError: For anything else, with the constructors to use.
    """
    if isinstance(entry, Answer):
        return entry
    if isinstance(entry, str):
        return Answer.text(entry)
    got = type(entry).__name__
    msg = f"a scripted answer must be an Answer or a str, got {got}: {_HINT}"
    raise TypeError(msg)


@dataclasses.dataclass(frozen=True)
class ScriptedTurn:
    """The answer a request took, and its place among those taken (from 1)."""

    number: int
    answer: Answer


@dataclasses.dataclass
class _Entry:
    answer: Answer
    match: str | None


class Script:
    """The queue of scripted answers, shared by a test and the app; thread-safe.

    Each chat completion request takes the first queued answer whose `match`
    its body contains (every answer without one matches), so answers are
    used in order; `pending` shows what is left and `used` what was taken.
    """

    def __init__(self, answers: Iterable[Answer | str] = ()) -> None:
        """Start with `answers` queued (checked as by `add`)."""
        self._lock = threading.Lock()
        self._entries: list[_Entry] = []
        self._used: list[Answer] = []
        self.add(*answers)

    def add(self, *answers: Answer | str, match: str | None = None) -> None:
        """Queue answers after those already queued.

        Args:
            *answers: `Answer`s, or strs for text answers.
            match: Only requests whose JSON body contains this text (e.g. a
                marker in the prompt) take these answers, to aim them at one
                of concurrent requests; `None` matches every request.

        Raises:
            TypeError: For an entry that is not an `Answer` or a str; nothing
                is queued then.
        """
        if match is not None and not isinstance(match, str):
            msg = f"match must be a str or None, got {type(match).__name__}"
            raise TypeError(msg)
        entries = [_Entry(as_answer(answer), match) for answer in answers]
        with self._lock:
            self._entries.extend(entries)

    def take(self, body: Mapping[str, Any]) -> ScriptedTurn | None:
        """The next answer for a request with this body, counted as used."""
        with self._lock:
            if not self._entries:
                return None
            text: str | None = None
            for entry in self._entries:
                if entry.match is not None:
                    if text is None:  # serialized once, and only when needed
                        text = json.dumps(body, ensure_ascii=False)
                    if entry.match not in text:
                        continue
                self._entries.remove(entry)
                self._used.append(entry.answer)
                return ScriptedTurn(len(self._used), entry.answer)
        return None

    @property
    def pending(self) -> list[Answer]:
        """The answers not used yet, in order (a copy)."""
        with self._lock:
            return [entry.answer for entry in self._entries]

    @property
    def used(self) -> list[Answer]:
        """The answers requests took, in order (a copy)."""
        with self._lock:
            return list(self._used)

    def clear(self) -> None:
        """Drop the queued answers and the record of used ones."""
        with self._lock:
            self._entries.clear()
            self._used.clear()

    def __len__(self) -> int:
        """How many answers are still queued."""
        with self._lock:
            return len(self._entries)

    def __repr__(self) -> str:
        """Show how many answers are queued and used."""
        with self._lock:
            return f"Script(pending={len(self._entries)}, used={len(self._used)})"


class ScriptMismatchError(Exception):
    """A request contradicts the scripted answer it took; carries the 400."""

    def __init__(self, error: EmulatorError) -> None:
        """Keep the error answer; the message is its detail."""
        super().__init__(error.detail)
        self.error = error


def script_mismatch(turn: ScriptedTurn, problem: str) -> ScriptMismatchError:
    """The error for a request that cannot take its scripted answer.

    Args:
        turn: The answer and its number.
        problem: What in the request contradicts it, and what to change.
    """
    message = (
        f"Scripted answer {turn.number} ({turn.answer.summary()}) does not fit "
        f"this request: {problem}"
    )
    body = error_body(message, code=SCRIPT_MISMATCH, prefix="<400> Emulator.Script")
    return ScriptMismatchError(EmulatorError(400, body))
