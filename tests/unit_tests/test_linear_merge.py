"""Merging thousands of speech chunks stays linear, and merges correctly."""

import base64
import functools
import operator

from langchain_core.language_models import chat_models as core_chat_models
from langchain_core.messages import AIMessageChunk
from langchain_core.outputs import ChatGenerationChunk
from langchain_core.outputs.chat_generation import merge_chat_generation_chunks

from langchain_qwen_omni import OmniAudio
from langchain_qwen_omni._stream import StreamAssembler
from tests import wire
from tests.growth import growth


def generation_chunks(
    pieces: int, *, reasoning: bool = False
) -> tuple[list[ChatGenerationChunk], StreamAssembler]:
    assembler = StreamAssembler(speech=True)
    pcm = wire.pcm_pieces([4801] * pieces)
    events = []
    if reasoning:
        events += [wire.event({"reasoning_content": f"step {i}. "}) for i in range(3)]
    for i, piece in enumerate(pcm):
        events += [wire.transcript(f"w{i} "), wire.audio(piece)]
    events += [wire.stop(), wire.usage()]
    chunks = [c for e in events for c in assembler.feed(e)]
    chunks.append(assembler.finish())
    return chunks, assembler


def test_list_merge_equals_pairwise_merge() -> None:
    chunks, assembler = generation_chunks(7, reasoning=True)
    fast = merge_chat_generation_chunks(chunks)
    assert fast is not None
    slow = functools.reduce(operator.add, [c.message for c in chunks])
    assert fast.message == AIMessageChunk(**slow.model_dump(exclude={"type"}))
    assert fast.message.additional_kwargs == assembler.message().additional_kwargs
    assert fast.message.usage_metadata == assembler.message().usage_metadata


def test_list_merge_leaves_the_yielded_messages_untouched() -> None:
    chunks, _ = generation_chunks(3)
    before = [c.message.model_copy(deep=True) for c in chunks]
    merge_chat_generation_chunks(chunks)
    assert [c.message for c in chunks] == before


def test_v1_blocks_merge_to_one_audio_block() -> None:
    chunks, assembler = generation_chunks(5)
    for chunk in chunks:
        # what BaseChatModel.stream() does per chunk with output_version="v1"
        to_blocks = core_chat_models._update_message_content_to_blocks  # type: ignore[attr-defined]
        chunk.message = to_blocks(chunk.message, "v1")
    merged = merge_chat_generation_chunks(chunks)
    assert merged is not None
    audio = [
        b
        for b in merged.message.content
        if isinstance(b, dict) and b["type"] == "audio"
    ]
    assert len(audio) == 1
    assert (
        base64.b64decode(audio[0]["base64"], validate=True)
        == OmniAudio.from_message(assembler.message()).pcm
    )


def test_merging_5000_audio_chunks_is_linear() -> None:
    """langchain-core's `chunks[0] + chunks[1:]`, as `stream()` runs it at the end."""
    small, _ = generation_chunks(1000)
    large, _ = generation_chunks(5000)
    ratio = growth(
        lambda: merge_chat_generation_chunks(small),
        lambda: merge_chat_generation_chunks(large),
    )
    assert ratio <= 6, ratio  # quadratic merging measured 25x and more


def test_assembler_aggregation_is_linear() -> None:
    """What `invoke` returns: the assembler's own aggregate."""
    _, small = generation_chunks(1000)
    _, large = generation_chunks(5000)
    assert (ratio := growth(small.message, large.message)) <= 6, ratio
