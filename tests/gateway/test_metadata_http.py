"""Metadata pages, /types and /openapi.json over HTTP: no authentication, escaped HTML, samples in the
page's own format, and the seed's Python DTOs on the `lang=python` view."""

from __future__ import annotations

import html
import importlib
import os
import re
from pathlib import Path
from types import ModuleType
from xml.etree import ElementTree

import msgspec
import pytest
from httpx2 import Response
from starlette.testclient import TestClient
from wirecodecs import default_registry

from gateway.dtos import AISessionInfo, PatchAISession
from gateway.metadata.model import default_model
from gateway.metadata.pages import PAGE_FORMATS
from gateway.metadata.samples import encode_sample, sample
from gateway.operations import OPERATIONS, Operation

from .conftest import World

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "types"
REGISTERED = [fmt for fmt in PAGE_FORMATS if fmt in default_registry()]


def require(module: str) -> ModuleType:
    """Import a test-only dependency: missing is a failure in CI, a skip (with the reason) locally."""
    try:
        return importlib.import_module(module)
    except ImportError:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"{module} is not installed (pip install {module.replace('_', '-')})")


def normalised(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.splitlines()).strip("\n")


def pre_blocks(page: str, cls: str) -> str:
    match = re.search(rf'<div class="{cls}"><pre>(.*?)</pre></div>', page, re.S)
    assert match, f"no {cls} sample"
    return html.unescape(match.group(1))


def test_index_lists_every_operation_in_every_format(client: TestClient) -> None:
    response = client.get("/metadata")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    for op in OPERATIONS:
        for fmt in REGISTERED:
            assert f'href="/{fmt}/metadata?op={op.name}"' in response.text
    assert "json" in REGISTERED and "jsv" in REGISTERED
    # Formats without a codec get no links (and no pages).
    for fmt in set(PAGE_FORMATS) - set(REGISTERED):
        assert f"/{fmt}/metadata" not in response.text
        assert client.get(f"/{fmt}/metadata?op=PatchAISession").status_code == 404


def test_jsv_page_is_the_seed_page(client: TestClient) -> None:
    response = client.get("/jsv/metadata?op=PatchAISession", headers={"host": "evovoice.io"})
    assert response.status_code == 200
    page = response.text
    assert '<h2 id="op">PatchAISession</h2>' in page
    assert '<h3 id="desc">Update a specific session</h3>' in page
    assert "<b>Requires Authentication</b>" in page
    assert "<td>Requires the role:</td><td>SystemAdministrator</td>" in page
    assert "<th>PATCH</th><th>/ai/sessions/{sessionId}</th>" in page
    assert (
        "To override the Content-type in your clients, use the HTTP <b>Accept</b> Header, "
        "append the <b>.jsv</b> suffix or <b>?format=jsv</b>"
    ) in page
    assert "jsonp" not in page
    samples = pre_blocks(page, "request") + "\n" + pre_blocks(page, "response")
    assert normalised(samples) == normalised((FIXTURES / "PatchAISession.jsv-samples.txt").read_text())


def test_xml_page_samples_are_the_evo_metadata_samples(client: TestClient) -> None:
    page = client.get("/xml/metadata?op=PatchAISession").text
    xml_fixtures = FIXTURES.parent / "xml"
    for cls, name in (("request", "PatchAISession"), ("response", "AISessionInfo")):
        body = pre_blocks(page, cls).split("\n\n", 1)[1]
        assert normalised(body) == normalised((xml_fixtures / f"{name}.metadata-sample.xml").read_text())


def test_parameter_tables(client: TestClient) -> None:
    page = client.get("/json/metadata?op=PatchAISession").text
    assert "<caption><b>PatchAISession</b> Parameters:</caption>" in page
    assert (
        "<tr><td>SessionId</td><td>path</td><td>String</td><td>No</td>"
        "<td>The ID of the session you want to update</td></tr>"
    ) in page
    assert (
        "<tr><td>Purpose</td><td>query</td><td>String</td><td>No</td><td>The purpose of this session</td></tr>" in page
    )
    # The response and its base class, each with its own members.
    assert page.index("<b>AISessionInfo</b> Parameters") < page.index("<b>EntityInfo</b> Parameters")
    assert "<tr><td>AccountName</td><td>body</td>" in page and "<tr><td>LastModifiedBy</td><td>body</td>" in page
    new = client.get("/json/metadata?op=NewAISession").text
    assert "<tr><td>AccountId</td><td>body</td>" in new
    listing = client.get("/json/metadata?op=ListAISessions").text
    assert "<tr><td>AccountIds</td><td>query</td><td>List&lt;String&gt;</td>" in listing
    assert "<b>ListResponse&lt;T&gt;</b> Parameters" in listing
    assert "<b>SortOrders</b> Enum:" in listing


