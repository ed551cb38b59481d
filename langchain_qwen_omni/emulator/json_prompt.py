"""Reading the JSON object a prompt asks for, for JSON mode's answers (pure).

`response_format={"type": "json_object"}` carries no schema: the API leaves
the keys to the prompt. To answer with those keys, the emulator reads the
prompt the way a careful model would, in three forms:

- a JSON schema of an object (`{"properties": {...}, ...}`), as LangChain's
  format instructions (`PydanticOutputParser.get_format_instructions()`)
  and hand-written prompts give it;
- an example object (`{"city": "...", "population": 0}`): its keys, with
  values of the example's types;
- a list of keys after `keys:` or `fields:` (`keys: city, population
  (integer)`), each optionally followed by a type in parentheses
  (string, integer, number, boolean, array, object; string by default).

Every form becomes a JSON schema of an object; when a text holds several,
the last one wins (format instructions show an example schema before the
real one). `prose` gives the text around the JSON, whose numbers the
emulator uses for numeric fields.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = [
    "SCAN_CHARS",
    "described_schema",
    "json_objects",
    "prose",
    "schema_of_example",
]

SCAN_CHARS = 65_536
"""Only this many characters at the end of a text are read, which keeps the
reading linear on long prompts (instructions come last)."""
_MAX_ATTEMPTS = 256
"""At most this many `{` are tried as the start of a JSON object per text."""
_DECODER = json.JSONDecoder()
_TYPES = {
    "string": "string",
    "str": "string",
    "text": "string",
    "integer": "integer",
    "int": "integer",
    "number": "number",
    "float": "number",
    "boolean": "boolean",
    "bool": "boolean",
    "array": "array",
    "list": "array",
    "object": "object",
    "dict": "object",
}
_NAME = r"""["'`]?(?P<name>[A-Za-z_][\w-]*)["'`]?(?:\s*\((?P<type>\w+)\))?"""
_KEYS = re.compile(r"\b(?:keys?|fields?)\s*:\s*", re.IGNORECASE)
_FIRST = re.compile(_NAME)
_NEXT = re.compile(r"\s*(?:,\s*(?:(?:and|or)\s+)?|\s+(?:and|or)\s+)" + _NAME)


def json_objects(text: str) -> list[tuple[int, int, dict[str, Any]]]:
    """The JSON objects written in a text: start, end and value, in order.

    Objects inside objects are part of the outer one. Only the last
    `SCAN_CHARS` characters are read, and at most `_MAX_ATTEMPTS` braces
    tried, so stray braces in a long prompt cost little.
    """
    offset = max(0, len(text) - SCAN_CHARS)
    # A slice, because a failed decode counts lines from the start of its text.
    window = text[offset:]
    found: list[tuple[int, int, dict[str, Any]]] = []
    start = window.find("{")
    attempts = 0
    while start != -1 and attempts < _MAX_ATTEMPTS:
        attempts += 1
        try:
            value, end = _DECODER.raw_decode(window, start)
        except (ValueError, RecursionError):
            end = start + 1
        else:
            if isinstance(value, dict):
                found.append((offset + start, offset + end, value))
        start = window.find("{", end)
    return found


def prose(text: str) -> str:
    """The text without the JSON objects written in it."""
    pieces = []
    last = 0
    for start, end, _ in json_objects(text):
        pieces.append(text[last:start])
        last = end
    pieces.append(text[last:])
    return " ".join(pieces)


def _is_object_schema(value: Mapping[str, Any]) -> bool:
    properties = value.get("properties")
    return (
        isinstance(properties, Mapping)
        and bool(properties)
        and all(isinstance(p, Mapping) for p in properties.values())
        and value.get("type", "object") == "object"
    )


def schema_of_example(value: Any) -> dict[str, Any]:
    """A JSON schema that an example value is an instance of (all keys required)."""
    if isinstance(value, Mapping):
        return {
            "type": "object",
            "properties": {str(k): schema_of_example(v) for k, v in value.items()},
            "required": [str(k) for k in value],
        }
    if isinstance(value, list):
        return {"type": "array", "items": schema_of_example(value[0]) if value else {}}
    kinds: list[tuple[type, str]] = [
        (bool, "boolean"),  # before int: a bool is an int
        (int, "integer"),
        (float, "number"),
        (str, "string"),
    ]
    kind = next((name for cls, name in kinds if isinstance(value, cls)), "null")
    return {"type": kind}


def _listed_keys(text: str) -> list[tuple[int, dict[str, Any]]]:
    """Schemas of the `keys: a, b (integer)` lists in a text, with their positions."""
    found = []
    for keys in _KEYS.finditer(text, max(0, len(text) - SCAN_CHARS)):
        first = _FIRST.match(text, keys.end())
        if first is None:
            continue
        names = [first]
        while (more := _NEXT.match(text, names[-1].end())) is not None:
            names.append(more)
        properties = {
            m["name"]: {"type": _TYPES.get((m["type"] or "").lower(), "string")}
            for m in names
        }
        schema = {"type": "object", "properties": properties, "required": [*properties]}
        found.append((keys.start(), schema))
    return found


def _described_in(text: str) -> dict[str, Any] | None:
    """The object schema a text describes last, or `None`."""
    described: list[tuple[int, dict[str, Any]]] = _listed_keys(text)
    for start, _, value in json_objects(text):
        if _is_object_schema(value):
            described.append((start, value))
        elif value:
            described.append((start, schema_of_example(value)))
    return max(described, key=lambda item: item[0])[1] if described else None


def described_schema(texts: Sequence[str]) -> dict[str, Any] | None:
    """The JSON schema of the object the prompt asks for, or `None`.

    Args:
        texts: The prompt's texts, most important first (the last user
            message, then system messages, newest first); the first that
            describes an object decides.
    """
    for text in texts:
        if (schema := _described_in(text)) is not None:
            return schema
    return None
