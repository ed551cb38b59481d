"""The emulator's tool calls, JSON answers and thinking output (pure functions).

A real model chooses when to call a tool and what to say; a test double must
instead be predictable. A test that needs given turns queues them
(`script.Answer`): the next scripted answer is used first, checked against
the request. Unscripted, every choice here follows a fixed rule that tests
(and users reading their own traces) can rely on:

- With `tools` and a `tool_choice` other than `"none"`, the answer is a call
  of the chosen tool, else of the first one (of every tool when
  `parallel_tool_calls` is true), streamed in several argument pieces with
  `finish_reason: "tool_calls"`.
- Arguments are built from the tool's JSON schema: required fields only,
  type-correct (enums take their first value; numbers take the numbers written
  in the last user message, in order, then 1, 2, 3, ...).
- Right after `tool` messages the answer is text quoting the results, unless
  `tool_choice` forces a call (`"required"`, or a named tool): then the next
  tool not yet called since the last user message is called (the last tool
  once all were), so an agent whose answer tool is forced still finishes.
- `response_format` `json_object` answers an object with the keys the prompt
  describes (a JSON schema, an example object or `keys: a, b`; see
  `json_prompt`), else a small object describing the request; `json_schema`
  answers a JSON instance of the given schema.
- Thinking (`enable_thinking: true`, or on by default on qwen3.8-omni-flash)
  streams `reasoning_content` deltas before the answer and reports
  `reasoning_tokens` in `completion_tokens_details`.

`build_answer` wraps `answers.build_chunks`, which keeps text and speech.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from langchain_qwen_omni.emulator.answers import (
    build_chunks,
    count_parts,
    estimate_usage,
    last_user_message,
    message_text,
    messages_of,
    model_of,
    quote,
    split_text,
)
from langchain_qwen_omni.emulator.errors import EmulatorError, invalid_parameter
from langchain_qwen_omni.emulator.facts import judge
from langchain_qwen_omni.emulator.json_prompt import described_schema, prose
from langchain_qwen_omni.emulator.params import (
    facts_of,
    thinking_enabled,
    wants_audio,
)
from langchain_qwen_omni.emulator.script import script_mismatch
from langchain_qwen_omni.emulator.tokens import text_tokens

if TYPE_CHECKING:
    from collections.abc import Iterator

    from langchain_qwen_omni.emulator.options import EmulatorOptions
    from langchain_qwen_omni.emulator.script import ScriptedTurn

__all__ = [
    "ARGUMENT_PIECE_CHARS",
    "PlannedCall",
    "build_answer",
    "check_tools",
    "example_from_schema",
    "json_answer",
    "plan_answer",
    "plan_tool_calls",
    "reasoning_text",
    "tool_arguments",
    "tool_call_deltas",
    "tool_results_text",
]

ARGUMENT_PIECE_CHARS = 8
"""Tool-call arguments stream in pieces of about this many characters."""
_MIN_ARGUMENT_PIECES = 3
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
_FORCED = "required"
_STRING_FORMATS = {
    "date": "2025-01-01",
    "date-time": "2025-01-01T00:00:00Z",
    "time": "00:00:00",
    "email": "user@example.com",
    "uri": "https://example.com/",
    "url": "https://example.com/",
    "uuid": "00000000-0000-4000-8000-000000000000",
}
_RESPONSE_FORMATS = ("text", "json_object", "json_schema")
_TOOL_CHOICES = ("auto", "none", "required")


@dataclasses.dataclass(frozen=True)
class PlannedCall:
    """One tool call the emulator will make: which tool, with which arguments."""

    name: str
    arguments: str
    """The arguments as the JSON text that will be streamed."""


# --- reading the request ---------------------------------------------------


def _functions(body: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The `function` objects of the request's tools, in order."""
    tools = body.get("tools")
    if not isinstance(tools, list):
        return []
    return [
        tool["function"]
        for tool in tools
        if isinstance(tool, Mapping) and isinstance(tool.get("function"), Mapping)
    ]


