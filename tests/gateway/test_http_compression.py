"""Response compression (`--compress`): off by default; then br, deflate or gzip by Accept-Encoding
with q-values, in every format, errors included; a minimum size; `Vary: Accept-Encoding`; 204, 206,
304, HEAD, encoded and streamed answers handled; Content-Length always that of the bytes sent."""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Iterator

import anyio
import brotli
import pytest
from starlette.testclient import TestClient
from starlette.types import Message, Receive, Scope, Send

from gateway.app import create_app
from gateway.config import Settings
from gateway.http.compression import Compress, CompressionPolicy, choose_coding

from .conftest import World
from .test_http_golden import FORMATS, MEDIA_TYPES
from .test_http_operations import new_session

DECODE = {"gzip": gzip.decompress, "deflate": zlib.decompress, "br": brotli.decompress}


def compressing(world: World, min_bytes: int = 1024) -> TestClient:
    settings = Settings(db_url=world.db_url, compression=CompressionPolicy(min_bytes=min_bytes))
    return TestClient(create_app(settings, store=world.store))


@pytest.fixture
def zipping(world: World) -> Iterator[TestClient]:
    with compressing(world) as client:
        yield client


def raw_get(
    client: TestClient, path: str, headers: dict[str, str], method: str = "GET"
) -> tuple[int, dict[str, str], bytes]:
    """Status, headers and the bytes as sent (httpx would decode them)."""
    with client.stream(method, path, headers=headers) as r:
        return r.status_code, dict(r.headers), b"".join(r.iter_raw())


@pytest.mark.parametrize(
    ("accept_encoding", "coding"),
    [
        ("gzip, deflate, br", "br"),
        ("gzip, deflate", "deflate"),  # ServiceStack's order: br, deflate, gzip
        ("gzip", "gzip"),
        ("x-gzip", "gzip"),
        ("GZip", "gzip"),
        ("br;q=0.5, gzip", "gzip"),
        ("br;q=0.5, gzip;q=0.4, deflate;q=0.45", "br"),
        ("br;q=0, *", "deflate"),
        ("*", "br"),
        ("*;q=0", None),
        ("gzip;q=0", None),
        ("gzip;q=0.000", None),
        ("gzip;q=abc", None),
        ("gzip;q=2", None),
        ("identity", None),
        ("identity, *;q=0", None),
        ("compress, zstd", None),
        ("", None),
        (None, None),
        ("gzip;level=1", "gzip"),
        ("gzip;q=0.1, gzip;q=0", "gzip"),  # the first mention counts
    ],
)
def test_the_coding_is_chosen_by_q_value_then_servicestacks_order(
    accept_encoding: str | None, coding: str | None
) -> None:
    assert choose_coding(accept_encoding) == coding


def test_without_the_option_nothing_is_compressed(client: TestClient, world: World) -> None:
    for purpose in range(20):
        new_session(client, world, purpose="x" * 100 + str(purpose))
    status, headers, raw = raw_get(client, "/ai/sessions", {**world.admin, "Accept-Encoding": "gzip, br"})
    assert status == 200 and len(raw) > 2000
    assert "content-encoding" not in headers and headers["vary"] == "Accept"
    assert int(headers["content-length"]) == len(raw)


@pytest.mark.parametrize("coding", ["gzip", "deflate", "br"])
@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_is_compressed_with_the_right_length(
    zipping: TestClient, world: World, fmt: str, coding: str
) -> None:
    for purpose in range(20):
        new_session(zipping, world, purpose="a fairly repetitive purpose " + str(purpose))
    accept = {**world.admin, "Accept": MEDIA_TYPES[fmt]}
    _, plain_headers, plain = raw_get(zipping, "/ai/sessions", {**accept, "Accept-Encoding": "identity"})
    assert "content-encoding" not in plain_headers and len(plain) > 1024
    status, headers, raw = raw_get(zipping, "/ai/sessions", {**accept, "Accept-Encoding": coding})
    assert status == 200 and headers["content-encoding"] == coding
    assert headers["content-type"] == plain_headers["content-type"]
    assert int(headers["content-length"]) == len(raw) < len(plain)
    assert DECODE[coding](raw) == plain
    assert headers["vary"] == plain_headers["vary"] == "Accept, Accept-Encoding"


@pytest.mark.parametrize("fmt", FORMATS)
def test_errors_are_compressed_in_the_callers_format(world: World, fmt: str) -> None:
    with compressing(world, min_bytes=0) as client:
        status, headers, raw = raw_get(
            client,
            "/ai/sessions/" + "missing" * 40,
            {**world.admin, "Accept": MEDIA_TYPES[fmt], "Accept-Encoding": "gzip"},
        )
        assert status == 404 and headers["content-encoding"] == "gzip"
        assert headers["content-type"].startswith(MEDIA_TYPES[fmt])
        assert int(headers["content-length"]) == len(raw) and b"NotFound" in gzip.decompress(raw)


