"""A sound card for tests: records what is played, plays back a tone as "microphone".

Implements `langchain_qwen_omni.playback.AudioDevice`; CI has no audio device.

    device = FakeDevice()
    play_stream(model.stream("hi"), device=device)
    device.outputs[0].pcm          # every byte written, in order
    device.outputs[0].closed       # "drained" or "aborted"
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["FakeDevice", "FakeInput", "FakeOutput", "tone_pcm"]


def tone_pcm(frames: int, sample_rate: int, channels: int = 1, start: int = 0) -> bytes:
    """Frames `start` to `start + frames` of a 440 Hz int16 tone, on every channel."""
    t = np.arange(start, start + frames) / sample_rate
    mono = (np.sin(2 * np.pi * 440 * t) * 8000).astype("<i2")
    return np.repeat(mono[:, None], channels, axis=1).tobytes()


class FakeOutput:
    """Keeps every write; notes how and on which thread it was closed."""

    def __init__(self, sample_rate: int, channels: int) -> None:
        self.sample_rate = sample_rate
        self.channels = channels
        self.pieces: list[bytes] = []
        self.closed: str | None = None
        self.close_thread: threading.Thread | None = None
        self.on_write: Callable[[bytes], object] | None = None
        """Called with each piece as it is written, if set."""

    def write(self, pcm: bytes) -> None:
        assert self.closed is None, "write after close"
        self.pieces.append(bytes(pcm))
        if self.on_write is not None:
            self.on_write(pcm)

    def close(self, *, drain: bool = True) -> None:
        self.closed = "drained" if drain else "aborted"
        self.close_thread = threading.current_thread()

    @property
    def pcm(self) -> bytes:
        return b"".join(self.pieces)


class FakeInput:
    """Hands out a continuous tone, one `read` at a time."""

    def __init__(self, sample_rate: int, channels: int) -> None:
        self.sample_rate = sample_rate
        self.channels = channels
        self.reads: list[int] = []
        self.closed = False
        self._position = 0

    def read(self, frames: int) -> bytes:
        self.reads.append(frames)
        pcm = tone_pcm(frames, self.sample_rate, self.channels, self._position)
        self._position += frames
        return pcm

    def close(self) -> None:
        self.closed = True


class FakeDevice:
    """Opens fake streams and keeps them for the test to inspect."""

    def __init__(self) -> None:
        self.outputs: list[FakeOutput] = []
        self.inputs: list[FakeInput] = []

    def open_output(self, sample_rate: int, channels: int) -> FakeOutput:
        output = FakeOutput(sample_rate, channels)
        self.outputs.append(output)
        return output

    def open_input(self, sample_rate: int, channels: int) -> FakeInput:
        source = FakeInput(sample_rate, channels)
        self.inputs.append(source)
        return source

    @property
    def played(self) -> list[FakeOutput]:
        """Outputs that received sound (an availability probe receives none)."""
        return [output for output in self.outputs if output.pieces]
