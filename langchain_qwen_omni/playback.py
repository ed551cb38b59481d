"""Hear and record speech: play `OmniAudio`, play a live stream, record a question.

Needs the `playback` extra (`sounddevice`, which wraps PortAudio). Everything
that touches a sound card sits behind `AudioDevice`, a two-method seam:
`SoundDevice` is the real one, and tests (or an app with its own audio
stack) pass any object with the same methods as `device=`.

Output streams are fed without blocking: pieces go into a FIFO that the
device's callback drains in real time, so `play_stream` keeps reading the
answer while earlier speech plays, and an `astream` loop never stalls on
the sound card.

Example:
    ```python
    from langchain_qwen_omni import ChatQwenOmni, audio_block
    from langchain_qwen_omni.playback import play_stream, record

    speaker = ChatQwenOmni(modalities=["text", "audio"])
    question = record(seconds=5)                   # from the microphone
    audio = play_stream(speaker.stream([("user", [audio_block(question)])]))
    audio.save("answer.wav")                       # what was heard
    ```
"""

from __future__ import annotations

import asyncio
import collections
import collections.abc
import dataclasses
import math
import sys
import threading
from typing import TYPE_CHECKING, Any, Protocol, overload

from langchain_qwen_omni._extras import require
from langchain_qwen_omni.audio import (
    OMNI_CHANNELS,
    OMNI_SAMPLE_RATE,
    OmniAudio,
    aiter_pcm,
    iter_pcm,
)
from langchain_qwen_omni.errors import OmniInputError, QwenOmniError

if TYPE_CHECKING:
    from collections.abc import (
        AsyncIterable,
        AsyncIterator,
        Awaitable,
        Iterable,
        Iterator,
    )

    from langchain_core.messages import BaseMessage

__all__ = [
    "INSTALL_HINT",
    "AudioDevice",
    "InputStream",
    "OmniDeviceError",
    "OutputStream",
    "PcmFifo",
    "SoundDevice",
    "default_device",
    "play_audio",
    "play_stream",
    "probe_output",
    "record",
]

INSTALL_HINT = 'pip install "langchain-qwen-omni[playback]"'
"""The line that installs what playback and recording need."""

_SAMPLE_BYTES = 2
_READ_SECONDS = 0.1  # recording reads in blocks this long
_DRAIN_MARGIN_SECONDS = 2.0  # beyond the queued speech, for the device's latency
_MAX_RECORD_SECONDS = 3600.0


class OmniDeviceError(QwenOmniError, OSError):
    """No sound device could be opened: no PortAudio library, or no device."""


class OutputStream(Protocol):
    """A sound output that takes int16 PCM and plays it in real time."""

    def write(self, pcm: bytes) -> None:
        """Queue whole samples to play; must return without waiting for them."""

    def close(self, *, drain: bool = True) -> None:
        """Release the device; with `drain`, after what is queued has played."""


class InputStream(Protocol):
    """A sound input that yields int16 PCM as it is captured."""

    def read(self, frames: int) -> bytes:
        """Wait for `frames` frames and return their samples."""

    def close(self) -> None:
        """Stop capturing and release the device."""


class AudioDevice(Protocol):
    """Opens output and input streams; the seam between this module and PortAudio."""

    def open_output(self, sample_rate: int, channels: int) -> OutputStream:
        """An output stream at `sample_rate` with `channels` interleaved channels."""

    def open_input(self, sample_rate: int, channels: int) -> InputStream:
        """An input stream at `sample_rate` with `channels` interleaved channels."""


