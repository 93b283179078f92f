"""JSONL, `?jsconfig=` and HTML from a real `serve` process, over real sockets."""

from __future__ import annotations

import http.client
from urllib.parse import urlsplit

import httpx2 as httpx
import msgspec

from .conftest import LiveServer

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def _auth(live_server: LiveServer) -> dict[str, str]:
    return {"Authorization": f"Bearer {live_server.admin_key}"}


def _session(live_server: LiveServer) -> str:
    r = httpx.post(
        f"{live_server.base_url}/ai/sessions", json={"accountId": live_server.account_id}, headers=_auth(live_server)
    )
    assert r.status_code == 200
    return str(r.json()["id"])


def test_jsonl_both_ways(live_server: LiveServer) -> None:
    session_id = _session(live_server)
    body = msgspec.json.encode({"accountId": live_server.account_id, "purpose": "jsonl"})
    made = httpx.post(
        f"{live_server.base_url}/ai/sessions",
        content=body,
        headers={**_auth(live_server), "Content-Type": "text/jsonl", "Accept": "text/jsonl"},
    )
    assert made.status_code == 200 and made.headers["content-type"] == "text/jsonl"
    listed = httpx.get(f"{live_server.base_url}/ai/sessions.jsonl", headers=_auth(live_server))
    assert listed.status_code == 200 and listed.content.endswith(b"\n")
    ids = [msgspec.json.decode(line)["id"] for line in listed.content.splitlines()]
    assert session_id in ids and made.json()["id"] in ids
    bad = httpx.post(f"{live_server.base_url}/jsonl/reply/NewAISession[]", content=b"{", headers=_auth(live_server))
    assert bad.status_code == 400 and bad.json()["responseStatus"]["errorCode"] == "SerializationException"


def test_jsconfig_from_the_query(live_server: LiveServer) -> None:
    session_id = _session(live_server)
    url = f"{live_server.base_url}/ai/sessions/{session_id}"
    snake = httpx.get(url, params={"jsconfig": "tc:sc,inv"}, headers=_auth(live_server)).json()
    assert snake["id"] == session_id and snake["purpose"] is None and "account_id" in snake
    jsv = httpx.get(url + ".jsv", params={"jsconfig": "TextCase:PascalCase"}, headers=_auth(live_server))
    assert jsv.text.startswith("{AccountId:")
    pretty = httpx.get(
        f"{live_server.base_url}/ai/sessions/nope", params={"jsconfig": "pp"}, headers=_auth(live_server)
    )
    assert pretty.status_code == 404 and pretty.text.startswith('{\n    "responseStatus": {\n')


def test_html_for_a_browser_and_json_for_everyone_else(live_server: LiveServer) -> None:
    session_id = _session(live_server)
    url = f"{live_server.base_url}/ai/sessions/{session_id}"
    page = httpx.get(url, headers={**_auth(live_server), "Accept": BROWSER_ACCEPT})
    assert page.status_code == 200 and page.headers["content-type"] == "text/html; charset=utf-8"
    assert page.headers["content-security-policy"].startswith("default-src 'none'")
    assert "?format=json" in page.text and "<h1>GetAISession</h1>" in page.text
    for accept in ("application/json", "*/*"):
        r = httpx.get(url, headers={**_auth(live_server), "Accept": accept})
        assert r.headers["content-type"] == "application/json; charset=utf-8" and r.json()["id"] == session_id


def test_a_two_slash_path_never_links_off_site(live_server: LiveServer) -> None:
    """Sent raw (HTTP clients would rewrite it): the page's links stay on this site."""
    target = urlsplit(live_server.base_url)
    connection = http.client.HTTPConnection(target.hostname or "127.0.0.1", target.port, timeout=30)
    try:
        connection.request("GET", "//evil.example/x?a=1", headers={"Accept": BROWSER_ACCEPT})
        response = connection.getresponse()
        text = response.read().decode()
    finally:
        connection.close()
    assert response.status == 404 and response.getheader("content-type") == "text/html; charset=utf-8"
    assert 'href="/evil.example/x?a=1&amp;format=json"' in text and 'href="//' not in text
