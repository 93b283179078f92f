"""The metadata pages and the HTML format as a person sees them: Debian's Chromium, headless,
renders them from the running server. The rendered DOM must hold the operation, its routes, the
role line and the sample request, or the answer's tables with hostile text inert; a screenshot of
each page is kept under artifacts/ for a human to look at."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from .conftest import REPO, LiveServer

ARTIFACTS = REPO / "artifacts"
#: As root, without a sandbox; and none of Chromium's own network traffic (this machine has none).
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
]


def chromium() -> str:
    """The browser: missing fails in CI (CI=1/true), skips locally with the reason."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    message = "chromium is not installed (run .ci/setup-chromium)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def render(url: str, tmp_path: Path, screenshot: Path) -> str:
    browser = chromium()
    profile = tmp_path / "profile"
    common = [browser, *FLAGS, f"--user-data-dir={profile}"]
    dom = subprocess.run([*common, "--dump-dom", url], capture_output=True, text=True, timeout=60)
    assert dom.returncode == 0, dom.stderr[-2000:]
    ARTIFACTS.mkdir(exist_ok=True)
    shot = subprocess.run(
        [*common, f"--screenshot={screenshot}", "--window-size=1280,1600", url],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert shot.returncode == 0, shot.stderr[-2000:]
    assert screenshot.stat().st_size > 10_000
    return dom.stdout


def test_index_page_renders(live_server: LiveServer, tmp_path: Path) -> None:
    dom = render(f"{live_server.base_url}/metadata", tmp_path, ARTIFACTS / "metadata-index.png")
    assert "<title>Evo Voice metadata</title>" in dom
    for op in ["NewAISession", "ListAISessions", "GetAISession", "PatchAISession", "DeleteAISession"]:
        assert f'href="/json/metadata?op={op}"' in dom
        assert f'href="/jsv/metadata?op={op}"' in dom


def test_jsv_operation_page_renders(live_server: LiveServer, tmp_path: Path) -> None:
    url = f"{live_server.base_url}/jsv/metadata?op=PatchAISession"
    dom = render(url, tmp_path, ARTIFACTS / "jsv-metadata-PatchAISession.png")
    assert '<h2 id="op">PatchAISession</h2>' in dom
    assert "Update a specific session" in dom
    assert "<th>PATCH</th><th>/ai/sessions/{sessionId}</th>" in dom
    assert "<td>Requires the role:</td><td>SystemAdministrator</td>" in dom
    assert "PATCH /ai/sessions/{sessionId} HTTP/1.1" in dom
    assert "Content-Type: text/jsv" in dom
    assert "{\n\tsessionId: String,\n\tpurpose: String\n}" in dom


#: Chromium's own Accept for a page, as an HTTP client sends it on the browser's behalf below.
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
#: Each would set the title if the page ran it.
HOSTILE = (
    "<script>document.title='pwned'</script>"
    "<img src=x onerror=\"document.title='pwned'\">\"'><a href=\"javascript:document.title='pwned'\">x</a>"
)


def test_a_browser_gets_an_error_page_from_the_server(live_server: LiveServer, tmp_path: Path) -> None:
    """No credentials needed: an unknown path is a 404, answered to Chromium's Accept as a page."""
    dom = render(f"{live_server.base_url}/ai/no/such/thing", tmp_path, ARTIFACTS / "html-NotFound.png")
    assert "<title>Response</title>" in dom and '<header class="error">' in dom
    assert '<th scope="row">ErrorCode</th><td>NotFound</td>' in dom
    assert 'href="/ai/no/such/thing?format=json"' in dom


def test_a_session_page_shows_hostile_text_and_runs_nothing(live_server: LiveServer, tmp_path: Path) -> None:
    """Chromium cannot send the API key, so the page is fetched as a browser would get it and
    opened from a file: without the server's Content-Security-Policy, escaping alone must hold."""
    import httpx2 as httpx

    auth = {"Authorization": f"Bearer {live_server.admin_key}"}
    created = httpx.post(
        f"{live_server.base_url}/ai/sessions",
        json={"accountId": live_server.account_id, "purpose": HOSTILE},
        headers=auth,
    )
    assert created.status_code == 200
    session_id = created.json()["id"]
    page = httpx.get(f"{live_server.base_url}/ai/sessions/{session_id}", headers={**auth, "Accept": BROWSER_ACCEPT})
    assert page.status_code == 200 and page.headers["content-type"] == "text/html; charset=utf-8"
    saved = tmp_path / "session.html"
    saved.write_bytes(page.content)
    dom = render(saved.as_uri(), tmp_path, ARTIFACTS / "html-GetAISession.png")
    assert "<title>GetAISession</title>" in dom and "pwned</title>" not in dom
    assert "<script" not in dom and "<img" not in dom and "javascript:" not in dom.split("<main>")[0]
    assert "&lt;script&gt;document.title='pwned'&lt;/script&gt;" in dom  # shown, as text
    assert f'<th scope="row">Id</th><td>{session_id}</td>' in dom
