"""HTML over HTTP: a browser's Accept gets a page, other clients are unaffected, every link on the
page is the same request in another format, errors are pages, and no value can become markup."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest
from starlette.testclient import TestClient
from wirecodecs import default_registry

from .conftest import World

#: What Chromium sends for a page.
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
HTML = "text/html; charset=utf-8"
HOSTILE = '<script>alert(1)</script>"\'><img src=x onerror=alert(2)> <a href="javascript:alert(3)">x</a>'
TAGS = {"html", "head", "meta", "title", "style", "body", "header", "h1", "p", "nav", "a", "main"}
TAGS |= {"table", "thead", "tbody", "tr", "th", "td", "span", "ul", "li"}


class Page(HTMLParser):
    """Every tag and attribute of a page, and its text."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def links_of(text: str) -> dict[str, str]:
    """`format → href` of the page's alternate links."""

    class Links(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.found: dict[str, str] = {}
            self._href: str | None = None

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            if tag == "a":
                self._href = dict(attrs).get("href")

        def handle_data(self, data: str) -> None:
            if self._href is not None:
                self.found[data] = self._href
                self._href = None

    parser = Links()
    parser.feed(text)
    return parser.found


@pytest.fixture
def session_id(client: TestClient, world: World) -> str:
    r = client.post("/ai/sessions", json={"accountId": world.account_id, "purpose": HOSTILE}, headers=world.admin)
    assert r.status_code == 200
    return str(r.json()["id"])


@pytest.mark.parametrize(
    ("path", "accept"),
    [
        ("/ai/sessions/{id}", BROWSER),
        ("/ai/sessions/{id}", "text/html"),
        ("/ai/sessions/{id}.html", "application/json"),
        ("/ai/sessions/{id}?format=html", None),
        ("/html/reply/GetAISession?sessionId={id}", None),
    ],
)
def test_a_browser_and_an_explicit_html_get_a_page(
    client: TestClient, world: World, session_id: str, path: str, accept: str | None
) -> None:
    headers = {**world.admin, **({"Accept": accept} if accept else {})}
    r = client.get(path.format(id=session_id), headers=headers)
    assert r.status_code == 200 and r.headers["content-type"] == HTML
    assert r.headers["content-security-policy"].startswith("default-src 'none'")
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.text.startswith("<!DOCTYPE html>") and "<h1>GetAISession</h1>" in r.text
    assert f'<th scope="row">Id</th><td>{session_id}</td>' in r.text


@pytest.mark.parametrize(
    "accept",
    [None, "*/*", "application/json", "application/json, text/javascript, */*; q=0.01", "application/jsv"],
)
def test_other_clients_are_unaffected(client: TestClient, world: World, session_id: str, accept: str | None) -> None:
    headers = {**world.admin, **({"Accept": accept} if accept else {})}
    r = client.get(f"/ai/sessions/{session_id}", headers=headers)
    assert r.status_code == 200 and not r.headers["content-type"].startswith("text/html")
    assert "content-security-policy" not in r.headers


def test_no_value_becomes_markup(client: TestClient, world: World, session_id: str) -> None:
    r = client.get(f"/ai/sessions/{session_id}", params={"x": HOSTILE}, headers={**world.admin, "Accept": BROWSER})
    page = Page(r.text)
    assert {tag for tag, _ in page.tags} <= TAGS  # no script, img, iframe, form, …
    for tag, attrs in page.tags:
        assert not any(name.startswith("on") for name in attrs), (tag, attrs)
        if tag == "a":
            href = str(attrs["href"])
            assert href.startswith("/") and not href.startswith("//") and "javascript:" not in href
    # The purpose is shown exactly as stored, as text.
    assert HOSTILE in "".join(page.text)
    # The hostile query parameter survives into every link as data, and only as data.
    for href in links_of(r.text).values():
        assert parse_qs(urlsplit(href).query)["x"] == [HOSTILE]


def test_every_link_is_the_same_request_in_that_format(client: TestClient, world: World, session_id: str) -> None:
    page = client.get(f"/ai/sessions/{session_id}.html", params={"jsconfig": "tc:pc"}, headers=world.admin)
    links = links_of(page.text)
    expected = [c.format for c in default_registry() if c.format != "html"]
    assert list(links) == expected
    for fmt, href in links.items():
        codec = default_registry().by_format(fmt)
        assert codec is not None
        r = client.get(href, headers=world.admin)
        assert r.status_code == 200 and r.headers["content-type"] == codec.content_type, (fmt, href)
        assert session_id.encode() in r.content or fmt == "msgpack"
    assert client.get(links["json"], headers=world.admin).json()["Id"] == session_id  # the jsconfig went along


def test_a_list_is_a_table_of_rows(client: TestClient, world: World, session_id: str) -> None:
    r = client.get("/ai/sessions.html", headers=world.admin)
    start = r.text.index('<table class="list">')
    table = r.text[start : r.text.index("</table>", start)]
    assert table.startswith('<table class="list"><thead><tr><th scope="col">AccountId</th>')
    assert table.count("<tr>") == 2  # the header row and the one session
    assert '<th scope="row">TotalCount</th><td>1</td>' in r.text


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [
        ("/ai/sessions/nope", 404, "NotFound"),
        ("/ai/sessions?page=x", 400, "SerializationException"),
        ("/ai/nothing/here", 404, "NotFound"),
    ],
)
def test_errors_are_pages(client: TestClient, world: World, path: str, status: int, code: str) -> None:
    r = client.get(path, headers={**world.admin, "Accept": BROWSER})
    assert r.status_code == status and r.headers["content-type"] == HTML
    assert '<header class="error">' in r.text and f'<p class="status">{status} ' in r.text
    assert f'<th scope="row">ErrorCode</th><td>{code}</td>' in r.text


