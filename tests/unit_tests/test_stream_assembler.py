"""The wire-chunk -> LangChain-chunk path shared by sync and async streaming."""

import base64
import functools
import operator

import pytest
from langchain_core.messages import AIMessageChunk

from langchain_qwen_omni import OmniAudio, OmniStreamError
from langchain_qwen_omni._stream import StreamAssembler, usage_from_wire
from tests import wire


def run(
    events: list[dict], *, speech: bool = True
) -> tuple[list[AIMessageChunk], StreamAssembler]:
    assembler = StreamAssembler(speech=speech)
    chunks = [c.message for e in events for c in assembler.feed(e)]
    chunks.append(assembler.finish().message)
    assert all(isinstance(c, AIMessageChunk) for c in chunks)
    return chunks, assembler  # type: ignore[return-value]


def merged(chunks: list[AIMessageChunk]) -> AIMessageChunk:
    return functools.reduce(operator.add, chunks)


def test_text_in_content() -> None:
    chunks, assembler = run([wire.text("Hello"), wire.text(" world"), wire.stop()])
    assert [c.text for c in chunks if c.text] == ["Hello", " world"]
    assert assembler.message().text == "Hello world"
    assert merged(chunks).text == "Hello world"


def test_text_only_in_transcript() -> None:
    events = [wire.transcript("Hel"), wire.transcript("lo"), wire.stop()]
    chunks, assembler = run(events)
    message = assembler.message()
    assert message.text == "Hello"
    assert message.additional_kwargs["audio"]["transcript"] == "Hello"
    assert merged(chunks).text == "Hello"


def test_same_text_in_both_places_is_not_duplicated() -> None:
    events = [
        wire.event({"content": "Hi there", "audio": {"transcript": "Hi there"}}),
        wire.transcript(" friend"),
        wire.text(" friend"),
        wire.text("!"),
        wire.transcript("!"),
        wire.stop(),
    ]
    chunks, assembler = run(events)
    assert assembler.message().text == "Hi there friend!"
    assert merged(chunks).text == "Hi there friend!"


def test_transcript_leading_content_is_not_duplicated() -> None:
    events = [
        wire.transcript("Hello"),
        wire.text("Hel"),
        wire.text("lo wo"),
        wire.transcript(" world"),
        wire.stop(),
    ]
    _, assembler = run(events)
    assert assembler.message().text == "Hello world"


def test_disjoint_text_from_both_places_is_kept_in_order() -> None:
    events = [wire.text("First. "), wire.transcript("Second."), wire.stop()]
    _, assembler = run(events)
    assert assembler.message().text == "First. Second."


@pytest.mark.parametrize(
    "sizes",
    [
        [4800, 4800, 4800],
        [3201, 4799, 4000, 1, 7],  # odd sizes, padded base64, straddled samples
        [1, 1, 1, 1, 1, 1, 1],
        [5],
        [4000, 2, 4001, 3],
    ],
)
def test_audio_pieces_realign_and_merge_byte_exact(sizes: list[int]) -> None:
    pieces = wire.pcm_pieces(sizes)
    events = [wire.audio(p) for p in pieces] + [wire.stop()]
    chunks, assembler = run(events)
    expected = b"".join(pieces)

    # every streamed piece decodes on its own to whole samples
    for chunk in chunks:
        data = chunk.additional_kwargs.get("audio", {}).get("data")
        if data and chunk.chunk_position != "last":
            assert len(base64.b64decode(data, validate=True)) % 6 == 0
            assert "=" not in data

    # `+` of the chunks gives valid base64 of the whole PCM
    total = merged(chunks)
    assert (
        base64.b64decode(total.additional_kwargs["audio"]["data"], validate=True)
        == expected
    )
    assert OmniAudio.from_message(total).pcm == expected
    # the aggregated message too, and from_chunks piece by piece
    assert OmniAudio.from_message(assembler.message()).pcm == expected
    assert OmniAudio.from_chunks(chunks).pcm == expected


def test_audio_metadata_is_sent_once_and_survives_merging() -> None:
    pieces = wire.pcm_pieces([4800, 4800, 4800])
    events = [wire.audio(p, expires_at=1757647879 + i) for i, p in enumerate(pieces)]
    chunks, assembler = run([wire.text("Hi"), *events, wire.stop()])
    audio = merged(chunks).additional_kwargs["audio"]
    assert audio["id"] == "audio_1"
    assert audio["expires_at"] == 1757647879
    assert audio["format"] == "pcm16"
    assert audio["sample_rate"] == 24000
    assert audio["channels"] == 1
    assert audio["transcript"] == "Hi"
    final = assembler.message().additional_kwargs["audio"]
    assert {k: v for k, v in final.items() if k != "data"} == {
        k: v for k, v in audio.items() if k != "data"
    }


