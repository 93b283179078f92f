"""Several real `serve` processes on one PostgreSQL database, as nodes behind a load balancer:
started at once on an empty schema, read-your-writes and logins across them, a node killed with
SIGKILL under write load, and the database stopped and started under load."""

from __future__ import annotations

import asyncio
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field

import httpx2 as httpx
import pytest

from ..conftest import require_postgres_binaries
from ..pgcluster import PgCluster, create_database
from .conftest import ADMIN_PASSWORD, cli, cli_env, free_port, serve_command


@dataclass
class Node:
    base_url: str
    process: subprocess.Popen[str]
    log: tempfile._TemporaryFileWrapper[str] = field(repr=False)
    killed: bool = False

    def kill(self) -> None:
        """SIGKILL, as a crashed machine would stop it."""
        self.killed = True
        self.process.kill()
        self.process.wait()

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read()


def _wait_until_serving(node: Node, deadline: float) -> None:
    while True:
        try:
            httpx.get(f"{node.base_url}/ai/sessions", timeout=1)
            return
        except httpx.TransportError:
            if node.process.poll() is not None or time.monotonic() > deadline:
                node.process.kill()
                node.process.wait()
                raise RuntimeError(f"node did not start: {node.output()}") from None
            time.sleep(0.1)


@contextmanager
def nodes(db_url: str, count: int) -> Iterator[list[Node]]:
    """`count` serve processes launched at the same moment; SIGTERMed (exit 0 required) at the end,
    except those a test has killed."""
    with ExitStack() as stack:
        started: list[Node] = []
        for _ in range(count):
            log = stack.enter_context(tempfile.NamedTemporaryFile("w+"))
            port = free_port()
            process = subprocess.Popen(serve_command(db_url, port), env=cli_env(), stdout=log, stderr=log, text=True)
            started.append(Node(f"http://127.0.0.1:{port}", process, log))
        try:
            deadline = time.monotonic() + 60
            for node in started:
                _wait_until_serving(node, deadline)
            yield started
        finally:
            for node in started:
                if node.process.poll() is None:
                    node.process.terminate()
            for node in started:
                try:
                    node.process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    node.process.kill()
                    node.process.wait()
            for node in started:
                assert node.process.returncode == (-9 if node.killed else 0), node.output()


@dataclass
class Seeded:
    account_id: str
    key: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}


def seed(db_url: str) -> Seeded:
    account_id = cli(db_url, "accounts", "add", "Acme Voice")
    cli(
        db_url,
        "users",
        "add",
        "admin",
        "--role",
        "SystemAdministrator",
        "--password-stdin",
        stdin=ADMIN_PASSWORD + "\n",
    )
    return Seeded(account_id, cli(db_url, "apikeys", "create", "admin"))


def test_three_nodes_on_an_empty_database_share_writes_keys_and_logins(pg_url: str) -> None:
    with nodes(pg_url, 3) as (a, b, c):
        # Seeded by the CLI while the nodes run: the key works on every node at once.
        world = seed(pg_url)
        for node in (a, b, c):
            assert httpx.get(f"{node.base_url}/ai/sessions", headers=world.auth).status_code == 200

        created = httpx.post(
            f"{a.base_url}/ai/sessions", json={"accountId": world.account_id, "purpose": "one"}, headers=world.auth
        )
        assert created.status_code == 200
        sid = created.json()["id"]
        for node in (b, c):
            assert httpx.get(f"{node.base_url}/ai/sessions/{sid}", headers=world.auth).json() == created.json()
        patched = httpx.patch(f"{b.base_url}/ai/sessions/{sid}", json={"purpose": "two"}, headers=world.auth)
        assert patched.status_code == 200
        for node in (a, c):
            assert httpx.get(f"{node.base_url}/ai/sessions/{sid}", headers=world.auth).json()["purpose"] == "two"
        listed = [httpx.get(f"{n.base_url}/ai/sessions", headers=world.auth).json() for n in (a, b, c)]
        assert listed[0] == listed[1] == listed[2] and listed[0]["totalCount"] == 1
        assert httpx.delete(f"{c.base_url}/ai/sessions/{sid}", headers=world.auth).status_code == 204
        for node in (a, b):
            assert httpx.get(f"{node.base_url}/ai/sessions/{sid}", headers=world.auth).status_code == 404

        # A login made on A is honoured by B and C; a logout on B ends it everywhere.
        login = httpx.post(f"{a.base_url}/auth/credentials", json={"userName": "admin", "password": ADMIN_PASSWORD})
        assert login.status_code == 200
        cookie = {"ss-id": login.cookies["ss-id"]}
        for node in (a, b, c):
            assert httpx.get(f"{node.base_url}/ai/sessions", cookies=cookie).status_code == 200
        assert httpx.post(f"{b.base_url}/auth/logout", cookies=cookie).status_code == 200
        time.sleep(1)  # the promise is "within 1 s"; nothing caches logins, so it holds at once
        for node in (a, b, c):
            assert httpx.get(f"{node.base_url}/ai/sessions", cookies=cookie).status_code == 401


