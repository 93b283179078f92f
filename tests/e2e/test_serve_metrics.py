"""`GET /metrics` after real traffic, parsed with prometheus_client's own parser."""

from __future__ import annotations

import time
from pathlib import Path

import httpx2 as httpx
from prometheus_client.parser import text_string_to_metric_families

from gateway.serving.metrics import FLUSH_SECONDS
from gateway.serving.timed_store import TIMED_METHODS

from .conftest import cli
from .served import db_in, seed, serving


def _scrape(base_url: str) -> dict[str, list[tuple[str, dict[str, str], float]]]:
    response = httpx.get(f"{base_url}/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {
        family.name: [(sample.name, sample.labels, sample.value) for sample in family.samples]
        for family in text_string_to_metric_families(response.text)
    }


def _traffic(base_url: str, key: str, account: str, patches: int) -> int:
    """One create, `patches` PATCHes, one GET of the session, one refused GET; the number of
    requests sent."""
    auth = {"Authorization": f"Bearer {key}"}
    created = httpx.post(f"{base_url}/ai/sessions", headers=auth, json={"accountId": account, "purpose": "p"})
    assert created.status_code == 200, created.text
    session = created.json()["id"]
    for i in range(patches):
        assert httpx.patch(f"{base_url}/ai/sessions/{session}", headers=auth, json={"purpose": f"p{i}"}).is_success
    assert httpx.get(f"{base_url}/ai/sessions/{session}", headers=auth).status_code == 200
    assert httpx.get(f"{base_url}/ai/sessions").status_code == 401
    return patches + 3


def _counted(requests: list[tuple[str, dict[str, str], float]]) -> tuple[float, float]:
    """(requests of an operation, other requests). The others are the start-up GET /health polls:
    at least one, more when a poll timed out on a loaded machine and was sent again."""
    totals = [(labels["operation"], value) for name, labels, value in requests if name.endswith("_total")]
    return sum(v for op, v in totals if op), sum(v for op, v in totals if not op)


def test_metrics_count_real_traffic(tmp_path: Path) -> None:
    db = db_in(tmp_path)
    key = seed(db)
    account = cli(db, "accounts", "add", "Metrics Co")
    with serving(tmp_path, db) as served:
        sent = _traffic(served.base_url, key, account, patches=5)
        families = _scrape(served.base_url)
    requests = families["evo_gateway_requests"]
    operations, probes = _counted(requests)
    assert operations == sent and probes >= 1  # and the GET /health that saw the server up
    assert any(labels["status"] == "401" and value == 1 for name, labels, value in requests if name.endswith("_total"))
    # The endpoint labels each request with its operation and format.
    patched = [v for n, labels, v in requests if n.endswith("_total") and labels["operation"] == "PatchAISession"]
    assert patched == [5] and all(
        labels["format"] == "json" for n, labels, _ in requests if labels["operation"] == "PatchAISession"
    )
    durations = families["evo_gateway_request_duration_seconds"]
    counts = [(labels["operation"], value) for name, labels, value in durations if name.endswith("_count")]
    assert sum(v for op, v in counts if op) == sent and sum(v for op, v in counts if not op) == probes
    (in_flight,) = [value for _, _, value in families["evo_gateway_requests_in_flight"]]
    assert in_flight == 1  # the scrape itself
    batches = {name: value for name, _, value in families["evo_gateway_sqlite_writer_batch_size"]}
    assert batches["evo_gateway_sqlite_writer_batch_size_sum"] >= 6  # the create and five PATCHes, at least
    store_calls = {
        labels["method"]: value
        for name, labels, value in families["evo_gateway_store_call_duration_seconds"]
        if name.endswith("_count")
    }
    # Every store method has its series from the start (at 0)...
    assert set(store_calls) == set(TIMED_METHODS)
    # ...and every store call the requests made is one sample; the key was looked up once (then
    # remembered by the auth cache) and its first use recorded once.
    assert {method: count for method, count in store_calls.items() if count} == {
        "api_key_user": 1,
        "record_api_key_use": 1,
        "create_session": 1,
        "patch_session": 5,
        "get_session": 1,
    }
    sums = {
        labels["method"]: value
        for name, labels, value in families["evo_gateway_store_call_duration_seconds"]
        if name.endswith("_sum")
    }
    assert all(sums[method] > 0 for method, count in store_calls.items() if count)


def test_metrics_add_up_over_workers(tmp_path: Path) -> None:
    db = db_in(tmp_path)
    key = seed(db)
    account = cli(db, "accounts", "add", "Metrics Co")
    with serving(tmp_path, db, "--workers", "2") as served:
        sent = _traffic(served.base_url, key, account, patches=30)
        # The other worker adds its counts to the shared files once a second.
        deadline = time.monotonic() + 10 * FLUSH_SECONDS
        while True:
            operations, probes = _counted(_scrape(served.base_url)["evo_gateway_requests"])
            if operations >= sent or time.monotonic() > deadline:
                break
            time.sleep(FLUSH_SECONDS / 4)
    assert operations == sent and probes >= 1  # whichever worker answered each request (and the scrape)


def test_no_metrics_makes_it_an_unknown_route(tmp_path: Path) -> None:
    db = db_in(tmp_path)
    seed(db)
    with serving(tmp_path, db, "--no-metrics") as served:
        response = httpx.get(f"{served.base_url}/metrics")
    assert response.status_code == 404
    assert response.json()["responseStatus"]["errorCode"] == "NotFound"
