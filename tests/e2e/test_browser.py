"""The metadata pages as a person sees them: Debian's Chromium, headless, renders them from the
running server. The rendered DOM must hold the operation, its routes, the role line and the sample
request; a screenshot of each page is kept under artifacts/ for a human to look at."""

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