def _create_forever(
    base_url: str, account_id: str, auth: dict[str, str], stop: threading.Event, acked: list[str]
) -> None:
    """Create sessions until stopped; record the id of every one a 200 acknowledged."""
    n = 0
    with httpx.Client(base_url=base_url, headers=auth, timeout=10) as client:
        while not stop.is_set():
            value = f"{base_url[-5:]}-{n}"
            n += 1
            try:
                r = client.post("/ai/sessions", json={"accountId": account_id, "purpose": value})
            except httpx.TransportError:
                continue  # the node was killed mid-request: not acknowledged
            if r.status_code == 200:
                acked.append(r.json()["id"])


def test_kill_9_of_a_node_under_write_load_loses_no_acknowledged_write(pg_url: str) -> None:
    with nodes(pg_url, 3) as (a, b, c):
        world = seed(pg_url)
        stop = threading.Event()
        acked: dict[str, list[str]] = {n.base_url: [] for n in (a, b, c)}
        writers = [
            threading.Thread(
                target=_create_forever, args=(n.base_url, world.account_id, world.auth, stop, acked[n.base_url])
            )
            for n in (a, b, c)
            for _ in range(2)
        ]
        for t in writers:
            t.start()
        try:
            deadline = time.monotonic() + 30
            while len(acked[a.base_url]) < 20 and time.monotonic() < deadline:
                time.sleep(0.05)
            a.kill()  # mid-load
            before = {url: len(ids) for url, ids in acked.items()}
            deadline = time.monotonic() + 30
            while min(len(acked[n.base_url]) - before[n.base_url] for n in (b, c)) < 20 and time.monotonic() < deadline:
                time.sleep(0.05)
        finally:
            stop.set()
            for t in writers:
                t.join()
        # The survivors kept serving after the kill.
        assert all(len(acked[n.base_url]) - before[n.base_url] >= 20 for n in (b, c))
        every = [sid for ids in acked.values() for sid in ids]
        assert len(acked[a.base_url]) >= 20
        listed = httpx.get(f"{b.base_url}/ai/sessions", params={"all": "true"}, headers=world.auth, timeout=30)
        stored = {item["id"] for item in listed.json()["items"]}
        assert set(every) <= stored  # every acknowledged write is there
        with nodes(pg_url, 1) as (restarted,):  # the killed node comes back on the same database
            got = httpx.get(f"{restarted.base_url}/ai/sessions/{acked[a.base_url][-1]}", headers=world.auth)
            assert got.status_code == 200


@pytest.fixture
def own_cluster() -> Iterator[PgCluster]:
    """A cluster this test may stop and start without disturbing the others."""
    cluster = require_postgres_binaries()
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.destroy()


def _load(base_url: str, sid: str, auth: dict[str, str], stop: threading.Event, statuses: list[int]) -> None:
    """PATCH one session until stopped; record every status. A transport error (the node itself
    failing) ends the thread, and the test then sees the load not resume."""
    with httpx.Client(base_url=base_url, headers=auth, timeout=30) as client:
        n = 0
        while not stop.is_set():
            n += 1
            statuses.append(client.patch(f"/ai/sessions/{sid}", json={"purpose": f"load-{n}"}).status_code)


def test_database_stopped_and_started_under_load_is_503_then_service_without_restart(own_cluster: PgCluster) -> None:
    db_url = create_database(own_cluster.admin_url)
    with nodes(db_url, 2) as serving:
        world = seed(db_url)
        sid = httpx.post(
            f"{serving[0].base_url}/ai/sessions", json={"accountId": world.account_id}, headers=world.auth
        ).json()["id"]
        stop = threading.Event()
        statuses: list[list[int]] = [[] for _ in serving]
        loaders = [
            threading.Thread(target=_load, args=(node.base_url, sid, world.auth, stop, statuses[i]))
            for i, node in enumerate(serving)
        ]
        for t in loaders:
            t.start()
        try:
            own_cluster.stop()
            for node in serving:
                for _ in range(3):
                    began = time.monotonic()
                    r = httpx.get(f"{node.base_url}/ai/sessions/{sid}", headers=world.auth, timeout=30)
                    # The promise: 503 within 5 s (the store bounds a whole operation at 4 s).
                    assert r.status_code == 503 and time.monotonic() - began < 5
                    assert r.json()["responseStatus"]["errorCode"] == "ServiceUnavailable"
            own_cluster.start()
            restarted = time.monotonic()
            for node in serving:  # the same processes serve again, with no restart, within 10 s
                deadline = restarted + 10
                while True:
                    r = httpx.get(f"{node.base_url}/ai/sessions/{sid}", headers=world.auth, timeout=30)
                    if r.status_code == 200:
                        break
                    assert r.status_code == 503 and time.monotonic() < deadline, r.text
                    time.sleep(0.2)
            served_again = [len(s) for s in statuses]
            deadline = time.monotonic() + 20
            while min(len(s) - n for s, n in zip(statuses, served_again, strict=True)) < 10:
                assert time.monotonic() < deadline, "the load did not resume"
                time.sleep(0.05)
        finally:
            stop.set()
            for t in loaders:
                t.join()
        for seen in statuses:
            # Under load through the outage: only successes and 503s, never a 500; the load saw both.
            assert set(seen) == {200, 503}, sorted(set(seen))
            assert seen[-1] == 200


