"""Chunks and messages that hold speech as PCM behave as LangChain's own.

The stream assembler's chunks carry their speech as spans of one PCM buffer
and make the base64 only when read; merged chunks keep their long strings as
pieces until read. Everything a user or LangChain can do with a message must
see the same values as with a plain `AIMessageChunk` / `AIMessage`.
"""

import base64
import concurrent.futures
import copy
import functools
import operator
import pickle
import threading
import tracemalloc

import pytest
from langchain_core.load import dumpd, dumps, load, loads
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    HumanMessage,
    message_chunk_to_message,
)
from langchain_core.messages.base import message_to_dict

from langchain_qwen_omni import OmniAudio, iter_pcm
from langchain_qwen_omni._stream import StreamAssembler
from tests import wire


def answer(
    sizes: list[int], *, tool: bool = False, emit: bool = True
) -> tuple[list[AIMessageChunk], StreamAssembler, bytes]:
    """Stream chunks, the assembler and the PCM of an answer in pieces of `sizes`."""
    assembler = StreamAssembler(speech=True, emit=emit)
    pieces = wire.pcm_pieces(sizes)
    events = [wire.event({"reasoning_content": "think. "})]
    for i, piece in enumerate(pieces):
        events += [wire.text(f"w{i} "), wire.audio(piece)]
    if tool:
        events.append(
            wire.event(
                {
                    "tool_calls": [
                        {
                            "index": 0,
                            "id": "call_1",
                            "function": {"name": "f", "arguments": '{"a": 1}'},
                        }
                    ]
                }
            )
        )
    events += [wire.stop(), wire.usage()]
    chunks = [c.message for e in events for c in assembler.feed(e)]
    chunks.append(assembler.finish().message)
    return chunks, assembler, b"".join(pieces)  # type: ignore[return-value]


def plain(message: AIMessageChunk) -> AIMessageChunk:
    """The same chunk as a plain `AIMessageChunk` (what LangChain would build)."""
    return AIMessageChunk(**message.model_dump(exclude={"type"}))


def plain_sum(chunks: list[AIMessageChunk]) -> AIMessageChunk:
    """LangChain's own merge of plain copies of the chunks."""
    return functools.reduce(operator.add, [plain(c) for c in chunks])


SIZES = [4801, 3, 4000, 1, 9600, 5]


def test_each_chunk_data_decodes_on_its_own_to_its_share() -> None:
    chunks, _, pcm = answer(SIZES)
    shares = [
        base64.b64decode(c.additional_kwargs["audio"]["data"], validate=True)
        for c in chunks
        if c.additional_kwargs.get("audio", {}).get("data")
    ]
    assert all(len(s) % 6 == 0 for s in shares[:-1])
    assert b"".join(shares) == pcm


@pytest.mark.parametrize(
    "merge",
    [
        pytest.param(lambda cs: functools.reduce(operator.add, cs), id="reduce"),
        pytest.param(lambda cs: cs[0] + cs[1:], id="list"),
        pytest.param(
            lambda cs: functools.reduce(operator.add, cs, AIMessageChunk(content="")),
            id="plain-start",
        ),
        pytest.param(
            lambda cs: functools.reduce(operator.add, cs[:3]) + cs[3:], id="mixed"
        ),
        pytest.param(lambda cs: (cs[0] + cs[1:4]) + cs[4:], id="list-of-list"),
        pytest.param(
            lambda cs: functools.reduce(operator.add, cs[4:], cs[0] + cs[1:4]),
            id="list-then-pairs",
        ),
    ],
)
def test_merging_equals_langchains_own_merge(merge: object) -> None:
    chunks, _, pcm = answer(SIZES, tool=True)
    merged = merge(chunks)  # type: ignore[operator]
    expected = plain_sum(chunks)
    assert merged == expected
    assert expected == merged
    assert merged.tool_calls == [
        {"name": "f", "args": {"a": 1}, "id": "call_1", "type": "tool_call"}
    ]
    data = merged.additional_kwargs["audio"]["data"]
    assert base64.b64decode(data, validate=True) == pcm
    assert OmniAudio.from_message(merged).pcm == pcm


def test_merging_read_chunks_and_plain_chunks_in_any_order() -> None:
    chunks, _, pcm = answer(SIZES)
    for chunk in chunks[::2]:  # a user read some data: it is a str now
        _ = chunk.additional_kwargs
    mixed = [plain(c) if i % 3 == 0 else c for i, c in enumerate(chunks)]
    merged = functools.reduce(operator.add, mixed)
    assert merged == plain_sum(chunks)
    assert OmniAudio.from_chunks(mixed).pcm == pcm


