"""Sign-in throttling and the bound on concurrent password hashing (docs/security.md).

Failures are counted per user name and per client address in fixed windows. Each attempt is
counted when it starts, so a burst of concurrent guesses is throttled as soon as it passes the
limit, not after its hashes finish. A success clears the user name's count.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["AuthLimits", "FailureCounter", "SignInThrottle"]


@dataclass(frozen=True)
class AuthLimits:
    """How much sign-in work one caller can cause. Defaults suit a small 2-core host."""

    #: Password checks (scrypt, 32 MiB each) running at once; the rest wait their turn.
    hash_concurrency: int = 2
    #: Sign-in attempts for one user name per window before 429.
    user_failures: int = 10
    #: Sign-in attempts from one client address per window before 429.
    address_failures: int = 30
    #: The counting window, and so the longest `Retry-After`.
    window_seconds: float = 60.0
    #: Entries kept per table (user names, addresses); the oldest window goes first.
    max_entries: int = 10_000


class FailureCounter:
    """Fixed-window counts per key in a capped table (insertion order is window age)."""

    def __init__(self, limit: int, window: float, max_entries: int, clock: Callable[[], float]) -> None:
        self._limit = limit
        self._window = window
        self._max_entries = max_entries
        self._clock = clock
        #: key -> (window start, attempts in that window)
        self._table: OrderedDict[str, tuple[float, int]] = OrderedDict()

    def retry_after(self, key: str) -> int | None:
        """Seconds until `key` may try again, or None when it may try now."""
        entry = self._table.get(key)
        if entry is None:
            return None
        start, count = entry
        left = start + self._window - self._clock()
        if left <= 0:
            del self._table[key]
            return None
        return max(1, math.ceil(left)) if count >= self._limit else None

    def count(self, key: str) -> None:
        now = self._clock()
        entry = self._table.get(key)
        if entry is None or entry[0] + self._window <= now:
            self._table.pop(key, None)
            while len(self._table) >= self._max_entries:
                self._table.popitem(last=False)
            self._table[key] = (now, 1)
        else:
            self._table[key] = (entry[0], entry[1] + 1)

    def reset(self, key: str) -> None:
        self._table.pop(key, None)

    def __len__(self) -> int:
        return len(self._table)


class SignInThrottle:
    """Both counters, used together around each password check."""

    def __init__(self, limits: AuthLimits, clock: Callable[[], float] = time.monotonic) -> None:
        self.users = FailureCounter(limits.user_failures, limits.window_seconds, limits.max_entries, clock)
        self.addresses = FailureCounter(limits.address_failures, limits.window_seconds, limits.max_entries, clock)

    def begin(self, user_name: str, address: str | None) -> int | None:
        """Count an attempt; or, when either key is over its limit, the seconds to wait instead."""
        waits = [self.users.retry_after(user_name)]
        if address is not None:
            waits.append(self.addresses.retry_after(address))
        blocked = [wait for wait in waits if wait is not None]
        if blocked:
            return max(blocked)
        self.users.count(user_name)
        if address is not None:
            self.addresses.count(address)
        return None

    def succeeded(self, user_name: str) -> None:
        self.users.reset(user_name)
