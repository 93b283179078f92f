"""CPU per thread of a server process under load, from /proc/<pid>/task: which thread a row keeps
busy, in user or kernel mode, and how often each thread went to sleep.

Under both of `serve`'s servers the event loop runs on the process's main thread (whose id is the
process id); granian's HTTP runtime and the SQLite writer are threads of their own. A thread whose
share is small is left out: idle pools would only add noise.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

__all__ = ["LOOP", "ThreadShare", "ThreadTimes", "shares", "stat_times", "thread_times"]

_TICK = os.sysconf("SC_CLK_TCK")
#: The label of the process's main thread, where the event loop runs.
LOOP = "loop"
#: The line of /proc/<pid>/task/<tid>/status that counts a thread's waits.
_SLEEPS = "voluntary_ctxt_switches:"
#: Threads busy less than this fraction of a core during a run are not listed.
_LEAST_CORES = 0.01


@dataclass(frozen=True)
class ThreadTimes:
    """One thread's counters so far."""

    user: float  # seconds
    system: float  # seconds
    #: Voluntary context switches: how often the thread waited (for I/O, a lock, the GIL).
    sleeps: int


@dataclass(frozen=True)
class ThreadShare:
    """One thread's part of a run, per request."""

    label: str  # LOOP, or "thread 2", "thread 3", ... by CPU, highest first
    user_us: float
    system_us: float
    sleeps: float
    cores: float


def stat_times(stat: str) -> tuple[float, float]:
    """(user, system) seconds from the text of a /proc `stat` file, a process's or a thread's."""
    fields = stat.rsplit(")", 1)[1].split()  # utime and stime are fields 14 and 15
    return int(fields[11]) / _TICK, int(fields[12]) / _TICK


def thread_times(pid: int) -> dict[int, ThreadTimes]:
    """Every live thread of `pid`, by thread id."""
    times: dict[int, ThreadTimes] = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            stat = (task / "stat").read_text()
            status = (task / "status").read_text()
        except OSError:  # the thread ended meanwhile
            continue
        sleeps = next(int(line.split()[1]) for line in status.splitlines() if line.startswith(_SLEEPS))
        times[int(task.name)] = ThreadTimes(*stat_times(stat), sleeps)
    return times


def shares(
    pid: int, before: dict[int, ThreadTimes], after: dict[int, ThreadTimes], requests: int, seconds: float
) -> list[ThreadShare]:
    """What each thread of `pid` spent between the two counts, per request of the `requests` served
    in `seconds`: the loop first, then the others by CPU."""
    requests = max(requests, 1)
    spent: list[tuple[int, float, float, int]] = []
    for tid, end in after.items():
        start = before.get(tid, ThreadTimes(0.0, 0.0, 0))
        user, system = end.user - start.user, end.system - start.system
        if tid == pid or (user + system) / seconds >= _LEAST_CORES:
            spent.append((tid, user, system, end.sleeps - start.sleeps))
    spent.sort(key=lambda item: (item[0] != pid, -(item[1] + item[2])))
    return [
        ThreadShare(
            label=LOOP if tid == pid else f"thread {rank}",
            user_us=user / requests * 1e6,
            system_us=system / requests * 1e6,
            sleeps=sleeps / requests,
            cores=(user + system) / seconds,
        )
        for rank, (tid, user, system, sleeps) in enumerate(spent, start=1)
    ]