def _forced_name(body: Mapping[str, Any]) -> str | None:
    """The tool named by `tool_choice={"type": "function", ...}`, if any."""
    choice = body.get("tool_choice")
    if isinstance(choice, Mapping):
        function = choice.get("function")
        if isinstance(function, Mapping) and isinstance(function.get("name"), str):
            return str(function["name"])
    return None


def _trailing_tool_messages(body: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The latest tool results: the `tool` messages after the last assistant turn.

    A user message may follow them, holding media a tool returned (Omni
    takes media in user turns only); the results are still the latest.
    """
    since_assistant = list(
        itertools.takewhile(
            lambda m: m.get("role") != "assistant", reversed(messages_of(body))
        )
    )[::-1]
    if not since_assistant or since_assistant[0].get("role") != "tool":
        return []
    return [m for m in since_assistant if m.get("role") == "tool"]


def _called_since_user(body: Mapping[str, Any]) -> set[str]:
    """Names of the tools the assistant called after the last user message."""
    called: set[str] = set()
    for message in reversed(messages_of(body)):
        if message.get("role") == "user":
            break
        for call in message.get("tool_calls") or ():
            if isinstance(call, Mapping) and isinstance(call.get("function"), Mapping):
                called.add(str(call["function"].get("name")))
    return called


def _user_numbers(body: Mapping[str, Any]) -> list[float]:
    """The numbers written in the last user message, in order."""
    user = last_user_message(body)
    text = message_text(user) if user is not None else ""
    return [float(match) for match in _NUMBER.findall(text)]


# --- arguments from a JSON schema ------------------------------------------


class _Numbers:
    """Numbers handed out to numeric fields: the user's first, then 1, 2, 3."""

    def __init__(self, given: Iterable[float]) -> None:
        self._given = iter(given)
        self._fallback = itertools.count(1)

    def take(self) -> float:
        given = next(self._given, None)
        return float(next(self._fallback)) if given is None else given


@dataclasses.dataclass
class _SchemaWalk:
    """State of one walk over a schema: its root (for `$ref`) and the numbers."""

    root: Mapping[str, Any]
    numbers: _Numbers
    optional: bool = False
    """Fill optional properties too (JSON mode: every key the prompt names)."""
    depth: int = 0
    expanding: list[str] = dataclasses.field(default_factory=list)
    """`$ref`s being filled in: a recursive schema stops where it repeats."""

    def repeats(self, schema: Any) -> bool:
        """Tell whether `schema` refers to a definition already being filled."""
        return isinstance(schema, Mapping) and schema.get("$ref") in self.expanding


_MAX_DEPTH = 32
"""Recursive schemas (a tree of nodes) stop here instead of looping forever."""


def _resolve(schema: Mapping[str, Any], walk: _SchemaWalk) -> Mapping[str, Any]:
    """Follow local `$ref`s (`#/$defs/Name`) to the schema they name."""
    seen = 0
    while isinstance(ref := schema.get("$ref"), str) and ref.startswith("#/"):
        target: Any = walk.root
        for key in ref[2:].split("/"):
            target = target.get(key, {}) if isinstance(target, Mapping) else {}
        schema = target if isinstance(target, Mapping) else {}
        seen += 1
        if seen > _MAX_DEPTH:
            return {}
    return schema


def _schema_type(schema: Mapping[str, Any]) -> str:
    """The JSON type a schema asks for, inferred when `type` is missing."""
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if isinstance(kind, str):
        return kind
    if "properties" in schema:
        return "object"
    if "items" in schema or "prefixItems" in schema:
        return "array"
    return "string"


def _example(schema: Any, name: str, walk: _SchemaWalk) -> Any:
    """Fill one schema, following a `$ref` while remembering it is being filled."""
    if not isinstance(schema, Mapping) or walk.depth > _MAX_DEPTH:
        return None
    ref = schema.get("$ref")
    if not isinstance(ref, str):
        return _fill(schema, name, walk)
    walk.expanding.append(ref)
    try:
        return _fill(_resolve(schema, walk), name, walk)
    finally:
        walk.expanding.pop()


def _fill(schema: Mapping[str, Any], name: str, walk: _SchemaWalk) -> Any:
    if "const" in schema:
        return schema["const"]
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return schema["enum"][0]
    if "default" in schema:
        return schema["default"]
    for key in ("anyOf", "oneOf", "allOf"):
        if isinstance(options := schema.get(key), list) and options:
            return _example(_pick_option(options, walk), name, walk)
    build = _BUILDERS.get(_schema_type(schema), _string)
    walk.depth += 1
    try:
        return build(schema, name, walk)
    finally:
        walk.depth -= 1


def _pick_option(options: list[Any], walk: _SchemaWalk) -> Any:
    """The first option that is not `null` (how `Optional[X]` is written).

    An option that would repeat a definition being filled is passed over for
    `null` when `null` is allowed, so an optional link in a recursive schema
    ends the recursion.
    """
    null = next(
        (o for o in options if isinstance(o, Mapping) and o.get("type") == "null"),
        None,
    )
    for option in options:
        if option is null or not isinstance(option, Mapping):
            continue
        if not (walk.repeats(option) and null is not None):
            return option
    return options[0] if null is None else null


def _object(schema: Mapping[str, Any], name: str, walk: _SchemaWalk) -> Any:
    del name
    properties = schema.get("properties")
    properties = properties if isinstance(properties, Mapping) else {}
    required = schema.get("required")
    fields = [str(f) for f in required] if isinstance(required, list) else []
    if walk.optional:  # every property, but no optional link back into a recursion
        fields += [
            str(f)
            for f, spec in properties.items()
            if f not in fields and not walk.repeats(spec)
        ]
    return {field: _example(properties.get(field, {}), field, walk) for field in fields}


def _array(schema: Mapping[str, Any], name: str, walk: _SchemaWalk) -> Any:
    prefix = schema.get("prefixItems")
    if isinstance(prefix, list):
        return [_example(item, name, walk) for item in prefix]
    items = schema.get("items", {})
    least = int(schema.get("minItems") or 0)
    count = (
        least if walk.repeats(items) or schema.get("maxItems") == 0 else max(1, least)
    )
    return [_example(items, name, walk) for _ in range(count)]


def _number(schema: Mapping[str, Any], name: str, walk: _SchemaWalk) -> Any:
    del name
    value = walk.numbers.take()
    low = schema.get("minimum", schema.get("exclusiveMinimum"))
    high = schema.get("maximum", schema.get("exclusiveMaximum"))
    if isinstance(low, (int, float)) and value < low:
        value = float(low) + (1 if "exclusiveMinimum" in schema else 0)
    if isinstance(high, (int, float)) and value > high:
        value = float(high) - (1 if "exclusiveMaximum" in schema else 0)
    return value


def _integer(schema: Mapping[str, Any], name: str, walk: _SchemaWalk) -> Any:
    return math.floor(_number(schema, name, walk))


def _string(schema: Mapping[str, Any], name: str, walk: _SchemaWalk) -> Any:
    del walk
    text = _STRING_FORMATS.get(str(schema.get("format")), f"emulated {name}")
    if isinstance(low := schema.get("minLength"), int) and len(text) < low:
        text = text.ljust(low, "x")
    if isinstance(high := schema.get("maxLength"), int):
        text = text[:high]
    return text


def _boolean(schema: Mapping[str, Any], name: str, walk: _SchemaWalk) -> Any:
    del schema, name, walk
    return True


def _null(schema: Mapping[str, Any], name: str, walk: _SchemaWalk) -> Any:
    del schema, name, walk
    return None


_BUILDERS: dict[str, Callable[[Mapping[str, Any], str, _SchemaWalk], Any]] = {
    "object": _object,
    "array": _array,
    "number": _number,
    "integer": _integer,
    "string": _string,
    "boolean": _boolean,
    "null": _null,
}


def example_from_schema(
    schema: Mapping[str, Any], numbers: Iterable[float] = (), *, optional: bool = False
) -> Any:
    """Build a deterministic JSON value valid for a JSON schema.

    Objects get their required fields only (every field with `optional`);
    arrays one item (or `minItems`); enums and `const` their first value;
    `anyOf`/`oneOf` their first option that is not null; strings
    `"emulated <field name>"` (or a sample of their `format`); booleans
    `true`. Numeric fields take `numbers` in order, then 1, 2, 3, ...,
    clamped to `minimum`/`maximum`. Local `$ref`s are followed.

    Args:
        schema: The JSON schema (for tools, the function's `parameters`).
        numbers: Values for numeric fields, in the order fields are filled;
            an iterator shared by several calls hands each value out once.
        optional: Fill the optional properties of objects too, except those
            that would repeat a definition being filled (a recursion).
    """
    walk = _SchemaWalk(root=schema, numbers=_Numbers(numbers), optional=optional)
    return _example(schema, "value", walk)


def tool_arguments(function: Mapping[str, Any], numbers: Iterable[float] = ()) -> str:
    """The JSON arguments the emulator sends for a tool (see `example_from_schema`)."""
    parameters = function.get("parameters")
    if not isinstance(parameters, Mapping):
        parameters = {"type": "object", "properties": {}}
    return json.dumps(example_from_schema(parameters, numbers), ensure_ascii=False)


# --- what to answer ---------------------------------------------------------


def plan_tool_calls(body: Mapping[str, Any]) -> list[PlannedCall]:
    """Decide which tools the answer calls; empty for a text answer.

    See the module docstring for the rules.
    """
    functions = _functions(body)
    choice = body.get("tool_choice")
    if not functions or choice == "none":
        return []
    forced = _forced_name(body)
    after_results = bool(_trailing_tool_messages(body))
    if after_results and forced is None and choice != _FORCED:
        return []
    if forced is not None:
        chosen = [f for f in functions if f.get("name") == forced][:1]
    elif after_results:
        called = _called_since_user(body)
        chosen = [
            next((f for f in functions if f.get("name") not in called), functions[-1])
        ]
    elif body.get("parallel_tool_calls") is True:
        chosen = functions
    else:
        chosen = functions[:1]
    numbers = iter(_user_numbers(body))  # shared: each number is used once
    return [
        PlannedCall(name=str(f.get("name")), arguments=tool_arguments(f, numbers))
        for f in chosen
    ]


def tool_results_text(body: Mapping[str, Any]) -> str | None:
    """Text quoting the latest tool results, or `None` when there are none.

    Each result is named after the tool whose call id it answers.
    """
    results = _trailing_tool_messages(body)
    if not results:
        return None
    names: dict[str, str] = {}
    for message in messages_of(body):
        for call in message.get("tool_calls") or ():
            if isinstance(call, Mapping) and isinstance(call.get("function"), Mapping):
                names[str(call.get("id"))] = str(call["function"].get("name"))
    sentences = [f"[{model_of(body)} emulator]"]
    for result in results:
        name = names.get(str(result.get("tool_call_id")), "a tool")
        sentences.append(f"The tool {name} returned {quote(message_text(result))}.")
    return " ".join(sentences)


def _response_format(body: Mapping[str, Any]) -> Mapping[str, Any]:
    value = body.get("response_format")
    return value if isinstance(value, Mapping) else {}


def _prompt_texts(body: Mapping[str, Any]) -> list[str]:
    """The texts that may describe a JSON answer: last user message, then system.

    System messages come newest first; `developer` counts as system.
    """
    user = last_user_message(body)
    texts = [message_text(user)] if user is not None else []
    texts.extend(
        message_text(m)
        for m in reversed(messages_of(body))
        if m.get("role") in ("system", "developer")
    )
    return texts


def _described_object(body: Mapping[str, Any]) -> Any:
    """The object the prompt asks for, filled in, or `None` when it names none.

    Numeric fields take the numbers of the last user message's prose (the
    numbers inside a schema written there are not answers).
    """
    texts = _prompt_texts(body)
    schema = described_schema(texts)
    if schema is None:
        return None
    numbers = [float(n) for n in _NUMBER.findall(prose(texts[0]))] if texts else []
    return example_from_schema(schema, numbers, optional=True)


def _request_description(body: Mapping[str, Any]) -> dict[str, Any]:
    """JSON mode's answer when the prompt names no keys: the request, described."""
    messages = messages_of(body)
    user = last_user_message(body)
    media = count_parts(user) if user is not None else {}
    return {
        "model": model_of(body),
        "messages": len(messages),
        "roles": [str(m.get("role", "?")) for m in messages],
        "last_user_message": message_text(user) if user is not None else None,
        "media": {k: n for k, n in sorted(media.items()) if k != "text"},
    }


def json_answer(body: Mapping[str, Any]) -> str | None:
    """The JSON text answering a `response_format` request; `None` for text.

    `json_schema` gives an instance of the schema (see `example_from_schema`).
    `json_object` carries no schema, so the answer has the keys the prompt
    describes (a JSON schema, an example object or `keys: a, b`; see
    `json_prompt`), every property filled; a prompt that describes none gets
    a small object describing the request: `model`, `messages` (their
    count), `roles`, `last_user_message` and `media` (counts by part type).
    """
    response_format = _response_format(body)
    kind = response_format.get("type")
    if kind == "json_schema":
        spec = response_format.get("json_schema")
        schema = spec.get("schema") if isinstance(spec, Mapping) else None
        if isinstance(schema, Mapping):
            value = example_from_schema(schema, _user_numbers(body))
            return json.dumps(value, ensure_ascii=False)
    if kind not in ("json_object", "json_schema"):
        return None
    described = _described_object(body) if kind == "json_object" else None
    value = _request_description(body) if described is None else described
    return json.dumps(value, ensure_ascii=False)


def reasoning_text(
    body: Mapping[str, Any], calls: Sequence[PlannedCall], *, scripted: bool = False
) -> str:
    """The thinking the emulator streams before its answer (`scripted`: a script's)."""
    user = last_user_message(body)
    asked = quote(message_text(user)) if user is not None else "nothing"
    if calls:
        plan = f"I will call {', '.join(call.name for call in calls)}."
    elif scripted:
        plan = "I will give the scripted answer."
    elif _trailing_tool_messages(body):
        plan = "I will report the tool results."
    elif json_answer(body) is not None:
        plan = "I will answer in JSON."
    else:
        plan = "I will describe what I received."
    return f"The user wrote {asked}. {plan}"


# --- chunks -----------------------------------------------------------------


def tool_call_deltas(
    calls: Sequence[PlannedCall], call_id: str
) -> list[dict[str, Any]]:
    """The `delta.tool_calls` deltas of the calls, arguments in several pieces.

    The first delta of a call carries its index, id, type and name with empty
    arguments; the next ones carry only the index and an argument piece, as
    OpenAI-compatible streams do.
    """
    deltas: list[dict[str, Any]] = []
    for index, call in enumerate(calls):
        deltas.append(
            {
                "tool_calls": [
                    {
                        "index": index,
                        "id": f"{call_id}_{index}",
                        "type": "function",
                        "function": {"name": call.name, "arguments": ""},
                    }
                ]
            }
        )
        pieces = max(
            _MIN_ARGUMENT_PIECES, math.ceil(len(call.arguments) / ARGUMENT_PIECE_CHARS)
        )
        deltas.extend(
            {"tool_calls": [{"index": index, "function": {"arguments": piece}}]}
            for piece in split_text(call.arguments, pieces)
        )
    return deltas


def _with_choice(
    template: Mapping[str, Any], delta: dict[str, Any], finish_reason: str | None
) -> dict[str, Any]:
    """A chunk with the template's envelope (id, model, ...) and one choice."""
    choice = {"index": 0, "delta": delta, "finish_reason": finish_reason}
    return {**template, "choices": [{**template["choices"][0], **choice}]}


def _tool_call_chunks(
    body: Mapping[str, Any], calls: Sequence[PlannedCall], text_chunks: list[Any]
) -> list[dict[str, Any]]:
    """Replace a text answer's deltas by tool-call deltas.

    `text_chunks` is the answer `build_chunks` makes for an empty text: its
    role chunk gives the envelope and its usage chunk (if asked) the place
    where the tool call's usage goes.
    """
    role = text_chunks[0]
    deltas = tool_call_deltas(calls, f"call_{role['id'].removeprefix('chatcmpl-')}")
    chunks = [role]
    chunks.extend(_with_choice(role, delta, None) for delta in deltas)
    chunks.append(_with_choice(role, {}, "tool_calls"))
    if not text_chunks[-1]["choices"]:  # the usage chunk was asked for
        arguments = "".join(call.arguments for call in calls)
        chunks.append(
            {**text_chunks[-1], "usage": estimate_usage(body, arguments, None)}
        )
    return chunks


def _add_reasoning(chunks: list[dict[str, Any]], reasoning: str) -> None:
    """Insert reasoning deltas after the role chunk and count their tokens."""
    role = chunks[0]
    deltas = [
        _with_choice(role, {"reasoning_content": piece}, None)
        for piece in split_text(reasoning)
    ]
    chunks[1:1] = deltas
    usage = chunks[-1].get("usage")
    if isinstance(usage, dict):
        tokens = text_tokens(reasoning)
        details = dict(usage.get("completion_tokens_details") or {})
        details["reasoning_tokens"] = tokens
        chunks[-1] = {
            **chunks[-1],
            "usage": {
                **usage,
                "completion_tokens": usage["completion_tokens"] + tokens,
                "total_tokens": usage["total_tokens"] + tokens,
                "completion_tokens_details": details,
            },
        }


def _scripted_calls(body: Mapping[str, Any], turn: ScriptedTurn) -> list[PlannedCall]:
    """The calls of a scripted answer, once the request is seen to allow them.

    Raises:
        ScriptMismatchError: When the request does not bind a tool called,
            or its `tool_choice` rules the calls out.
    """
    names = [str(f.get("name")) for f in _functions(body)]
    bound = ", ".join(names) if names else "none"
    choice = body.get("tool_choice")
    forced = _forced_name(body)
    for call in turn.answer.calls:
        if call.name not in names:
            problem = (
                f"it calls the tool {call.name!r}, which the request does not bind "
                f"(tools: {bound}). Bind the tool (bind_tools, create_agent(tools="
                "...)), or queue the answers in the order the requests come."
            )
            raise script_mismatch(turn, problem)
        if choice == "none" or (forced is not None and call.name != forced):
            shown = json.dumps(choice, ensure_ascii=False)
            problem = (
                f"the request's tool_choice ({shown}) rules out calling {call.name!r}."
            )
            raise script_mismatch(turn, problem)
    return [PlannedCall(call.name, call.arguments) for call in turn.answer.calls]


def _scripted_text(body: Mapping[str, Any], turn: ScriptedTurn) -> str:
    """The text of a scripted text, JSON or spoken answer, checked against the request.

    Raises:
        ScriptMismatchError: When the request forces a tool call, or asks
            for text only while the answer is spoken.
    """
    choice = body.get("tool_choice")
    if _functions(body) and (choice == _FORCED or _forced_name(body) is not None):
        shown = json.dumps(choice, ensure_ascii=False)
        problem = (
            f"the request forces a tool call (tool_choice={shown}); script "
            "Answer.tool_call(...) for it."
        )
        raise script_mismatch(turn, problem)
    if turn.answer.kind == "spoken" and not wants_audio(body):
        shown = json.dumps(body.get("modalities", ["text"]))
        problem = (
            f"it is spoken, but the request asks for text only (modalities={shown}). "
            "Ask for speech (modalities=['text', 'audio']) or script Answer.text(...)."
        )
        raise script_mismatch(turn, problem)
    return turn.answer.content


def plan_answer(
    body: Mapping[str, Any], options: EmulatorOptions
) -> tuple[list[PlannedCall], str | None, ScriptedTurn | None]:
    """What to answer: the calls, or the text (`None`: describe the request).

    Takes the next scripted answer, if any, checked against the request;
    unscripted, the module docstring's rules decide, and `options.answer`
    replaces any text.

    Raises:
        ScriptMismatchError: When the request contradicts its scripted answer.
    """
    turn = options.script.take(body)
    text: str | None
    if turn is None:
        calls = plan_tool_calls(body)
        text = None if calls else tool_results_text(body) or json_answer(body)
        text = text if options.answer is None else options.answer
    elif turn.answer.kind == "tool_calls":
        calls, text = _scripted_calls(body, turn), None
    else:
        calls, text = [], _scripted_text(body, turn)
    return calls, text, turn


def build_answer(
    body: Mapping[str, Any],
    options: EmulatorOptions,
    *,
    completion_id: str,
    created: int,
    audio_id: str,
) -> list[dict[str, Any]]:
    """Build the chunk dicts answering a valid request: tool call or text.

    The next scripted answer (`options.script`) comes first: its calls, or
    its text (spoken when the request asks for speech). Unscripted, the
    rules of the module docstring decide; text answers (the request's
    description, tool results, JSON) come from `answers.build_chunks`, with
    speech when asked, and `options.answer`, when set, replaces any text
    answer. Thinking adds reasoning deltas in front.

    Raises:
        ScriptMismatchError: When the request contradicts the scripted
            answer it takes (the answer counts as used).
    """
    calls, text, turn = plan_answer(body, options)
    if calls:
        empty = dataclasses.replace(options, answer="")
        text_body = {**body, "modalities": ["text"]}
        chunks = _tool_call_chunks(
            body,
            calls,
            build_chunks(
                text_body,
                empty,
                completion_id=completion_id,
                created=created,
                audio_id=audio_id,
            ),
        )
    else:
        if text is not None:
            options = dataclasses.replace(options, answer=text)
        chunks = build_chunks(
            body,
            options,
            completion_id=completion_id,
            created=created,
            audio_id=audio_id,
        )
    if thinking_enabled(body):
        _add_reasoning(chunks, reasoning_text(body, calls, scripted=turn is not None))
    return chunks


# --- request rules ------------------------------------------------------------


def _iter_tool_errors(body: Mapping[str, Any]) -> Iterator[str]:
    tools = body.get("tools")
    if tools is None:
        return
    if not isinstance(tools, list):
        yield "Input should be a valid list: tools"
        return
    for index, tool in enumerate(tools):
        function = tool.get("function") if isinstance(tool, Mapping) else None
        if (
            not isinstance(tool, Mapping)
            or tool.get("type") != "function"
            or not isinstance(function, Mapping)
            or not isinstance(function.get("name"), str)
            or not function["name"]
        ):
            yield (
                f"Input should be a function tool with a name: tools[{index}] "
                '(expected {"type": "function", "function": {"name": ...}})'
            )


def _tool_choice_error(body: Mapping[str, Any]) -> str | None:
    choice = body.get("tool_choice")
    if choice is None or choice in _TOOL_CHOICES:
        return None
    forced = _forced_name(body)
    if forced is None:
        return (
            "Input should be 'auto', 'none', 'required' or "
            '{"type": "function", "function": {"name": ...}}: tool_choice'
        )
    names = [str(f.get("name")) for f in _functions(body)]
    if forced not in names:
        return f"tool_choice names the function {forced!r}, which is not in tools"
    return None


def check_tools(
    body: Mapping[str, Any],
) -> EmulatorError | None:
    """Check `tools`, `tool_choice` and `response_format`.

    Families without tools (turbo, Qwen2.5, the captioner) refuse `tools`
    with the API's documented message, `The tool call is not supported.`
    """
    facts = facts_of(body)
    if (
        body.get("tools")
        and not facts.tools
        and judge(facts, "tools", "The tool call is not supported.")
    ):
        return invalid_parameter("The tool call is not supported.")
    if message := next(_iter_tool_errors(body), None) or _tool_choice_error(body):
        return invalid_parameter(message)
    response_format = body.get("response_format")
    if response_format is not None and (
        not isinstance(response_format, Mapping)
        or response_format.get("type") not in _RESPONSE_FORMATS
    ):
        return invalid_parameter(
            "Input should be 'text', 'json_object' or 'json_schema': "
            "response_format.type"
        )
    return None
