"""Request bodies sent with `Content-Encoding`: gzip, deflate and br decoded in every format and in
forms; the body limit applied to the decoded size (zip bombs are 413 without inflating in full);
corrupt streams 400; unknown codings read as sent, as ServiceStack does."""

from __future__ import annotations

import gzip
import tracemalloc
import zlib

import brotli
import pytest
from starlette.testclient import TestClient

from gateway.http.codings import compress

from .conftest import World
from .test_http_golden import FORMATS, MEDIA_TYPES, _only_session_id, headers, load, render, values_of
from .test_http_operations import new_session

CODINGS = ["gzip", "deflate", "br"]
LIMIT = 64 * 1024  # the client fixture's --max-body-bytes


def _raw_deflate(body: bytes) -> bytes:
    packer = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    return packer.compress(body) + packer.flush()


def _error_code_in(fmt: str, body: bytes, code: str) -> bool:
    # XML spells the field ErrorCode, the others errorCode (CSV's cell holds JSV); the code is exact.
    field = b"<ErrorCode>" if fmt == "xml" else b"errorCode"
    return field in body and code.encode() in body


@pytest.mark.parametrize("coding", CODINGS)
@pytest.mark.parametrize("fmt", FORMATS)
def test_a_compressed_golden_request_is_answered_byte_for_byte(
    client: TestClient, world: World, fmt: str, coding: str
) -> None:
    sent = render(load(fmt, "NewAISession.request"), {"accountId": world.account_id})
    r = client.post(
        "/ai/sessions", content=compress(sent, coding), headers={**headers(world, fmt), "Content-Encoding": coding}
    )
    assert r.status_code == 200, r.text
    session_id = _only_session_id(world)
    assert session_id is not None
    assert r.content == render(load(fmt, "NewAISession.response"), values_of(world, session_id))


@pytest.mark.parametrize("coding", CODINGS)
def test_a_compressed_urlencoded_form_binds_and_may_carry_the_verb(
    client: TestClient, world: World, coding: str
) -> None:
    sid = new_session(client, world, purpose="before")["id"]
    form = b"purpose=caf%C3%A9&X-Http-Method-Override=PATCH"
    r = client.post(
        f"/ai/sessions/{sid}",
        content=compress(form, coding),
        headers={**world.admin, "Content-Type": "application/x-www-form-urlencoded", "Content-Encoding": coding},
    )
    assert r.status_code == 200, r.text
    assert r.json()["purpose"] == "café"


