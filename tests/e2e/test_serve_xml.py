"""XML bodies against a real `serve` process, read as DataContractSerializer reads them: a root in
the wrong namespace is the pinned 400 SerializationException, a member out of DataMember order or
in another namespace is skipped."""

from __future__ import annotations

from pathlib import Path

import httpx2 as httpx

from .conftest import cli
from .served import serving

GOLDEN = Path(__file__).resolve().parents[2] / "fixtures" / "http" / "xml"
AI = "http://schemas.datacontract.org/2004/07/Voice.Api.AI"


def document(root: str, members: str, ns: str = AI) -> bytes:
    return f'<?xml version="1.0" encoding="utf-8"?><{root} xmlns="{ns}">{members}</{root}>'.encode()


def test_xml_bodies_over_a_served_process(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'xml.db'}"
    account = cli(db_url, "accounts", "add", "Acme Voice")
    cli(db_url, "users", "add", "admin", "--role", "SystemAdministrator")
    key = cli(db_url, "apikeys", "create", "admin")
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/xml", "Accept": "application/json"}
    with serving(tmp_path, db_url) as served, httpx.Client(base_url=served.base_url, timeout=10) as http:
        created = http.post(
            "/ai/sessions",
            content=document("NewAISession", f"<AccountId>{account}</AccountId><Purpose>p</Purpose>"),
            headers=headers,
        )
        assert created.status_code == 200 and created.json()["purpose"] == "p"
        sid = created.json()["id"]

        # Purpose after SessionId is out of order; Purpose in no namespace is another element.
        for members in (f"<SessionId>{sid}</SessionId><Purpose>late</Purpose>", '<Purpose xmlns="">none</Purpose>'):
            r = http.patch(f"/ai/sessions/{sid}", content=document("PatchAISession", members), headers=headers)
            assert r.status_code == 200 and r.json()["purpose"] == "p", members

        wrong_ns = document(
            "NewAISession", "<Purpose>p</Purpose>", ns="http://schemas.datacontract.org/2004/07/Voice.Api"
        )
        r = http.post("/ai/sessions", content=wrong_ns, headers={**headers, "Accept": "application/xml"})
        assert r.status_code == 400 and r.headers["content-type"] == "application/xml"
        assert r.content == (GOLDEN / "NewAISession-wrong-namespace.response.xml").read_bytes()
