"""Messages whose speech stays PCM until read, and whose merging stays linear.

A ten-minute spoken answer is about 6,000 chunks and 38 MB of base64.
LangChain merges chunks by concatenating their strings: pairwise in
`functools.reduce(operator.add, chunks)` and in older chains, once per key
and chunk in a list merge (`chunks[0] + chunks[1:]`, what `stream()`, LCEL
chains and `astream_events` run). Either way every step recopies the
growing base64 string, which took 90 s for that answer.

`OmniAIMessageChunk`, the chunk class of this package, keeps each long
string (speech base64, transcript, reasoning, text, and the same in v1
content blocks) as a list of pieces, a rope, and joins it once, on first
read. Its `+` lifts the long strings out of both sides, lets langchain-core
merge what is left (ids, metadata, usage, tool-call chunks, all by its own
rules), and concatenates the ropes: linear in the answer however LangChain
merges. Speech pieces are spans of the stream's `PcmBuffer`, so base64 is
made only if someone reads it, and `OmniAudio` takes the PCM as it is.

What users see is unchanged: `chunk.additional_kwargs["audio"]["data"]` is
a `str` that decodes on its own, and merged chunks carry valid base64 of
the whole PCM. Reading `content`, `additional_kwargs` or `__dict__` (which
is how pydantic dumps, copies, compares, pickles and prints a model) fills
the strings in first. The chunk compares equal to a plain `AIMessageChunk`
with the same fields, serializes (`dumpd`) as one, and
`message_chunk_to_message` turns it into a plain `AIMessage`.

A list merge (`chunk + [chunks]`, which `stream()` runs at the end for
`on_llm_end` and LCEL for a chain's output) is itself done only when its
result is used beyond its text: with no callback listening, never. The
merged chunk that langchain-core builds from light copies is made without
validation when there are no tool-call pieces to parse, as the stream's own
chunks are: validating thousands of them cost more than the rest of their
handling.

`invoke` returns a `SpeechMessage`: an `AIMessage` that fills in its speech
base64 on first touch and becomes a plain `AIMessage` at that moment (so
checkpoints and serializers only ever see the standard class), while
`OmniAudio.from_message` takes its PCM without making any base64 at all.
"""

from __future__ import annotations

import itertools
import threading
from typing import TYPE_CHECKING, Any, cast

from langchain_core.messages import AIMessage, AIMessageChunk
from langchain_core.messages.ai import add_ai_message_chunks
from langchain_core.outputs import ChatGenerationChunk

from langchain_qwen_omni._pcm import B64Piece, PcmSpan, join_b64

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from pydantic import BaseModel

__all__ = [
    "SPEECH_PATH",
    "LazyStrings",
    "OmniAIMessageChunk",
    "SpeechMessage",
    "generation_chunk",
    "merge_chunks",
    "speech_of",
]

Path = tuple[str, ...]
"""Where a long string sits: a field, then dict keys or a v1 block's `index`."""

SPEECH_PATH: Path = ("additional_kwargs", "audio", "data")

# v1 content blocks with a fixed "lc_..." index merge into one block per
# index; their long string is under this key.
_BLOCK_TEXT_KEYS = {"text": "text", "reasoning": "reasoning", "audio": "base64"}
_LAZY_FIELDS = frozenset({"content", "additional_kwargs"})


class _View:
    """A message's share of a rope: the first `length` pieces of `pieces`.

    Ropes are append-only and shared: a merge appends to its left side's
    list in place when nothing was appended past that side's own length
    (the usual `acc + chunk` step), and copies the prefix otherwise
    (`_Rope`).
    """

    __slots__ = ("length", "pieces")

    def __init__(self, pieces: list[B64Piece], length: int | None = None) -> None:
        self.pieces = pieces
        self.length = len(pieces) if length is None else length

    def items(self) -> list[B64Piece]:
        return self.pieces[: self.length]

    def join(self) -> str:
        return join_b64(self.items())

    def __deepcopy__(self, memo: dict[int, object]) -> _View:
        return _View(self.items())


_FILLING = threading.RLock()
"""Held while strings are put into a message: readers in other threads wait."""


