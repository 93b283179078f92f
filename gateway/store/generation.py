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
let the counter return to a value a stale record is stamped with), so a step is taken under an
`flock` on the file. That lock is also the file's write turn: a writer holds it for its whole
transaction (`writing()`), so the writers of several workers take turns here instead of in SQLite's
busy handler. Taking turns must be fair: a writer with a queue re-takes a free lock within
microseconds of releasing it, while a waiter only polls, so without help one worker's writes
starve for hundreds of milliseconds (`--workers 2` PATCH p99 was a second). So a waiter raises a
shared "wanted" flag, and a writer that releases the turn with the flag up stands back for a
moment before it asks again. The counter and the flag are 64-bit aligned words: a reader never
sees half of a step.
"""

from __future__ import annotations

import fcntl
import mmap
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from .base import StoreUnavailable

__all__ = ["SharedGeneration", "generation_path"]

#: The words of the file: the commit counter, and the flag a writer waiting for the turn raises.
_COUNT, _WANTED = 0, 1
_SIZE = 16
#: Polling for the turn: first after 50 µs, doubling up to 250 µs...
_FIRST_POLL, _LAST_POLL = 50e-6, 250e-6
#: ...so that a writer standing back for this long lets a waiting one in.
_STAND_BACK = 1e-3


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
        self._words = memoryview(self._map).cast("Q")
        # flock excludes other processes; threads of this one share the descriptor, so they also
        # take this lock.
        self._lock = threading.Lock()
        self._closed = False
        #: Another process asked for the turn while this one held it: let it go first next time.
        self._stand_back = False

    def current(self) -> int:
        try:
            return int(self._words[_COUNT])
        except ValueError:  # the memoryview is released: closed
            raise StoreUnavailable("the store is closed") from None

    @contextmanager
    def writing(self, timeout: float) -> Iterator[None]:
        """Hold the file's write turn for one transaction (BEGIN to COMMIT), then count it.

        Waits at most `timeout` seconds for the turn (StoreUnavailable after that). The counter is
        advanced on the way out whether or not the transaction committed: a spare step only makes
        caches read again."""
        deadline = time.monotonic() + timeout
        if not self._lock.acquire(timeout=max(timeout, 0.0)):
            raise StoreUnavailable(f"no write turn on the database within {timeout:g} s")
        try:
            if self._closed:
                raise StoreUnavailable("the store is closed")
            self._take_turn(deadline, timeout)
            try:
                yield
            finally:
                words = self._words
                words[_COUNT] = (words[_COUNT] + 1) % 2**64
                # Lowered here, so a waiter that has died since raising it costs one stand-back;
                # a live one raises it again on its next try.
                self._stand_back = words[_WANTED] != 0
                words[_WANTED] = 0
                fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            self._lock.release()

    def _take_turn(self, deadline: float, timeout: float) -> None:
        if self._stand_back:
            self._stand_back = False
            time.sleep(_STAND_BACK)
        # Non-blocking tries, because a blocking flock cannot time out.
        pause = _FIRST_POLL
        while True:
            try:
                fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise StoreUnavailable(f"no write turn on the database within {timeout:g} s") from None
                self._words[_WANTED] = 1
                time.sleep(pause)
                pause = min(pause * 2, _LAST_POLL)

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._words.release()
            self._map.close()
            os.close(self._fd)
