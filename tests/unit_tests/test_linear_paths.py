"""A long spoken answer costs time linear in its length on every LangChain path.

The model's answer is replayed from wire events in place of the HTTP
transport, so what is measured is this package's chunks going through
langchain-core's and LangGraph's own merging: a chain's `stream`/`astream`,
`astream_events`, LangGraph's `stream_mode="messages"`, and
`functools.reduce(operator.add, chunks)`. Quadratic merging measured
hundreds of times the linear cost at these sizes; linear is about 5.
"""

import asyncio
import functools
import itertools
import operator
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any, cast

import pytest
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.prompts import ChatPromptTemplate
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import END, START, MessagesState, StateGraph

from langchain_qwen_omni import ChatQwenOmni, OmniAudio, chat_models
from tests import wire
from tests.growth import growth

SMALL, LARGE = 200, 1000  # speech pieces of 4,801 bytes: 1 and 4.8 MB of PCM
BOUND = 8.0


def events_of(pieces: int) -> tuple[list[dict[str, Any]], bytes]:
    """Wire events of an answer with `pieces` speech pieces, and its PCM."""
    pcm = wire.pcm_pieces([4801] * pieces)
    events = []
    for i, piece in enumerate(pcm):
        events += [wire.text(f"w{i} "), wire.audio(piece)]
    return [*events, wire.stop(), wire.usage()], b"".join(pcm)


ANSWERS = {size: events_of(size) for size in (SMALL, LARGE)}


