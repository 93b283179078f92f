"""The "Add ServiceStack Reference" generators as pure functions: the Python output is the seed's code."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import TypeVar

import pytest

from gateway.metadata.csharp_types import generate_csharp
from gateway.metadata.model import default_model
from gateway.metadata.options import TypesOptions
from gateway.metadata.python_types import generate_python
from gateway.metadata.typescript_types import generate_typescript

T = TypeVar("T")

SEED_PYTHON = Path(__file__).resolve().parents[2] / "fixtures" / "types" / "PatchAISession.python.txt"


def normalised(text: str) -> str:
    """Trailing whitespace off every line, and trailing blank lines off the end."""
    return "\n".join(line.rstrip() for line in text.splitlines()).rstrip("\n")


def page_python(op: str = "PatchAISession") -> str:
    """What the metadata page's `lang=python` view shows: no options header, no IReturn marker."""
    options = TypesOptions(include_types=(f"{op}.*",), add_return_marker=False, with_options=False)
    return generate_python(default_model(), options)


def test_python_for_patch_session_is_the_seed_code() -> None:
    assert normalised(page_python()) == normalised(SEED_PYTHON.read_text())


def test_types_python_differs_from_the_seed_only_by_the_return_marker() -> None:
    options = TypesOptions(include_types=("PatchAISession.*",), with_options=False)
    generated = normalised(generate_python(default_model(), options)).splitlines()
    seed = normalised(SEED_PYTHON.read_text()).splitlines()
    differing = [(a, b) for a, b in zip(generated, seed, strict=True) if a != b]
    assert differing == [("class PatchAISession(IReturn[AISessionInfo], IPatch):", "class PatchAISession(IPatch):")]


def test_python_header_block_lists_the_options() -> None:
    options = TypesOptions(
        base_url="http://gw.test", include_types=("PatchAISession.*",), given=frozenset({"includetypes"})
    )
    text = generate_python(default_model(), options)
    header = text.split('"""', 2)[1]
    assert header.startswith(" Options:\nDate: ")
    assert "\nBaseUrl: http://gw.test\n" in header
    assert '\nTip: To override a DTO option, remove "#" prefix before updating\n' in header
    # Set on the query string: uncommented. Left at its default: commented out.
    assert "\nIncludeTypes: PatchAISession.*\n" in header
    assert "\n#ExcludeTypes: \n" in header
    assert "\n#DataClassJson: \n" in header


@pytest.mark.parametrize(
    ("include", "classes"),
    [
        (("PatchAISession.*",), ["EntityInfo", "AISessionInfo", "PatchAISession"]),
        # A request alone brings its return type (ServiceStack) and that type's base (so it compiles).
        (("PatchAISession",), ["EntityInfo", "AISessionInfo", "PatchAISession"]),
        (("DeleteAISession",), ["DeleteAISession"]),
        (("AISessionInfo.*",), ["EntityInfo", "AISessionInfo"]),
        (("{GetAISession}", "DeleteAISession"), ["EntityInfo", "AISessionInfo", "GetAISession", "DeleteAISession"]),
        (("{PatchAISession}.*",), ["EntityInfo", "AISessionInfo", "PatchAISession"]),
        (("Voice.Api/*",), None),
        (("List*",), ["ListRequest", "ListResponse", "ListAISessions"]),
        (
            ("ListAISessions.*",),
            ["EntityInfo", "AISessionInfo", "SortOrders", "ListRequest", "ListResponse", "ListAISessions"],
        ),
        (("*Nothing",), []),
    ],
)
def test_include_types(include: tuple[str, ...], classes: list[str] | None) -> None:
    text = generate_python(default_model(), TypesOptions(include_types=include, with_options=False))
    found = [line.split()[1].split("(")[0].rstrip(":") for line in text.splitlines() if line.startswith("class ")]
    if classes is None:  # every type: the namespace prefix covers Voice.Api.AI too
        classes = [t.name for t in default_model().ordered()]
        assert len(classes) == 10
    assert found == classes


def test_split_list_keeps_a_tag_group_whole() -> None:
    from gateway.metadata.options import split_list

    assert split_list(" A, {B,C}.*,,D ") == ("A", "{B,C}.*", "D")
    assert split_list("") == ()


def load_module(name: str, source: str, tmp_path: Path) -> ModuleType:
    path = tmp_path / f"{name}.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[name]
    return module