class LazyStrings:
    """The long strings of one message not yet put into its fields."""

    __slots__ = ("holes", "speech", "speech_text")

    def __init__(self, holes: dict[Path, _View], speech: _View | None) -> None:
        self.holes = holes
        self.speech = speech
        """The speech pieces, also after they were joined into `speech_text`."""
        self.speech_text: str | None = None

    def fill(
        self,
        fields: dict[str, Any],
        field: str | None = None,
        *,
        keep: Path | None = None,
    ) -> None:
        """Join the pending strings of `field` (all when None) into `fields`.

        The string at `keep`, if any, stays pending. A hole is dropped only
        once its string is in place, under a lock: another thread that finds
        no hole left may read the fields at once.
        """
        with _FILLING:
            for path in [
                p for p in self.holes if (field is None or p[0] == field) and p != keep
            ]:
                text = self.holes[path].join()
                fields[path[0]] = _put(fields[path[0]], path[1:], text)
                if path == SPEECH_PATH:
                    self.speech_text = text
                del self.holes[path]

    def speech_in(self, fields: dict[str, Any]) -> _View | None:
        """The speech pieces, if the speech in `fields` is still theirs.

        It is while pending, and after as long as the data is the very
        string they were joined into (nobody put another one in its place).
        """
        if self.speech is None:
            return None
        if SPEECH_PATH in self.holes:
            return self.speech
        audio = fields["additional_kwargs"].get("audio")
        if (
            self.speech_text is not None
            and isinstance(audio, dict)
            and audio.get("data") is self.speech_text
        ):
            return self.speech
        return None

    def __deepcopy__(self, memo: dict[int, object]) -> LazyStrings:
        copy = LazyStrings(
            {path: view.__deepcopy__(memo) for path, view in self.holes.items()},
            None if self.speech is None else self.speech.__deepcopy__(memo),
        )
        copy.speech_text = self.speech_text
        return copy


def _put(container: Any, keys: Sequence[str], value: str) -> Any:
    """A copy of `container` with `value` at `keys` (dict keys, block indices)."""
    if not keys:
        return value
    key, rest = keys[0], keys[1:]
    if isinstance(container, dict):
        return {**container, key: _put(container[key], rest, value)}
    blocks = list(container)
    for i, block in enumerate(blocks):
        if isinstance(block, dict) and block.get("index") == key:
            blocks[i] = _put(block, rest, value)
            return blocks
    msg = f"no content block with index {key!r} to hold its merged text"
    raise LookupError(msg)


# ---------------------------------------------------------------- lifting
Lifted = dict[Path, "B64Piece | _View"]
"""Long strings taken out of a message: one piece, or a message's rope."""


def _lift(fields: dict[str, Any]) -> tuple[dict[str, Any], Lifted]:
    """Copy `fields` with the long strings replaced by "", and collect them.

    Only what needs changing is copied; the rest is shared.
    """
    lifted: Lifted = {}
    light = dict(fields)
    content = fields["content"]
    if isinstance(content, str):
        if content:
            lifted["content",] = content
            light["content"] = ""
    elif any(_lc_index(block) for block in content):
        light["content"] = [_lift_block(block, lifted) for block in content]
    kwargs = fields["additional_kwargs"]
    if "audio" in kwargs or "reasoning_content" in kwargs:
        light_kwargs = dict(kwargs)
        if isinstance(audio := kwargs.get("audio"), dict):
            light_kwargs["audio"] = light_audio = dict(audio)
            for key in ("data", "transcript"):
                if isinstance(text := audio.get(key), str) and text:
                    lifted["additional_kwargs", "audio", key] = text
                    light_audio[key] = ""
        if isinstance(reasoning := kwargs.get("reasoning_content"), str) and reasoning:
            lifted["additional_kwargs", "reasoning_content"] = reasoning
            light_kwargs["reasoning_content"] = ""
        light["additional_kwargs"] = light_kwargs
    return light, lifted


def _lc_index(block: object) -> str | None:
    if not isinstance(block, dict):
        return None
    index = block.get("index")
    if isinstance(index, str) and index.startswith("lc_"):
        return index
    return None


