"""How a cost grows with the size of its input: for linearity tests."""

import gc
import time
from collections.abc import Callable


def growth(
    small: Callable[[], object], large: Callable[[], object], rounds: int = 7
) -> float:
    """Best CPU time of `large` over best CPU time of `small`.

    The two alternate within each round, so drifting machine load falls on
    both; CPU time, not wall time, so other processes do not count; the best
    of several rounds, so a stray pause does not either; the collector
    paused, since its cost depends on every object alive in the test process
    rather than on the merge.
    """
    best = {small: float("inf"), large: float("inf")}
    for _ in range(rounds):
        for run in (small, large):
            gc.collect()
            gc.disable()
            try:
                start = time.process_time()
                run()
                best[run] = min(best[run], time.process_time() - start)
            finally:
                gc.enable()
    return best[large] / best[small]