# ------------------------------------------------------------------- FIFO
class PcmFifo:
    """Bytes queued by a writer and taken in fixed sizes by a device callback.

    Thread-safe: the writer is the caller's thread, the reader PortAudio's.
    A take past the end pads with silence, so an answer arriving slower than
    real time plays with gaps instead of failing.
    """

    __slots__ = ("_empty", "_lock", "_offset", "_pieces", "_queued")

    def __init__(self) -> None:
        """Start empty."""
        self._pieces: collections.deque[bytes] = collections.deque()
        self._offset = 0  # bytes of the first piece already taken
        self._queued = 0
        self._lock = threading.Lock()
        self._empty = threading.Event()
        self._empty.set()

    @property
    def queued(self) -> int:
        """Bytes waiting to be taken."""
        return self._queued

    def put(self, data: bytes) -> None:
        """Queue `data` (no copy)."""
        if not data:
            return
        with self._lock:
            self._pieces.append(data)
            self._queued += len(data)
            self._empty.clear()

    def take(self, size: int) -> bytes:
        """Exactly `size` bytes: the oldest queued, then zeros if too few."""
        out = bytearray()
        with self._lock:
            while len(out) < size and self._pieces:
                piece = self._pieces[0]
                end = min(len(piece), self._offset + size - len(out))
                out += piece[self._offset : end]
                if end == len(piece):
                    self._pieces.popleft()
                    self._offset = 0
                else:
                    self._offset = end
            self._queued -= len(out)
            if not self._pieces:
                self._empty.set()
        if len(out) < size:
            out += bytes(size - len(out))
        return bytes(out)

    def wait_empty(self, timeout: float) -> bool:
        """Wait until everything queued was taken; False on timeout."""
        return self._empty.wait(timeout)


# ------------------------------------------------------------ sounddevice
def _sounddevice() -> Any:
    """Import sounddevice, or say which install line or library is missing.

    Raises:
        ModuleNotFoundError: Without the `playback` extra.
        OmniDeviceError: When PortAudio, which sounddevice loads, is missing.
    """
    try:
        require("playback", "sounddevice")  # a one-line install hint when missing
    except OSError as exc:  # the extra is there, the PortAudio library is not
        msg = (
            f"Cannot play or record sound: {exc}. Install PortAudio "
            "(Debian/Ubuntu: apt-get install libportaudio2; the macOS and "
            "Windows wheels of sounddevice bundle it)."
        )
        raise OmniDeviceError(msg) from exc
    return sys.modules["sounddevice"]


def _device_error(exc: Exception, what: str) -> OmniDeviceError:
    msg = (
        f"Cannot open the {what} sound device: {exc}. Check that one is "
        "connected and not in use (python -m sounddevice lists them)."
    )
    return OmniDeviceError(msg)


class _SoundDeviceOutput:
    """A PortAudio output stream whose callback drains a `PcmFifo`."""

    def __init__(self, sd: Any, sample_rate: int, channels: int) -> None:
        self._fifo = PcmFifo()
        self._rate = sample_rate
        self._frame_bytes = _SAMPLE_BYTES * channels
        try:
            self._stream = sd.RawOutputStream(
                samplerate=sample_rate,
                channels=channels,
                dtype="int16",
                callback=self._callback,
            )
            self._stream.start()
        except sd.PortAudioError as exc:
            raise _device_error(exc, "output") from exc

    def _callback(self, outdata: Any, frames: int, time: Any, status: Any) -> None:
        del time, status  # an underrun plays silence, which take() already pads
        outdata[:] = self._fifo.take(frames * self._frame_bytes)

    def write(self, pcm: bytes) -> None:
        self._fifo.put(pcm)

    def close(self, *, drain: bool = True) -> None:
        stopped = False
        try:
            if drain:
                seconds = self._fifo.queued / (self._frame_bytes * self._rate)
                self._fifo.wait_empty(seconds + _DRAIN_MARGIN_SECONDS)
                self._stream.stop()  # returns once PortAudio's buffer has played
                stopped = True
        finally:
            if not stopped:  # an error, or Ctrl+C while waiting: silence at once
                self._stream.abort()
            self._stream.close()


class _SoundDeviceInput:
    """A PortAudio input stream read in blocking steps."""

    def __init__(self, sd: Any, sample_rate: int, channels: int) -> None:
        try:
            self._stream = sd.RawInputStream(
                samplerate=sample_rate, channels=channels, dtype="int16"
            )
            self._stream.start()
        except sd.PortAudioError as exc:
            raise _device_error(exc, "input") from exc

    def read(self, frames: int) -> bytes:
        data, _overflowed = self._stream.read(frames)
        return bytes(data)

    def close(self) -> None:
        self._stream.stop()
        self._stream.close()


