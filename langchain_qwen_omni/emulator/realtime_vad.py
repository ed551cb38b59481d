"""Energy-based voice activity detection on 16 kHz PCM16, with the API's settings.

Not the service's model, but the same knobs with the same meaning: a
`threshold` in [-1, 1] (lower hears quieter sounds), `prefix_padding_ms` of
audio kept before the detected start, and `silence_duration_ms` of quiet
that ends a turn. Times are positions in the audio received, so a client
streaming faster than real time gets the same turns as one that does not.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

__all__ = ["FRAME_MS", "EnergyVad", "VadEvent", "level_dbfs"]

FRAME_MS = 20
"""Analysis frame length."""
SAMPLE_RATE = 16_000
_FRAME_BYTES = SAMPLE_RATE * 2 * FRAME_MS // 1000
_START_FRAMES = 3
"""Consecutive loud frames (60 ms) that make speech: clicks do not."""
_FLOOR_DBFS = -50.0
_DBFS_PER_UNIT = 20.0


def level_dbfs(threshold: float) -> float:
    """The frame level (dBFS RMS) a threshold stands for: 0.5 is -40 dBFS."""
    return _FLOOR_DBFS + _DBFS_PER_UNIT * threshold


@dataclasses.dataclass(frozen=True)
class VadEvent:
    """Speech started or stopped, at a position in the received audio."""

    kind: str
    """`"started"` or `"stopped"`."""
    ms: int
    """Milliseconds from the first audio of the session."""


class EnergyVad:
    """Frame-energy speech detector fed piece by piece; keeps partial frames."""

    def __init__(
        self,
        threshold: float = 0.5,
        prefix_padding_ms: int = 300,
        silence_duration_ms: int = 800,
    ) -> None:
        """Set the documented knobs."""
        self.cutoff = level_dbfs(threshold)
        self.prefix_padding_ms = prefix_padding_ms
        self.silence_frames = max(1, math.ceil(silence_duration_ms / FRAME_MS))
        self.speaking = False
        self.speech_start_ms = 0
        self._frames = 0
        self._loud_run = 0
        self._quiet_run = 0
        self._last_loud_end_ms = 0
        self._carry = b""

    def feed(self, pcm: bytes) -> list[VadEvent]:
        """Analyse more audio; return the starts and stops it completes."""
        data = self._carry + pcm
        whole = len(data) - len(data) % _FRAME_BYTES
        self._carry = data[whole:]
        if not whole:
            return []
        samples = np.frombuffer(data[:whole], dtype="<i2").astype(np.float64) / 32768.0
        frames = samples.reshape(-1, _FRAME_BYTES // 2)
        rms = np.sqrt(np.mean(frames * frames, axis=1))
        loud = 20 * np.log10(np.maximum(rms, 1e-9)) > self.cutoff
        events = []
        for is_loud in loud:
            self._frames += 1
            event = self._step(is_loud=bool(is_loud))
            if event is not None:
                events.append(event)
        return events

    def _step(self, *, is_loud: bool) -> VadEvent | None:
        end_ms = self._frames * FRAME_MS
        if is_loud:
            self._loud_run += 1
            self._quiet_run = 0
            self._last_loud_end_ms = end_ms
            if not self.speaking and self._loud_run >= _START_FRAMES:
                self.speaking = True
                self.speech_start_ms = end_ms - self._loud_run * FRAME_MS
                return VadEvent("started", self.speech_start_ms)
            return None
        self._loud_run = 0
        self._quiet_run += 1
        if self.speaking and self._quiet_run >= self.silence_frames:
            self.speaking = False
            return VadEvent("stopped", self._last_loud_end_ms)
        return None
