"""A read-through cache of session records, each valid only under the generation it was read at.

The generation is the database's shared commit counter (`generation.py`): every process that
writes the file advances it after each commit, before the write is acknowledged. A lookup names
the generation the caller observed *before* reading; a value stored under it is handed out only
while the counter still shows it. The first lookup under a newer generation empties the cache, so
it never serves, nor keeps, a record from before the last acknowledged write of any process.

The race this closes: a reader observes generation g, another process commits and advances to
g+1, and the reader's late store arrives. It is stored under g, and g is already past: no lookup
under g+1 returns it.
"""

from __future__ import annotations

import threading
from typing import Generic, TypeVar

__all__ = ["CommitCache"]

K = TypeVar("K")
V = TypeVar("V")


class CommitCache(Generic[K, V]):
    def __init__(self, max_entries: int = 10_000) -> None:
        self._entries: dict[K, V] = {}
        self._generation = -1
        self._max_entries = max_entries
        self._lock = threading.Lock()

    def get(self, key: K, generation: int) -> V | None:
        """The value stored under `generation`, or None (a miss)."""
        with self._lock:
            if generation == self._generation:
                return self._entries.get(key)
            if generation > self._generation:
                self._generation = generation
                self._entries.clear()
            # An older generation is a reader that looked before a commit another thread has
            # already seen: a miss, and the cache does not go back for it.
            return None

    def put(self, key: K, value: V, generation: int) -> None:
        """Remember `value`, read after observing `generation`, unless the cache has moved on."""
        with self._lock:
            if generation != self._generation:
                return
            if len(self._entries) >= self._max_entries:
                self._entries.clear()  # bounded without bookkeeping: a full cache starts over
            self._entries[key] = value

    def __len__(self) -> int:
        return len(self._entries)
