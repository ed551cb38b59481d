"""`qwen-omni talk`: a spoken conversation in the terminal, from a file or a microphone.

A question in a sound file is streamed to a realtime session (at real-time
pace, as if spoken, or faster with `fast`), both transcripts print as they
come, and the answer is saved (`output`) or played. Without a file, the
microphone is the input and answers play as they stream, stopping when the
user speaks over them. Microphone and speaker need `sounddevice` (the
`playback` extra), imported only then.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import sys
from typing import TYPE_CHECKING, Any

from langchain_qwen_omni.audio import OmniAudio
from langchain_qwen_omni.errors import OmniInputError

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path
    from types import ModuleType

    from langchain_qwen_omni.realtime import QwenOmniRealtime, RealtimeEvent

__all__ = ["TalkSettings", "run_talk"]

_MIC_RATE = 16_000
_MIC_BLOCK = 1_600  # 100 ms


@dataclasses.dataclass
class TalkSettings:
    """What `qwen-omni talk` was asked to do."""

    input: Path | None = None
    """A sound file holding the question; `None` listens to the microphone."""
    output: Path | None = None
    """Where to save the answers' speech; `None` plays it."""
    fast: bool = False
    """Stream the file as fast as possible instead of at real-time pace."""
    model: str | None = None
    voice: str | None = None
    instructions: str | None = None
    turns: int | None = None
    """Stop after this many answers; 1 with a file, no limit with the microphone."""


@dataclasses.dataclass
class _Heard:
    """The speech played or kept so far."""

    pcm: bytearray = dataclasses.field(default_factory=bytearray)
    sample_rate: int = 24_000


@dataclasses.dataclass(frozen=True)
class _Devices:
    """`sounddevice` where it plays the answer and where it listens, if at all."""

    speaker: ModuleType | None
    microphone: ModuleType | None


def _sounddevice(why: str) -> ModuleType:
    """Import `sounddevice` as playback does, or explain which extra brings it.

    Raises:
        OmniInputError: When it is not installed.
        OmniDeviceError: When PortAudio, which it loads, is missing.
    """
    from langchain_qwen_omni.playback import _sounddevice  # noqa: PLC0415

    try:
        module: ModuleType = _sounddevice()
    except ModuleNotFoundError as exc:
        msg = f'{why} needs sounddevice: pip install "langchain-qwen-omni[playback]".'
        raise OmniInputError(msg) from exc
    return module


def run_talk(
    settings: TalkSettings,
    connection: dict[str, Any],
    *,
    write: Callable[[str], None] | None = None,
    note: Callable[[str], None] | None = None,
) -> OmniAudio:
    """Hold the conversation; return the speech of the answers.

    Args:
        settings: The command's options.
        connection: `base_url`, `region`, `api_key` for `QwenOmniRealtime`.
        write: Where transcripts go (stdout by default).
        note: Where status lines go (stderr by default).

    Raises:
        OmniInputError: For a missing input or no way to hear the answer.
        OmniRealtimeError: When the session fails.
    """
    out = write or _stdout
    err = note or _stderr
    speaker = None
    if settings.output is None:
        speaker = _sounddevice("Playing the answer (no --output given)")
    microphone = (
        None
        if settings.input is not None
        else _sounddevice("Listening to the microphone (no --input given)")
    )
    heard = _Heard()
    try:
        devices = _Devices(speaker, microphone)
        asyncio.run(_talk(settings, connection, out, heard, devices))
    except KeyboardInterrupt:  # Ctrl+C ends a microphone session: keep what was said
        err("\nStopped.\n")
    audio = OmniAudio(pcm=bytes(heard.pcm), sample_rate=heard.sample_rate)
    if settings.output is not None:
        settings.output.parent.mkdir(parents=True, exist_ok=True)
        audio.save(settings.output)
        err(
            f"Saved {audio.duration:.2f} s of speech ({audio.sample_rate} Hz, mono) "
            f"to {settings.output}\n"
        )
    return audio


