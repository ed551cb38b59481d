"""A thread-safe least-recently-used map bounded by the total size of its items."""

from __future__ import annotations

import collections
import threading
from typing import Generic, TypeVar

__all__ = ["SizedLru"]

K = TypeVar("K")
V = TypeVar("V")


class SizedLru(Generic[K, V]):
    """Keeps values while their summed cost fits a budget; the oldest go first.

    Agents send their whole history on every turn, so the same media come
    back call after call: measuring them once per process, not per call,
    is what this is for. An item costing more than the budget is not kept.
    """

    def __init__(self, budget: int) -> None:
        """Start empty, with `budget` as the most total cost kept."""
        self._budget = budget
        self._used = 0
        self._lock = threading.Lock()
        self._items: collections.OrderedDict[K, tuple[V, int]] = (
            collections.OrderedDict()
        )

    def get(self, key: K) -> V | None:
        """The value kept for `key` (now the most recently used), or `None`."""
        with self._lock:
            found = self._items.get(key)
            if found is None:
                return None
            self._items.move_to_end(key)
            return found[0]

    def put(self, key: K, value: V, cost: int) -> None:
        """Keep `value`, letting the least recently used go past the budget."""
        if cost > self._budget:
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._used -= old[1]
            self._items[key] = (value, cost)
            self._used += cost
            while self._used > self._budget:
                _, (_, freed) = self._items.popitem(last=False)
                self._used -= freed

    def clear(self) -> None:
        """Forget everything."""
        with self._lock:
            self._items.clear()
            self._used = 0

    def __len__(self) -> int:
        """How many items are kept."""
        with self._lock:
            return len(self._items)
