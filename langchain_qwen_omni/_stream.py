"""Turn Omni's streamed wire chunks into LangChain chunks, and aggregate them.

One `StreamAssembler` serves the sync and the async paths: the transport loops
only feed it the decoded SSE events. It keeps its own aggregate in lists, so
building the final message is linear in the number of chunks, and so a broken
stream can hand back everything received so far.

Speech is decoded once into the stream's `PcmBuffer`. Each chunk carries the
span of it that ends on a 6-byte boundary (three whole samples: base64
without padding), so its `additional_kwargs["audio"]["data"]` decodes on its
own and the chunks' base64 strings concatenate into valid base64 of the whole
PCM. Base64 is only made when a message's data is read (`_linear_merge`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from langchain_core.messages import AIMessage
from langchain_core.messages.ai import (
    InputTokenDetails,
    OutputTokenDetails,
    UsageMetadata,
)
from langchain_core.messages.tool import default_tool_parser, tool_call_chunk

from langchain_qwen_omni._blocks import MODEL_PROVIDER
from langchain_qwen_omni._linear_merge import (
    OmniAIMessageChunk,
    SpeechMessage,
    generation_chunk,
)
from langchain_qwen_omni._pcm import PcmBuffer, PcmSpan, decode_wire_b64
from langchain_qwen_omni.audio import OMNI_CHANNELS, OMNI_SAMPLE_RATE
from langchain_qwen_omni.errors import OmniStreamError

if TYPE_CHECKING:
    from collections.abc import Mapping

    from langchain_core.messages.tool import ToolCallChunk
    from langchain_core.outputs import ChatGenerationChunk

__all__ = ["FINISH_REASONS", "MODEL_PROVIDER", "StreamAssembler", "usage_from_wire"]

FINISH_REASONS = frozenset(
    {"stop", "length", "tool_calls", "content_filter", "function_call"}
)
"""The reasons that say the model finished; any other value counts as none,
so a stream ending on `"null"` or `""` is reported as cut, not complete."""

_MALFORMED = (
    TypeError,
    AttributeError,
    KeyError,
    IndexError,
    ValueError,  # also binascii.Error, UnicodeError and pydantic's errors
    OverflowError,  # int(1e999): a count or an index out of any range
    RecursionError,
)
_ALIGN = 6  # lcm of 3 (base64 without padding) and 2 (whole int16 samples)


class _MalformedEventError(ValueError):
    """An SSE event that is valid JSON but not a chat completion chunk."""


def usage_from_wire(usage: Mapping[str, Any]) -> UsageMetadata:
    """Map the API's usage chunk to LangChain's `UsageMetadata`.

    Omni reports media tokens in `prompt_tokens_details` (`audio_tokens`,
    `image_tokens`, `video_tokens`) and speech in
    `completion_tokens_details.audio_tokens`; only reported keys are set.
    """
    prompt = int(usage.get("prompt_tokens") or 0)
    completion = int(usage.get("completion_tokens") or 0)
    result = UsageMetadata(
        input_tokens=prompt,
        output_tokens=completion,
        total_tokens=int(usage.get("total_tokens") or prompt + completion),
    )
    in_details: dict[str, int] = {}
    prompt_details = usage.get("prompt_tokens_details") or {}
    for wire, key in (
        ("audio_tokens", "audio"),
        ("image_tokens", "image"),
        ("video_tokens", "video"),
        ("cached_tokens", "cache_read"),
    ):
        if prompt_details.get(wire) is not None:
            in_details[key] = int(prompt_details[wire])
    out_details: dict[str, int] = {}
    completion_details = usage.get("completion_tokens_details") or {}
    for wire, key in (("audio_tokens", "audio"), ("reasoning_tokens", "reasoning")):
        if completion_details.get(wire) is not None:
            out_details[key] = int(completion_details[wire])
    if in_details:
        result["input_token_details"] = InputTokenDetails(**in_details)  # type: ignore[typeddict-item]
    if out_details:
        result["output_token_details"] = OutputTokenDetails(**out_details)  # type: ignore[typeddict-item]
    return result


class _TextMerger:
    """Merge answer text from `delta.content` and `delta.audio.transcript`.

    Newer models send the text in `content`, older ones in the transcript, and
    a server may send the same text in both. Each source keeps a cursor into
    the text already emitted: a piece that repeats what the other source
    emitted is dropped, only what extends the text is emitted. With a single
    source (the usual case) a piece is emitted as is, at O(1) cost.
    """

    __slots__ = ("_cursor", "_joined", "_parts", "length")

    def __init__(self) -> None:
        self._parts: list[str] = []
        self._joined = ""
        self._cursor = {"content": 0, "transcript": 0}
        self.length = 0

    def take(self, source: str, piece: str) -> str:
        start = self._cursor[source]
        new, end = piece, self.length + len(piece)
        if start < self.length:  # the other source already emitted past here
            if len(self._joined) != self.length:
                self._joined = "".join(self._parts)
            seen = self._joined[start : start + len(piece)]
            if piece.startswith(seen):  # a repeat: keep only what extends it
                new, end = piece[len(seen) :], start + len(piece)
        self._cursor[source] = end
        if new:
            self._parts.append(new)
            self.length += len(new)
        return new

    def text(self) -> str:
        return "".join(self._parts)


class StreamAssembler:
    """Stateful converter from wire chunk dicts to `ChatGenerationChunk`s.

    Feed it every decoded SSE event with `feed`, then call `finish` once the
    stream ends. `message()` returns the aggregated answer and `partial()`
    what was received so far, both in linear time.
    """

    def __init__(self, *, speech: bool, emit: bool = True) -> None:
        """Prepare an empty aggregate.

        Args:
            speech: Whether speech was requested; the answer text is then also
                the speech's transcript in `additional_kwargs["audio"]`.
            emit: Build a chunk per event. `invoke` with no callback handler
                has nobody to show chunks to and needs only the aggregate, so
                it skips building them (a pydantic model per event).
        """
        self._speech = speech
        self._emit = emit
        self._text = _TextMerger()
        self._reasoning: list[str] = []
        self._pcm = PcmBuffer()
        self._emitted = 0  # PCM bytes handed out in chunks so far
        self._audio_meta: dict[str, Any] = {}
        self._tools: dict[int, dict[str, Any]] = {}
        self._usage: UsageMetadata | None = None
        self._finish_reason: str | None = None
        self._false_reason: str | None = None
        self._model_name: str | None = None
        self._id: str | None = None
        self._events = 0

    def restart(self) -> None:
        """Forget everything fed so far, for a retry of the same request.

        A fresh assembler's state replaces this one's, so fields added to
        `__init__` are reset too.
        """
        fresh = type(self)(speech=self._speech, emit=self._emit)
        vars(self).clear()
        vars(self).update(vars(fresh))

    # ------------------------------------------------------------------ feed
    def feed(self, event: Mapping[str, Any]) -> list[ChatGenerationChunk]:
        """Convert one wire chunk; return the LangChain chunks it yields.

        Raises:
            OmniStreamError: If the event is not a chat completion chunk (or
                carries undecodable audio); `.partial` holds the answer so far.
        """
        self._events += 1
        try:
            return self._feed(event)
        except _MALFORMED as exc:
            msg = f"Malformed stream event #{self._events}: {exc}"
            raise OmniStreamError(msg, partial=self.partial()) from exc

    def _feed(self, event: Mapping[str, Any]) -> list[ChatGenerationChunk]:
        if not isinstance(event, dict):
            msg = f"expected a JSON object, got {type(event).__name__}"
            raise _MalformedEventError(msg)
        if self._id is None and isinstance(event.get("id"), str):
            self._id = event["id"]
        if isinstance(event.get("model"), str):
            self._model_name = event["model"]
        choices = event.get("choices") or []
        if not isinstance(choices, list):
            msg = "'choices' is not a list"
            raise _MalformedEventError(msg)
        out = [chunk for choice in choices if (chunk := self._choice_chunk(choice))]
        if usage := event.get("usage"):
            self._usage = usage_from_wire(usage)
            if self._emit:
                out.append(self._chunk(usage_metadata=self._usage))
        return out

    def _choice_chunk(self, choice: Mapping[str, Any]) -> ChatGenerationChunk | None:
        delta: Mapping[str, Any] = choice.get("delta") or {}
        text, kwargs, speech = self._text_and_audio(delta)
        if reasoning := delta.get("reasoning_content"):
            reasoning = _as_str(reasoning, "delta.reasoning_content")
            self._reasoning.append(reasoning)
            kwargs["reasoning_content"] = reasoning
        tool_chunks = [self._tool_piece(tc) for tc in delta.get("tool_calls") or ()]
        metadata: dict[str, Any] = {}
        if reason := choice.get("finish_reason"):
            reason = _as_str(reason, "finish_reason")
            if reason in FINISH_REASONS:
                self._finish_reason = reason
                metadata = {"finish_reason": reason}
                if self._model_name:
                    metadata["model_name"] = self._model_name
            else:
                self._false_reason = reason[:40]
        if not (self._emit and (text or kwargs or tool_chunks or metadata)):
            return None
        return self._chunk(
            speech,
            content=text,
            additional_kwargs=kwargs,
            tool_call_chunks=tool_chunks,
            response_metadata=metadata,
        )

    def _text_and_audio(
        self, delta: Mapping[str, Any]
    ) -> tuple[str, dict[str, Any], PcmSpan | None]:
        """The new answer text of a delta, its `additional_kwargs` audio, its PCM."""
        text = ""
        speech = None
        if content := delta.get("content"):
            text = self._text.take("content", _as_str(content, "delta.content"))
        audio_out: dict[str, Any] = {}
        if audio := delta.get("audio"):
            if transcript := audio.get("transcript"):
                text += self._text.take(
                    "transcript", _as_str(transcript, "delta.audio.transcript")
                )
            if data := audio.get("data"):
                meta, speech = self._audio_piece(audio, self._speech_pcm(data))
                audio_out.update(meta)
        if text and self._speech:
            audio_out["transcript"] = text
        return text, ({"audio": audio_out} if audio_out else {}), speech

    def _speech_pcm(self, data: Any) -> bytes:
        """The PCM of a delta's `audio.data`: the wire's base64, decoded."""
        return decode_wire_b64(_as_str(data, "audio.data"))

    def _audio_piece(
        self, audio: Mapping[str, Any], pcm: bytes
    ) -> tuple[dict[str, Any], PcmSpan | None]:
        """Add one speech piece's PCM to the buffer; return its chunk's share.

        The share is the span up to the last 6-byte boundary; the bytes past
        it go out with the next piece. Id, expiry and format go out once,
        the first time, because LangChain's merge concatenates strings and
        sums integers that differ.
        """
        out: dict[str, Any] = {}
        if not self._audio_meta:
            self._audio_meta = {
                "format": "pcm16",
                "sample_rate": OMNI_SAMPLE_RATE,
                "channels": OMNI_CHANNELS,
            }
            out.update(self._audio_meta)
        for key in ("id", "expires_at"):
            if key not in self._audio_meta and audio.get(key) is not None:
                self._audio_meta[key] = out[key] = audio[key]
        total = self._pcm.append(pcm)
        aligned = total - total % _ALIGN
        if aligned <= self._emitted:
            return out, None
        span = PcmSpan(self._pcm, self._emitted, aligned)
        self._emitted = aligned
        out["data"] = ""  # filled in from the span when read
        return out, span

    def _tool_piece(self, wire: Mapping[str, Any]) -> ToolCallChunk:
        index = int(wire.get("index") or 0)
        function = wire.get("function") or {}
        # Checked before anything is kept: a bad piece must not spoil `partial`.
        piece = tool_call_chunk(
            name=_optional_str(function.get("name"), "function.name"),
            args=_optional_str(function.get("arguments"), "function.arguments"),
            id=_optional_str(wire.get("id"), "tool_calls.id"),
            index=index,
        )
        acc = self._tools.setdefault(index, {"id": None, "name": None, "args": []})
        acc["id"] = acc["id"] or piece["id"]
        acc["name"] = acc["name"] or piece["name"]
        if piece["args"]:
            acc["args"].append(_as_str(piece["args"], "function.arguments"))
        return piece

    def _chunk(
        self, speech: PcmSpan | None = None, **fields: Any
    ) -> ChatGenerationChunk:
        fields.setdefault("content", "")
        metadata = fields.setdefault("response_metadata", {})
        metadata["model_provider"] = MODEL_PROVIDER
        if not fields.get("tool_call_chunks"):
            fields.pop("tool_call_chunks", None)  # fewer set fields: a smaller set
        message = OmniAIMessageChunk.with_speech(speech, id=self._id, **fields)
        return generation_chunk(message)

    # --------------------------------------------------------------- finish
    def finish(self) -> ChatGenerationChunk:
        """Close the stream: flush the speech tail in the last chunk.

        Raises:
            OmniStreamError: If the stream ended before the model finished
                (no `finish_reason` was received).
        """
        if self._finish_reason is None:
            seen = (
                f" (it sent {self._false_reason!r}, which is no finish reason)"
                if self._false_reason is not None
                else ""
            )
            msg = (
                f"The answer stream ended after {self._events} events without a "
                f"finish_reason{seen}: the connection was probably cut."
            )
            raise OmniStreamError(msg, partial=self.partial())
        kwargs: dict[str, Any] = {}
        total = len(self._pcm)
        tail = (
            PcmSpan(self._pcm, self._emitted, total) if total > self._emitted else None
        )
        if tail is not None:
            self._emitted = total
            kwargs["audio"] = {"data": ""}
        self._pcm.freeze()
        return self._chunk(tail, additional_kwargs=kwargs, chunk_position="last")

    # ------------------------------------------------------------ aggregate
    @property
    def pcm_bytes(self) -> int:
        """Decoded speech bytes received so far."""
        return len(self._pcm)

    def partial(self) -> OmniAIMessageChunk:
        """Everything received so far, including the carried speech tail."""
        fields, speech = self._aggregate()
        return OmniAIMessageChunk.with_speech(
            speech, tool_call_chunks=self._tool_call_chunks(), **fields
        )

    def message(self) -> AIMessage:
        """The aggregated answer after `finish`.

        Its speech stays PCM until read (`SpeechMessage`), so `invoke` then
        `OmniAudio.from_message` never makes the base64 string.
        """
        fields, speech = self._aggregate()
        # Strict JSON here: a chunk's partial-JSON parsing would turn
        # malformed arguments into `{}` instead of an invalid tool call.
        tool_calls, invalid_tool_calls = default_tool_parser(
            [
                {
                    "id": acc["id"],
                    "function": {
                        "name": acc["name"],
                        "arguments": "".join(acc["args"]) or "{}",
                    },
                }
                for _, acc in sorted(self._tools.items())
            ]
        )
        fields.update(tool_calls=tool_calls, invalid_tool_calls=invalid_tool_calls)
        if speech is None:
            return AIMessage(**fields)
        return SpeechMessage.with_speech(speech, **fields)

    def _aggregate(self) -> tuple[dict[str, Any], PcmSpan | None]:
        """The fields common to the partial and the final answer, and the speech.

        The audio data is "" here: it is the speech span's, made when read.
        """
        text = self._text.text()
        kwargs: dict[str, Any] = {}
        if self._audio_meta or (self._speech and text):
            kwargs["audio"] = {**self._audio_meta, "data": "", "transcript": text}
        if self._reasoning:
            kwargs["reasoning_content"] = "".join(self._reasoning)
        metadata: dict[str, Any] = {"model_provider": MODEL_PROVIDER}
        if self._model_name:
            metadata["model_name"] = self._model_name
        if self._finish_reason:
            metadata["finish_reason"] = self._finish_reason
        total = len(self._pcm)
        fields = {
            "content": text,
            "additional_kwargs": kwargs,
            "response_metadata": metadata,
            "usage_metadata": self._usage,
            "id": self._id,
        }
        return fields, (PcmSpan(self._pcm, 0, total) if total else None)

    def _tool_call_chunks(self) -> list[ToolCallChunk]:
        return [
            tool_call_chunk(
                name=acc["name"], args="".join(acc["args"]), id=acc["id"], index=index
            )
            for index, acc in sorted(self._tools.items())
        ]


def _optional_str(value: Any, where: str) -> str | None:
    return None if value is None else _as_str(value, where)


def _as_str(value: Any, where: str) -> str:
    if not isinstance(value, str):
        msg = f"{where} is {type(value).__name__}, expected a string"
        raise _MalformedEventError(msg)
    return value