def test_sixty_concurrent_patches_over_three_nodes_all_succeed_and_agree(pg_url: str) -> None:
    with nodes(pg_url, 3) as serving:
        world = seed(pg_url)
        sid = httpx.post(
            f"{serving[0].base_url}/ai/sessions", json={"accountId": world.account_id}, headers=world.auth
        ).json()["id"]
        purposes = [f"concurrent-{i}" for i in range(60)]

        async def patch_all() -> list[int]:
            async with httpx.AsyncClient(timeout=30) as http:
                responses = await asyncio.gather(
                    *(
                        http.patch(
                            f"{serving[i % 3].base_url}/ai/sessions/{sid}", json={"purpose": p}, headers=world.auth
                        )
                        for i, p in enumerate(purposes)
                    )
                )
            return [r.status_code for r in responses]

        assert asyncio.run(patch_all()) == [200] * 60
        finals = {httpx.get(f"{n.base_url}/ai/sessions/{sid}", headers=world.auth).json()["purpose"] for n in serving}
        assert len(finals) == 1 and finals <= set(purposes)


def test_data_and_logins_survive_restarting_every_node(pg_url: str) -> None:
    with nodes(pg_url, 1) as (first,):
        world = seed(pg_url)
        created = httpx.post(
            f"{first.base_url}/ai/sessions", json={"accountId": world.account_id, "purpose": "kept"}, headers=world.auth
        ).json()
        login = httpx.post(f"{first.base_url}/auth/credentials", json={"userName": "admin", "password": ADMIN_PASSWORD})
        cookie = {"ss-id": login.cookies["ss-id"]}
    with nodes(pg_url, 1) as (second,):
        assert httpx.get(f"{second.base_url}/ai/sessions/{created['id']}", cookies=cookie).json() == created


def test_thirty_concurrent_patches_with_one_if_match_over_three_nodes_have_one_winner(pg_url: str) -> None:
    """The version is compared inside the UPDATE: whichever node each PATCH lands on, exactly one
    of thirty writers holding the same tag succeeds, and every node then serves the winner's state."""
    with nodes(pg_url, 3) as serving:
        world = seed(pg_url)
        created = httpx.post(
            f"{serving[0].base_url}/ai/sessions", json={"accountId": world.account_id}, headers=world.auth
        )
        sid, tag = created.json()["id"], created.headers["etag"]
        purposes = [f"guarded-{i}" for i in range(30)]

        async def patch_all() -> list[httpx.Response]:
            async with httpx.AsyncClient(timeout=30) as http:
                return list(
                    await asyncio.gather(
                        *(
                            http.patch(
                                f"{serving[i % 3].base_url}/ai/sessions/{sid}",
                                json={"purpose": p},
                                headers={**world.auth, "If-Match": tag},
                            )
                            for i, p in enumerate(purposes)
                        )
                    )
                )

        responses = asyncio.run(patch_all())
        statuses = sorted(r.status_code for r in responses)
        assert statuses == [200] + [412] * 29, statuses
        (winner,) = (r for r in responses if r.status_code == 200)
        assert winner.headers["etag"] == '"2"'
        for lost in (r for r in responses if r.status_code == 412):
            assert lost.json()["responseStatus"]["errorCode"] == "PreconditionFailed"
        for node in serving:
            got = httpx.get(f"{node.base_url}/ai/sessions/{sid}", headers=world.auth)
            assert got.json() == winner.json() and got.headers["etag"] == '"2"'
            unchanged = httpx.get(f"{node.base_url}/ai/sessions/{sid}", headers={**world.auth, "If-None-Match": '"2"'})
            assert unchanged.status_code == 304 and unchanged.content == b""
        # The stale tag deletes nothing on any node; the current one deletes.
        assert (
            httpx.delete(
                f"{serving[1].base_url}/ai/sessions/{sid}", headers={**world.auth, "If-Match": tag}
            ).status_code
            == 412
        )
        assert (
            httpx.delete(
                f"{serving[2].base_url}/ai/sessions/{sid}", headers={**world.auth, "If-Match": '"2"'}
            ).status_code
            == 204
        )