def test_usage_and_response_metadata() -> None:
    events = [
        wire.text("Hi"),
        wire.stop(),
        wire.usage(
            completion_tokens_details={"audio_tokens": 83, "text_tokens": 20},
            prompt_tokens_details={
                "text_tokens": 100,
                "audio_tokens": 7,
                "video_tokens": 100,
            },
        ),
    ]
    chunks, assembler = run(events)
    message = assembler.message()
    assert message.usage_metadata == {
        "input_tokens": 207,
        "output_tokens": 103,
        "total_tokens": 310,
        "input_token_details": {"audio": 7, "video": 100},
        "output_token_details": {"audio": 83},
    }
    assert message.response_metadata == {
        "model_provider": "qwen_omni",
        "model_name": "qwen3-omni-flash",
        "finish_reason": "stop",
    }
    total = merged(chunks)
    assert total.usage_metadata == message.usage_metadata
    assert total.response_metadata["model_name"] == "qwen3-omni-flash"
    assert total.response_metadata["finish_reason"] == "stop"


def test_usage_mapping_reasoning_tokens() -> None:
    usage = usage_from_wire(
        {
            "prompt_tokens": 1,
            "completion_tokens": 9,
            "completion_tokens_details": {"reasoning_tokens": 5},
        }
    )
    assert usage["total_tokens"] == 10
    assert usage["output_token_details"] == {"reasoning": 5}


def test_tool_call_arguments_split_over_chunks() -> None:
    def call(**fields: object) -> dict:
        return wire.event({"tool_calls": [fields]})

    events = [
        call(
            index=0,
            id="call_1",
            type="function",
            function={"name": "get_weather", "arguments": ""},
        ),
        call(index=0, function={"arguments": '{"ci'}),
        call(
            index=1,
            id="call_2",
            type="function",
            function={"name": "get_time", "arguments": '{"tz"'},
        ),
        call(index=0, function={"arguments": 'ty": "Paris"}'}),
        call(index=1, function={"arguments": ': "UTC"}'}),
        wire.event({}, finish_reason="tool_calls"),
    ]
    chunks, assembler = run(events, speech=False)
    expected = [
        {
            "name": "get_weather",
            "args": {"city": "Paris"},
            "id": "call_1",
            "type": "tool_call",
        },
        {
            "name": "get_time",
            "args": {"tz": "UTC"},
            "id": "call_2",
            "type": "tool_call",
        },
    ]
    assert assembler.message().tool_calls == expected
    assert merged(chunks).tool_calls == expected


def test_malformed_tool_arguments_become_invalid_tool_calls() -> None:
    events = [
        wire.event(
            {
                "tool_calls": [
                    {
                        "index": 0,
                        "id": "c",
                        "function": {"name": "f", "arguments": "{oops"},
                    }
                ]
            }
        ),
        wire.event({}, finish_reason="tool_calls"),
    ]
    _, assembler = run(events, speech=False)
    message = assembler.message()
    assert message.tool_calls == []
    assert message.invalid_tool_calls[0]["args"] == "{oops"


def test_reasoning_content() -> None:
    events = [
        wire.event({"reasoning_content": "Think"}),
        wire.event({"reasoning_content": "ing."}),
        wire.text("Answer"),
        wire.stop(),
    ]
    chunks, assembler = run(events, speech=False)
    message = assembler.message()
    assert message.additional_kwargs["reasoning_content"] == "Thinking."
    assert message.content_blocks[0] == {
        "type": "reasoning",
        "reasoning": "Thinking.",
        "index": "lc_reasoning",
    }
    assert merged(chunks).additional_kwargs["reasoning_content"] == "Thinking."