class SoundDevice:
    """The system's default output and input, through `sounddevice` (PortAudio)."""

    def open_output(self, sample_rate: int, channels: int) -> OutputStream:
        """Open and start the default output.

        Raises:
            ModuleNotFoundError: Without the `playback` extra.
            OmniDeviceError: Without PortAudio or an output device.
        """
        return _SoundDeviceOutput(_sounddevice(), sample_rate, channels)

    def open_input(self, sample_rate: int, channels: int) -> InputStream:
        """Open and start the default input (the microphone).

        Raises:
            ModuleNotFoundError: Without the `playback` extra.
            OmniDeviceError: Without PortAudio or an input device.
        """
        return _SoundDeviceInput(_sounddevice(), sample_rate, channels)


def default_device() -> AudioDevice:
    """The device used when a function is given none: the system's, via sounddevice."""
    return SoundDevice()


def probe_output(device: AudioDevice | None = None) -> AudioDevice:
    """Open the output once and close it: check before a request is spent.

    `play_stream` opens the device at the first piece of speech, after the
    answer has begun; an app that would rather skip playback than lose an
    answer checks first.

    Returns:
        The device, known to open.

    Raises:
        ModuleNotFoundError: Without the `playback` extra (with its install line).
        OmniDeviceError: Without PortAudio or an output device.
    """
    found = device or default_device()
    found.open_output(OMNI_SAMPLE_RATE, OMNI_CHANNELS).close(drain=False)
    return found


# ---------------------------------------------------------------- playing
def play_audio(audio: OmniAudio, *, device: AudioDevice | None = None) -> None:
    """Play speech and wait until it has been heard (`OmniAudio.play`).

    Raises:
        ModuleNotFoundError: Without the `playback` extra (with its install line).
        OmniDeviceError: Without PortAudio or an output device.
    """
    output = (device or default_device()).open_output(audio.sample_rate, audio.channels)
    drain = False
    try:
        output.write(audio.pcm)
        drain = True
    finally:
        output.close(drain=drain)


class _LivePlayback:
    """Plays PCM pieces as they come, and keeps the chunks they came in.

    The device opens at the first piece of speech, so a text-only answer
    never touches the sound card. The played pieces are not kept: the
    answer's speech is taken from the chunks at the end, which for this
    package's chunks is the stream's own buffer, without a copy. Sync and
    async `play_stream` share it.
    """

    def __init__(self, device: AudioDevice | None) -> None:
        self._device = device
        self._output: OutputStream | None = None
        self._chunks: list[BaseMessage] = []

    def noted(self, chunks: Iterable[BaseMessage]) -> Iterator[BaseMessage]:
        """Pass chunks through, keeping them."""
        for chunk in chunks:
            self._chunks.append(chunk)
            yield chunk

    async def anoted(
        self, chunks: AsyncIterable[BaseMessage]
    ) -> AsyncIterator[BaseMessage]:
        """`noted` for an async stream."""
        async for chunk in chunks:
            self._chunks.append(chunk)
            yield chunk

    @property
    def opened(self) -> bool:
        return self._output is not None

    def open(self) -> None:
        device = self._device or default_device()
        self._output = device.open_output(OMNI_SAMPLE_RATE, OMNI_CHANNELS)

    def play(self, pcm: bytes) -> None:
        if self._output is None:
            self.open()
        self._output.write(pcm)  # type: ignore[union-attr]  # opened above

    def close(self, *, drain: bool) -> None:
        """Let the device finish (or stop it at once, after an error)."""
        if self._output is not None:
            self._output.close(drain=drain)

    def audio(self) -> OmniAudio:
        """The speech of the chunks: what was played (a cut last byte left out)."""
        audio = OmniAudio.from_chunks(self._chunks)
        if len(audio.pcm) % _SAMPLE_BYTES:  # foreign chunks only: never played
            audio = dataclasses.replace(audio, pcm=audio.pcm[:-1])
        return audio


@overload
def play_stream(
    chunks: Iterable[BaseMessage], *, device: AudioDevice | None = None
) -> OmniAudio: ...


@overload
def play_stream(
    chunks: AsyncIterable[BaseMessage], *, device: AudioDevice | None = None
) -> Awaitable[OmniAudio]: ...