def _lift_block(block: Any, lifted: Lifted) -> Any:
    index = _lc_index(block)
    key = _BLOCK_TEXT_KEYS.get(block.get("type")) if index else None
    if index is None or key is None:
        return block
    text = block.get(key)
    if not (isinstance(text, str) and text):
        return block
    path = ("content", index, key)
    if path in lifted:  # two blocks share an index in one message: leave them
        return block
    lifted[path] = text
    return {**block, key: ""}


def _parts(message: AIMessageChunk) -> tuple[AIMessageChunk, Lifted]:
    """A light stand-in for `message` (long strings "") and its long strings."""
    if type(message) is _MergeLater:
        _merge_now(message)
    raw: dict[str, Any] = object.__getattribute__(message, "__dict__")
    private = (
        object.__getattribute__(message, "__pydantic_private__")
        if isinstance(message, OmniAIMessageChunk)
        else None
    )
    pending = private["_lazy"] if private else None
    light, lifted = _lift(raw)
    if isinstance(pending, PcmSpan):  # a fresh chunk: its speech is the span
        lifted[SPEECH_PATH] = pending
    elif pending is not None:
        lazy = cast("LazyStrings", pending)
        lifted.update(lazy.holes)
        if SPEECH_PATH in lifted and (speech := lazy.speech_in(raw)) is not None:
            lifted[SPEECH_PATH] = speech  # the PCM, not its joined base64
    return _light(light), lifted


class _Light(AIMessageChunk):
    """A stand-in for merging only: nothing but its fields is ever read.

    langchain-core builds the merged chunk as `left.__class__(...)`: for
    this class, without validation when there are no tool-call pieces to
    parse, as the stream's chunks are built.
    """

    def __init__(self, **fields: Any) -> None:
        """Validate only what needs it (tool-call pieces, unusual fields)."""
        if not _template_holds(fields):
            super().__init__(**fields)
            return
        _hold(self, _from_template(fields), _NO_FIELDS, None, None)


def _light(fields: dict[str, Any]) -> AIMessageChunk:
    """A `_Light` holding `fields` as they are."""
    light: AIMessageChunk = _hold(
        object.__new__(_Light), fields, _NO_FIELDS, None, None
    )
    return light


_NO_FIELDS: frozenset[str] = frozenset()


def _hold(
    instance: Any,
    fields: dict[str, Any],
    fields_set: set[str] | frozenset[str],
    extra: dict[str, Any] | None,
    private: dict[str, Any] | None,
) -> Any:
    """`instance` with pydantic's state set as given: no validation, no copy."""
    object.__setattr__(instance, "__dict__", fields)
    object.__setattr__(instance, "__pydantic_fields_set__", fields_set)
    object.__setattr__(instance, "__pydantic_extra__", extra)
    object.__setattr__(instance, "__pydantic_private__", private)
    return instance


def _bare(
    cls: type[BaseModel],
    fields: dict[str, Any],
    lazy: LazyStrings | None = None,
    fields_set: set[str] | None = None,
) -> Any:
    """An instance of `cls` holding `fields` as they are, without validation."""
    instance = object.__new__(cls)  # pydantic models have no __new__ of their own
    fields_set = set(fields) if fields_set is None else fields_set
    return _hold(instance, fields, fields_set, {}, _private(lazy))


def _private(lazy: LazyStrings | PcmSpan | None) -> dict[str, Any] | None:
    # Kept where pydantic keeps private attributes: copies share it, dumps skip it.
    return None if lazy is None else {"_lazy": lazy}


def _set_lazy(message: BaseModel, lazy: LazyStrings | PcmSpan | None) -> None:
    object.__setattr__(message, "__pydantic_private__", _private(lazy))


def _lazy_of(message: object) -> LazyStrings | None:
    """The pending strings of a message (never a pending merge: merged first)."""
    if not isinstance(message, (OmniAIMessageChunk, SpeechMessage)):
        return None
    private = object.__getattribute__(message, "__pydantic_private__")
    if not private:
        return None
    lazy = private["_lazy"]
    if isinstance(lazy, PcmSpan):  # a fresh chunk: its speech only, kept small
        with _FILLING:
            lazy = private["_lazy"]
            if isinstance(lazy, PcmSpan):
                view = _View([lazy])
                lazy = private["_lazy"] = LazyStrings({SPEECH_PATH: view}, view)
    return cast("LazyStrings | None", lazy)


