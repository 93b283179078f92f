"""Units of the serving layer: secret masking, request ids, the readiness probe's bound."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from gateway.serving.accesslog import target
from gateway.serving.probes import Probes
from gateway.serving.redact import redact_query
from gateway.serving.requestid import request_id
from gateway.store import StoreUnavailable


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("userName=x&password=hunter2", "userName=x&password=***"),
        ("PassWord=a&APIKEY=b&Ss-Tok=c", "PassWord=***&APIKEY=***&Ss-Tok=***"),
        ("ss_id=d&SS-PID=e&token=f", "ss_id=***&SS-PID=***&token=***"),
        ("pass%77ord=x&newPassword=y&refresh_token=z", "pass%77ord=***&newPassword=***&refresh_token=***"),
        ("format=json&debug", "format=json&debug"),
        ("", ""),
    ],
)
def test_secret_parameters_are_masked(query: str, expected: str) -> None:
    assert redact_query(query) == expected


def test_a_log_target_is_one_printable_line() -> None:
    assert target(b"/ai/sessions/a\nb", b"password=s\r\n&x=1") == "/ai/sessions/a\\x0ab?password=***&x=1"


@pytest.mark.parametrize("value", [b"has space", b"x" * 129, b"", "é".encode(), b"a\x00b"])
def test_an_insane_request_id_is_replaced(value: bytes) -> None:
    made = request_id([(b"x-request-id", value)])
    assert made != value.decode("latin-1") and len(made) == 32


def test_a_sane_request_id_is_kept_and_new_ones_differ() -> None:
    assert request_id([(b"x-request-id", b"x" * 128)]) == "x" * 128
    assert request_id([]) != request_id([])


class _Store:
    def __init__(self, delay: float, error: Exception | None = None) -> None:
        self.delay = delay
        self.error = error
        self.pings = 0

    async def ping(self) -> None:
        self.pings += 1
        await asyncio.sleep(self.delay)
        if self.error is not None:
            raise self.error


async def _probe(probes: Probes, path: str) -> tuple[int, Any]:
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Any) -> None:
        sent.append(message)

    await probes({"type": "http", "method": "GET", "path": path}, receive, send)
    return sent[0]["status"], json.loads(sent[1]["body"])


def test_ready_answers_503_once_its_bound_passes_and_shares_one_pending_ping() -> None:
    store = _Store(delay=5)
    probes = Probes(store, timeout=0.05)

    async def run() -> list[tuple[int, Any]]:
        return list(await asyncio.gather(*(_probe(probes, "/ready") for _ in range(5))))

    answers = asyncio.run(run())
    assert answers == [(503, {"status": "unavailable", "reason": "the store did not answer within 0.05 s"})] * 5
    assert store.pings == 1


def test_ready_reports_a_store_error_and_health_never_asks_the_store() -> None:
    store = _Store(delay=0, error=StoreUnavailable("database error: disk I/O error"))
    probes = Probes(store)
    assert asyncio.run(_probe(probes, "/ready")) == (
        503,
        {"status": "unavailable", "reason": "database error: disk I/O error"},
    )
    assert asyncio.run(_probe(probes, "/health")) == (200, {"status": "ok"})
    assert store.pings == 1
