"""ETag, If-None-Match and If-Match against a real `serve` on SQLite: one process (whose session
cache must carry the version) and `--workers 2` (where SQLite's write lock orders the writers)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx2 as httpx
import pytest

from .conftest import cli
from .served import db_in, seed, serving


def test_tags_304_and_412_through_the_cached_single_process(tmp_path: Path) -> None:
    db = db_in(tmp_path)
    auth = {"Authorization": f"Bearer {seed(db)}"}
    account = cli(db, "accounts", "add", "Tags Co")
    with serving(tmp_path, db) as served, httpx.Client(base_url=served.base_url, headers=auth) as http:
        created = http.post("/ai/sessions", json={"accountId": account, "purpose": "a"})
        sid, tag = created.json()["id"], created.headers["etag"]
        assert tag == '"1"'
        # Read twice: the second answer comes from the session cache and must carry the same tag.
        for _ in range(2):
            assert http.get(f"/ai/sessions/{sid}", headers={"If-None-Match": tag}).status_code == 304
        stale = http.patch(f"/ai/sessions/{sid}", json={"purpose": "b"}, headers={"If-Match": '"7"'})
        assert stale.status_code == 412 and stale.json()["responseStatus"]["errorCode"] == "PreconditionFailed"
        patched = http.patch(f"/ai/sessions/{sid}", json={"purpose": "b"}, headers={"If-Match": tag})
        assert patched.status_code == 200 and patched.headers["etag"] == '"2"'
        # The commit emptied the cache: the old tag no longer matches, the new one does.
        fresh = http.get(f"/ai/sessions/{sid}", headers={"If-None-Match": tag})
        assert fresh.status_code == 200 and fresh.json()["purpose"] == "b" and fresh.headers["etag"] == '"2"'
        assert http.get(f"/ai/sessions/{sid}", headers={"If-None-Match": '"2"'}).status_code == 304
        assert http.delete(f"/ai/sessions/{sid}", headers={"If-Match": tag}).status_code == 412
        assert http.delete(f"/ai/sessions/{sid}", headers={"If-Match": '"2"'}).status_code == 204


@pytest.mark.parametrize("workers", ["1", "2"])
def test_twenty_concurrent_patches_with_one_if_match_have_one_winner(tmp_path: Path, workers: str) -> None:
    db = db_in(tmp_path)
    auth = {"Authorization": f"Bearer {seed(db)}"}
    account = cli(db, "accounts", "add", "Race Co")
    with serving(tmp_path, db, "--workers", workers) as served:
        created = httpx.post(f"{served.base_url}/ai/sessions", json={"accountId": account}, headers=auth)
        sid, tag = created.json()["id"], created.headers["etag"]

        async def race() -> list[httpx.Response]:
            # Fresh connections, so with two workers the kernel spreads them over both.
            async with httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_keepalive_connections=0)) as http:
                return list(
                    await asyncio.gather(
                        *(
                            http.patch(
                                f"{served.base_url}/ai/sessions/{sid}",
                                json={"purpose": f"w{i}"},
                                headers={**auth, "If-Match": tag},
                            )
                            for i in range(20)
                        )
                    )
                )

        responses = asyncio.run(race())
        assert sorted(r.status_code for r in responses) == [200] + [412] * 19
        (winner,) = (r for r in responses if r.status_code == 200)
        for _ in range(4):
            got = httpx.get(f"{served.base_url}/ai/sessions/{sid}", headers=auth)
            assert got.json() == winner.json() and got.headers["etag"] == '"2"'
