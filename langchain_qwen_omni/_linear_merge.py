"""Generation chunks whose list merge joins long strings once, in linear time.

`BaseChatModel.stream()` and `astream()` end by merging every chunk they
yielded (`chunks[0] + chunks[1:]`) to report `on_llm_end`. langchain-core's
dict merge concatenates a nested string once per chunk, so the speech base64
of a long answer is recopied at every step: 4,000 pieces took 24 s, after the
last chunk had already arrived (and on the event loop, for `astream`).

`LinearMergeChunk` lifts the long strings (speech base64, transcript,
reasoning) out of the chunks, lets langchain-core merge what is left, and
puts each string back joined once. The messages users receive are untouched:
merging works on shallow copies.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from langchain_core.outputs import ChatGenerationChunk
from langchain_core.utils._merge import merge_dicts

if TYPE_CHECKING:
    from langchain_core.messages import BaseMessageChunk

__all__ = ["LinearMergeChunk"]

# (where, key): strings lifted out of `additional_kwargs` before merging.
_AUDIO_KEYS = ("data", "transcript")


class _Lifted:
    """The long strings of many chunks, collected in order."""

    def __init__(self) -> None:
        self.audio: dict[str, list[str]] = {key: [] for key in _AUDIO_KEYS}
        self.reasoning: list[str] = []
        self.block_audio: list[str] = []

    def lighten(self, message: BaseMessageChunk) -> BaseMessageChunk:
        """A shallow copy of `message` without its long strings (kept here)."""
        kwargs = message.additional_kwargs
        update: dict[str, Any] = {}
        if "audio" in kwargs or "reasoning_content" in kwargs:
            light = dict(kwargs)
            if isinstance(audio := light.get("audio"), dict):
                light["audio"] = {
                    k: v for k, v in audio.items() if k not in _AUDIO_KEYS
                }
                for key in _AUDIO_KEYS:
                    if isinstance(value := audio.get(key), str):
                        self.audio[key].append(value)
            if isinstance(reasoning := light.get("reasoning_content"), str):
                self.reasoning.append(reasoning)
                del light["reasoning_content"]
            update["additional_kwargs"] = light
        if isinstance(message.content, list) and any(
            isinstance(b, dict) and b.get("type") == "audio" and "base64" in b
            for b in message.content
        ):
            update["content"] = [self._lighten_block(b) for b in message.content]
        return message.model_copy(update=update) if update else message

    def _lighten_block(self, block: str | dict[str, Any]) -> str | dict[str, Any]:
        if isinstance(block, dict) and block.get("type") == "audio":
            if isinstance(data := block.get("base64"), str):
                self.block_audio.append(data)
            return {k: v for k, v in block.items() if k != "base64"}
        return block

    def restore(self, message: BaseMessageChunk) -> None:
        """Put the joined strings back into the merged (new) message."""
        kwargs = message.additional_kwargs
        for key, pieces in self.audio.items():
            if pieces:
                kwargs.setdefault("audio", {})[key] = "".join(pieces)
        if self.reasoning:
            kwargs["reasoning_content"] = "".join(self.reasoning)
        if self.block_audio and isinstance(message.content, list):
            for block in message.content:
                if isinstance(block, dict) and block.get("type") == "audio":
                    block["base64"] = "".join(self.block_audio)
                    break


class LinearMergeChunk(ChatGenerationChunk):
    """A `ChatGenerationChunk` whose `chunk + [chunks...]` stays linear."""

    def __add__(
        self, other: ChatGenerationChunk | list[ChatGenerationChunk]
    ) -> ChatGenerationChunk:
        """Merge; a list merge lifts long strings out and joins them once."""
        if not isinstance(other, list) or not other:
            return super().__add__(other)
        lifted = _Lifted()
        first, *rest = (lifted.lighten(chunk.message) for chunk in (self, *other))
        merged = first + rest
        lifted.restore(merged)
        generation_info = merge_dicts(
            self.generation_info or {},
            *[chunk.generation_info for chunk in other if chunk.generation_info],
        )
        return ChatGenerationChunk(
            message=merged, generation_info=generation_info or None
        )