def test_one_merged_chunk_added_to_twice_keeps_both_sums_apart() -> None:
    chunks, _, _ = answer(SIZES)
    head = functools.reduce(operator.add, chunks[:4])
    left = head + chunks[4]
    right = head + chunks[5]
    assert left == plain_sum(chunks[:5])
    assert right == plain_sum([*chunks[:4], chunks[5]])
    assert head == plain_sum(chunks[:4])


def test_merge_leaves_its_operands_as_they_were() -> None:
    chunks, _, _ = answer(SIZES)
    before = [plain(c) for c in chunks]
    functools.reduce(operator.add, chunks)
    _ = chunks[0] + chunks[1:]
    assert chunks == before


def test_message_chunk_to_message_gives_a_plain_ai_message() -> None:
    chunks, _, pcm = answer(SIZES, tool=True)
    for total in (functools.reduce(operator.add, chunks), chunks[0] + chunks[1:]):
        message = message_chunk_to_message(total)
        assert type(message) is AIMessage
        assert message.tool_calls[0]["args"] == {"a": 1}
        assert base64.b64decode(message.additional_kwargs["audio"]["data"]) == pcm


def test_serialization_round_trips_as_langchains_classes() -> None:
    chunks, assembler, pcm = answer(SIZES)
    merged = functools.reduce(operator.add, chunks)
    for original, cls in ((merged, AIMessageChunk), (assembler.message(), AIMessage)):
        revived = loads(dumps(original), allowed_objects="messages")
        assert type(revived) is cls
        assert revived == original
        assert load(dumpd(original), allowed_objects="messages") == original
        assert OmniAudio.from_message(revived).pcm == pcm


def test_copies_pickles_and_dumps_carry_the_speech() -> None:
    chunks, _, pcm = answer(SIZES)
    merged = functools.reduce(operator.add, chunks)
    for other in (
        copy.copy(chunks[0] + chunks[1:]),
        copy.deepcopy(chunks[0] + chunks[1:]),
        pickle.loads(pickle.dumps(chunks[0] + chunks[1:])),  # noqa: S301 - our own bytes
        copy.copy(functools.reduce(operator.add, chunks)),
        copy.deepcopy(functools.reduce(operator.add, chunks)),
        pickle.loads(pickle.dumps(functools.reduce(operator.add, chunks))),  # noqa: S301 - our own bytes
        functools.reduce(operator.add, chunks).model_copy(),
    ):
        assert other == merged
        assert OmniAudio.from_message(other).pcm == pcm
    dumped = functools.reduce(operator.add, chunks).model_dump()
    assert base64.b64decode(dumped["additional_kwargs"]["audio"]["data"]) == pcm
    as_json = functools.reduce(operator.add, chunks).model_dump_json()
    assert base64.b64encode(pcm).decode() in as_json
    as_dict = message_to_dict(functools.reduce(operator.add, chunks))
    assert base64.b64decode(as_dict["data"]["additional_kwargs"]["audio"]["data"]) == (
        pcm
    )
    shown = repr(functools.reduce(operator.add, chunks))
    assert base64.b64encode(pcm).decode()[:100] in shown


def test_invoked_message_is_an_ai_message_with_its_speech() -> None:
    _, assembler, pcm = answer(SIZES, tool=True, emit=False)
    message = assembler.message()
    assert isinstance(message, AIMessage)
    assert not isinstance(message, AIMessageChunk)
    assert message.text.startswith("w0 w1")
    assert message == AIMessage(**message.model_dump(exclude={"type"}))
    audio = message.additional_kwargs["audio"]
    assert base64.b64decode(audio["data"], validate=True) == pcm
    assert type(message) is AIMessage  # once touched, it is LangChain's own class
    assert {k: audio[k] for k in ("format", "sample_rate", "channels", "id")} == {
        "format": "pcm16",
        "sample_rate": 24000,
        "channels": 1,
        "id": "audio_1",
    }


def test_invoked_message_goes_into_a_conversation() -> None:
    _, assembler, _ = answer(SIZES, emit=False)
    history = [HumanMessage("hi"), assembler.message()]
    revived = pickle.loads(pickle.dumps(history))  # noqa: S301 - our own bytes
    assert [type(m) for m in revived] == [HumanMessage, AIMessage]
    assert revived == history


