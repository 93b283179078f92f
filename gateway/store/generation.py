"""A commit counter that every process on one SQLite file shares, read without a system call.

The session cache (`cache.py`) must forget a record once any process has committed a write to the
file: with `serve --workers N` every worker writes. SQLite can say so itself (`PRAGMA
data_version`), but asking starts a read transaction, which costs as much as the cached read it
would save. Instead every store that writes the file advances this counter after each COMMIT and
before the write is acknowledged, and readers look at it through a shared memory map: a load from
memory.

Why a cache keyed by it gives read-your-writes: a record read after observing generation `g` holds
every commit that advanced the counter up to `g`, and it is served only while the counter still
reads `g`. An acknowledged write has advanced the counter, so no record read before it is served
after it. A write committed but not yet counted may be missed by a read meanwhile, but nobody has
been told of it yet.

Two processes must not advance it at the same time (two read-modify-writes could lose a step and
let the counter return to a value a stale record is stamped with), so each step holds an `flock`
on the file for a load and a store. The counter is 64 bits, aligned: a reader never sees half of
a step.
"""

from __future__ import annotations

import fcntl
import mmap
import os
import threading

from .base import StoreUnavailable

__all__ = ["SharedGeneration", "generation_path"]

_SIZE = 8  # one unsigned 64-bit counter


def generation_path(database_path: str) -> str:
    """`<file>-generation`, beside SQLite's own `-wal` and `-shm`, named after the real file so
    that every spelling of the path (a symlink, a relative path) shares one counter."""
    return f"{os.path.realpath(database_path)}-generation"


class SharedGeneration:
    def __init__(self, database_path: str) -> None:
        path = generation_path(database_path)
        try:
            self._fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise StoreUnavailable(f"cannot open {path!r}: {exc.strerror}") from None
        try:
            if os.fstat(self._fd).st_size < _SIZE:
                # Two processes may both get here; extending to the same size twice is harmless,
                # and a file that already has its counter is never shortened.
                os.ftruncate(self._fd, _SIZE)
            self._map = mmap.mmap(self._fd, _SIZE)
        except OSError as exc:
            os.close(self._fd)
            raise StoreUnavailable(f"cannot map {path!r}: {exc.strerror}") from None
        self._counter = memoryview(self._map).cast("Q")
        # flock excludes other processes; threads of this one share the descriptor, so they also
        # take this lock.
        self._lock = threading.Lock()
        self._closed = False

    def current(self) -> int:
        try:
            return int(self._counter[0])
        except ValueError:  # the memoryview is released: closed
            raise StoreUnavailable("the store is closed") from None

    def advance(self) -> None:
        """Count one commit. Call after COMMIT returns and before anyone is told of the write."""
        with self._lock:
            if self._closed:
                raise StoreUnavailable("the store is closed")
            fcntl.flock(self._fd, fcntl.LOCK_EX)
            try:
                self._counter[0] = (self._counter[0] + 1) % 2**64
            finally:
                fcntl.flock(self._fd, fcntl.LOCK_UN)

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._counter.release()
            self._map.close()
            os.close(self._fd)
