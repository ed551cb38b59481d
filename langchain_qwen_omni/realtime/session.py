"""`QwenOmniRealtime`: a spoken conversation with a Qwen-Omni-Realtime model."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING, Any, Literal

from langchain_core.messages import BaseMessage  # noqa: TC002  # a pydantic field type
from langchain_core.tools import BaseTool  # noqa: TC002  # a pydantic field type
from langchain_core.utils import secret_from_env
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    SecretStr,
    model_validator,
)

from langchain_qwen_omni._keys import require_key, resolve_base_url
from langchain_qwen_omni.errors import OmniInputError
from langchain_qwen_omni.realtime import protocol
from langchain_qwen_omni.realtime.audio_input import (
    INPUT_SAMPLE_RATE,
    PcmResampler,
    read_audio,
    split_pieces,
)
from langchain_qwen_omni.realtime.dispatcher import EventDispatcher
from langchain_qwen_omni.realtime.endpoint import (
    check_workspace_domain,
    realtime_url,
)
from langchain_qwen_omni.realtime.engine import RealtimeEngine
from langchain_qwen_omni.realtime.errors import OmniRealtimeError
from langchain_qwen_omni.realtime.events import ResponseDone
from langchain_qwen_omni.realtime.history import history_instructions
from langchain_qwen_omni.realtime.images import prepare_image
from langchain_qwen_omni.realtime.profiles import (
    DEFAULT_REALTIME_MODEL,
    RealtimeProfile,
    get_realtime_profile,
)
from langchain_qwen_omni.realtime.tool_runner import tool_specs

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from types import TracebackType

    from langchain_core.messages import AIMessage
    from typing_extensions import Self

    from langchain_qwen_omni.realtime.events import RealtimeEvent

logger = logging.getLogger(__name__)

__all__ = ["QwenOmniRealtime"]

SESSION_CAP_SECONDS = 120 * 60
"""The API ends a realtime session after 120 minutes."""
_CAP_MARGIN_SECONDS = 120
_END_TURN_SILENCE_MS = 200
_SEMANTIC_END_SILENCE_MS = 1000
_MODALITY_SETS = ({"text"}, {"text", "audio"})

Modality = Literal["text", "audio"]


def _speech_modalities() -> list[Modality]:
    return ["text", "audio"]


class QwenOmniRealtime(BaseModel):
    r"""A live, spoken session with Qwen-Omni-Realtime, over one WebSocket.

    Speech (and camera frames) go in as they happen; the answer streams back as
    speech and text while the user may interrupt it. LangChain tools run when
    the model calls them, and the conversation accumulates in `messages` as
    LangChain messages, so a text chain can carry on from it.

    Setup:
        Install the `realtime` extra and set your Model Studio key:

        ```bash
        pip install "langchain-qwen-omni[realtime]"
        export DASHSCOPE_API_KEY="sk-..."
        ```

    Key init args — session:
        model: str
            Realtime model, default `qwen3.5-omni-plus-realtime`; also
            `qwen3.5-omni-flash-realtime`, `qwen3.8-omni-flash-realtime`
            (workspace domains only), `qwen3-omni-flash-realtime`,
            `qwen-omni-turbo-realtime` and their dated snapshots.
        voice: str | None
            Voice of the answers; the family's default (Tina, Cherry, Chelsie).
        modalities: list[str]
            `["text", "audio"]` (default) or `["text"]`.
        instructions: str | None
            The system prompt of the session.
        turn_detection: str | dict | None
            `"server_vad"` (default, the documented settings), `"semantic_vad"`
            (3.5, 3.8), a dict of VAD settings, or `None` for manual turns.
        tools: list[BaseTool]
            LangChain tools the model may call (3.5 and 3.8 only).
        messages: list[BaseMessage]
            A conversation to continue; the session appends to this list.

    Key init args — client:
        api_key: SecretStr | None
            Read from `DASHSCOPE_API_KEY` if not given.
        base_url: str | None
            The same endpoint setting as `ChatQwenOmni` (compatible-mode URL,
            workspace domain, or a `wss://` URL); from `DASHSCOPE_BASE_URL`,
            then `DASHSCOPE_API_BASE`, then Singapore.
        region: str | None
            `"intl"`, `"cn"`, `"us"` or `"hk"`.
        max_session_seconds: float
            Reconnect (and replay the conversation) once a connection is this
            old, at the next quiet moment: just under the API's 120 minutes.

    Instantiate:
        ```python
        from langchain_qwen_omni.realtime import QwenOmniRealtime

        session = QwenOmniRealtime(
            model="qwen3.5-omni-plus-realtime",
            instructions="You are a friendly assistant. Keep answers short.",
        )
        ```

    Talk:
        ```python
        from langchain_qwen_omni import OmniAudio
        from langchain_qwen_omni.realtime import AssistantAudio, ResponseDone

        async with session:
            await session.send_audio("question.wav")  # any rate: sent as 16 kHz
            await session.end_turn()                  # the silence that ends a turn
            async for event in session:
                if isinstance(event, AssistantAudio):
                    pass                              # play event.pcm (24 kHz PCM16)
                elif isinstance(event, ResponseDone):
                    break
        answer = session.messages[-1]
        OmniAudio.from_message(answer).save("answer.wav")
        ```

    Tools:
        ```python
        from langchain_core.tools import tool

        @tool
        def get_weather(city: str) -> str:
            '''The weather in a city.'''
            return f"Sunny in {city}"

        agent = QwenOmniRealtime(tools=[get_weather])
        async with agent:
            await agent.send_audio("question.wav")
            await agent.end_turn()
            reply = await agent.next_answer()   # after the tool ran
        ```

    Barge-in:
        When the user starts speaking during an answer, the session cancels
        the answer, stops yielding its audio, and ends it with
        `ResponseDone(interrupted=True)`; the message keeps what was said
        before. `SpeechStarted.interrupted_response` tells the player to stop.

    Manual turns:
        ```python
        manual = QwenOmniRealtime(turn_detection=None)
        async with manual:
            await manual.send_audio("question.wav")
            await manual.commit()
            await manual.respond()
            reply = await manual.next_answer()
        ```
    """

    model_config = ConfigDict(populate_by_name=True, arbitrary_types_allowed=True)

    # ------------------------------------------------------------- fields
    model: str = Field(default=DEFAULT_REALTIME_MODEL, alias="model_name")
    """Realtime model name, e.g. `qwen3.5-omni-plus-realtime` or a dated snapshot."""
    api_key: SecretStr | None = Field(
        alias="dashscope_api_key",
        default_factory=secret_from_env("DASHSCOPE_API_KEY", default=None),
    )
    """DashScope API key; env `DASHSCOPE_API_KEY`. Keys are per region."""
    base_url: str | None = Field(default=None, alias="api_base")
    """Endpoint; env `DASHSCOPE_BASE_URL`, else `DASHSCOPE_API_BASE`, else Singapore."""
    region: Literal["intl", "cn", "us", "hk"] | None = None
    """Shortcut for a documented regional endpoint; an explicit `base_url` wins."""
    voice: str | None = None
    """Voice of the answers; the family's default when None."""
    modalities: list[Modality] = Field(default_factory=_speech_modalities)
    """`["text", "audio"]` for spoken answers, or `["text"]`."""
    instructions: str | None = None
    """The session's system prompt."""
    turn_detection: Literal["server_vad", "semantic_vad"] | dict[str, Any] | None = (
        "server_vad"
    )
    """Who ends a user turn: the server's VAD (documented defaults, or a dict
    of settings such as `{"silence_duration_ms": 500}`), `"semantic_vad"`,
    or `None` for manual turns (`commit()` then `respond()`)."""
    output_audio_format: str | None = None
    """`output_audio_format`; the family's default (`pcm24`, turbo `pcm16`)."""
    tools: list[BaseTool] = Field(default_factory=list)
    """Tools the model may call; each call runs once its arguments are complete."""
    enable_search: bool | None = None
    """Web search in answers (3.5, 3.8); not together with `tools`."""
    search_options: dict[str, Any] | None = None
    """`search_options` sent with `enable_search`."""
    session_kwargs: dict[str, Any] = Field(default_factory=dict)
    """Other `session.update` fields, sent as given (`temperature`, `top_p`,
    `max_tokens`, `seed`, `smooth_output`, ...)."""
    messages: list[BaseMessage] = Field(default_factory=list)
    """The conversation: a history to continue, then every turn of the session
    (`HumanMessage` transcripts, spoken `AIMessage`s, `ToolMessage`s)."""
    default_headers: dict[str, str] | None = None
    """Extra headers of the WebSocket handshake."""
    timeout: float = 10.0
    """Seconds to wait for the connection and each step of the session setup."""
    max_session_seconds: float = SESSION_CAP_SECONDS - _CAP_MARGIN_SECONDS
    """Age of a connection after which the session reconnects at the next quiet
    moment (no speech, answer or tool call), before the API's 120-minute cap."""
    max_reconnects: int = 5
    """Connection attempts after a drop before the session fails."""
    reconnect_backoff: float = 0.5
    """Seconds before the second attempt; doubled each time, at most 8."""
    profile: RealtimeProfile | None = None
    """The model family's capabilities; from the name when None (override for
    models newer than the package)."""

    _engine: RealtimeEngine | None = PrivateAttr(default=None)
    _resampler: PcmResampler = PrivateAttr(default_factory=PcmResampler)
    _audio_lock: asyncio.Lock = PrivateAttr(default_factory=asyncio.Lock)

    # --------------------------------------------------------- validators
    @model_validator(mode="after")
    def _check_qwen_omni_realtime_key(self) -> Self:
        """A key is needed before anything else (as for `ChatQwenOmni`)."""
        require_key(self.api_key)
        return self

    def __init__(self, **data: Any) -> None:
        """Validate the fields, then the settings against the model's profile.

        Raises:
            OmniInputError: For settings the model does not take (tools,
                voice, modalities, turn detection, endpoint), before any
                connection.
        """
        super().__init__(**data)
        self.check_settings()

    def check_settings(self) -> None:
        """Check endpoint, modalities, voice, tools and turns against the profile.

        Raises:
            OmniInputError: Naming the setting, what the model takes, and the fix.
        """
        profile = self.realtime_profile
        check_workspace_domain(self.url, self.model, profile)
        if set(self.modalities) not in _MODALITY_SETS or len(self.modalities) != len(
            set(self.modalities)
        ):
            msg = (
                f"modalities {self.modalities!r} are not supported: use ['text'] "
                "or ['text', 'audio']."
            )
            raise OmniInputError(msg)
        self._check_voice(profile)
        self._check_tools(profile)
        protocol.resolve_turn_detection(self.turn_detection, profile.turn_detection)
        formats = dict(profile.output_formats)
        if self.output_audio_format and self.output_audio_format not in formats:
            logger.warning(
                "output_audio_format %r is not documented for %s (%s); sent anyway.",
                self.output_audio_format,
                self.model,
                ", ".join(formats),
            )

    def _check_voice(self, profile: RealtimeProfile) -> None:
        if self.voice is None or self.voice in profile.voices:
            return
        if profile.voices_complete:
            msg = (
                f"Voice {self.voice!r} is not available on {self.model}: use one "
                f"of {', '.join(profile.voices)}."
            )
            raise OmniInputError(msg)
        logger.warning(
            "Voice %r is not among the voices known for %s; sending it anyway.",
            self.voice,
            self.model,
        )

    def _check_tools(self, profile: RealtimeProfile) -> None:
        if self.tools and not profile.tools:
            msg = (
                f"{self.model} cannot call tools in realtime sessions: use "
                "qwen3.5-omni-plus-realtime, qwen3.5-omni-flash-realtime or "
                "qwen3.8-omni-flash-realtime for tools."
            )
            raise OmniInputError(msg)
        if self.tools and self.enable_search:
            msg = (
                "tools and enable_search cannot be combined in a realtime session: "
                "drop one of them (a search tool of your own works with tools)."
            )
            raise OmniInputError(msg)
        if self.enable_search and not profile.search:
            msg = f"{self.model} has no web search: enable_search needs 3.5 or 3.8."
            raise OmniInputError(msg)
        names = [tool.name for tool in self.tools]
        if len(set(names)) != len(names):
            msg = f"Tool names must be unique, got {names}."
            raise OmniInputError(msg)

    # --------------------------------------------------------- settings
    @property
    def realtime_profile(self) -> RealtimeProfile:
        """The capabilities used for this model: `profile`, else the known family's."""
        return self.profile or get_realtime_profile(self.model)

    @property
    def url(self) -> str:
        """The WebSocket URL the session connects to."""
        return realtime_url(resolve_base_url(self.base_url, self.region), self.model)

    @property
    def output_sample_rate(self) -> int:
        """Sample rate of the answers' speech (24 kHz unless the format says so)."""
        return self.realtime_profile.output_sample_rate(self.output_audio_format)

    def session_config(self) -> dict[str, Any]:
        """The `session` object of `session.update`, history included."""
        profile = self.realtime_profile
        session: dict[str, Any] = {
            "modalities": list(self.modalities),
            "voice": self.voice or profile.default_voice,
            "input_audio_format": profile.input_audio_format,
            "output_audio_format": self.output_audio_format
            or profile.default_output_format,
            "turn_detection": protocol.resolve_turn_detection(
                self.turn_detection, profile.turn_detection
            ),
        }
        if instructions := history_instructions(self.instructions, self.messages):
            session["instructions"] = instructions
        if self.tools:
            session["tools"] = tool_specs(self.tools)
        if self.enable_search is not None:
            session["enable_search"] = self.enable_search
            if self.search_options:
                session["search_options"] = dict(self.search_options)
        session.update(self.session_kwargs)
        return session

    def _headers(self) -> dict[str, str]:
        key = self.api_key.get_secret_value() if self.api_key else ""
        return {**(self.default_headers or {}), "Authorization": f"Bearer {key}"}

    # --------------------------------------------------------- lifecycle
    async def __aenter__(self) -> Self:
        """Connect, configure the session and start receiving.

        Raises:
            OmniRealtimeError: When the server refuses the key or the settings.
            OmniRealtimeConnectionError: When the endpoint cannot be reached.
        """
        if self._engine is not None:
            msg = "This QwenOmniRealtime session is already open."
            raise OmniRealtimeError(msg)
        self.check_settings()  # fields may have changed since construction
        turns = protocol.resolve_turn_detection(
            self.turn_detection, self.realtime_profile.turn_detection
        )
        dispatcher = EventDispatcher(
            model=self.model,
            messages=self.messages,
            sample_rate=self.output_sample_rate,
            barge_in=turns is not None and turns.get("interrupt_response") is not False,
        )
        engine = RealtimeEngine(
            url=self.url,
            headers=self._headers(),
            session_config=self.session_config,
            dispatcher=dispatcher,
            tools={tool.name: tool for tool in self.tools},
            timeout=self.timeout,
            max_session_seconds=self.max_session_seconds,
            max_reconnects=self.max_reconnects,
            reconnect_backoff=self.reconnect_backoff,
        )
        await engine.start()
        self._engine = engine
        self._resampler = PcmResampler()
        self._audio_lock = asyncio.Lock()  # of this event loop
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """End the session (`session.finish`) and close the connection."""
        await self.aclose()

    async def aclose(self) -> None:
        """End the session and close the connection; safe to call twice."""
        engine, self._engine = self._engine, None
        if engine is not None:
            await engine.close()

    def __aiter__(self) -> AsyncIterator[RealtimeEvent]:
        """Iterate over the session's events until it ends."""
        return self._live().events()

    async def __anext__(self) -> RealtimeEvent:
        """The next event: speech, transcripts, audio, answers, tool calls, errors.

        Raises:
            StopAsyncIteration: When the session ended.
            OmniRealtimeError: When it failed and cannot go on.
        """
        return await self._live().next_event()

    def _live(self) -> RealtimeEngine:
        if self._engine is None:
            msg = (
                "The session is not open: use "
                "`async with QwenOmniRealtime(...) as session:`."
            )
            raise OmniRealtimeError(msg)
        return self._engine

    # --------------------------------------------------------- input
    async def send_audio(
        self,
        audio: Any,
        sample_rate: int | None = None,
        *,
        channels: int = 1,
        pace: float | None = None,
    ) -> float:
        """Send speech: resampled to 16 kHz mono PCM16, in 100 ms appends.

        Args:
            audio: PCM16 bytes (with `sample_rate`), numpy samples (with
                `sample_rate`), an `OmniAudio`, a sound file path or bytes, or
                an `audio_block(...)`.
            sample_rate: Samples per second of raw bytes and arrays.
            channels: Interleaved channels of raw bytes.
            pace: Send at this multiple of real time (1.0 like a microphone);
                `None` sends as fast as the connection takes it.

        Returns:
            Seconds of audio sent.

        Raises:
            OmniInputError: For audio that cannot be read (before sending).
            OmniRealtimeError: When the session has ended.
        """
        self._live()
        async with self._audio_lock:  # pieces of concurrent calls must not mix
            # decoding and resampling an hour of audio must not stall the loop
            pcm = await asyncio.to_thread(
                self._to_input_pcm, audio, sample_rate, channels
            )
            await self._send_pcm(pcm, pace)
        return len(pcm) / (2 * INPUT_SAMPLE_RATE)

    def _to_input_pcm(
        self, audio: Any, sample_rate: int | None, channels: int
    ) -> bytes:
        samples, rate = read_audio(audio, sample_rate, channels)
        return self._resampler.push(samples, rate)

    async def _send_pcm(self, pcm: bytes, pace: float | None) -> None:
        engine = self._live()
        start = time.monotonic()
        sent = 0.0
        for piece in split_pieces(pcm):
            sent += len(piece) / (2 * INPUT_SAMPLE_RATE)
            # like a microphone, a piece exists once it was spoken; unpaced,
            # still let other tasks run between pieces (a long file is many)
            delay = start + sent / pace - time.monotonic() if pace else 0.0
            await asyncio.sleep(max(delay, 0.0))
            await engine.send(protocol.audio_append(piece))

    async def end_turn(self, *, pace: float | None = None) -> None:
        """Tell the server the user finished speaking.

        With server VAD, sends the silence that ends a turn (the VAD's
        `silence_duration_ms` and a little more); with manual turns, commits
        the audio and asks for an answer.
        """
        turns = protocol.resolve_turn_detection(
            self.turn_detection, self.realtime_profile.turn_detection
        )
        if turns is None:
            await self.commit()
            await self.respond()
            return
        silence_ms = int(turns.get("silence_duration_ms") or _SEMANTIC_END_SILENCE_MS)
        silence = bytes(
            (silence_ms + _END_TURN_SILENCE_MS) * INPUT_SAMPLE_RATE * 2 // 1000
        )
        async with self._audio_lock:
            await self._send_pcm(silence, pace)

    async def send_image(self, image: Any) -> None:
        """Send one camera frame (about one per second) with the speech it goes with.

        Args:
            image: JPEG bytes or path, or a numpy array / PIL image (encoded
                to fit 1080p and 256 KB of base64; the `images` extra).

        Raises:
            OmniInputError: Before any audio was sent on this connection (the
                API takes frames only after audio), or for a frame outside the
                documented limits.
        """
        engine = self._live()
        if not engine.audio_started:
            msg = (
                "send_image needs audio first: the API takes camera frames only "
                "after audio has started. Call send_audio(...) before send_image(...)."
            )
            raise OmniInputError(msg)
        jpeg = await asyncio.to_thread(prepare_image, image)
        await engine.send(protocol.image_append(jpeg))

    async def commit(self) -> None:
        """Manual turns: the audio (and frames) sent so far become a user turn."""
        await self._live().send(protocol.audio_commit())

    async def respond(self) -> None:
        """Manual turns: ask for an answer to the committed turns."""
        await self._live().send(protocol.response_create())

    async def cancel(self) -> None:
        """Stop the answer in progress (it ends with status `cancelled`)."""
        await self._live().send(protocol.response_cancel())

    async def clear_audio(self) -> None:
        """Drop the audio sent but not yet committed."""
        await self._live().send(protocol.audio_clear())

    # --------------------------------------------------------- output
    async def next_answer(self, timeout: float | None = None) -> AIMessage:
        """Consume events until the next spoken (or text) answer; return its message.

        Answers that only call tools are skipped: their results go back to the
        model and the answer after them is returned. An interrupted answer is
        returned as it is (`response_metadata["interrupted"]`).

        Raises:
            asyncio.TimeoutError: When no answer came within `timeout` seconds.
            OmniRealtimeError: When the session ended first.
        """
        return await asyncio.wait_for(self._next_answer(), timeout)

    async def _next_answer(self) -> AIMessage:
        async for event in self:
            if isinstance(event, ResponseDone) and not event.has_tool_calls:
                return event.message
        msg = "The realtime session ended before an answer."
        raise OmniRealtimeError(msg)

    @property
    def session_id(self) -> str | None:
        """The server's id of the current connection's session."""
        engine = self._engine
        return (
            None
            if engine is None
            else protocol.string_field(engine.dispatcher.session, "id")
        )

    @property
    def server_session(self) -> dict[str, Any]:
        """The session configuration the server last confirmed (`session.updated`)."""
        engine = self._engine
        return {} if engine is None else dict(engine.dispatcher.session)
