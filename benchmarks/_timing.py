"""Ratios measured in one run, alternating the variants, never absolute times alone."""

from __future__ import annotations

import dataclasses
import statistics
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable


@dataclasses.dataclass(frozen=True)
class Result:
    """One benchmark line: a measured ratio next to its target."""

    name: str
    ratio: float
    target: float
    detail: str = ""
    stretch: float | None = None

    @property
    def ok(self) -> bool:
        """Whether the ratio meets its target."""
        return self.ratio <= self.target


def alternate(
    variants: dict[str, Callable[[], object]],
    *,
    rounds: int,
    warmup: int = 2,
    clock: Callable[[], float] = time.perf_counter,
) -> dict[str, float]:
    """Median seconds per variant, each round running every variant once.

    The order rotates every round, so drift in machine load (the two cores are
    shared) falls on every variant alike. `clock=time.process_time` counts
    this process's CPU only: the emulator in another process and the other
    work on the machine then do not count at all.
    """
    names = list(variants)
    for _ in range(warmup):
        for name in names:
            variants[name]()
    samples: dict[str, list[float]] = {name: [] for name in names}
    for round_index in range(rounds):
        shift = round_index % len(names)
        for name in names[shift:] + names[:shift]:
            start = clock()
            variants[name]()
            samples[name].append(clock() - start)
    return {name: statistics.median(values) for name, values in samples.items()}


def table(results: list[Result]) -> str:
    """Results as an aligned text table with targets and verdicts."""
    rows = [("benchmark", "ratio", "target", "", "detail")]
    for result in results:
        target = f"<= {result.target:.2f}"
        if result.stretch is not None:
            target += f" (stretch {result.stretch:.2f})"
        verdict = "ok" if result.ok else "MISSED"
        rows.append(
            (result.name, f"{result.ratio:.3f}", target, verdict, result.detail)
        )
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = [
        "  ".join(
            cell.ljust(width) for cell, width in zip(row[:4], widths, strict=True)
        )
        + "  "
        + row[4]
        for row in rows
    ]
    lines.insert(1, "-" * len(lines[0]))
    return "\n".join(lines)
