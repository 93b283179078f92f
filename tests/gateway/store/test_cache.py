"""CommitCache: read-through values that a commit forgets, and the race it closes."""

from __future__ import annotations

from gateway.store.cache import CommitCache


def test_a_value_is_kept_until_a_commit() -> None:
    cache: CommitCache[str, int] = CommitCache()
    value, generation = cache.get("a")
    assert value is None
    cache.put("a", 1, generation)
    assert cache.get("a")[0] == 1
    cache.committed()
    assert cache.get("a")[0] is None and len(cache) == 0


def test_a_value_read_before_a_commit_is_not_stored_after_it() -> None:
    cache: CommitCache[str, str] = CommitCache()
    _, generation = cache.get("s")  # the reader takes its snapshot here ...
    cache.committed()  # ... a write commits meanwhile ...
    cache.put("s", "old", generation)  # ... and the old value arrives late
    assert cache.get("s")[0] is None


def test_the_cache_is_bounded() -> None:
    cache: CommitCache[int, int] = CommitCache(max_entries=3)
    for key in range(10):
        cache.put(key, key, cache.get(key)[1])
        assert len(cache) <= 3
    assert cache.get(9)[0] == 9