class Replay:
    """Stands in for the HTTP transport: feeds the chosen answer's events."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    def stream(
        self,
        client: object,
        body: bytes,
        assembler: Any,
        run_manager: Any,
        **options: Any,
    ) -> Iterator[Any]:
        for event in self.events:
            for chunk in assembler.feed(event):
                if run_manager:
                    run_manager.on_llm_new_token(chunk.text, chunk=chunk)
                yield chunk
        last = assembler.finish()
        if run_manager:
            run_manager.on_llm_new_token(last.text, chunk=last)
        yield last

    async def astream(
        self,
        client: object,
        body: bytes,
        assembler: Any,
        run_manager: Any,
        **options: Any,
    ) -> AsyncIterator[Any]:
        for event in self.events:
            for chunk in assembler.feed(event):
                if run_manager:
                    await run_manager.on_llm_new_token(chunk.text, chunk=chunk)
                yield chunk
        last = assembler.finish()
        if run_manager:
            await run_manager.on_llm_new_token(last.text, chunk=last)
        yield last


@pytest.fixture
def replay(monkeypatch: pytest.MonkeyPatch) -> Replay:
    replay = Replay()
    monkeypatch.setattr(chat_models, "stream_chunks", replay.stream)
    monkeypatch.setattr(chat_models, "astream_chunks", replay.astream)
    return replay


@pytest.fixture
def speaker() -> ChatQwenOmni:
    return ChatQwenOmni(api_key="sk-test", modalities=["text", "audio"])


@pytest.fixture
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    """One loop for every round: the async client belongs to its loop."""
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


def check_linear(
    replay: Replay, run: Callable[[], BaseMessage], *, rounds: int = 3
) -> None:
    """`run` gives the whole answer at both sizes, in linear time."""
    results: dict[int, BaseMessage] = {}

    def at(size: int) -> Callable[[], object]:
        def call() -> None:
            replay.events = ANSWERS[size][0]
            results[size] = run()

        return call

    ratio = growth(at(SMALL), at(LARGE), rounds=rounds)
    for size, message in results.items():
        assert OmniAudio.from_message(message).pcm == ANSWERS[size][1]
        assert message.text.startswith("w0 w1 w2")
    assert ratio <= BOUND, ratio


def merged(chunks: list[Any]) -> AIMessageChunk:
    total: AIMessageChunk = functools.reduce(operator.add, chunks)
    return total


def test_chain_stream(replay: Replay, speaker: ChatQwenOmni) -> None:
    chain = ChatPromptTemplate.from_messages([("human", "{q}")]) | speaker
    check_linear(replay, lambda: merged(list(chain.stream({"q": "Tell a story"}))))


def test_chain_astream(
    replay: Replay, speaker: ChatQwenOmni, loop: asyncio.AbstractEventLoop
) -> None:
    chain = ChatPromptTemplate.from_messages([("human", "{q}")]) | speaker

    async def collect() -> BaseMessage:
        return merged([c async for c in chain.astream({"q": "Tell a story"})])

    check_linear(replay, lambda: loop.run_until_complete(collect()))


def test_astream_events(
    replay: Replay, speaker: ChatQwenOmni, loop: asyncio.AbstractEventLoop
) -> None:
    chain = ChatPromptTemplate.from_messages([("human", "{q}")]) | speaker

    async def final_output() -> BaseMessage:
        chunks: list[AIMessageChunk] = []
        output = None
        async for event in chain.astream_events({"q": "A story"}, version="v2"):
            if event["event"] == "on_chat_model_stream":
                chunks.append(event["data"]["chunk"])
            if event["event"] == "on_chain_end" and not event["parent_ids"]:
                output = event["data"]["output"]
        assert output is not None
        assert OmniAudio.from_chunks(chunks).pcm == OmniAudio.from_message(output).pcm
        return output  # type: ignore[no-any-return]

    check_linear(replay, lambda: loop.run_until_complete(final_output()))


def test_reduce_add_of_streamed_chunks(replay: Replay, speaker: ChatQwenOmni) -> None:
    streamed: dict[int, list[AIMessageChunk]] = {}
    for size in (SMALL, LARGE):
        replay.events = ANSWERS[size][0]
        streamed[size] = list(speaker.stream("Tell a story"))
    ratio = growth(
        lambda: merged(streamed[SMALL]), lambda: merged(streamed[LARGE]), rounds=5
    )
    for size, chunks in streamed.items():
        assert OmniAudio.from_message(merged(chunks)).pcm == ANSWERS[size][1]
    assert ratio <= BOUND, ratio


def test_langgraph_messages_mode(
    replay: Replay, speaker: ChatQwenOmni, caplog: pytest.LogCaptureFixture
) -> None:
    def respond(state: MessagesState) -> dict[str, list[BaseMessage]]:
        return {"messages": [speaker.invoke(state["messages"])]}

    graph = (
        StateGraph(MessagesState)
        .add_node("respond", respond)
        .add_edge(START, "respond")
        .add_edge("respond", END)
        .compile(checkpointer=InMemorySaver())
    )
    threads = itertools.count()
    config: Any = {}

    def streamed_answer() -> BaseMessage:
        config["configurable"] = {"thread_id": str(next(threads))}
        chunks = [
            message
            for message, _ in graph.stream(
                cast("Any", {"messages": [("human", "Tell a story")]}),
                config,
                stream_mode="messages",
            )
            if isinstance(message, AIMessageChunk)
        ]
        return merged(chunks)

    check_linear(replay, streamed_answer)

    # The checkpoint holds LangChain's own AIMessage, speech and all.
    final = graph.get_state(config).values["messages"][-1]
    assert type(final) is AIMessage
    assert OmniAudio.from_message(final).pcm in (ANSWERS[SMALL][1], ANSWERS[LARGE][1])
    assert "unregistered" not in caplog.text


def test_invoke_through_stream_gives_an_ai_message(
    replay: Replay, speaker: ChatQwenOmni
) -> None:
    """`invoke(stream=True)` merges the chunks in langchain-core, then converts."""
    replay.events = ANSWERS[SMALL][0]
    message = speaker.invoke("Tell a story", stream=True)
    assert type(message) is AIMessage
    assert OmniAudio.from_message(message).pcm == ANSWERS[SMALL][1]
