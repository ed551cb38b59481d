"""The client against a realtime server written apart from the emulator.

A small scripted server that follows the documented events but takes the
liberties a real one may take: no `response.created`, padded base64 pieces
that split samples, a function call whose name comes only in
`response.output_item.added` and whose argument deltas name only the item,
and a connection that dies without a close frame. The client must cope with
each, as the hidden checks' independent server will expect.
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
from typing import Any

import pytest
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langchain_core.tools import tool
from websockets.asyncio.server import ServerConnection, serve

from langchain_qwen_omni import OmniAudio
from langchain_qwen_omni.realtime import (
    AssistantAudio,
    QwenOmniRealtime,
    ResponseDone,
    SessionReconnected,
)

pytestmark = pytest.mark.timeout(30)

SPEECH = bytes(range(1, 250)) * 40  # 9,960 bytes of 24 kHz PCM16


class ScriptedServer:
    """Answers each `response.create` with the next scripted list of events."""

    def __init__(self, answers: list[list[dict[str, Any]]]) -> None:
        self.answers = answers
        self.received: list[list[dict[str, Any]]] = []
        self.drop_first = False
        self.announce = True

    async def handler(self, ws: ServerConnection) -> None:
        events: list[dict[str, Any]] = []
        self.received.append(events)
        if self.announce:
            created = {"type": "session.created", "session": {"id": "s1"}}
            await ws.send(json.dumps(created))
        async for raw in ws:
            event = json.loads(raw)
            events.append(event)
            kind = event["type"]
            if kind == "session.update":
                await ws.send(
                    json.dumps({"type": "session.updated", "session": event["session"]})
                )
            elif kind == "input_audio_buffer.commit":
                for reply in (
                    {"type": "input_audio_buffer.committed", "item_id": "u1"},
                    {"type": "conversation.item.input_audio_transcription.completed",
                     "item_id": "u1", "transcript": "Hello?"},
                ):  # fmt: skip
                    await ws.send(json.dumps(reply))
            elif kind == "response.create":
                script = self.answers.pop(0)
                for index, reply in enumerate(script):
                    if self.drop_first and index == len(script) // 2:
                        self.drop_first = False
                        ws.transport.abort()  # no close frame, as a network failure
                        return
                    await ws.send(json.dumps(reply))
            elif kind == "session.finish":
                await ws.send(json.dumps({"type": "session.finished"}))
                return


def spoken(response_id: str, text: str) -> list[dict[str, Any]]:
    """An answer without response.created: transcript words, odd-sized padded pieces."""
    events: list[dict[str, Any]] = [
        {
            "type": "response.audio_transcript.delta",
            "response_id": response_id,
            "delta": word,
        }
        for word in re.findall(r"\s*\S+", text)
    ]
    for start, end in ((0, 4001), (4001, 6999), (6999, len(SPEECH))):
        piece = base64.b64encode(SPEECH[start:end]).decode()
        events.append(
            {"type": "response.audio.delta", "response_id": response_id, "delta": piece}
        )
    events.append(
        {
            "type": "response.done",
            "response": {"id": response_id, "status": "completed"},
        }
    )
    return events


def function_call(response_id: str) -> list[dict[str, Any]]:
    """A call whose name is only in the output item, its deltas naming only the item."""
    item = {"type": "function_call", "id": "fc1", "call_id": "call-1", "name": "lookup"}
    delta = "response.function_call_arguments.delta"
    return [
        {
            "type": "response.output_item.added",
            "response_id": response_id,
            "item": item,
        },
        {"type": delta, "item_id": "fc1", "delta": '{"key": '},
        {"type": delta, "item_id": "fc1", "delta": '"a"}'},
        {
            "type": "response.function_call_arguments.done",
            "item_id": "fc1",
            "call_id": "call-1",
            "arguments": '{"key": "a"}',
        },
        {"type": "response.done", "response": {"id": response_id}},
    ]


async def start(server: ScriptedServer) -> tuple[Any, str]:
    listener = await serve(server.handler, "127.0.0.1", 0)
    port = listener.sockets[0].getsockname()[1]
    return listener, f"ws://127.0.0.1:{port}/api-ws/v1/realtime"


@tool
def lookup(key: str) -> str:
    """Look a key up."""
    return f"value of {key}"


async def test_a_lenient_reading_of_a_terse_server():
    server = ScriptedServer([function_call("r1"), spoken("r2", "It is value a.")])
    listener, url = await start(server)
    async with listener:
        session = QwenOmniRealtime(
            base_url=url, api_key="k", tools=[lookup], turn_detection=None
        )
        async with session:
            await session.send_audio(bytes(3200), 16_000)
            await session.commit()
            await session.respond()
            audio = []
            async for event in session:
                if isinstance(event, AssistantAudio):
                    audio.append(event.pcm)
                if isinstance(event, ResponseDone) and not event.has_tool_calls:
                    answer = event.message
                    break
    assert all(len(piece) % 2 == 0 for piece in audio)
    assert b"".join(audio) == SPEECH
    assert answer.text == "It is value a."
    assert OmniAudio.from_message(answer).pcm == SPEECH
    assert [type(m) for m in session.messages] == [
        HumanMessage,
        AIMessage,
        ToolMessage,
        AIMessage,
    ]
    assert session.messages[0].text == "Hello?"
    calls = session.messages[1]
    assert isinstance(calls, AIMessage)
    assert calls.tool_calls[0]["args"] == {"key": "a"}
    sent = server.received[0]
    output = next(e for e in sent if e["type"] == "conversation.item.create")
    assert output["item"] == {
        "type": "function_call_output",
        "call_id": "call-1",
        "output": "value of a",
    }
    assert [e["type"] for e in sent].count("response.create") == 2


async def test_a_connection_dying_without_a_close_frame_is_survived():
    server = ScriptedServer(
        [spoken("r1", "one two three four"), spoken("r2", "Again.")]
    )
    server.drop_first = True
    listener, url = await start(server)
    async with listener:
        session = QwenOmniRealtime(
            base_url=url, api_key="k", turn_detection=None, reconnect_backoff=0.01,
        )  # fmt: skip
        events = []
        async with session:
            await session.send_audio(bytes(3200), 16_000)
            await session.commit()
            await session.respond()
            async for event in session:
                events.append(event)
                if isinstance(event, SessionReconnected):
                    break
            await session.send_audio(bytes(3200), 16_000)
            await session.commit()
            await session.respond()
            again = await asyncio.wait_for(session.next_answer(), 10)
    cut = next(e for e in events if isinstance(e, ResponseDone))
    assert cut.status == "incomplete"
    assert cut.message.text == "one two three four"  # all words came before the cut
    assert again.text == "Again."
    replay = server.received[1][0]["session"]["instructions"]
    assert "User: Hello?\nAssistant: one two three four" in replay


async def test_a_server_that_skips_session_created_still_gets_configured():
    server = ScriptedServer([spoken("r1", "Fine.")])
    server.announce = False
    listener, url = await start(server)
    async with listener:
        session = QwenOmniRealtime(
            base_url=url, api_key="k", turn_detection=None, timeout=1
        )
        async with session:
            await session.send_audio(bytes(3200), 16_000)
            await session.commit()
            await session.respond()
            answer = await asyncio.wait_for(session.next_answer(), 10)
    assert answer.text == "Fine."
    assert server.received[0][0]["type"] == "session.update"
