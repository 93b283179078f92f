"""The ASGI application's dispatch: operation paths to the endpoint, pages to Starlette, and the
global `Vary: Accept` on both."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from .conftest import World


@pytest.mark.parametrize(
    "path", ["/metadata", "/jsv/metadata?op=PatchAISession", "/types", "/types/csharp", "/openapi.json"]
)
def test_pages_vary_on_accept_like_every_answer(client: TestClient, path: str) -> None:
    r = client.get(path)
    assert r.status_code == 200
    assert r.headers.get_list("vary") == ["Accept"]


def test_operation_paths_and_their_errors_vary_on_accept(client: TestClient, world: World) -> None:
    for r in (client.get("/ai/sessions"), client.get("/ai/sessions", headers=world.user), client.get("/nope")):
        assert r.headers.get_list("vary") == ["Accept"], r.status_code


def test_page_paths_match_in_any_case_as_aspnet_does(client: TestClient) -> None:
    r = client.get("/JSON/Metadata?op=patchaisession")
    assert r.status_code == 200 and "PatchAISession" in r.text
    assert r.headers["content-type"].startswith("text/html")
    assert client.get("/TYPES/python").status_code == 200


def test_query_options_cannot_break_out_of_the_generated_header_comment(client: TestClient) -> None:
    import ast

    python = client.get("/types/python", params={"IncludeTypes": 'a"""\nimport os\n"""', "BaseUrl": "x"}).text
    tree = ast.parse(python)  # still valid Python ...
    assert not any(isinstance(node, ast.Import) and node.names[0].name == "os" for node in tree.body)  # ... inert
    typescript = client.get("/types/typescript", params={"IncludeTypes": "a*/\nalert(1)//"}).text
    assert typescript.index("alert(1)") < typescript.index("*/")  # inside the comment that closes after it
    csharp = client.get("/types/csharp", params={"IncludeTypes": "a*/\nclass X {}//"}).text
    assert csharp.index("class X") < csharp.index("*/")