# ---------------------------------------------------------------- merging
_GROUP = 256
"""Chunks merged per langchain-core call: bounds the light copies alive at once."""


class _Rope:
    """The pieces of one long string, collected by one merge."""

    __slots__ = ("length", "pieces")

    def __init__(self, start: B64Piece | _View) -> None:
        if isinstance(start, _View):  # an operand's rope: extended in place if we can
            self.pieces, self.length = start.pieces, start.length
        else:
            self.pieces, self.length = [start], 1

    def add(self, more: B64Piece | _View) -> None:
        if len(self.pieces) != self.length:  # someone else extended the list
            self.pieces = self.pieces[: self.length]
        if isinstance(more, _View):
            self.pieces += more.items()
            self.length += more.length
        else:
            self.pieces.append(more)
            self.length += 1

    def view(self) -> _View:
        return _View(self.pieces, self.length)


def merge_chunks(
    first: AIMessageChunk, others: Iterable[AIMessageChunk]
) -> OmniAIMessageChunk:
    """`first + others`, as langchain-core would, with long strings as ropes.

    langchain-core merges the light copies a group at a time: each group
    copies only the small merged dicts, so the whole stays linear while
    few copies are alive at once.
    """
    ropes: dict[Path, _Rope] = {}

    def light(message: AIMessageChunk) -> AIMessageChunk:
        stand_in, lifted = _parts(message)
        for path, piece in lifted.items():
            if (rope := ropes.get(path)) is None:
                ropes[path] = _Rope(piece)
            else:
                rope.add(piece)
        return stand_in

    rest = iter(others)
    group = [light(first), *(light(m) for m in itertools.islice(rest, _GROUP))]
    merged = add_ai_message_chunks(*group)
    while group := [light(message) for message in itertools.islice(rest, _GROUP)]:
        merged = add_ai_message_chunks(merged, *group)
    fields: dict[str, Any] = object.__getattribute__(merged, "__dict__")
    return OmniAIMessageChunk.with_ropes(
        fields, {path: rope.view() for path, rope in ropes.items()}
    )


# -------------------------------------------------------------- messages
class _MessageOfChunk:
    """The first parent of `OmniAIMessageChunk`: calling it makes an `AIMessage`.

    langchain-core's `message_chunk_to_message` builds a chunk's message by
    calling the chunk class's first parent; for this package's chunks that
    must give the standard `AIMessage`, as for any `AIMessageChunk`.
    """

    __slots__ = ()

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        """Make an `AIMessage` when called directly; else a normal instance."""
        if not issubclass(cls, AIMessageChunk):  # this class, or `_MergedMessage`
            return AIMessage(*args, **kwargs)
        return super().__new__(cls)


def _set_field(message: BaseModel, name: str, value: Any) -> None:
    """What pydantic does to set a field (no validation), without a full fill."""
    lazy = _lazy_of(message) if name in _LAZY_FIELDS else None
    if lazy is not None:
        with _FILLING:
            for path in [p for p in lazy.holes if p[0] == name]:
                del lazy.holes[path]
            if name == "additional_kwargs":
                lazy.speech = None
    object.__getattribute__(message, "__dict__")[name] = value
    object.__getattribute__(message, "__pydantic_fields_set__").add(name)


