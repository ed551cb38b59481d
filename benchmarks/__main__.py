"""`make bench`: every benchmark, one table of ratios next to their targets."""

from __future__ import annotations

import importlib
import sys

from benchmarks._timing import table

_SUITES = (
    "stream",
    "long_answer",
    "memory",
    "concurrency",
    "stall",
    "imports",
    "video_prep",
    "realtime",
)


def main() -> int:
    """Run each suite present; print the table; exit 1 if a target is missed."""
    results = []
    for name in _SUITES:
        try:
            module = importlib.import_module(f"benchmarks.{name}")
        except ModuleNotFoundError:
            continue
        print(f"running {name} ...", file=sys.stderr, flush=True)
        results.extend(module.run())
    print(table(results))
    return 0 if all(result.ok for result in results) else 1


if __name__ == "__main__":
    sys.exit(main())