def test_json_page_samples_are_the_json_codec_output(client: TestClient) -> None:
    page = client.get("/json/metadata?op=PatchAISession").text
    assert "<p>To embed the response in a <b>jsonp</b> callback, append <b>?callback=myCallback</b></p>" in page
    request, response = pre_blocks(page, "request"), pre_blocks(page, "response")
    assert request.endswith('\n\n{"sessionId":"String","purpose":"String"}')
    assert "Content-Type: application/json\n" in request
    body = response.split("\n\n", 1)[1]
    assert msgspec.json.decode(body, type=AISessionInfo) == AISessionInfo(
        **{f: "String" for f in AISessionInfo.__struct_fields__}
    )
    assert body.startswith('{"accountId":"String","accountName":"String","purpose":"String","id":"String"')


@pytest.mark.parametrize("fmt", REGISTERED)
def test_every_registered_format_has_samples_from_its_codec(client: TestClient, fmt: str) -> None:
    codec = default_registry().by_format(fmt)
    assert codec is not None
    page = client.get(f"/{fmt}/metadata?op=PatchAISession").text
    request = pre_blocks(page, "request")
    assert request.split("\n\n", 1)[1] == encode_sample(codec, sample(default_model(), PatchAISession))
    assert f"HTTP + {fmt.upper()}" in page


def test_get_and_delete_samples_have_no_body(client: TestClient) -> None:
    get = pre_blocks(client.get("/json/metadata?op=GetAISession").text, "request")
    assert get.splitlines() == [
        "GET /ai/sessions/{sessionId} HTTP/1.1 ",
        "Host: testserver ",
        "Accept: application/json",
    ]
    delete = client.get("/json/metadata?op=DeleteAISession").text
    assert pre_blocks(delete, "request").startswith("DELETE /ai/sessions/{sessionId} HTTP/1.1")
    assert '<div class="response">' not in delete


def test_lang_python_shows_the_seed_dtos(client: TestClient) -> None:
    page = client.get("/jsv/metadata?op=PatchAISession&lang=python").text
    match = re.search(r'<pre><code class="language-python">(.*?)</code></pre>', page, re.S)
    assert match
    assert normalised(html.unescape(match.group(1))) == normalised((FIXTURES / "PatchAISession.python.txt").read_text())
    assert '<a href="/types/python?IncludeTypes=PatchAISession.*">Python PatchAISession DTOs</a>' in page
    assert '<a class="active" href="?op=PatchAISession&amp;lang=python">Python</a>' in page
    assert "<caption><b>PatchAISession</b> Parameters:" not in page


@pytest.mark.parametrize("lang", ["typescript", "csharp"])
def test_lang_swaps_the_tables_for_source(client: TestClient, lang: str) -> None:
    page = client.get(f"/json/metadata?op=PatchAISession&lang={lang}").text
    assert f'<pre><code class="language-{lang}">' in page
    assert "PatchAISession" in page and "Parameters:" not in page


def test_unknown_operation_format_and_language_are_404_and_escaped(client: TestClient) -> None:
    response = client.get("/json/metadata", params={"op": "<script>alert(1)</script>"})
    assert response.status_code == 404
    assert "<script>" not in response.text and "&lt;script&gt;" in response.text
    assert client.get("/json/metadata?op=PatchAISession&lang=cobol").status_code == 404
    # Not metadata routes at all: they fall through to the gateway, which answers as ServiceStack does.
    for url in ["/yaml/metadata?op=PatchAISession", "/types/cobol"]:
        response = client.get(url)
        assert response.status_code == 404
        assert response.json()["responseStatus"]["errorCode"] == "NotFound"