def test_setting_fields_keeps_the_speech() -> None:
    _, assembler, pcm = answer(SIZES, emit=False)
    message = assembler.message()
    message.id = "run-1"
    message.response_metadata = {"model_provider": "qwen_omni"}
    assert OmniAudio.from_message(message).pcm == pcm
    chunks, _, pcm = answer(SIZES)
    merged = functools.reduce(operator.add, chunks)
    merged.id = "run-2"
    assert OmniAudio.from_message(merged).pcm == pcm
    merged.additional_kwargs = {"audio": {"data": base64.b64encode(b"ab").decode()}}
    assert OmniAudio.from_message(merged).pcm == b"ab"


def test_replaced_data_is_what_counts() -> None:
    chunks, _, _ = answer(SIZES)
    chunk = next(c for c in chunks if c.additional_kwargs.get("audio", {}).get("data"))
    chunk.additional_kwargs["audio"]["data"] = base64.b64encode(b"\0\1").decode()
    assert OmniAudio.from_chunks([chunk]).pcm == b"\0\1"
    assert list(iter_pcm([chunk])) == [b"\0\1"]


def test_v1_content_blocks_merge_into_one_audio_block() -> None:
    chunks, _, pcm = answer(SIZES)
    v1 = [c.model_copy(update={"content": c.content_blocks}) for c in chunks]
    merged = functools.reduce(operator.add, v1)
    assert merged == plain_sum(v1)
    audio = [b for b in merged.content if isinstance(b, dict) and b["type"] == "audio"]
    assert len(audio) == 1
    assert base64.b64decode(audio[0]["base64"], validate=True) == pcm


def test_no_base64_is_made_to_decode_an_answer() -> None:
    """The PCM is the stream's buffer: no copy, no base64, however big."""
    sizes = [96_000] * 100  # 9.6 MB
    chunks, _, pcm = answer(sizes)
    tracemalloc.start()
    try:
        from_chunks = OmniAudio.from_chunks(chunks)
        list_merged = chunks[0] + chunks[1:]
        from_merged = OmniAudio.from_message(list_merged)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert from_chunks.pcm == from_merged.pcm == pcm
    assert peak < len(pcm) / 10, peak

    _, invoked, pcm = answer(sizes, emit=False)
    message = invoked.message()
    tracemalloc.start()
    try:
        audio = OmniAudio.from_message(message)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert audio.pcm == pcm
    assert peak < len(pcm) / 10, peak


def test_partial_answer_keeps_the_speech_tail() -> None:
    assembler = StreamAssembler(speech=True)
    pieces = wire.pcm_pieces([4801, 7])
    for piece in pieces:
        assembler.feed(wire.audio(piece))
    partial = assembler.partial()
    assert OmniAudio.from_message(partial).pcm == b"".join(pieces)
    assert base64.b64decode(partial.additional_kwargs["audio"]["data"]) == b"".join(
        pieces
    )


def test_threads_reading_one_message_all_see_the_speech() -> None:
    """Checkpointers serialize from worker threads, several at once."""
    sizes = [96_000] * 20
    for _ in range(5):
        chunks, assembler, pcm = answer(sizes, emit=True)
        targets = [
            functools.reduce(operator.add, chunks),
            chunks[0] + chunks[1:],
            assembler.message(),
        ]
        for target in targets:
            with concurrent.futures.ThreadPoolExecutor(8) as pool:
                seen = list(
                    pool.map(
                        lambda _, t=target: t.additional_kwargs["audio"]["data"],
                        range(8),
                    )
                )
            assert {base64.b64decode(data) for data in seen} == {pcm}


def test_reading_chunks_while_the_stream_writes() -> None:
    """A sync callback handler under `astream` reads chunks from another thread."""
    assembler = StreamAssembler(speech=True)
    pieces = wire.pcm_pieces([4801] * 300)
    chunks: list[AIMessageChunk] = []
    done = threading.Event()

    def read() -> None:
        while not done.is_set():
            for chunk in list(chunks[-3:]):
                _ = chunk.additional_kwargs

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for piece in pieces:
            chunks += [c.message for c in assembler.feed(wire.audio(piece))]  # type: ignore[misc]
    finally:
        done.set()
        reader.join()
    assembler.feed(wire.stop())
    chunks.append(assembler.finish().message)  # type: ignore[arg-type]
    assert OmniAudio.from_chunks(chunks).pcm == b"".join(pieces)
