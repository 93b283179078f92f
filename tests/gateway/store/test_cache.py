"""CommitCache: read-through values valid under one generation, and the race it closes."""

from __future__ import annotations

from gateway.store.cache import CommitCache


def test_a_value_is_kept_until_the_generation_moves() -> None:
    cache: CommitCache[str, int] = CommitCache()
    assert cache.get("a", 0) is None
    cache.put("a", 1, 0)
    assert cache.get("a", 0) == 1
    assert cache.get("a", 1) is None and len(cache) == 0


def test_a_value_read_before_a_commit_is_not_stored_after_it() -> None:
    cache: CommitCache[str, str] = CommitCache()
    assert cache.get("s", 4) is None  # the reader observes generation 4 and reads ...
    assert cache.get("t", 5) is None  # ... another reader has already seen the next commit ...
    cache.put("s", "old", 4)  # ... and the first one's old value arrives late
    assert cache.get("s", 5) is None


def test_a_reader_that_looked_before_a_commit_does_not_take_the_cache_back() -> None:
    cache: CommitCache[str, str] = CommitCache()
    cache.get("s", 7)
    cache.put("s", "new", 7)
    assert cache.get("s", 6) is None  # a late reader misses ...
    cache.put("s", "old", 6)  # ... and cannot store under its older generation
    assert cache.get("s", 7) == "new"


def test_the_cache_is_bounded() -> None:
    cache: CommitCache[int, int] = CommitCache(max_entries=3)
    for key in range(10):
        assert cache.get(key, 0) is None
        cache.put(key, key, 0)
        assert len(cache) <= 3
    assert cache.get(9, 0) == 9