def test_pages_need_no_authentication_but_the_api_still_does(client: TestClient) -> None:
    for url in ["/metadata", "/json/metadata?op=GetAISession", "/types", "/types/python", "/openapi.json"]:
        assert client.get(url).status_code == 200, url
    assert client.get("/ai/sessions").status_code == 401


def test_operation_name_is_case_insensitive(client: TestClient) -> None:
    assert '<h2 id="op">PatchAISession</h2>' in client.get("/json/metadata?op=patchaisession").text


def test_types_python(client: TestClient) -> None:
    response = client.get("/types/python", params={"IncludeTypes": "PatchAISession.*"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    text = response.text
    assert text.startswith('""" Options:\n')
    assert "\nBaseUrl: http://testserver\n" in text and "\nIncludeTypes: PatchAISession.*\n" in text
    assert "class PatchAISession(IReturn[AISessionInfo], IPatch):" in text
    assert "class GetAISession" not in text
    assert "WithoutOptions" not in text
    assert not client.get("/types/python?WithoutOptions=true").text.startswith('"""')


#: The classes and enums a generated file declares (TypeScript's marker interfaces left out).
DECLARED = {
    "python": re.compile(r"^class (\w+)", re.M),
    "typescript": re.compile(r"^export (?:class|enum) (\w+)", re.M),
    "csharp": re.compile(r"^    public (?:partial class|enum) (\w+)", re.M),
}
PATCH_CLOSURE = ["EntityInfo", "AISessionInfo", "PatchAISession"]


@pytest.mark.parametrize("lang", list(DECLARED))
@pytest.mark.parametrize(
    ("include", "expected"),
    [
        ("PatchAISession.*", PATCH_CLOSURE),
        # ServiceStack's `{...}` is a tag group; the table has no tags, so a name in braces is that
        # type expanded, with or without a trailing `.*`.
        ("{PatchAISession}.*", PATCH_CLOSURE),
        ("{PatchAISession}", PATCH_CLOSURE),
        ("{GetAISession,DeleteAISession}", ["EntityInfo", "AISessionInfo", "GetAISession", "DeleteAISession"]),
        # A request named alone brings its return type (and that type's base), as ServiceStack does.
        ("PatchAISession", PATCH_CLOSURE),
        ("DeleteAISession", ["DeleteAISession"]),
        ("AISessionInfo", ["AISessionInfo"]),
        # `Namespace/*`: every type whose namespace starts with it (EntityInfo is in Voice.Api).
        (
            "Voice.Api.AI/*",
            ["AISessionInfo", "NewAISession", "ListAISessions", "GetAISession", "PatchAISession", "DeleteAISession"],
        ),
        ("Nothing.*", []),
    ],
)
def test_include_types_filters_every_language(client: TestClient, lang: str, include: str, expected: list[str]) -> None:
    response = client.get(f"/types/{lang}", params={"IncludeTypes": include})
    assert response.status_code == 200
    declared = DECLARED[lang].findall(response.text)
    # C# groups types by namespace; Python and TypeScript emit dependencies first (the model's order).
    assert (sorted(declared) if lang == "csharp" else declared) == (sorted(expected) if lang == "csharp" else expected)
    # The option as given is echoed, uncommented, in the header.
    assert f"\nIncludeTypes: {include}\n" in response.text


def test_include_types_braces_percent_encoded_as_in_the_audit(client: TestClient) -> None:
    text = client.get("/types/python?IncludeTypes=%7BPatchAISession%7D.*").text
    assert DECLARED["python"].findall(text) == PATCH_CLOSURE
    assert "class PatchAISession(IReturn[AISessionInfo], IPatch):" in text


def test_include_types_lists_mix_groups_and_names(client: TestClient) -> None:
    # The comma inside the braces belongs to the group; the ones outside separate items.
    text = client.get("/types/typescript", params={"IncludeTypes": "{GetAISession,DeleteAISession},NewAISession"}).text
    assert DECLARED["typescript"].findall(text) == [
        "EntityInfo",
        "AISessionInfo",
        "NewAISession",
        "GetAISession",
        "DeleteAISession",
    ]
    assert "\nIncludeTypes: {GetAISession,DeleteAISession},NewAISession\n" in text


#: CSharpGenerator's option lines, in its order.
CSHARP_OPTIONS = [
    "GlobalNamespace",
    "MakePartial",
    "MakeVirtual",
    "MakeInternal",
    "MakeDataContractsExtensible",
    "AddNullableAnnotations",
    "AddReturnMarker",
    "AddDescriptionAsComments",
    "AddDataContractAttributes",
    "AddIndexesToDataMembers",
    "AddGeneratedCodeAttributes",
    "AddResponseStatus",
    "AddImplicitVersion",
    "InitializeCollections",
    "ExportValueTypes",
    "IncludeTypes",
    "ExcludeTypes",
    "AddNamespaces",
    "AddDefaultXmlNamespace",
]


def test_types_csharp_header_block(client: TestClient) -> None:
    response = client.get("/types/csharp", params={"IncludeTypes": "PatchAISession.*"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    header, rest = response.text.split("\n*/\n", 1)
    lines = header.splitlines()
    assert lines[0] == "/* Options:"
    assert re.fullmatch(r"Date: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d", lines[1])
    assert lines[2].startswith("Version: ")
    assert lines[3:6] == [
        'Tip: To override a DTO option, remove "//" prefix before updating',
        "BaseUrl: http://testserver",
        "",
    ]
    options = lines[6:]
    assert [line.lstrip("/").split(":", 1)[0] for line in options] == CSHARP_OPTIONS
    # Only the option the request set loses its `//`.
    assert [line for line in options if not line.startswith("//")] == ["IncludeTypes: PatchAISession.*"]
    assert "//AddReturnMarker: True" in options and "//ExcludeTypes: " in options
    assert rest.lstrip("\n").startswith("using System;\n")
    assert "namespace Voice.Api.AI\n{" in rest and "GetAISession" not in rest
    bare = client.get("/types/csharp?WithoutOptions=true").text
    assert "Options:" not in bare and bare.startswith("using System;\n")


def test_types_index_and_metadata(client: TestClient) -> None:
    links = client.get("/types").json()
    assert links["Python"] == "http://testserver/types/python"
    assert set(links) == {"Metadata", "C#", "TypeScript", "Python"}
    metadata = client.get("/types/metadata").json()
    ops = {op["request"]["name"]: op for op in metadata["operations"]}
    assert set(ops) == {"NewAISession", "ListAISessions", "GetAISession", "PatchAISession", "DeleteAISession"}
    patch = ops["PatchAISession"]
    assert patch["routes"] == [{"path": "/ai/sessions/{sessionId}", "verbs": "PATCH"}]
    assert patch["requiredRoles"] == ["SystemAdministrator"] and patch["requiresAuth"] is True
    assert patch["response"]["name"] == "AISessionInfo"
    assert patch["response"]["inherits"] == {"name": "EntityInfo"}
    assert ops["DeleteAISession"]["returnsVoid"] is True
    assert ops["ListAISessions"]["request"]["inherits"] == {"name": "ListRequest`1", "genericArgs": ["AISessionInfo"]}
    assert metadata["namespaces"] == ["Voice.Api", "Voice.Api.AI"]


def test_openapi_document_is_valid(client: TestClient) -> None:
    validator = require("openapi_spec_validator")
    document = client.get("/openapi.json").json()
    validator.validate(document)
    assert document["openapi"] == "3.1.0"
    paths = document["paths"]
    for op in OPERATIONS:
        if op.builtin:
            continue
        assert op.verb.lower() in paths[f"/api/{op.name}"]
        for spec in op.routes:
            assert set(v.lower() for v in spec.verbs) <= set(paths[spec.path])
    patch = paths["/ai/sessions/{sessionId}"]["patch"]
    media = {"json": "application/json", "xml": "application/xml", "jsv": "application/jsv", "csv": "text/csv"}
    expected = [media[f] for f in media if f in default_registry()]
    assert list(patch["requestBody"]["content"]) == expected
    assert list(patch["responses"]["200"]["content"]) == expected
    assert patch["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/AISessionInfo"
    }
    assert patch["responses"]["404"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ErrorResponse"
    }
    assert patch["security"] == [{"bearerApiKey": []}, {"basic": []}]
    assert [p["name"] for p in patch["parameters"]] == ["sessionId", "If-Match"]
    listing = paths["/ai/sessions"]["get"]
    assert {p["name"]: p["in"] for p in listing["parameters"]}["accountIds"] == "query"
    assert "204" in paths["/ai/sessions/{sessionId}"]["delete"]["responses"]
    schemes = document["components"]["securitySchemes"]
    assert schemes["bearerApiKey"]["scheme"] == "bearer" and schemes["basic"]["scheme"] == "basic"
    assert "responseStatus" in document["components"]["schemas"]["ErrorResponse"]["properties"]


def test_openapi_shows_the_etag_and_the_conditional_headers(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path in ("/ai/sessions/{sessionId}", "/api/GetAISession", "/api/PatchAISession", "/api/NewAISession"):
        for verb, operation in paths[path].items():
            if verb in ("get", "patch", "post"):
                assert "ETag" in operation["responses"]["200"]["headers"], (path, verb)
    assert "headers" not in paths["/ai/sessions"]["get"]["responses"]["200"]  # a list has no tag
    for path, verb, header, status in (
        ("/ai/sessions/{sessionId}", "get", "If-None-Match", "304"),
        ("/api/GetAISession", "get", "If-None-Match", "304"),
        ("/ai/sessions/{sessionId}", "patch", "If-Match", "412"),
        ("/ai/sessions/{sessionId}", "delete", "If-Match", "412"),
        ("/api/DeleteAISession", "delete", "If-Match", "412"),
    ):
        operation = paths[path][verb]
        assert {"name": header, "in": "header"}.items() <= next(
            p for p in operation["parameters"] if p["name"] == header
        ).items(), (path, verb)
        assert status in operation["responses"], (path, verb)
    not_modified = paths["/ai/sessions/{sessionId}"]["get"]["responses"]["304"]
    assert "content" not in not_modified and "ETag" in not_modified["headers"]
    failed = paths["/ai/sessions/{sessionId}"]["patch"]["responses"]["412"]
    assert failed["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ErrorResponse"}
    for header in ("If-Match", "If-None-Match"):
        assert all(p["name"] != header for p in paths["/ai/sessions"]["post"].get("parameters", []))


API_OPERATIONS = [op for op in OPERATIONS if not op.builtin]


@pytest.mark.parametrize("op", API_OPERATIONS, ids=lambda op: op.name)
def test_openapi_required_members_are_the_ones_the_service_rejects(
    client: TestClient, world: World, op: Operation
) -> None:
    """Both directions: a member the document requires is refused when missing or empty (400
    ArgumentNullException naming it), and an operation the document requires nothing of accepts
    an empty request."""
    document = client.get("/openapi.json").json()
    schema = document["components"]["schemas"][op.request_type.__name__]
    api = document["paths"][f"/api/{op.name}"][op.verb.lower()]
    if op.verb in ("POST", "PATCH"):
        declared = schema["required"]
        for name in declared:
            assert schema["properties"][name] == {
                "description": schema["properties"][name]["description"],
                "type": "string",
                "minLength": 1,
                "xml": {"name": name[:1].upper() + name[1:]},
            }
        assert api["requestBody"]["content"]["application/json"]["schema"] == {
            "$ref": f"#/components/schemas/{op.request_type.__name__}"
        }
    else:
        declared = [p["name"] for p in api.get("parameters", []) if p.get("required")]
        assert schema["required"] == declared
        for param in api.get("parameters", []):
            if param.get("required"):
                assert param["in"] == "query" and param["schema"] == {"type": "string", "minLength": 1}
    assert declared == list(op.required)

    def call(members: dict[str, str]) -> Response:
        if op.verb in ("POST", "PATCH"):
            return client.request(op.verb, f"/api/{op.name}", json=members, headers=world.admin)
        return client.request(op.verb, f"/api/{op.name}", params=members, headers=world.admin)

    for members in ({}, dict.fromkeys(declared, "")):
        response = call(members)
        if not declared:
            assert response.status_code == 200, response.text
            continue
        assert response.status_code == 400, response.text
        status = response.json()["responseStatus"]
        assert status["errorCode"] == "ArgumentNullException"
        assert [e["fieldName"] for e in status["errors"]] == declared[:1]


def test_openapi_custom_routes_take_the_id_from_the_path(client: TestClient, world: World) -> None:
    document = client.get("/openapi.json").json()
    route = document["paths"]["/ai/sessions/{sessionId}"]
    for verb in ("get", "patch", "delete"):
        (param,) = (p for p in route[verb]["parameters"] if p["in"] != "header")
        assert (param["name"], param["in"], param["required"]) == ("sessionId", "path", True)
    # The body of the custom PATCH need not repeat the id (the path overrides it), unlike /api's.
    body = route["patch"]["requestBody"]["content"]["application/json"]["schema"]
    assert body["required"] == [] and set(body["properties"]) == {"sessionId", "purpose"}
    assert body["xml"]["name"] == "PatchAISession"
    assert document["components"]["schemas"]["PatchAISession"]["required"] == ["sessionId"]
    # NewAISession's custom route has no variable: its body is the component, accountId required.
    new = document["paths"]["/ai/sessions"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert new == {"$ref": "#/components/schemas/NewAISession"}
    created = client.post("/ai/sessions", json={"accountId": world.account_id}, headers=world.admin).json()
    patched = client.patch(f"/ai/sessions/{created['id']}", json={"purpose": "p"}, headers=world.admin)
    assert patched.status_code == 200 and patched.json()["purpose"] == "p"
    # And the metadata pages keep ServiceStack's Required column: Evo Voice declares no IsRequired.
    page = client.get("/json/metadata?op=NewAISession").text
    assert "<tr><td>AccountId</td><td>body</td><td>String</td><td>No</td>" in page


def test_openapi_xml_names_are_the_roots_the_xml_codec_writes(client: TestClient, world: World) -> None:
    document = client.get("/openapi.json").json()
    schemas = document["components"]["schemas"]

    def declared(path: str, verb: str, status: str) -> dict[str, str]:
        ref = document["paths"][path][verb]["responses"][status]["content"]["application/xml"]["schema"]["$ref"]
        return dict(schemas[ref.rsplit("/", 1)[1]]["xml"])

    def root(response: Response) -> dict[str, str]:
        assert response.headers["content-type"].startswith("application/xml"), response.text
        namespace, _, name = ElementTree.fromstring(response.content).tag[1:].partition("}")
        return {"name": name, "namespace": namespace}

    xml = {**world.admin, "Accept": "application/xml"}
    client.post("/ai/sessions", json={"accountId": world.account_id}, headers=world.admin)
    listing = client.get("/ai/sessions", headers=xml)
    # The generic's DataContract name, hash and all; not the JSON-Schema component name.
    assert declared("/ai/sessions", "get", "200") == root(listing)
    assert root(listing)["name"] == "ListResponseOfAISessionInfokPYUDTdt"
    created = client.post("/ai/sessions", json={"accountId": world.account_id}, headers=xml)
    assert declared("/ai/sessions", "post", "200") == root(created)
    missing = client.get("/ai/sessions/nope", headers=xml)
    assert missing.status_code == 404
    assert declared("/ai/sessions/{sessionId}", "get", "404") == root(missing)
    # Request bodies too: the XML codec reads a body named as the document says.
    new = schemas["NewAISession"]["xml"]
    body = f'<{new["name"]} xmlns="{new["namespace"]}"><AccountId>{world.account_id}</AccountId></{new["name"]}>'
    response = client.post("/ai/sessions", content=body, headers={**xml, "Content-Type": "application/xml"})
    assert response.status_code == 200, response.text


def test_openapi_xml_members_are_named_and_ordered_as_the_xml_codec_reads_them(
    client: TestClient, world: World
) -> None:
    """DataContractSerializer matches members case-sensitively and skips one that comes after a later
    member. The document names every element and lists properties in that order, so a body
    written from it binds every member; the reverse order loses one (the order is not decoration)."""
    document = client.get("/openapi.json").json()
    schemas = document["components"]["schemas"]
    assert list(schemas["PatchAISession"]["properties"]) == ["purpose", "sessionId"]
    assert [p["xml"]["name"] for p in schemas["AISessionInfo"]["properties"].values()][:3] == [
        "CreatedBy",  # the base class's members come first
        "DateCreated",
        "DateLastModified",
    ]
    created = client.post("/ai/sessions", json={"accountId": world.account_id}, headers=world.admin).json()
    patch = schemas["PatchAISession"]
    values = {"purpose": "from the document", "sessionId": created["id"]}

    def body(names: list[str]) -> str:
        members = "".join(
            f"<{patch['properties'][n]['xml']['name']}>{values[n]}</{patch['properties'][n]['xml']['name']}>"
            for n in names
        )
        return f'<{patch["xml"]["name"]} xmlns="{patch["xml"]["namespace"]}">{members}</{patch["xml"]["name"]}>'

    headers = {**world.admin, "Content-Type": "application/xml", "Accept": "application/json"}
    url = f"/ai/sessions/{created['id']}"
    reversed_ = client.patch(url, content=body(["sessionId", "purpose"]), headers=headers)
    assert reversed_.status_code == 200, reversed_.text
    assert reversed_.json().get("purpose") is None  # Purpose came after SessionId: skipped
    in_order = client.patch(url, content=body(list(patch["properties"])), headers=headers)
    assert in_order.status_code == 200, in_order.text
    assert in_order.json()["purpose"] == "from the document"


def test_openapi_list_bounds_are_the_service_limits(client: TestClient, world: World) -> None:
    """The document bounds what SessionService.list refuses, so its edges are the service's."""
    document = client.get("/openapi.json").json()
    params = {p["name"]: p["schema"] for p in document["paths"]["/api/ListAISessions"]["get"]["parameters"]}
    assert (params["page"]["minimum"], params["page"]["maximum"]) == (0, 2**31 - 1)
    assert (params["countPerPage"]["minimum"], params["countPerPage"]["maximum"]) == (0, 1000)
    fields = params["sortField"]["enum"]
    assert fields == list(AISessionInfo.__struct_encode_fields__)
    component = document["components"]["schemas"]["ListAISessions"]["properties"]
    assert component["sortField"]["anyOf"] == [{"type": "string", "enum": fields}, {"type": "null"}]

    def status(**query: str | int) -> int:
        return client.get("/api/ListAISessions", params=query, headers=world.admin).status_code

    assert (status(page=0), status(page=-1)) == (200, 400)
    assert (status(countPerPage=0), status(countPerPage=1000)) == (200, 200)
    assert (status(countPerPage=-1), status(countPerPage=1001)) == (400, 400)
    assert all(status(sortField=field) == 200 for field in fields)
    assert status(sortField="nope") == 400


def test_openapi_api_routes_are_json_only(client: TestClient, world: World) -> None:
    """`/api/{Op}` reads JSON whatever the Content-Type and answers JSON whatever the Accept, so
    the document offers only JSON there; the custom routes keep every format."""
    document = client.get("/openapi.json").json()
    for op in API_OPERATIONS:
        api = document["paths"][f"/api/{op.name}"][op.verb.lower()]
        if "requestBody" in api:
            assert list(api["requestBody"]["content"]) == ["application/json"]
        for status, response in api["responses"].items():
            if status not in ("204", "304", "401", "403"):  # no body, or a text/plain one
                assert list(response["content"]) == ["application/json"], (op.name, status)
    assert len(document["paths"]["/ai/sessions"]["post"]["requestBody"]["content"]) == len(
        [f for f in ("json", "xml", "jsv", "csv") if f in default_registry()]
    )
    xml = {**world.admin, "Accept": "application/xml", "Content-Type": "application/xml"}
    body = f'<NewAISession xmlns="http://schemas.datacontract.org/2004/07/Voice.Api.AI"><AccountId>{world.account_id}</AccountId></NewAISession>'
    refused = client.post("/api/NewAISession", content=body, headers=xml)
    assert refused.status_code == 400
    assert refused.headers["content-type"].startswith("application/json")
    assert refused.json()["responseStatus"]["errorCode"] == "SerializationException"
    assert client.post("/ai/sessions", content=body, headers=xml).status_code == 200


@pytest.mark.parametrize("fmt", REGISTERED)
def test_every_operation_has_a_page_in_every_language(client: TestClient, fmt: str) -> None:
    for op in OPERATIONS:
        for lang in [None, "python", "typescript", "csharp"]:
            params = {"op": op.name} | ({"lang": lang} if lang else {})
            response = client.get(f"/{fmt}/metadata", params=params)
            assert response.status_code == 200, (op.name, lang)
            assert f'<h2 id="op">{op.name}</h2>' in response.text
            assert f"HTTP + {fmt.upper()}" in response.text