def _stdout(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


def _stderr(text: str) -> None:
    sys.stderr.write(text)
    sys.stderr.flush()


async def _talk(
    settings: TalkSettings,
    connection: dict[str, Any],
    out: Callable[[str], None],
    heard: _Heard,
    devices: _Devices,
) -> None:
    from langchain_qwen_omni.realtime import QwenOmniRealtime  # noqa: PLC0415

    fields: dict[str, Any] = {**connection}
    for name in ("model", "voice", "instructions"):
        if (value := getattr(settings, name)) is not None:
            fields[name] = value
    session = QwenOmniRealtime(**fields)
    heard.sample_rate = session.output_sample_rate
    speaker = _Speaker(devices.speaker, heard.sample_rate) if devices.speaker else None
    limit = (
        settings.turns
        if settings.turns is not None
        else (1 if settings.input else None)
    )
    async with session:
        sender = asyncio.create_task(_speak(session, settings, devices.microphone))
        try:
            await _listen(session, out, heard, speaker, limit)
        finally:
            sender.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sender
            if speaker is not None:
                await speaker.close()


async def _speak(
    session: QwenOmniRealtime, settings: TalkSettings, microphone: ModuleType | None
) -> None:
    """Send the question: the file (then the silence that ends a turn), or the mic."""
    if settings.input is not None:
        pace = None if settings.fast else 1.0
        await session.send_audio(settings.input, pace=pace)
        await session.end_turn(pace=pace)
        return
    assert microphone is not None  # noqa: S101  # run_talk imported it
    loop = asyncio.get_running_loop()
    chunks: asyncio.Queue[bytes] = asyncio.Queue()

    def captured(data: Any, frames: int, time: Any, status: Any) -> None:
        del frames, time, status
        loop.call_soon_threadsafe(chunks.put_nowait, bytes(data))

    with microphone.RawInputStream(
        samplerate=_MIC_RATE,
        channels=1,
        dtype="int16",
        blocksize=_MIC_BLOCK,
        callback=captured,
    ):
        while True:
            await session.send_audio(await chunks.get(), _MIC_RATE)


async def _listen(
    session: QwenOmniRealtime,
    out: Callable[[str], None],
    heard: _Heard,
    speaker: _Speaker | None,
    limit: int | None,
) -> None:
    """Print both transcripts live, keep or play the speech, count the answers."""
    listener = _Listener(out, heard, speaker)
    async for event in session:
        listener.on(event)
        if limit is not None and listener.answers >= limit:
            return


class _Listener:
    """What the terminal does with each event."""

    def __init__(
        self, out: Callable[[str], None], heard: _Heard, speaker: _Speaker | None
    ) -> None:
        from langchain_qwen_omni.realtime import (  # noqa: PLC0415
            AssistantAudio,
            AssistantTranscriptDelta,
            ErrorEvent,
            ResponseDone,
            SpeechStarted,
            UserTranscriptCompleted,
            UserTranscriptDelta,
        )

        self.out = out
        self.heard = heard
        self.speaker = speaker
        self.answers = 0
        self.speaking = False
        self.hearing = False
        self._handlers: dict[type, Callable[[Any], None]] = {
            UserTranscriptDelta: self._user_delta,
            UserTranscriptCompleted: self._user,
            AssistantTranscriptDelta: self._text,
            AssistantAudio: self._audio,
            SpeechStarted: self._barge_in,
            ErrorEvent: self._error,
            ResponseDone: self._done,
        }

    def on(self, event: RealtimeEvent) -> None:
        handler = self._handlers.get(type(event))
        if handler is not None:
            handler(event)

    def _user_delta(self, event: Any) -> None:
        if not self.hearing:
            self.out("You: ")
            self.hearing = True
        self.out(event.delta)

    def _user(self, event: Any) -> None:
        if self.hearing:  # the live transcript was printed: end its line
            self.out("\n")
            self.hearing = False
        else:
            self.out(f"You: {event.transcript}\n")

    def _text(self, event: Any) -> None:
        if not self.speaking:
            self.out("Qwen: ")
            self.speaking = True
        self.out(event.delta)

    def _audio(self, event: Any) -> None:
        self.heard.pcm += event.pcm
        if self.speaker is not None:
            self.speaker.play(event.pcm)

    def _barge_in(self, event: Any) -> None:
        if event.interrupted_response and self.speaker is not None:
            self.speaker.stop()

    def _error(self, event: Any) -> None:
        _stderr(f"Server error: {event.message}\n")

    def _done(self, event: Any) -> None:
        if event.has_tool_calls:
            return
        if self.speaking:
            self.out(" [interrupted]\n" if event.interrupted else "\n")
            self.speaking = False
        self.answers += 1


class _Speaker:
    """Plays PCM as it arrives, off the event loop; `stop()` drops what is queued."""

    def __init__(self, sounddevice: ModuleType, sample_rate: int) -> None:
        self._stream = sounddevice.RawOutputStream(
            samplerate=sample_rate, channels=1, dtype="int16"
        )
        self._stream.start()
        self._queue: asyncio.Queue[bytes] = asyncio.Queue()
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while True:
            pcm = await self._queue.get()
            await asyncio.to_thread(self._stream.write, pcm)
            self._queue.task_done()

    def play(self, pcm: bytes) -> None:
        self._queue.put_nowait(pcm)

    def stop(self) -> None:
        """Barge-in: forget the speech not yet handed to the device."""
        while not self._queue.empty():
            self._queue.get_nowait()
            self._queue.task_done()

    async def close(self) -> None:
        """Let the queued speech play out, then close the device."""
        await self._queue.join()
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._stream.stop()
        self._stream.close()