def test_small_bodies_stay_as_they_are_but_still_vary(zipping: TestClient, world: World) -> None:
    sid = new_session(zipping, world)["id"]
    status, headers, raw = raw_get(zipping, f"/ai/sessions/{sid}", {**world.admin, "Accept-Encoding": "gzip"})
    assert status == 200 and len(raw) < 1024
    assert "content-encoding" not in headers and headers["vary"] == "Accept, Accept-Encoding"
    assert int(headers["content-length"]) == len(raw) and raw.startswith(b"{")


def test_a_body_compression_would_not_shrink_stays_as_it_is(world: World) -> None:
    with compressing(world, min_bytes=0) as client:
        status, headers, raw = raw_get(client, "/health", {"Accept-Encoding": "gzip"})
        assert status == 200 and 0 < len(raw) < 30
        assert "content-encoding" not in headers and int(headers["content-length"]) == len(raw)


def test_204_and_empty_answers_are_never_encoded(world: World) -> None:
    with compressing(world, min_bytes=0) as client:
        sid = new_session(client, world)["id"]
        deleted = client.delete(f"/ai/sessions/{sid}", headers={**world.admin, "Accept-Encoding": "gzip"})
        assert deleted.status_code == 204 and "content-encoding" not in deleted.headers
        denied = client.get("/ai/sessions", headers={"Accept-Encoding": "gzip"})  # ServiceStack's empty 401
        assert denied.status_code == 401 and "content-encoding" not in denied.headers


def test_head_gets_the_headers_its_get_would(zipping: TestClient) -> None:
    asked = {"Accept-Encoding": "gzip"}
    _, got, raw = raw_get(zipping, "/metadata", asked)
    assert got["content-encoding"] == "gzip" and int(got["content-length"]) == len(raw)
    status, head, _ = raw_get(zipping, "/metadata", asked, method="HEAD")
    assert status == 200
    assert (head["content-encoding"], head["content-length"], head["vary"]) == (
        got["content-encoding"],
        got["content-length"],
        got["vary"],
    )


# The layer on its own, under answers the gateway does not (yet) give.


def _serve(app: Compress, accept_encoding: str = "gzip", method: str = "GET") -> list[Message]:
    sent: list[Message] = []
    scope: Scope = {"type": "http", "method": method, "headers": [(b"accept-encoding", accept_encoding.encode())]}

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    anyio.run(app, scope, receive, send)
    return sent


def _answer(status: int, headers: list[tuple[bytes, bytes]], *bodies: bytes) -> Compress:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": status, "headers": headers})
        for index, body in enumerate(bodies):
            await send({"type": "http.response.body", "body": body, "more_body": index < len(bodies) - 1})

    return Compress(app, CompressionPolicy(min_bytes=100))


TEXT = b"a compressible line of text\n" * 100


@pytest.mark.parametrize(
    ("status", "headers"),
    [
        (304, [(b"etag", b'"v1"')]),
        (206, [(b"content-range", b"bytes 0-9/2800"), (b"content-type", b"text/plain")]),
        (200, [(b"content-encoding", b"br"), (b"content-type", b"application/json")]),
        (200, [(b"content-type", b"image/png")]),
        (200, [(b"content-type", b"application/zip")]),
    ],
)
def test_answers_that_must_not_be_encoded_pass_untouched(status: int, headers: list[tuple[bytes, bytes]]) -> None:
    body = b"" if status == 304 else TEXT
    start, sent_body = _serve(_answer(status, [*headers, (b"content-length", str(len(body)).encode())], body))
    assert start["status"] == status and (b"vary", b"Accept-Encoding") in start["headers"]
    assert [h for h in start["headers"] if h[0] != b"vary"] == [*headers, (b"content-length", str(len(body)).encode())]
    assert sent_body["body"] == body


def test_a_streamed_body_is_compressed_as_it_goes_and_sent_chunked() -> None:
    parts = (TEXT, TEXT, b"end")
    start, *bodies = _serve(_answer(200, [(b"content-type", b"text/plain")], *parts), accept_encoding="br")
    headers = dict(start["headers"])
    assert headers[b"content-encoding"] == b"br" and b"content-length" not in headers
    assert [m["more_body"] for m in bodies] == [True, True, False]
    assert brotli.decompress(b"".join(m["body"] for m in bodies)) == b"".join(parts)


def test_a_streamed_body_declared_short_stays_as_it_is() -> None:
    parts = (b"tiny", b" body")
    start, *bodies = _serve(_answer(200, [(b"content-type", b"text/plain"), (b"content-length", b"9")], *parts))
    assert b"content-encoding" not in dict(start["headers"])
    assert b"".join(m["body"] for m in bodies) == b"tiny body"


def test_vary_is_merged_into_the_answers_own() -> None:
    start, _ = _serve(_answer(200, [(b"vary", b"Accept, Origin"), (b"content-type", b"text/plain")], TEXT))
    assert [v for k, v in start["headers"] if k == b"vary"] == [b"Accept, Origin, Accept-Encoding"]
