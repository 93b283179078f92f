"""API-key revocation against real `serve` processes: a key works, `apikeys revoke` from the CLI,
and within the auth-cache bound every process answers it 401; on SQLite and on PostgreSQL (two
nodes on one database). The bound is made short with `--auth-cache-seconds`."""

from __future__ import annotations

import time
from contextlib import ExitStack
from pathlib import Path

import httpx2 as httpx
import pytest

from .conftest import cli
from .served import Served, db_in, seed, serving

#: The auth-cache bound the servers run with, and how much longer than it a loaded machine may
#: take to answer: only a server that never forgets a revoked key fails the deadline.
BOUND = 2.0
SLACK = 20.0


def _status(served: Served, key: str) -> int:
    return httpx.get(f"{served.base_url}/ai/sessions", headers={"Authorization": f"Bearer {key}"}).status_code


def _refused_within_the_bound(nodes: list[Served], key: str, revoked_at: float) -> None:
    deadline = revoked_at + BOUND + SLACK
    waiting = list(nodes)
    while waiting:
        waiting = [node for node in waiting if _status(node, key) != 401]
        if waiting and time.monotonic() > deadline:
            pytest.fail(f"{len(waiting)} node(s) still accept the key {SLACK:g} s past the bound")
        time.sleep(0.2)


def _rotate(db: str, nodes: list[Served]) -> None:
    old = seed(db)  # the admin's first key
    new = cli(db, "apikeys", "create", "admin", "--label", "rotated")
    for node in nodes:
        assert _status(node, old) == 200 and _status(node, new) == 200
    rows = [line.split("\t") for line in cli(db, "apikeys", "list", "admin").splitlines()]
    assert [row[2] for row in rows] == ["-", "rotated"]
    # The serving processes recorded each key's use (to the minute) on the lookup.
    assert all(row[4] != "never" and row[4].endswith("Z") for row in rows)
    old_id = rows[0][0]

    assert cli(db, "apikeys", "revoke", old_id) == old_id
    _refused_within_the_bound(nodes, old, time.monotonic())
    for node in nodes:
        assert _status(node, new) == 200  # the other key is untouched
    assert [line.split("\t")[2] for line in cli(db, "apikeys", "list").splitlines()] == ["rotated"]

    # A revoked key's 401 is the plain challenge, as for any unknown key.
    refused = httpx.get(f"{nodes[0].base_url}/ai/sessions", headers={"Authorization": f"Bearer {old}"})
    assert refused.status_code == 401 and refused.content == b"" and "www-authenticate" in refused.headers


def test_a_revoked_key_stops_working_on_sqlite(tmp_path: Path) -> None:
    db = db_in(tmp_path)
    with serving(tmp_path, db, "--auth-cache-seconds", str(BOUND)) as served:
        _rotate(db, [served])


def test_a_revoked_key_stops_working_on_every_postgres_node(tmp_path: Path, pg_url: str) -> None:
    with ExitStack() as stack:
        nodes = [
            stack.enter_context(serving(tmp_path, pg_url, env={"EVO_GATEWAY_AUTH_CACHE_SECONDS": str(BOUND)}))
            for _ in range(2)
        ]
        _rotate(pg_url, nodes)


def test_a_removed_user_loses_its_keys(tmp_path: Path) -> None:
    db = db_in(tmp_path)
    with serving(tmp_path, db, "--auth-cache-seconds", str(BOUND)) as served:
        key = seed(db)
        assert _status(served, key) == 200
        cli(db, "users", "remove", "admin")
        _refused_within_the_bound([served], key, time.monotonic())