def test_a_401_stays_the_empty_challenge(client: TestClient) -> None:
    r = client.get("/ai/sessions", headers={"Accept": BROWSER})
    assert r.status_code == 401 and r.content == b"" and "www-authenticate" in r.headers


def test_a_post_page_has_no_links(client: TestClient, world: World) -> None:
    r = client.post("/ai/sessions", json={"accountId": world.account_id}, headers={**world.admin, "Accept": BROWSER})
    assert r.status_code == 200 and r.headers["content-type"] == HTML
    assert links_of(r.text) == {} and "<h1>NewAISession</h1>" in r.text


def test_a_path_of_two_slashes_links_to_this_site() -> None:
    # HTTP clients rewrite `//host/x` themselves, so the responder is asked directly.
    from wirecodecs import HtmlCodec

    from gateway.dtos import ErrorResponse
    from gateway.responses import Responder

    responder = Responder(
        HtmlCodec(), callback=None, method="GET", path="//evil.example/x", query_string="a=1", formats=("html", "json")
    )
    page = responder.body(ErrorResponse(), status_code=404)
    assert links_of(bytes(page.body).decode()) == {"json": "/evil.example/x?a=1&format=json"}


def test_an_html_request_body_is_a_400(client: TestClient, world: World) -> None:
    r = client.post("/ai/sessions", content=b"<p>hi</p>", headers={**world.admin, "Content-Type": "text/html"})
    assert r.status_code == 400 and "responses only" in r.text
    # `*/*` with a body answers in the body's format, as ServiceStack does: here a page, as the 400.
    assert r.headers["content-type"] == HTML and '<header class="error">' in r.text
    json = client.post(
        "/ai/sessions",
        content=b"<p>hi</p>",
        headers={**world.admin, "Content-Type": "text/html", "Accept": "application/json"},
    )
    assert json.status_code == 400 and json.json()["responseStatus"]["errorCode"] == "SerializationException"


def test_html_is_no_metadata_format(client: TestClient) -> None:
    assert client.get("/html/metadata").status_code in (401, 404)
    assert "/html/metadata" not in client.get("/metadata").text