class OmniAIMessageChunk(_MessageOfChunk, AIMessageChunk):
    """An `AIMessageChunk` whose long strings merge in linear time.

    See the module docstring; it behaves as an `AIMessageChunk` in every
    other way.
    """

    @classmethod
    def with_ropes(
        cls, fields: dict[str, Any], ropes: dict[Path, _View]
    ) -> OmniAIMessageChunk:
        """A chunk of `fields` whose strings at the rope paths are still pieces.

        `fields` must hold "" at every rope path.
        """
        lazy = LazyStrings(dict(ropes), ropes.get(SPEECH_PATH)) if ropes else None
        chunk: OmniAIMessageChunk = _bare(cls, fields, lazy)
        return chunk

    @classmethod
    def with_speech(cls, span: PcmSpan | None, **fields: Any) -> OmniAIMessageChunk:
        """A chunk built like `AIMessageChunk(**fields)`, with `span` as its speech.

        The speech goes to `additional_kwargs["audio"]["data"]`, which must
        hold "" for it. Chunks without tool-call pieces (nearly all of them)
        are made from a validated template: the stream builds thousands, and
        validating each cost more than all the rest of its handling.
        """
        if not _template_holds(fields):
            chunk = AIMessageChunk(**fields)  # validators read fields: plain class
            object.__setattr__(chunk, "__class__", cls)
        else:
            chunk = _bare(cls, _from_template(fields), fields_set=set(fields))
        if span is not None and span.end > span.start:
            _set_lazy(chunk, span)  # a `LazyStrings` when first needed
        return cast("OmniAIMessageChunk", chunk)

    def __getattribute__(self, name: str) -> Any:
        """Fill the long strings in before `content`, kwargs or `__dict__` is read."""
        if name in _TRIGGERS and (
            private := object.__getattribute__(self, "__pydantic_private__")
        ):
            pending = private["_lazy"]
            # A fresh chunk's only pending string is its speech, in kwargs.
            if pending is not None and not (
                name == "content" and isinstance(pending, PcmSpan)
            ):
                lazy = _lazy_of(self)
                if lazy is not None and lazy.holes:
                    fields = object.__getattribute__(self, "__dict__")
                    lazy.fill(fields, None if name == "__dict__" else name)
        return object.__getattribute__(self, name)

    def __setattr__(self, name: str, value: Any) -> None:
        """Set a field as pydantic does, dropping its pending strings."""
        if name in type(self).model_fields:
            _set_field(self, name, value)
        else:
            super().__setattr__(name, value)

    def __add__(self, other: Any) -> Any:
        """Merge in linear time (a chunk, or a list of chunks).

        A list merge (what `stream()` runs at the end for `on_llm_end`, and
        LCEL for a chain's output) is done when the result is first used
        beyond its text: when no callback listens, never.
        """
        if isinstance(other, AIMessageChunk):
            return merge_chunks(self, [other])
        if isinstance(other, (list, tuple)) and all(
            isinstance(o, AIMessageChunk) for o in other
        ):
            return _MergeLater.of([self, *other])
        return super().__add__(other)

    def __radd__(self, other: Any) -> Any:
        """`plain_chunk + this`: merge in linear time too."""
        if isinstance(other, AIMessageChunk):
            return merge_chunks(other, [self])
        return NotImplemented

    def __eq__(self, other: object) -> bool:
        """Equal to any `AIMessageChunk` with the same fields, this class or not."""
        if not isinstance(other, AIMessageChunk):
            return NotImplemented
        return (self.__dict__, self.__pydantic_extra__ or {}) == (
            other.__dict__,
            other.__pydantic_extra__ or {},
        )

    __hash__ = None  # type: ignore[assignment]  # mutable, as pydantic models are

    def __getstate__(self) -> dict[Any, Any]:
        """Pickle the filled-in fields only: the PCM buffer stays behind."""
        state: dict[Any, Any] = super().__getstate__()
        return {**state, "__pydantic_private__": None}

    @classmethod
    def lc_id(cls) -> list[str]:
        """Serialize as a plain `AIMessageChunk` (`dumpd`/`loads`)."""
        return AIMessageChunk.lc_id()


class _MergedMessage(_MessageOfChunk):
    """The first parent of `_MergeLater`: calling it makes an `AIMessage` too."""

    __slots__ = ()


