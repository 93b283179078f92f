"""CORS as a browser enforces it: a page from one origin calls a real `serve` on another with
`fetch` (a JSON POST with a Bearer key, so Chromium sends a preflight first). With the page's origin
allowed, and Authorization among the allowed headers, the call goes through; without CORS, or
without that header allowed, the browser refuses to let the page read the answer."""

from __future__ import annotations

import functools
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from .conftest import cli
from .served import db_in, seed, serving
from .test_browser import FLAGS, chromium

PAGE = """<!doctype html><html><body><pre id="out">pending</pre><script>
fetch("{gateway}/ai/sessions", {{
  method: "POST",
  headers: {{"Authorization": "Bearer {key}", "Content-Type": "application/json", "Accept": "application/json"}},
  body: JSON.stringify({{accountId: "{account}", purpose: "from the browser"}}),
}}).then(r => r.json()).then(
  j => {{ document.getElementById("out").textContent = "purpose=" + j.purpose; }},
  e => {{ document.getElementById("out").textContent = "refused: " + e; }});
</script></body></html>"""


@contextmanager
def page_origin(directory: Path) -> Iterator[str]:
    """A static file server for the page: its origin, different from the gateway's (another port)."""
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(directory))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def run_page(tmp_path: Path, *serve_args: str, allow_page_origin: bool) -> str:
    db = db_in(tmp_path)
    key = seed(db)
    account = cli(db, "accounts", "add", "Browser Co")
    site = tmp_path / "site"
    site.mkdir(exist_ok=True)
    with page_origin(site) as origin:
        args = ["--cors-origin", origin, *serve_args] if allow_page_origin else list(serve_args)
        with serving(tmp_path, db, *args) as served:
            (site / "index.html").write_text(PAGE.format(gateway=served.base_url, key=key, account=account))
            done = subprocess.run(
                [chromium(), *FLAGS, f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=10000",
                 "--dump-dom", f"{origin}/index.html"],
                capture_output=True, text=True, timeout=90,
            )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_an_allowed_origin_may_call_with_a_bearer_key(tmp_path: Path) -> None:
    dom = run_page(tmp_path, "--cors-allow-headers", "Content-Type, Authorization", allow_page_origin=True)
    assert "purpose=from the browser" in dom


def test_without_cors_the_browser_refuses(tmp_path: Path) -> None:
    assert "refused: TypeError" in run_page(tmp_path, allow_page_origin=False)


def test_servicestacks_default_headers_do_not_allow_authorization(tmp_path: Path) -> None:
    assert "refused: TypeError" in run_page(tmp_path, allow_page_origin=True)
