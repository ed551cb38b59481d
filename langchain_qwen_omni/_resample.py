"""Resample a stream of mono samples by linear interpolation, piece by piece.

The package's one resampler, for the two streams that arrive at a rate
other than the one wanted: vLLM-Omni speech at another rate than Omni's
24 kHz (`_wav_pieces`), and realtime input at another rate than the 16 kHz
a session sends (`realtime.audio_input`). Going down in rate (48 kHz
microphones), a moving average over about one output sample's span runs
first: a cheap anti-aliasing filter. The last input samples and the
fractional read position carry over from one piece to the next, so a
recording resampled piece by piece gives the samples it gives resampled
whole. Each piece costs time linear in its size.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import numpy.typing as npt

__all__ = ["LinearResampler"]


class LinearResampler:
    """One stream of mono samples from `rate_in` to `rate_out`.

    Samples keep their scale: floats in [-1, 1] or in int16's range alike.
    """

    __slots__ = ("_history", "_position", "_step", "_width")

    def __init__(self, rate_in: int, rate_out: int) -> None:
        """Start a stream."""
        self._step = rate_in / rate_out
        self._width = max(1, round(self._step))
        """Input samples averaged per output sample (1, none, going up)."""
        self._history: npt.NDArray[np.floating[Any]] = np.zeros(0, dtype=np.float32)
        """The last input samples: the filter's memory and the left neighbour."""
        self._position = 0.0
        """Where the next output sample falls, in samples from the history's start."""

    def push(self, samples: npt.NDArray[np.floating[Any]]) -> npt.NDArray[np.float64]:
        """Resample one piece; return the output samples it completes (maybe none)."""
        joined = np.concatenate([self._history, samples])
        last = len(joined) - 1
        position, step, width = self._position, self._step, self._width
        out: npt.NDArray[np.float64] = np.zeros(0)
        if last >= position:
            count = int((last - position) // step) + 1
            times = position + step * np.arange(count)
            smoothed = _moving_average(joined, width)
            out = np.interp(times, np.arange(len(joined)), smoothed)
            position += step * count
        dropped = max(len(joined) - width, 0)
        self._history = joined[dropped:]
        self._position = position - dropped
        return out


def _moving_average(
    samples: npt.NDArray[np.floating[Any]], width: int
) -> npt.NDArray[np.floating[Any]]:
    """Causal moving average over `width` samples: a cheap anti-aliasing filter."""
    if width <= 1:
        return samples
    cumulative = np.concatenate([np.zeros(width, np.float64), np.cumsum(samples)])
    averaged: npt.NDArray[np.float32] = (
        (cumulative[width:] - cumulative[:-width]) / width
    ).astype(np.float32)
    return averaged