def play_stream(
    chunks: Iterable[BaseMessage] | AsyncIterable[BaseMessage],
    *,
    device: AudioDevice | None = None,
) -> OmniAudio | Awaitable[OmniAudio]:
    """Play a streamed answer's speech as its chunks arrive; return all of it.

    Give it `model.stream(...)` and it returns once the speech has been
    heard; give it `model.astream(...)` and await it. Each piece plays the
    moment it arrives (pieces decode to whole samples), and writing never
    waits for the sound card. If the stream fails, playback stops at once
    and the error propagates (`OmniStreamError.partial` holds what was
    received).

    Args:
        chunks: The chunks of `stream()` or `astream()` of a model asked for
            speech (`modalities=["text", "audio"]`), or any chunks carrying it.
        device: Where to play; the system's default output when None.

    Returns:
        The whole speech as `OmniAudio` (its transcript is the answer's text),
        or an awaitable of it for an async stream.

    Raises:
        ModuleNotFoundError: Without the `playback` extra (with its install line).
        OmniDeviceError: Without PortAudio or an output device.
    """
    if isinstance(chunks, collections.abc.AsyncIterable):
        return _aplay_stream(chunks, device)
    live = _LivePlayback(device)
    drain = False
    try:
        for pcm in iter_pcm(live.noted(chunks)):
            live.play(pcm)
        drain = True
    finally:
        live.close(drain=drain)
    return live.audio()


async def _aplay_stream(
    chunks: AsyncIterable[BaseMessage], device: AudioDevice | None
) -> OmniAudio:
    """`play_stream` over `astream`: opening and draining run off the event loop."""
    live = _LivePlayback(device)
    drain = False
    try:
        async for pcm in aiter_pcm(live.anoted(chunks)):
            if not live.opened:
                await asyncio.to_thread(live.open)
            live.play(pcm)
        drain = True
    finally:
        await asyncio.to_thread(live.close, drain=drain)
    return live.audio()


# -------------------------------------------------------------- recording
def record(
    seconds: float,
    *,
    sample_rate: int = 16_000,
    channels: int = 1,
    device: AudioDevice | None = None,
) -> OmniAudio:
    """Record from the microphone for `seconds`; the result works with `audio_block`.

    Args:
        seconds: How long to record (more than 0, at most an hour).
        sample_rate: Samples per second; 16 kHz suits speech questions.
        channels: 1 (mono) or 2.
        device: Where to record from; the system's default input when None.

    Returns:
        The recording as `OmniAudio` (int16 PCM, no transcript):
        `audio_block(recording)` sends it as WAV.

    Raises:
        OmniInputError: For a duration, rate or channel count out of range.
        ModuleNotFoundError: Without the `playback` extra (with its install line).
        OmniDeviceError: Without PortAudio or an input device.
    """
    _check_recording(seconds, sample_rate, channels)
    total = round(seconds * sample_rate)
    step = max(1, round(_READ_SECONDS * sample_rate))
    captured = bytearray()
    source = (device or default_device()).open_input(sample_rate, channels)
    try:
        frames = 0
        while frames < total:
            want = min(step, total - frames)
            captured += source.read(want)
            frames += want
    finally:
        source.close()
    return OmniAudio(pcm=bytes(captured), sample_rate=sample_rate, channels=channels)


def _check_recording(seconds: float, sample_rate: int, channels: int) -> None:
    if not (
        isinstance(seconds, (int, float))
        and math.isfinite(seconds)
        and 0 < seconds <= _MAX_RECORD_SECONDS
    ):
        msg = (
            f"record(seconds={seconds!r}): give a duration above 0 and at most "
            f"{_MAX_RECORD_SECONDS:.0f} seconds, e.g. record(seconds=5)."
        )
        raise OmniInputError(msg)
    if not isinstance(sample_rate, int) or sample_rate <= 0:
        msg = (
            f"record(sample_rate={sample_rate!r}): give a positive whole number "
            "of samples per second, e.g. 16000."
        )
        raise OmniInputError(msg)
    if channels not in (1, 2):
        msg = f"record(channels={channels!r}): record 1 (mono) or 2 channels."
        raise OmniInputError(msg)
