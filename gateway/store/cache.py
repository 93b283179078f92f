"""A read-through cache of session records that every commit empties.

Only the process that owns the database file (`serve`, see `SqliteStore(owner=True)`) caches. The
serve lock keeps a second server off the file, and nothing else writes sessions (the CLI writes
accounts, users and keys only), so its writer thread is the only writer of sessions: "a commit
happened" is something this process always sees, and the cache never holds a record older than the
last acknowledged write. A tool that wrote sessions into a served file behind its back would break
that rule; none in this project does.

The one race to close: a reader takes its snapshot before a commit and stores the old record after
the commit has emptied the cache. Each lookup hands out the generation it saw; a commit bumps the
generation under the same lock, and a store under an older generation is dropped.
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
        self._generation = 0
        self._max_entries = max_entries
        self._lock = threading.Lock()

    def get(self, key: K) -> tuple[V | None, int]:
        """The cached value (None on a miss) and the generation to hand back to `put`."""
        with self._lock:
            return self._entries.get(key), self._generation

    def put(self, key: K, value: V, generation: int) -> None:
        """Remember `value`, read under `generation`, unless a commit has happened since."""
        with self._lock:
            if generation != self._generation:
                return
            if len(self._entries) >= self._max_entries:
                self._entries.clear()  # bounded without bookkeeping: a full cache starts over
            self._entries[key] = value

    def committed(self) -> None:
        """A write is durable: forget everything read before it."""
        with self._lock:
            self._generation += 1
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)
