"""`serve --workers 2`, on SQLite and on PostgreSQL: one port, read-your-writes across workers (each
SQLite worker with its session cache), logins, logouts and new keys seen by every worker, a clean
stop."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import httpx2 as httpx
import pytest

from .conftest import ADMIN_PASSWORD, cli, free_port, serve_command
from .served import db_in, seed, serving

#: Requests on fresh connections, which the kernel deals out between the workers: enough that
#: both serve some (the metrics files below show they do).
TRIES = 30


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return db_in(tmp_path)
    url: str = request.getfixturevalue("pg_url")
    return url


def _children(pid: int) -> set[int]:
    children: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        children |= {int(child) for child in (task / "children").read_text().split()}
    return children


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def test_read_your_writes_across_workers(tmp_path: Path, db_url: str) -> None:
    db = db_url
    key = seed(db)
    account = cli(db, "accounts", "add", "Workers Co")
    auth = {"Authorization": f"Bearer {key}"}
    with serving(tmp_path, db, "--workers", "2") as served:
        created = httpx.post(f"{served.base_url}/ai/sessions", headers=auth, json={"accountId": account})
        session = created.json()["id"]
        url = f"{served.base_url}/ai/sessions/{session}"
        for i in range(60):
            # httpx.get/patch open a fresh connection each time: the kernel hands each to either worker.
            assert httpx.patch(url, headers=auth, json={"purpose": f"p{i}"}).json()["purpose"] == f"p{i}"
            # Twice: each worker caches the session, and the other's next PATCH must end that.
            for _ in range(2):
                assert httpx.get(url, headers=auth).json()["purpose"] == f"p{i}"
            listed = httpx.get(f"{served.base_url}/ai/sessions", headers=auth, params={"specificIds": session})
            assert [s["purpose"] for s in listed.json()["items"]] == [f"p{i}"]
        deleted = httpx.delete(url, headers=auth)
        assert deleted.status_code == 204
        assert httpx.get(url, headers=auth).status_code == 404
        workers = _children(served.process.pid)
        log = served.log()
        match = re.search(r"metrics in (\S+)", log)
        assert match is not None
        # Each worker that counted a request keeps its own file there, named by its pid.
        served_by = {
            int(m) for m in re.findall(r"_(\d+)\.db$", "\n".join(p.name for p in Path(match[1]).iterdir()), re.M)
        }
    # The children are the two workers and multiprocessing's resource tracker, which may outlive
    # the supervisor for a moment; the workers are the children that counted requests.
    assert len(served_by & workers) == 2, (served_by, workers)
    assert not any(_alive(pid) for pid in served_by)  # SIGTERM stopped both workers (exit 0 checked by serving)
    assert not Path(match[1]).exists()  # the supervisor removed its metrics directory


def test_logins_logouts_and_new_keys_hold_on_every_worker(tmp_path: Path, db_url: str) -> None:
    seed(db_url)
    cli(
        db_url,
        "users",
        "add",
        "agent",
        "--role",
        "SystemAdministrator",
        "--password-stdin",
        stdin=ADMIN_PASSWORD + "\n",
    )
    with serving(tmp_path, db_url, "--workers", "2") as served:
        sessions = f"{served.base_url}/ai/sessions"
        # A key made with the CLI while the workers run works on whichever worker answers, at once.
        key = cli(db_url, "apikeys", "create", "agent")
        assert {httpx.get(sessions, headers={"Authorization": f"Bearer {key}"}).status_code for _ in range(TRIES)} == {
            200
        }
        login = httpx.post(
            f"{served.base_url}/auth/credentials", json={"userName": "agent", "password": ADMIN_PASSWORD}
        )
        assert login.status_code == 200
        cookie = {"ss-id": login.cookies["ss-id"]}
        assert {httpx.get(sessions, cookies=cookie).status_code for _ in range(TRIES)} == {200}
        assert httpx.post(f"{served.base_url}/auth/logout", cookies=cookie).status_code == 200
        # Logins are never cached, so the logout holds on every worker at once (the promise is 1 s).
        assert {httpx.get(sessions, cookies=cookie).status_code for _ in range(TRIES)} == {401}
        match = re.search(r"metrics in (\S+)", served.log())
        assert match is not None
        files = "\n".join(p.name for p in Path(match[1]).iterdir())
        served_by = {int(pid) for pid in re.findall(r"_(\d+)\.db$", files, re.M)}
        workers = _children(served.process.pid)
    assert len(served_by & workers) == 2, (served_by, workers)  # both workers answered some of them


def test_the_supervisor_holds_the_serve_lock(tmp_path: Path) -> None:
    db = db_in(tmp_path)
    seed(db)
    with serving(tmp_path, db, "--workers", "2"):
        second = subprocess.run(serve_command(db, free_port()), capture_output=True, text=True, timeout=60)
        assert second.returncode == 1
        assert "already served by another evo-gateway process" in second.stderr
        assert cli(db, "accounts", "add", "Beside The Workers")  # the CLI works beside them