def test_a_compressed_multipart_form_binds(client: TestClient, world: World) -> None:
    sid = new_session(client, world)["id"]
    body = b'--XyZ\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nmulti br\r\n--XyZ--\r\n'
    r = client.patch(
        f"/ai/sessions/{sid}",
        content=brotli.compress(body),
        headers={**world.admin, "Content-Type": "multipart/form-data; boundary=XyZ", "Content-Encoding": "br"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["purpose"] == "multi br"


def test_deflate_may_be_raw_and_gzip_may_have_several_members(client: TestClient, world: World) -> None:
    sid = new_session(client, world)["id"]
    raw = client.patch(
        f"/ai/sessions/{sid}",
        content=_raw_deflate(b'{"purpose":"raw deflate"}'),  # .NET Framework's DeflateStream
        headers={**world.admin, "Content-Type": "application/json", "Content-Encoding": "deflate"},
    )
    assert raw.status_code == 200 and raw.json()["purpose"] == "raw deflate", raw.text
    members = gzip.compress(b'{"purpose":') + gzip.compress(b'"two members"}')
    two = client.patch(
        f"/ai/sessions/{sid}",
        content=members,
        headers={**world.admin, "Content-Type": "application/json", "Content-Encoding": "gzip"},
    )
    assert two.status_code == 200 and two.json()["purpose"] == "two members", two.text


def test_coding_names_are_case_insensitive(client: TestClient, world: World) -> None:
    # RFC 9110 8.4.1; ServiceStack's lookup is case-sensitive (a documented difference).
    sid = new_session(client, world)["id"]
    r = client.patch(
        f"/ai/sessions/{sid}",
        content=gzip.compress(b'{"purpose":"upper"}'),
        headers={**world.admin, "Content-Type": "application/json", "Content-Encoding": " GZIP "},
    )
    assert r.status_code == 200 and r.json()["purpose"] == "upper", r.text


@pytest.mark.parametrize("encoding", ["identity", "compress", "gzip, br", "zstd"])
def test_an_unknown_coding_reads_the_body_as_sent(client: TestClient, world: World, encoding: str) -> None:
    """ServiceStack has no compressor for these, so it reads the bytes as they came."""
    sid = new_session(client, world)["id"]
    plain = client.patch(
        f"/ai/sessions/{sid}",
        content=b'{"purpose":"as sent"}',
        headers={**world.admin, "Content-Type": "application/json", "Content-Encoding": encoding},
    )
    assert plain.status_code == 200 and plain.json()["purpose"] == "as sent", plain.text
    packed = client.patch(
        f"/ai/sessions/{sid}",
        content=gzip.compress(b'{"purpose":"packed"}'),
        headers={**world.admin, "Content-Type": "application/json", "Content-Encoding": encoding},
    )
    assert packed.status_code == 400
    assert packed.json()["responseStatus"]["errorCode"] == "SerializationException"


def test_an_empty_compressed_body_is_an_empty_body(client: TestClient, world: World) -> None:
    sid = new_session(client, world, purpose="kept")["id"]
    r = client.get(f"/ai/sessions/{sid}", headers={**world.admin, "Content-Encoding": "gzip", "Content-Length": "0"})
    assert r.status_code == 200 and r.json()["purpose"] == "kept"


@pytest.mark.parametrize("coding", CODINGS)
@pytest.mark.parametrize("fmt", FORMATS)
def test_a_corrupt_stream_is_400_in_the_callers_format(client: TestClient, world: World, fmt: str, coding: str) -> None:
    sent = render(load(fmt, "NewAISession.request"), {"accountId": world.account_id})
    packed = compress(sent, coding)
    for broken in (b"\x00not compressed at all\xff" * 3, packed[: len(packed) // 2], packed + b"trailing"):
        r = client.post("/ai/sessions", content=broken, headers={**headers(world, fmt), "Content-Encoding": coding})
        assert r.status_code == 400, (broken, r.text)
        assert r.headers["content-type"].startswith(MEDIA_TYPES[fmt])
        assert _error_code_in(fmt, r.content, "SerializationException"), r.text
    assert _only_session_id(world, expected=0) is None


#: 48 MiB of zeros: under 64 KiB in every coding, 768 times the limit once inflated.
_BOMB_SIZE = 48 * 1024 * 1024


@pytest.fixture(scope="module")
def bombs() -> dict[str, bytes]:
    zeros = bytes(_BOMB_SIZE)
    packed = {
        "gzip": gzip.compress(zeros, 9),
        "deflate": zlib.compress(zeros, 9),
        "br": brotli.compress(zeros, quality=5),
    }
    assert all(len(bomb) < LIMIT for bomb in packed.values())
    return packed


@pytest.mark.parametrize("coding", CODINGS)
@pytest.mark.parametrize("fmt", FORMATS)
def test_a_zip_bomb_is_413_in_the_callers_format(
    client: TestClient, world: World, fmt: str, coding: str, bombs: dict[str, bytes]
) -> None:
    r = client.post("/ai/sessions", content=bombs[coding], headers={**headers(world, fmt), "Content-Encoding": coding})
    assert r.status_code == 413
    assert r.headers["content-type"].startswith(MEDIA_TYPES[fmt])
    assert _error_code_in(fmt, r.content, "RequestEntityTooLarge"), r.text
    assert b"once decompressed" in r.content


@pytest.mark.parametrize("coding", CODINGS)
def test_a_zip_bomb_is_never_inflated_in_full(
    client: TestClient, world: World, coding: str, bombs: dict[str, bytes]
) -> None:
    """Inflating first and measuring after would hold all 48 MiB; stopping at the limit holds
    about the limit (plus a decoder's window and buffers)."""
    tracemalloc.start()
    try:
        r = client.post(
            "/ai/sessions",
            content=bombs[coding],
            headers={**world.admin, "Content-Type": "application/json", "Content-Encoding": coding},
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert r.status_code == 413
    assert peak < 8 * 1024 * 1024, peak


def test_the_limit_still_applies_to_the_bytes_sent(client: TestClient, world: World) -> None:
    noise = bytes(range(256)) * (LIMIT // 256 + 8)  # incompressible enough: over the limit packed too
    packed = zlib.compress(noise, 0)
    assert len(packed) > LIMIT
    r = client.post(
        "/ai/sessions",
        content=packed,
        headers={**world.admin, "Content-Type": "application/json", "Content-Encoding": "deflate"},
    )
    assert r.status_code == 413
    assert r.json()["responseStatus"]["errorCode"] == "RequestEntityTooLarge"