class _MergeLater(_MergedMessage, OmniAIMessageChunk):
    """A list merge not done yet; done, and then an `OmniAIMessageChunk`, when used.

    `stream()` merges every chunk it yielded for `on_llm_end` even when no
    callback listens, and langchain-core's `ChatGenerationChunk` reads only
    the merged text: that much is joined at once, the rest waits for a
    reader. The operands are kept as they are (not copied), as for a
    string still in pieces.
    """

    @classmethod
    def of(cls, operands: list[AIMessageChunk]) -> _MergeLater:
        """The pending merge of `operands`, pending merges among them spliced in."""
        flat: list[AIMessageChunk] = []
        for operand in operands:
            spliced = _operands(operand) if type(operand) is _MergeLater else None
            if spliced is not None:
                flat += spliced
            else:
                flat.append(operand)
        pending: _MergeLater = _hold(
            object.__new__(cls), {}, set(), {}, {"_merge": flat}
        )
        return pending

    def __getattribute__(self, name: str) -> Any:
        """Join the text for `content`; merge for anything else that needs it."""
        if name == "content":
            _merge_content(self)
        elif name not in _MERGE_QUIET:
            _merge_now(self)
        if type(self) is _MergeLater:  # still pending: its text or a quiet name
            return object.__getattribute__(self, name)
        return OmniAIMessageChunk.__getattribute__(self, name)  # fills strings in

    def __setattr__(self, name: str, value: Any) -> None:
        """Merge, then set as on any chunk."""
        _merge_now(self)
        OmniAIMessageChunk.__setattr__(self, name, value)


_MERGE_QUIET = frozenset({"__class__", "text"})  # `text` reads `content` only


def _operands(pending: _MergeLater) -> list[AIMessageChunk] | None:
    """What `pending` merges; None, and an `OmniAIMessageChunk`, if merged.

    A copy of a pending merge (pydantic copies keep the class) holds the
    merged fields already: it only needs its class put right.
    """
    private = object.__getattribute__(pending, "__pydantic_private__") or {}
    if "_merge" not in private:
        object.__setattr__(pending, "__class__", OmniAIMessageChunk)
        return None
    return cast("list[AIMessageChunk]", private["_merge"])


def _merge_content(pending: _MergeLater) -> None:
    """Put the merged content in: the texts joined, or the whole merge done."""
    with _FILLING:
        if type(pending) is not _MergeLater:
            return
        raw: dict[str, Any] = object.__getattribute__(pending, "__dict__")
        if "content" in raw or (operands := _operands(pending)) is None:
            return
        texts = [operand.content for operand in operands]
        if all(isinstance(text, str) for text in texts):
            raw["content"] = "".join(cast("list[str]", texts))
        else:
            _merge_now(pending)


def _merge_now(pending: _MergeLater) -> None:
    """Do the merge; the object becomes the `OmniAIMessageChunk` it stands for."""
    with _FILLING:
        if type(pending) is not _MergeLater:  # done meanwhile
            return
        if (operands := _operands(pending)) is None:
            return
        merged = merge_chunks(operands[0], operands[1:])
        raw: dict[str, Any] = object.__getattribute__(pending, "__dict__")
        raw.clear()
        raw.update(object.__getattribute__(merged, "__dict__"))
        for slot in ("__pydantic_fields_set__", "__pydantic_private__"):
            object.__setattr__(pending, slot, object.__getattribute__(merged, slot))
        object.__setattr__(pending, "__class__", OmniAIMessageChunk)


_TRIGGERS = frozenset({"__dict__", *_LAZY_FIELDS})
_TEMPLATE_FIELDS = frozenset(
    {
        "content",
        "additional_kwargs",
        "response_metadata",
        "id",
        "tool_call_chunks",
        "usage_metadata",
        "chunk_position",
    }
)
_template: dict[str, Any] = {}
_template_mutable: list[str] = []


def _template_holds(fields: dict[str, Any]) -> bool:
    """Whether `_from_template(fields)` is what validating the fields would give.

    Not for tool-call pieces to parse, OpenAI's `tool_calls` in kwargs or
    fields beyond the template's: those take the validating path.
    """
    return not (
        fields.get("tool_call_chunks")
        or not fields.keys() <= _TEMPLATE_FIELDS
        or "tool_calls" in fields.get("additional_kwargs", ())
    )


def _from_template(fields: dict[str, Any]) -> dict[str, Any]:
    """What validating `AIMessageChunk(**fields)` gives, for plain fields.

    Holds for str content, dicts of kwargs and metadata, a `UsageMetadata`
    and no tool-call pieces; other values take the validating path.
    """
    if not _template:
        _template.update(AIMessageChunk(content="").__dict__)
        _template_mutable.extend(
            key for key, value in _template.items() if isinstance(value, (list, dict))
        )
    made = dict(_template)
    for key in _template_mutable:  # fresh lists and dicts for every chunk
        if key not in fields:
            made[key] = made[key].copy()
    made.update(fields)
    return made


