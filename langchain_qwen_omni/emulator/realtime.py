"""The emulator's realtime WebSocket endpoint: `/api-ws/v1/realtime?model=...`.

One `EmulatedSession` per connection speaks the documented protocol (the
OpenAI Realtime beta event names DashScope keeps): `session.created`, then
`session.update` checked against the model's facts, energy-based VAD on the
incoming 16 kHz audio, emulated transcripts, answers spoken at real-time pace
(or faster), function calls when tools are configured, cancellation by
`response.cancel` or by the user speaking over an answer, the session cap,
and a connection drop mid-answer as a fault. The pure parts (facts, VAD,
answers) live in the `realtime_*` modules beside this one.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import json
import logging
import time
from typing import TYPE_CHECKING, Any

from starlette.responses import JSONResponse
from starlette.websockets import WebSocketDisconnect

from langchain_qwen_omni._probe import image_size
from langchain_qwen_omni.emulator.answers import synthesize_speech
from langchain_qwen_omni.emulator.options import EmulatorOptions
from langchain_qwen_omni.emulator.realtime_answers import (
    answer_text,
    call_response,
    commit_events,
    describe_audio,
    message_response,
    new_id,
    plan_calls,
    resample_speech,
    transcription_events,
    usage,
)
from langchain_qwen_omni.emulator.realtime_facts import (
    IMAGE_MAX_BASE64_BYTES,
    IMAGE_MAX_SIDES,
    INPUT_SAMPLE_RATE,
    VAD_DEFAULTS,
    ModelFacts,
    check_session,
    default_session,
    error_event,
    model_facts,
)
from langchain_qwen_omni.emulator.realtime_options import (
    REALTIME_HEADER,
    RealtimeOptions,
    RealtimeState,
    RecordedSession,
)
from langchain_qwen_omni.emulator.realtime_vad import EnergyVad

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from starlette.websockets import WebSocket

logger = logging.getLogger(__name__)

__all__ = ["REALTIME_PATH", "EmulatedSession", "realtime_endpoint"]

REALTIME_PATH = "/api-ws/v1/realtime"
_SPEECH_RATE = 24_000
_SLICE_SECONDS = 0.05
_POLICY_VIOLATION = 1008
_GOING_AWAY = 1001
_INTERNAL_ERROR = 1011
_JPEG_MAGIC = b"\xff\xd8\xff"


async def realtime_endpoint(websocket: WebSocket) -> None:
    """Authenticate the handshake, then run one emulated session."""
    app_state = websocket.app.state
    state: RealtimeState = app_state.realtime
    try:
        options = state.options.with_header(websocket.headers.get(REALTIME_HEADER))
    except ValueError as exc:
        await _deny(websocket, 400, "InvalidParameter", f"{REALTIME_HEADER}: {exc}")
        return
    auth = websocket.headers.get("authorization", "")
    if options.unauthorized or not auth.startswith("Bearer ") or not auth[7:].strip():
        await _deny(websocket, 401, "InvalidApiKey", "Invalid API-key provided.")
        return
    model = websocket.query_params.get("model", "")
    await websocket.accept()
    headers = {k.lower(): v for k, v in websocket.headers.items()}
    record = state.open(model, headers)
    session = EmulatedSession(
        websocket,
        model=model,
        options=options,
        state=state,
        record=record,
        closing=lambda: bool(app_state.closing),
    )
    await session.run()


async def _deny(websocket: WebSocket, status: int, code: str, message: str) -> None:
    """Refuse the handshake with an HTTP answer, as the API does for a bad key."""
    body = {"code": code, "message": message, "request_id": new_id("req")}
    if "websocket.http.response" in websocket.scope.get("extensions", {}):
        await websocket.send_denial_response(JSONResponse(body, status_code=status))
    else:  # an ASGI server without the extension: close before accepting
        await websocket.close(code=_POLICY_VIOLATION, reason=message)


class EmulatedSession:
    """One realtime connection: configuration, audio buffer, VAD, answers."""

    def __init__(  # noqa: PLR0913  # what one connection is made of
        self,
        websocket: WebSocket,
        *,
        model: str,
        options: RealtimeOptions,
        state: RealtimeState,
        record: RecordedSession,
        closing: Callable[[], bool],
    ) -> None:
        """Prepare the session; `run()` serves it."""
        self.ws = websocket
        self.model = model
        self.options = options
        self.state = state
        self.record = record
        self.drop = state.take_drop(options)
        self.closing = closing
        self.facts: ModelFacts | None = model_facts(model)
        self.config: dict[str, Any] = {}
        self.open = True
        self.vad: EnergyVad | None = None
        self.vad_offset_ms = 0
        self.buffer = bytearray()
        self.audio_ms = 0
        self.speech_item: str | None = None
        self.speech_start_ms = 0
        self.last_item: str | None = None
        self.transcripts: list[str] = []
        self.pending_calls: dict[str, str] = {}
        self.results: list[tuple[str, str]] = []
        self.response: asyncio.Task[None] | None = None
        self.response_id: str | None = None
        self.cancel_event = asyncio.Event()
        self.audio_deltas = 0
        self.started = time.monotonic()
        self._send_lock = asyncio.Lock()
        self._cap: asyncio.Task[None] | None = None

    # --- the connection ---

    async def run(self) -> None:
        """Serve the connection until the client leaves or the session ends."""
        if self.facts is None:
            message = f"Model not found: {self.model!r} is not a realtime model."
            await self.send(error_event(message, code="model_not_found", param="model"))
            await self.close(_POLICY_VIOLATION, "model not found", "refused")
            return
        self.config = default_session(self.model, self.facts, new_id("sess"))
        self._configure_vad()
        await self.send(
            {
                "event_id": new_id("event"),
                "type": "session.created",
                "session": self.config,
            }
        )
        self._cap = asyncio.create_task(self._watch_cap())
        try:
            await self._receive_loop()
        finally:
            for task in (self.response, self._cap):
                if task is not None:
                    task.cancel()
            if self.record.closed is None:
                self.record.closed = "client"

    async def _receive_loop(self) -> None:
        while self.open:
            try:
                message = await self.ws.receive()
            except (WebSocketDisconnect, RuntimeError):
                return
            if message.get("type") == "websocket.disconnect":
                return
            text = message.get("text")
            if text is None:
                await self.send(
                    error_event(
                        "Binary frames are not supported; send JSON text.",
                        code="invalid_event",
                    )
                )
                continue
            try:
                event = json.loads(text)
            except ValueError:
                await self.send(
                    error_event("The event is not valid JSON.", code="invalid_json")
                )
                continue
            if not isinstance(event, dict):
                await self.send(
                    error_event("An event must be a JSON object.", code="invalid_event")
                )
                continue
            self.record.record(event)
            await self.handle(event)

    async def send(self, event: Mapping[str, Any]) -> None:
        """Send one server event; a closed connection is not an error here."""
        if not self.open:
            return
        text = json.dumps(event, ensure_ascii=False, separators=(",", ":"))
        try:
            async with self._send_lock:
                await self.ws.send_text(text)
        except (WebSocketDisconnect, RuntimeError, OSError):
            self.open = False

    async def close(self, code: int, reason: str, how: str) -> None:
        """Close the connection from the server's side."""
        if not self.open:
            return
        self.open = False
        self.record.closed = how
        with contextlib.suppress(RuntimeError, OSError, WebSocketDisconnect):
            await self.ws.close(code=code, reason=reason)

    async def _watch_cap(self) -> None:
        deadline = self.started + self.options.session_seconds
        while self.open and time.monotonic() < deadline:
            if self.closing():
                return
            await asyncio.sleep(
                min(_SLICE_SECONDS * 10, max(deadline - time.monotonic(), 0))
            )
        if self.open:
            if self.response is not None:
                self.cancel_event.set()
            await self.close(
                _GOING_AWAY, "the session reached its maximum duration", "cap"
            )

    # --- client events ---

    async def handle(self, event: Mapping[str, Any]) -> None:
        """Answer one client event."""
        kind = event.get("type")
        handler = {
            "session.update": self._on_session_update,
            "input_audio_buffer.append": self._on_audio,
            "input_audio_buffer.commit": self._on_commit,
            "input_audio_buffer.clear": self._on_clear,
            "input_image_buffer.append": self._on_image,
            "response.create": self._on_response_create,
            "response.cancel": self._on_response_cancel,
            "conversation.item.create": self._on_item_create,
            "session.finish": self._on_finish,
        }.get(str(kind))
        if handler is None:
            await self.send(
                error_event(
                    f"Invalid event type: {kind!r}.", code="invalid_event", param="type"
                )
            )
            return
        await handler(event)

    async def _on_session_update(self, event: Mapping[str, Any]) -> None:
        session = event.get("session")
        if not isinstance(session, dict):
            await self.send(
                error_event("session.update needs a session object.", param="session")
            )
            return
        assert self.facts is not None  # noqa: S101  # run() refused unknown models
        error = check_session(self.facts, session)
        if error is not None:
            await self.send(error)
            return
        if "turn_detection" in session and isinstance(session["turn_detection"], dict):
            settings = dict(session["turn_detection"])
            settings.setdefault("type", "server_vad")
            defaults = (
                VAD_DEFAULTS
                if settings["type"] == "server_vad"
                else {
                    "create_response": True,
                    "interrupt_response": True,
                }
            )
            session = {**session, "turn_detection": {**defaults, **settings}}
        self.config.update(session)
        self._configure_vad()
        await self.send(
            {
                "event_id": new_id("event"),
                "type": "session.updated",
                "session": self.config,
            }
        )

    def _configure_vad(self) -> None:
        settings = self.config.get("turn_detection")
        if not isinstance(settings, dict):
            self.vad = None
            return
        self.vad = EnergyVad(
            threshold=float(settings.get("threshold", VAD_DEFAULTS["threshold"])),
            prefix_padding_ms=int(
                settings.get("prefix_padding_ms", VAD_DEFAULTS["prefix_padding_ms"])
            ),
            silence_duration_ms=int(
                settings.get("silence_duration_ms", VAD_DEFAULTS["silence_duration_ms"])
            ),
        )
        self.vad_offset_ms = self.audio_ms

    async def _on_audio(self, event: Mapping[str, Any]) -> None:
        try:
            pcm = base64.b64decode(str(event.get("audio", "")), validate=True)
        except (binascii.Error, ValueError):
            await self.send(
                error_event("The audio is not valid base64.", param="audio")
            )
            return
        self.record.audio += pcm
        self.buffer += pcm
        self.audio_ms += len(pcm) * 1000 // (2 * INPUT_SAMPLE_RATE)
        if self.vad is None:
            return
        for change in self.vad.feed(pcm):
            at = self.vad_offset_ms + change.ms
            if change.kind == "started":
                await self._speech_started(at)
            else:
                await self._speech_stopped(at)

    async def _speech_started(self, at_ms: int) -> None:
        self.speech_item = new_id("item")
        self.speech_start_ms = at_ms
        await self.send(
            {
                "event_id": new_id("event"),
                "type": "input_audio_buffer.speech_started",
                "audio_start_ms": at_ms,
                "item_id": self.speech_item,
            }
        )
        settings = self.config.get("turn_detection") or {}
        if self.response is not None and settings.get("interrupt_response", True):
            await self._cancel_response()

    async def _speech_stopped(self, at_ms: int) -> None:
        item_id = self.speech_item or new_id("item")
        await self.send(
            {
                "event_id": new_id("event"),
                "type": "input_audio_buffer.speech_stopped",
                "audio_end_ms": at_ms,
                "item_id": item_id,
            }
        )
        speech_bytes = (
            max(at_ms - self.speech_start_ms, 0) * 2 * INPUT_SAMPLE_RATE // 1000
        )
        await self._commit(item_id, speech_bytes)
        self.speech_item = None
        settings = self.config.get("turn_detection") or {}
        if settings.get("create_response", True):
            await self._start_response()

    async def _commit(self, item_id: str, speech_bytes: int) -> None:
        transcript = self.state.next_transcript(self.options) or describe_audio(
            speech_bytes
        )
        for server_event in commit_events(item_id, self.last_item):
            await self.send(server_event)
        self.last_item = item_id
        self.buffer.clear()
        self.transcripts.append(transcript)
        for server_event in transcription_events(item_id, transcript):
            await self.send(server_event)

    async def _on_commit(self, event: Mapping[str, Any]) -> None:
        del event
        if not self.buffer:
            await self.send(
                error_event(
                    "Error committing input audio buffer: the buffer is empty.",
                    code="input_audio_buffer_commit_empty",
                )
            )
            return
        await self._commit(new_id("item"), len(self.buffer))

    async def _on_clear(self, event: Mapping[str, Any]) -> None:
        del event
        self.buffer.clear()
        await self.send(
            {"event_id": new_id("event"), "type": "input_audio_buffer.cleared"}
        )

    async def _on_image(self, event: Mapping[str, Any]) -> None:
        image = str(event.get("image", ""))
        if not self.record.audio:
            await self.send(
                error_event(
                    "input_image_buffer.append requires audio: append audio first.",
                    param="image",
                )
            )
            return
        if len(image) > IMAGE_MAX_BASE64_BYTES:
            await self.send(
                error_event(
                    f"The image is {len(image)} bytes as base64; "
                    f"the limit is {IMAGE_MAX_BASE64_BYTES}.",
                    param="image",
                )
            )
            return
        try:
            data = base64.b64decode(image, validate=True)
        except (binascii.Error, ValueError):
            data = b""
        if not data.startswith(_JPEG_MAGIC):
            await self.send(
                error_event("The image must be a base64 JPEG.", param="image")
            )
            return
        size = image_size(data)
        if size is not None and (
            max(size) > IMAGE_MAX_SIDES[0] or min(size) > IMAGE_MAX_SIDES[1]
        ):
            await self.send(
                error_event(
                    f"The image is {size[0]}x{size[1]}; the limit is 1080p.",
                    param="image",
                )
            )
            return
        self.record.images.append(data)

    async def _on_response_create(self, event: Mapping[str, Any]) -> None:
        del event
        await self._start_response()

    async def _on_response_cancel(self, event: Mapping[str, Any]) -> None:
        named = event.get("response_id")
        if self.response is None or (named is not None and named != self.response_id):
            await self.send(
                error_event(
                    "Cancellation failed: no active response found.",
                    code="response_cancel_not_active",
                )
            )
            return
        await self._cancel_response()

    async def _on_item_create(self, event: Mapping[str, Any]) -> None:
        item = event.get("item")
        if not isinstance(item, dict) or item.get("type") != "function_call_output":
            await self.send(
                error_event(
                    "conversation.item.create takes function_call_output items.",
                    param="item.type",
                )
            )
            return
        call_id = item.get("call_id")
        name = self.pending_calls.pop(str(call_id), None)
        if name is None:
            await self.send(
                error_event(f"Unknown call_id: {call_id!r}.", param="item.call_id")
            )
            return
        self.results.append((name, str(item.get("output", ""))))
        created = {
            **item,
            "id": item.get("id") or new_id("item"),
            "object": "realtime.item",
        }
        await self.send(
            {
                "event_id": new_id("event"),
                "type": "conversation.item.created",
                "item": created,
            }
        )

    async def _on_finish(self, event: Mapping[str, Any]) -> None:
        del event
        if self.response is not None:
            await self._cancel_response()
        await self.send({"event_id": new_id("event"), "type": "session.finished"})
        await self.close(1000, "session finished", "finished")

    # --- answers ---

    async def _start_response(self) -> None:
        if self.response is not None:
            await self.send(
                error_event(
                    "Conversation already has an active response.",
                    code="conversation_already_has_active_response",
                )
            )
            return
        self.cancel_event = asyncio.Event()
        self.response_id = new_id("resp")
        self.response = asyncio.create_task(self._respond(self.response_id))

    async def _cancel_response(self) -> None:
        task = self.response
        if task is None:
            return
        self.cancel_event.set()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    async def _pause(self, seconds: float) -> bool:
        """Wait; False when the answer was cancelled or the server stops."""
        deadline = time.monotonic() + seconds
        while True:
            if self.cancel_event.is_set() or self.closing() or not self.open:
                return False
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return True
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(
                    self.cancel_event.wait(), min(remaining, _SLICE_SECONDS)
                )

    async def _respond(self, response_id: str) -> None:
        try:
            if self.options.first_audio_delay and not await self._pause(
                self.options.first_audio_delay
            ):
                return
            results, self.results = self.results, []
            transcript = self.transcripts[-1] if self.transcripts else None
            tools = self.config.get("tools") or []
            calls = [] if results or not tools else plan_calls(tools, transcript or "")
            assert self.facts is not None  # noqa: S101
            modalities = list(self.config.get("modalities") or ["text", "audio"])
            voice = str(self.config.get("voice") or self.facts.default_voice)
            if calls:
                self.pending_calls = {call.call_id: call.name for call in calls}
                arguments = "".join(call.arguments for call in calls)
                spent = self._usage(arguments, 0.0)
                for server_event in call_response(
                    response_id=response_id,
                    calls=calls,
                    modalities=modalities,
                    voice=voice,
                    usage_=spent,
                ):
                    await self.send(server_event)
                return
            await self._speak(response_id, transcript, results, modalities, voice)
        finally:
            self.response = None

    async def _speak(
        self,
        response_id: str,
        transcript: str | None,
        results: list[tuple[str, str]],
        modalities: list[str],
        voice: str,
    ) -> None:
        assert self.facts is not None  # noqa: S101
        scripted = None if results else self.state.next_answer(self.options)
        text = answer_text(transcript, results, scripted)
        output_format = str(
            self.config.get("output_audio_format") or self.facts.default_output_format
        )
        rate = self.facts.output_formats.get(output_format, _SPEECH_RATE)
        pcm = b""
        if "audio" in modalities:
            settings = EmulatorOptions(
                speech_seconds_per_char=self.options.speech_seconds_per_char,
                min_speech_seconds=self.options.min_speech_seconds,
                max_speech_seconds=self.options.max_speech_seconds,
            )
            pcm = resample_speech(
                synthesize_speech(text, voice, settings), _SPEECH_RATE, rate
            )
        plan = message_response(
            response_id=response_id,
            item_id=new_id("item"),
            text=text,
            pcm=pcm,
            sample_rate=rate,
            piece_sizes=self.options.audio_piece_bytes,
            modalities=modalities,
            voice=voice,
            output_format=output_format,
        )
        for server_event in plan.opening:
            await self.send(server_event)
        said: list[str] = []
        spoken_seconds = 0.0
        status = "completed"
        start = time.monotonic()
        speed = self.options.speed
        for at, server_event, word in plan.timed:
            due = start + at / speed if speed else start
            if not await self._pause(due - time.monotonic()):
                status = "cancelled"
                break
            await self.send(server_event)
            said.append(word)
            spoken_seconds = at
            if server_event["type"] == "response.audio.delta":
                self.audio_deltas += 1
                limit = self.options.drop_after_audio_deltas
                if self.drop and limit is not None and self.audio_deltas >= limit:
                    await self.close(
                        _INTERNAL_ERROR, "emulated connection drop", "dropped"
                    )
                    return
        if not self.open:
            return
        spoken = plan.speech_seconds if status == "completed" else spoken_seconds
        for server_event in plan.closing(
            status, "".join(said), self._usage(text, spoken)
        ):
            await self.send(server_event)

    def _usage(self, output_text: str, output_seconds: float) -> dict[str, Any]:
        assert self.facts is not None  # noqa: S101
        return usage(
            input_text=str(self.config.get("instructions") or ""),
            input_audio_seconds=len(self.record.audio) / (2 * INPUT_SAMPLE_RATE),
            output_text=output_text,
            output_audio_seconds=output_seconds,
            audio_tokens_per_second=self.facts.audio_tokens_per_second,
        )
