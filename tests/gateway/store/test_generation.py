"""SharedGeneration: one commit counter per database file, shared by every process that maps it."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest

from gateway.store import StoreUnavailable
from gateway.store.generation import SharedGeneration, generation_path

STEPS = 3000


def test_every_spelling_of_the_path_shares_one_counter(tmp_path: Path) -> None:
    db = tmp_path / "g.db"
    alias = tmp_path / "alias.db"
    alias.symlink_to(db)
    first, second = SharedGeneration(str(db)), SharedGeneration(str(alias))
    try:
        assert first.current() == second.current() == 0
        first.advance()
        second.advance()
        assert first.current() == second.current() == 2
    finally:
        first.close()
        second.close()
    reopened = SharedGeneration(str(db))  # the count outlives the processes that made it
    try:
        assert reopened.current() == 2
    finally:
        reopened.close()
    assert Path(generation_path(str(alias))) == tmp_path / "g.db-generation"


def _advance_many(path: str, start: multiprocessing.synchronize.Event) -> None:
    generation = SharedGeneration(path)
    start.wait()
    for _ in range(STEPS):
        generation.advance()
    generation.close()


def test_processes_advancing_at_once_lose_no_step(tmp_path: Path) -> None:
    # A lost step could let the counter return to a value a stale cached record is stamped with.
    path = str(tmp_path / "g.db")
    context = multiprocessing.get_context("fork")  # the child runs this module's function
    start = context.Event()
    workers = [context.Process(target=_advance_many, args=(path, start)) for _ in range(4)]
    for worker in workers:
        worker.start()
    start.set()
    for worker in workers:
        worker.join(timeout=120)
        assert worker.exitcode == 0
    generation = SharedGeneration(path)
    try:
        assert generation.current() == 4 * STEPS
    finally:
        generation.close()


def test_a_closed_counter_refuses_work(tmp_path: Path) -> None:
    generation = SharedGeneration(str(tmp_path / "g.db"))
    generation.close()
    generation.close()  # twice is harmless
    with pytest.raises(StoreUnavailable):
        generation.current()
    with pytest.raises(StoreUnavailable):
        generation.advance()


def test_an_unwritable_place_is_store_unavailable(tmp_path: Path) -> None:
    with pytest.raises(StoreUnavailable, match="cannot open"):
        SharedGeneration(str(tmp_path / "missing-dir" / "g.db"))