def test_generated_python_imports_and_infers_response_types(tmp_path: Path) -> None:
    from servicestack.clients import _resolve_response_type
    from servicestack.types import IDelete, IGet, IPatch, IPost

    dtos = load_module("evo_dtos_all", generate_python(default_model(), TypesOptions(base_url="http://x")), tmp_path)
    assert _resolve_response_type(dtos.PatchAISession()) is dtos.AISessionInfo
    assert _resolve_response_type(dtos.NewAISession()) is dtos.AISessionInfo
    assert isinstance(dtos.NewAISession(), IPost) and isinstance(dtos.GetAISession(), IGet)
    assert isinstance(dtos.PatchAISession(), IPatch) and isinstance(dtos.DeleteAISession(), IDelete)
    assert isinstance(dtos.ListAISessions(), dtos.ListRequest)
    assert dtos.PatchAISession(session_id="s1", purpose="p").to_json() == '{"sessionId": "s1", "purpose": "p"}'
    info = dtos.AISessionInfo.from_json('{"accountId":"a","id":"i","dateCreated":"d","unknown":1}')
    assert (info.account_id, info.id, info.date_created) == ("a", "i", "d")
    assert dtos.ListRequest().page == 0 and dtos.ListRequest().all is False


def test_typescript_classes() -> None:
    text = generate_typescript(default_model(), TypesOptions(base_url="http://x"))
    assert text.startswith("/* Options:\nDate: ")
    assert "\n//MakePropertiesOptional: True\n" in text
    assert "export interface IReturn<T>\n{\n    createResponse(): T;\n}" in text
    assert "export class AISessionInfo extends EntityInfo\n{" in text
    assert '// @Route("/ai/sessions/{sessionId}", "PATCH")\n// @Api(Description="Update a specific session")\n' in text
    assert "export class PatchAISession implements IReturn<AISessionInfo>, IPatch\n{" in text
    assert (
        "export class ListAISessions extends ListRequest<AISessionInfo> "
        "implements IReturn<ListResponse<AISessionInfo>>, IGet\n{"
    ) in text
    assert "export class DeleteAISession implements IReturnVoid, IDelete\n{" in text
    assert (
        "    public getMethod() { return 'PATCH'; }\n    public createResponse() { return new AISessionInfo(); }"
        in text
    )
    assert "    public items?: T[];\n" in text and "    public accountIds?: string[];\n" in text


def test_csharp_classes() -> None:
    text = generate_csharp(default_model(), TypesOptions(include_types=("PatchAISession.*",), with_options=False))
    assert text.index("namespace Voice.Api\n{") < text.index("namespace Voice.Api.AI\n{")
    assert "    public partial class AISessionInfo\n        : EntityInfo\n    {" in text
    assert (
        '    [Route("/ai/sessions/{sessionId}", "PATCH")]\n'
        '    [Api(Description="Update a specific session")]\n'
        "    public partial class PatchAISession\n        : IReturn<AISessionInfo>, IPatch\n"
    ) in text
    assert '        [ApiMember(Description="The ID of the session you want to update")]\n' in text
    assert "        public virtual string SessionId { get; set; }\n" in text
    assert "GetAISession" not in text


def test_descriptions_are_escaped_in_attributes() -> None:
    from gateway.metadata.python_types import _quoted

    assert _quoted('say "hi" \\ there') == '"say \\"hi\\" \\\\ there"'


def test_xml_samples_are_indented_without_an_added_declaration() -> None:
    from gateway.dtos import PatchAISession
    from gateway.metadata.samples import encode_sample, sample

    class FakeXml:
        format = "xml"
        media_type = "application/xml"
        media_types: tuple[str, ...] = ("application/xml",)
        content_type = "application/xml"

        def encode(self, obj: object) -> bytes:
            assert isinstance(obj, PatchAISession)
            members = f"<purpose>{obj.purpose}</purpose><sessionId>{obj.session_id}</sessionId>"
            return f"<PatchAISession>{members}</PatchAISession>".encode()

        def decode(self, data: bytes, type: type[T]) -> T:
            raise NotImplementedError

    text = encode_sample(FakeXml(), sample(default_model(), PatchAISession))
    assert text == ("<PatchAISession>\n  <purpose>String</purpose>\n  <sessionId>String</sessionId>\n</PatchAISession>")
