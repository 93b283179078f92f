"""bench/matrix.py runs from the repository: a one-round, one-second matrix of a few rows, every
figure of every row printed, and with --threads each row's CPU per server thread."""

from __future__ import annotations

import pytest

from .running import BRIEF, run_bench, table_rows

#: The gateway rows asked for: a read and a write in legacy formats, a list and a batch.
ROWS = ("GET json", "GET jsv", "PATCH csv", "List 100 xml", "Batch 100 jsv")


@pytest.fixture(scope="module")
def printed() -> list[str]:
    return run_bench("matrix.py", *BRIEF, "--threads", "--only", *ROWS)


@pytest.fixture(scope="module")
def table(printed: list[str]) -> dict[str, list[float]]:
    return table_rows(printed, ("floor PATCH", "floor on serve", *ROWS))


def test_every_row_asked_for_is_measured_against_the_floor(table: dict[str, list[float]]) -> None:
    assert set(table) == {"floor PATCH", "floor on serve", *ROWS}
    # The floor is the baseline of its own ratio.
    assert table["floor PATCH"][4] == 1.0


def test_each_row_prints_its_rate_latencies_cpu_and_ratios(table: dict[str, list[float]]) -> None:
    floor = table["floor PATCH"][0]
    for name in ROWS:
        rps, p50, p99, cpu, x_floor, x_json, *_ = table[name]
        assert rps > 0 and cpu > 0 and x_json > 0, name
        assert 0 < p50 <= p99, name
        # One round: each ratio is that round's, of the rates printed (to two decimals).
        assert x_floor == pytest.approx(rps / floor, abs=0.006), name
    # A JSON row is its operation's other formats' yardstick, itself at 1.
    assert table["GET json"][5] == 1.0
    assert table["GET jsv"][5] == pytest.approx(table["GET jsv"][0] / table["GET json"][0], abs=0.006)


def test_writing_rows_say_how_many_writes_each_commit_held(table: dict[str, list[float]]) -> None:
    for name in ("PATCH csv", "Batch 100 jsv"):
        assert len(table[name]) == 7 and table[name][6] >= 1, name
    for name in ("GET json", "GET jsv", "List 100 xml"):
        assert len(table[name]) == 6, name


def test_threads_table_puts_each_rows_event_loop_first_within_its_process_cpu(
    printed: list[str], table: dict[str, list[float]]
) -> None:
    names = ("floor PATCH", "floor on serve", *ROWS)
    loops = table_rows(printed, [f"loop {name}" for name in names])
    assert set(loops) == {f"loop {name}" for name in names}
    for name in names:
        user, system, sleeps, cores = loops[f"loop {name}"]
        assert user > 0 and system >= 0 and sleeps >= 0, name
        # One thread runs on at most one core; /proc counts its user and system time in ticks of
        # 10 ms each, over a run of a second or more.
        assert 0 < cores <= 1.03, name
        # The loop's part of a request is part of its process's (the matrix's CPU column), within
        # a tick spread over the run's requests and the printed rounding.
        cpu = table[name][3]
        assert user + system <= cpu + 0.04 / table[name][0] * 1e6 + 1, name
    # The SQLite writer commits the PATCHes on a thread of its own, busy beside the loop.
    writer_threads = table_rows(printed, ["thread 2 PATCH csv"])
    assert writer_threads["thread 2 PATCH csv"][0] > 0
