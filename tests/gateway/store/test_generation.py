"""SharedGeneration: one commit counter per database file, shared by every process that maps it."""

from __future__ import annotations

import multiprocessing
import time
from pathlib import Path
from typing import Any

import pytest

from gateway.store import StoreUnavailable
from gateway.store.generation import SharedGeneration, generation_path

STEPS = 3000


def _commit(generation: SharedGeneration) -> None:
    """One (empty) write transaction: take the turn, let it count the commit."""
    with generation.writing(timeout=30):
        pass


def test_every_spelling_of_the_path_shares_one_counter(tmp_path: Path) -> None:
    db = tmp_path / "g.db"
    alias = tmp_path / "alias.db"
    alias.symlink_to(db)
    first, second = SharedGeneration(str(db)), SharedGeneration(str(alias))
    try:
        assert first.current() == second.current() == 0
        _commit(first)
        _commit(second)
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
        _commit(generation)
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
    with pytest.raises(StoreUnavailable), generation.writing(timeout=1):
        pass


def _hold_turn(path: str, held: multiprocessing.synchronize.Event, release: multiprocessing.synchronize.Event) -> None:
    generation = SharedGeneration(path)
    with generation.writing(timeout=30):
        held.set()
        release.wait(60)
    generation.close()


def test_the_write_turn_is_one_process_at_a_time_and_its_wait_is_bounded(tmp_path: Path) -> None:
    path = str(tmp_path / "g.db")
    context = multiprocessing.get_context("fork")
    held, release = context.Event(), context.Event()
    holder = context.Process(target=_hold_turn, args=(path, held, release))
    holder.start()
    generation = SharedGeneration(path)
    try:
        assert held.wait(60)
        with pytest.raises(StoreUnavailable, match="no write turn"), generation.writing(timeout=0.2):
            pytest.fail("took the turn another process holds")
        release.set()
        holder.join(timeout=60)
        assert holder.exitcode == 0
        _commit(generation)  # released: the turn is free again
        assert generation.current() == 2  # the holder's step and ours; the refused try counted none
    finally:
        release.set()
        generation.close()


def test_a_transaction_that_fails_still_counts_a_step(tmp_path: Path) -> None:
    # A rolled-back attempt may have changed nothing, but a spare step only makes caches read again.
    generation = SharedGeneration(str(tmp_path / "g.db"))
    try:
        with pytest.raises(RuntimeError), generation.writing(timeout=1):
            raise RuntimeError("rolled back")
        assert generation.current() == 1
        _commit(generation)  # and the turn was given back
        assert generation.current() == 2
    finally:
        generation.close()


def test_an_unwritable_place_is_store_unavailable(tmp_path: Path) -> None:
    with pytest.raises(StoreUnavailable, match="cannot open"):
        SharedGeneration(str(tmp_path / "missing-dir" / "g.db"))


A_TURNS, B_TURNS = 600, 30
#: How long the greedy writer holds each turn, as a short transaction would.
A_HOLDS = 0.0005


def _take_turns_greedily(path: str, start: multiprocessing.synchronize.Event, turns_done: Any) -> None:
    generation = SharedGeneration(path)
    start.wait(60)
    for i in range(A_TURNS):
        with generation.writing(timeout=30):
            time.sleep(A_HOLDS)
            turns_done.value = i + 1
    generation.close()


def test_a_writer_that_asks_again_at_once_does_not_starve_a_waiting_one(tmp_path: Path) -> None:
    # The greedy process re-takes the turn the moment it lets it go, as a writer thread with a
    # queue does. The waiting one must still get its turns while the greedy one is busy, not after:
    # polling alone finds the turn free only in the microseconds between two of the greedy turns.
    path = str(tmp_path / "g.db")
    context = multiprocessing.get_context("fork")
    start, turns_done = context.Event(), context.Value("i", 0)
    greedy = context.Process(target=_take_turns_greedily, args=(path, start, turns_done))
    greedy.start()
    generation = SharedGeneration(path)
    try:
        start.set()
        deadline = time.monotonic() + 60
        while turns_done.value == 0:  # the greedy process is under way
            assert time.monotonic() < deadline, "the greedy process never took a turn"
            time.sleep(0.0001)
        for _ in range(B_TURNS):
            _commit(generation)
            time.sleep(A_HOLDS)  # not greedy itself: it must wait its turn every time
        finished_at = turns_done.value
        greedy.join(timeout=60)
        assert greedy.exitcode == 0
    finally:
        generation.close()
    # Taking turns, the waiting writer is done within a few dozen greedy turns; by polling alone it
    # needed 455 to 600+ of them (more than the greedy process took in all).
    assert finished_at < A_TURNS // 3, f"the waiting writer was done only after {finished_at} greedy turns"