@pytest.mark.parametrize(
    "bad",
    [
        [1, 2, 3],
        {"choices": "nope"},
        {"choices": [{"delta": {"content": 5}}]},
        {"choices": [{"delta": "text"}]},
        {"choices": [{"delta": {"audio": {"data": "!!not base64!!"}}}]},
        {"choices": [], "usage": "lots"},
    ],
)
def test_malformed_event_raises_stream_error_with_partial(bad: object) -> None:
    assembler = StreamAssembler(speech=True)
    pcm = wire.pcm_pieces([4001])[0]
    for event in (wire.text("kept "), wire.audio(pcm)):
        assembler.feed(event)
    with pytest.raises(OmniStreamError) as info:
        assembler.feed(bad)  # type: ignore[arg-type]
    partial = info.value.partial
    assert partial.text == "kept "
    assert OmniAudio.from_message(partial).pcm == pcm


def test_stream_without_finish_reason_is_a_cut() -> None:
    assembler = StreamAssembler(speech=True)
    pcm = wire.pcm_pieces([4801])[0]
    assembler.feed(wire.text("half an ans"))
    assembler.feed(wire.audio(pcm))
    with pytest.raises(OmniStreamError, match="without a finish_reason") as info:
        assembler.finish()
    assert info.value.partial.text == "half an ans"
    assert OmniAudio.from_message(info.value.partial).pcm == pcm


def test_text_only_answer_has_no_audio_kwargs() -> None:
    _, assembler = run([wire.text("Hi"), wire.stop()], speech=False)
    assert "audio" not in assembler.message().additional_kwargs


def test_without_emitting_the_aggregate_is_the_same() -> None:
    pcm = wire.pcm_pieces([4001, 3, 4800])
    events = [
        wire.event({"reasoning_content": "why"}),
        wire.text("Hi "),
        *[wire.audio(p) for p in pcm],
        wire.transcript("there"),
        wire.stop(),
        wire.usage(),
    ]
    quiet = StreamAssembler(speech=True, emit=False)
    assert [c for e in events for c in quiet.feed(e)] == []
    quiet.finish()
    _, loud = run(events)
    assert quiet.message() == loud.message()
    assert OmniAudio.from_message(quiet.message()).pcm == b"".join(pcm)


# --- hostile events and finish reasons ----------------------------------------------


@pytest.mark.parametrize(
    "bad",
    [
        wire.usage(prompt_tokens=float("inf")),
        wire.usage(prompt_tokens=float("nan")),
        wire.usage(completion_tokens_details={"audio_tokens": 1e999}),
        wire.event({"tool_calls": [{"index": 1e999, "function": {"name": "f"}}]}),
        wire.event({"content": ["not", "text"]}),
    ],
    ids=["usage-inf", "usage-nan", "details-inf", "tool-index-inf", "content-list"],
)
def test_hostile_numbers_and_shapes_end_in_stream_error_with_the_text(bad) -> None:
    assembler = StreamAssembler(speech=True)
    for event in [wire.text("All"), wire.text(" of it"), wire.stop()]:
        assembler.feed(event)
    with pytest.raises(OmniStreamError, match="Malformed stream event #4") as info:
        assembler.feed(bad)
    assert info.value.partial.text == "All of it"
    assert info.value.partial.response_metadata["finish_reason"] == "stop"


@pytest.mark.parametrize("reason", ["null", "None", "undefined", "STOP", "eos"])
def test_a_finish_reason_that_is_no_reason_counts_as_missing(reason: str) -> None:
    assembler = StreamAssembler(speech=False)
    chunks = [
        c
        for e in (wire.text("Hi"), wire.event({}, finish_reason=reason))
        for c in assembler.feed(e)
    ]
    assert all("finish_reason" not in c.message.response_metadata for c in chunks)
    with pytest.raises(OmniStreamError, match=f"it sent '{reason}'") as info:
        assembler.finish()
    assert info.value.partial.text == "Hi"


@pytest.mark.parametrize("reason", ["stop", "length", "tool_calls", "content_filter"])
def test_real_finish_reasons_finish(reason: str) -> None:
    assembler = StreamAssembler(speech=False)
    assembler.feed(wire.event({}, finish_reason=reason))
    assembler.finish()
    assert assembler.message().response_metadata["finish_reason"] == reason


def test_restart_forgets_everything_for_a_retry() -> None:
    assembler = StreamAssembler(speech=True, emit=False)
    assembler.feed(wire.event({"role": "assistant", "content": ""}))
    assembler.feed(wire.text("first try"))
    assembler.restart()
    assert assembler.partial().text == ""
    assembler.feed(wire.text("second"))
    assembler.feed(wire.stop())
    assert assembler.feed(wire.text("!")) == []  # emit=False survives the restart
    assembler.finish()
    assert assembler.message().text == "second!"