_TEXT = AIMessageChunk.text.fget  # type: ignore[attr-defined]


def generation_chunk(message: OmniAIMessageChunk) -> ChatGenerationChunk:
    """`ChatGenerationChunk(message=message)`, without validating it again."""
    fields = {
        "text": _TEXT(message),  # what the validator sets: `message.text`
        "generation_info": None,
        "type": "ChatGenerationChunk",
        "message": message,
    }
    generation: ChatGenerationChunk = _hold(
        ChatGenerationChunk.__new__(ChatGenerationChunk),
        fields,
        {"text", "message"},
        None,
        None,
    )
    return generation


# Names `invoke` reads off its result on the way out, none of them speech:
# the message stays a `SpeechMessage` through them, so `OmniAudio` can take
# its PCM. `__class__` is read by every `isinstance` check.
_QUIET = frozenset(
    {
        "__class__",
        "__pydantic_generic_metadata__",
        "id",
        "content",
        "text",
        "type",
        "name",
        "response_metadata",
        "usage_metadata",
        "tool_calls",
        "invalid_tool_calls",
    }
)


class SpeechMessage(AIMessage):
    """The `AIMessage` of `invoke`, holding its speech as PCM until touched.

    Any use beyond what `invoke` reads on its way out fills in the speech
    base64 and turns this object into a plain `AIMessage`.
    """

    @classmethod
    def with_speech(cls, span: PcmSpan, **fields: Any) -> SpeechMessage:
        """A message built like `AIMessage(**fields)`, with `span` as its speech."""
        message = AIMessage(**fields)  # validated as plain: validators read fields
        view = _View([span])
        object.__setattr__(message, "__class__", cls)
        _set_lazy(message, LazyStrings({SPEECH_PATH: view}, view))
        return cast("SpeechMessage", message)

    def __getattribute__(self, name: str) -> Any:
        """Become a plain `AIMessage` on first use that may need the speech."""
        if name not in _QUIET:
            _become_plain(self)
        return object.__getattribute__(self, name)

    def __setattr__(self, name: str, value: Any) -> None:
        """Set a field as pydantic does, without filling the speech in."""
        if name in AIMessage.model_fields and type(self) is SpeechMessage:
            _set_field(self, name, value)
        else:
            super().__setattr__(name, value)


def _become_plain(message: SpeechMessage) -> None:
    with _FILLING:
        if type(message) is not SpeechMessage:  # another thread was first
            return
        lazy = _lazy_of(message)
        if lazy is not None:
            lazy.fill(object.__getattribute__(message, "__dict__"))
        _set_lazy(message, None)
        object.__setattr__(message, "__class__", AIMessage)


def speech_of(message: object) -> tuple[list[B64Piece], dict[str, Any]] | None:
    """The speech of one of this package's messages as pieces, and its metadata.

    Takes the pieces as they are (PCM spans, no base64 is made); the other
    strings of `additional_kwargs` (the transcript) are filled in. `None`
    when the message is not one of this package's, has no speech, or its
    speech was replaced since.
    """
    if not isinstance(message, (OmniAIMessageChunk, SpeechMessage)):
        return None
    if type(message) is _MergeLater:
        _merge_now(message)
    private = object.__getattribute__(message, "__pydantic_private__")
    pending = private["_lazy"] if private else None
    raw: dict[str, Any] = object.__getattribute__(message, "__dict__")
    if isinstance(pending, PcmSpan):  # a fresh chunk: nothing else pending
        audio = raw["additional_kwargs"]["audio"]
        return [pending], {k: v for k, v in audio.items() if k != "data"}
    lazy = _lazy_of(message)
    if lazy is None or lazy.speech is None:
        return None
    lazy.fill(raw, "additional_kwargs", keep=SPEECH_PATH)
    speech = lazy.speech_in(raw)
    if speech is None:
        return None
    audio = raw["additional_kwargs"]["audio"]
    return speech.items(), {k: v for k, v in audio.items() if k != "data"}
