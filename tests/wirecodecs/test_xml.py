from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import msgspec
import pytest
from wirecodecs import CodecRegistry, DecodeError, EncodeError, ValidationError, XmlCodec, default_registry
from wirecodecs.xml._contract import generic_name, namespaces_digest

from gateway.dtos import (
    AISessionInfo,
    Authenticate,
    ErrorResponse,
    ListAISessions,
    ListResponse,
    PatchAISession,
    ResponseError,
    ResponseStatus,
    SortOrders,
)

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "xml"
DECLARATION = b'<?xml version="1.0" encoding="utf-8"?>'
XMLNS = (
    b'xmlns:i="http://www.w3.org/2001/XMLSchema-instance" xmlns="http://schemas.datacontract.org/2004/07/Voice.Api.AI"'
)
S = "String"

codec = XmlCodec()

GOLDEN: dict[str, tuple[Any, Any]] = {
    "AISessionInfo": (
        AISessionInfo(
            account_id=S,
            account_name=S,
            purpose=S,
            id=S,
            date_created=S,
            date_last_modified=S,
            created_by=S,
            last_modified_by=S,
        ),
        AISessionInfo,
    ),
    "PatchAISession": (PatchAISession(session_id=S, purpose=S), PatchAISession),
    "ListResponse-AISessionInfo": (
        ListResponse(
            items=[
                AISessionInfo(
                    account_id="A1",
                    account_name="Acme & Sons",
                    purpose="Qualify <inbound> leads",
                    id="S1",
                    date_created="2024-01-02T03:04:05Z",
                    date_last_modified="2024-01-02T03:04:05Z",
                    created_by="admin",
                    last_modified_by="admin",
                ),
                AISessionInfo(account_id="A2", purpose="", id="S2", date_created="2024-02-03T04:05:06Z"),
            ],
            total_count=2,
            total_pages=1,
        ),
        ListResponse[AISessionInfo],
    ),
    "ErrorResponse-NotFound": (
        ErrorResponse(response_status=ResponseStatus(error_code="NotFound", message="Session not found")),
        ErrorResponse,
    ),
    "ErrorResponse-Validation": (
        ErrorResponse(
            response_status=ResponseStatus(
                error_code="NotEmpty",
                message="'Session Id' must not be empty.",
                errors=[
                    ResponseError(
                        error_code="NotEmpty",
                        field_name="SessionId",
                        message="'Session Id' must not be empty.",
                        meta={"PropertyName": "Session Id"},
                    ),
                    ResponseError(
                        error_code="InvalidValue", field_name="CountPerPage", message="Expected `int`, got `str`"
                    ),
                ],
            )
        ),
        ErrorResponse,
    ),
    "ListAISessions": (
        ListAISessions(
            account_ids=["A1", "A2"],
            page=2,
            count_per_page=25,
            specific_ids=[],
            sort_field="DateCreated",
            sort_order=SortOrders.Descend,
            simplified_paging=True,
        ),
        ListAISessions,
    ),
}


def golden(name: str) -> bytes:
    return (FIXTURES / f"{name}.xml").read_bytes()


# --- the codec's surface ---


def test_codec_attributes() -> None:
    assert codec.format == "xml"
    assert codec.media_type == codec.content_type == "application/xml"
    assert codec.media_types == ("application/xml", "text/xml")


def test_default_registry_offers_xml_after_json(monkeypatch: pytest.MonkeyPatch) -> None:
    # Built-in order only: whatever third-party codecs the environment advertises is not this test's business.
    monkeypatch.setattr(CodecRegistry, "load_entry_points", lambda self, group="": [])
    registry = default_registry()
    assert registry.formats()[:2] == ["json", "xml"]
    assert isinstance(registry.by_media_type("text/xml; charset=utf-8"), XmlCodec)


# --- golden files ---


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_encode_matches_golden_bytes(name: str) -> None:
    dto, tp = GOLDEN[name]
    assert codec.encode(dto, type=tp) == golden(name)
    assert codec.encode(dto) == golden(name)  # the generic argument is learnt from the items


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_decode_golden_gives_the_equal_dto(name: str) -> None:
    dto, tp = GOLDEN[name]
    assert codec.decode(golden(name), tp) == dto


@pytest.mark.parametrize("name", ["PatchAISession", "AISessionInfo"])
def test_metadata_page_samples_are_the_golden_bytes_laid_out_for_display(name: str) -> None:
    sample = (FIXTURES / f"{name}.metadata-sample.xml").read_bytes()
    compact = re.sub(rb">\s+<", b"><", sample.strip())
    assert DECLARATION + compact == golden(name)
    dto, tp = GOLDEN[name]
    assert codec.decode(sample, tp) == dto


def test_golden_files_are_written_without_layout() -> None:
    for name in GOLDEN:
        data = golden(name)
        assert data.startswith(DECLARATION + b"<")
        assert b"\n" not in data and not data.endswith(b" ")


# --- DataContract names and namespaces ---


def test_namespace_digest_matches_wcf_well_known_name() -> None:
    # Dictionary<string, List<string>> is ArrayOfKeyValueOfstringArrayOfstringty7Ep6D1 in every WCF WSDL.
    namespaces = " 2 http://www.w3.org/2001/XMLSchema http://schemas.microsoft.com/2003/10/Serialization/Arrays"
    assert namespaces_digest(namespaces) == "ty7Ep6D1"
    node = codec._contracts.node_for(dict[str, list[str]])
    assert node.name == "ArrayOfKeyValueOfstringArrayOfstringty7Ep6D1"


def test_generic_names() -> None:
    node_for = codec._contracts.node_for
    assert generic_name("KeyValue", [node_for(str), node_for(str)]) == "KeyValueOfstringstring"
    assert node_for(ListResponse[AISessionInfo]).name == "ListResponseOfAISessionInfokPYUDTdt"
    assert node_for(dict[str, str]).name == "ArrayOfKeyValueOfstringstring"
    assert node_for(list[str]).name == "ArrayOfstring"


def test_empty_generic_list_response_needs_the_declared_type_for_its_exact_name() -> None:
    page: ListResponse[AISessionInfo] = ListResponse()
    assert codec.encode(page, type=ListResponse[AISessionInfo]).startswith(
        DECLARATION + b"<ListResponseOfAISessionInfokPYUDTdt "
    )
    assert codec.encode(page).startswith(DECLARATION + b"<ListResponseOfanyType ")


def test_base_class_members_come_first_in_their_own_namespace() -> None:
    data = codec.encode(AISessionInfo(id="s", purpose="p"))
    assert data == (
        DECLARATION + b"<AISessionInfo " + XMLNS + b">"
        b'<CreatedBy i:nil="true" xmlns="http://schemas.datacontract.org/2004/07/Voice.Api" />'
        b'<DateCreated i:nil="true" xmlns="http://schemas.datacontract.org/2004/07/Voice.Api" />'
        b'<DateLastModified i:nil="true" xmlns="http://schemas.datacontract.org/2004/07/Voice.Api" />'
        b'<Id xmlns="http://schemas.datacontract.org/2004/07/Voice.Api">s</Id>'
        b'<LastModifiedBy i:nil="true" xmlns="http://schemas.datacontract.org/2004/07/Voice.Api" />'
        b'<AccountId i:nil="true" /><AccountName i:nil="true" /><Purpose>p</Purpose></AISessionInfo>'
    )


def test_servicestack_types_keep_declared_order_and_names() -> None:
    data = codec.encode(Authenticate(provider="credentials", user_name="u", password="p"))
    assert data.startswith(
        DECLARATION + b'<Authenticate xmlns:i="http://www.w3.org/2001/XMLSchema-instance" '
        b'xmlns="http://schemas.servicestack.net/types"><provider>credentials</provider>'
        b'<UserName>u</UserName><Password>p</Password><RememberMe i:nil="true" />'
    )


def test_batch_of_dtos_is_an_array_of_the_item_type() -> None:
    batch = [PatchAISession(session_id="1", purpose="a"), PatchAISession(session_id="2")]
    data = codec.encode(batch)
    assert data == (
        DECLARATION + b"<ArrayOfPatchAISession " + XMLNS + b">"
        b"<PatchAISession><Purpose>a</Purpose><SessionId>1</SessionId></PatchAISession>"
        b'<PatchAISession><Purpose i:nil="true" /><SessionId>2</SessionId></PatchAISession></ArrayOfPatchAISession>'
    )
    assert codec.decode(data, list[PatchAISession]) == batch


# --- values ---


def test_null_is_nil_and_empty_string_is_an_empty_element() -> None:
    data = codec.encode(PatchAISession(session_id="", purpose=None))
    assert data.endswith(b'<Purpose i:nil="true" /><SessionId /></PatchAISession>')
    assert codec.decode(data, PatchAISession) == PatchAISession(session_id="", purpose=None)


def test_text_is_escaped_and_carriage_returns_survive() -> None:
    text = "a & b < c > d \"q\" 'q' \r\n\tend ü 😀"
    data = codec.encode(PatchAISession(purpose=text))
    assert b"<Purpose>a &amp; b &lt; c &gt; d \"q\" 'q' &#xD;\n\tend \xc3\xbc \xf0\x9f\x98\x80</Purpose>" in data
    assert codec.decode(data, PatchAISession).purpose == text


def test_characters_xml_cannot_carry_are_replaced_or_refused() -> None:
    dto = PatchAISession(purpose="bell\x07nul\x00\ud800\uffff")
    assert codec.decode(codec.encode(dto), PatchAISession).purpose == "bell\ufffdnul\ufffd\ufffd\ufffd"
    with pytest.raises(EncodeError):
        XmlCodec(invalid_chars="error").encode(dto)


def test_scalars_enums_and_bools() -> None:
    data = codec.encode(ListAISessions(all=True, sort_order=SortOrders.Descend, page=-3))
    assert b">true</All>" in data and b">Descend</SortOrder>" in data and b">-3</Page>" in data


# --- binding ---


API_NS = "http://schemas.datacontract.org/2004/07/Voice.Api"
ARRAYS = "http://schemas.microsoft.com/2003/10/Serialization/Arrays"


def request(body: str, root: str = "PatchAISession") -> bytes:
    return f"<{root} {XMLNS.decode()}>{body}</{root}>".encode()


def base(name: str, value: str) -> str:
    """A ListRequest member: declared by the base class, so in its namespace."""
    return f'<{name} xmlns="{API_NS}">{value}</{name}>'


def test_out_of_order_members_are_skipped_like_datacontractserializer() -> None:
    # Members are read in DataMember order (alphabetical here): Purpose, then SessionId.
    body = request("<SessionId>x</SessionId><Purpose>p</Purpose>")
    assert codec.decode(body, PatchAISession) == PatchAISession(session_id="x", purpose=None)
    in_order = request("<Purpose>p</Purpose><SessionId>x</SessionId>")
    assert codec.decode(in_order, PatchAISession) == PatchAISession(session_id="x", purpose="p")


def test_an_out_of_order_member_is_skipped_and_later_ones_are_still_read() -> None:
    body = request(
        base("Page", "2") + base("All", "true") + base("SortField", "Id") + "<AccountIds />",
        root="ListAISessions",
    )
    dto = codec.decode(body, ListAISessions)
    assert (dto.page, dto.all, dto.sort_field, dto.account_ids) == (2, False, "Id", [])


def test_base_members_after_derived_ones_are_skipped() -> None:
    created = f'<CreatedBy xmlns="{API_NS}">c</CreatedBy>'
    body = request(f"<AccountId>a</AccountId>{created}", root="AISessionInfo")
    assert codec.decode(body, AISessionInfo) == AISessionInfo(account_id="a")
    body = request(f"{created}<AccountId>a</AccountId>", root="AISessionInfo")
    assert codec.decode(body, AISessionInfo) == AISessionInfo(account_id="a", created_by="c")


def test_members_in_another_namespace_are_skipped() -> None:
    # A base-class member written in the derived class's namespace is not that member.
    body = request("<CreatedBy>c</CreatedBy><AccountId>a</AccountId>", root="AISessionInfo")
    assert codec.decode(body, AISessionInfo) == AISessionInfo(account_id="a")
    body = request('<Purpose xmlns="urn:other">p</Purpose><SessionId xmlns="">s</SessionId>')
    assert codec.decode(body, PatchAISession) == PatchAISession()


def test_prefixes_do_not_matter_only_the_namespace_they_stand_for() -> None:
    ai = XMLNS.decode().split('xmlns="')[1].rstrip('"')
    body = f'<x:PatchAISession xmlns:x="{ai}"><x:Purpose>p</x:Purpose><SessionId>s</SessionId></x:PatchAISession>'
    # SessionId has no prefix and no default namespace in scope: it is in no namespace.
    assert codec.decode(body.encode(), PatchAISession) == PatchAISession(purpose="p")


def test_member_names_are_case_sensitive() -> None:
    assert codec.decode(request("<sessionid>s</sessionid>"), PatchAISession).session_id is None


def test_unknown_elements_comments_and_layout_are_ignored() -> None:
    body = request("\n  <!-- hi --><Nope><Deep>1</Deep></Nope>\n  <Purpose>p</Purpose><?pi x?>\n")
    assert codec.decode(body, PatchAISession) == PatchAISession(purpose="p")


def test_repeated_member_first_wins() -> None:
    assert codec.decode(request("<Purpose>1</Purpose><Purpose>2</Purpose>"), PatchAISession).purpose == "1"


def test_a_scalar_holding_elements_is_a_decode_error() -> None:
    with pytest.raises(DecodeError, match="'Purpose' holds elements"):
        codec.decode(request("<Purpose><b>x</b></Purpose>"), PatchAISession)
    # Mixed content too: text beside an element is not a value either.
    with pytest.raises(DecodeError):
        codec.decode(request("<SessionId>s<i /></SessionId>"), PatchAISession)


def test_wrong_root_element_is_datacontractserializers_error() -> None:
    with pytest.raises(DecodeError) as info:
        codec.decode(DECLARATION + request("<SessionId>s</SessionId>", root="GetAISession"), PatchAISession)
    assert str(info.value) == (
        "Error in line 1 position 40. Expecting element 'PatchAISession' from namespace "
        "'http://schemas.datacontract.org/2004/07/Voice.Api.AI'.. "
        "Encountered 'Element'  with name 'GetAISession', namespace 'http://schemas.datacontract.org/2004/07/Voice.Api.AI'."
    )
    with pytest.raises(DecodeError, match="ListResponseOfAISessionInfokPYUDTdt"):
        codec.decode(f'<ListResponseOfAISessionInfo xmlns="{API_NS}" />'.encode(), ListResponse[AISessionInfo])


def test_root_in_the_wrong_namespace_is_a_decode_error() -> None:
    for root in (b"<PatchAISession />", b'\n<PatchAISession xmlns="urn:x" />'):
        with pytest.raises(DecodeError) as info:
            codec.decode(root, PatchAISession)
        ns = "urn:x" if b"urn:x" in root else ""
        position = "line 2 position 2" if ns else "line 1 position 2"
        assert str(info.value) == (
            f"Error in {position}. Expecting element 'PatchAISession' from namespace "
            f"'http://schemas.datacontract.org/2004/07/Voice.Api.AI'.. "
            f"Encountered 'Element'  with name 'PatchAISession', namespace '{ns}'."
        )
    batch = f'<ArrayOfPatchAISession xmlns="{API_NS}"><PatchAISession /></ArrayOfPatchAISession>'
    with pytest.raises(DecodeError, match=r"'ArrayOfPatchAISession' from namespace '.*Voice\.Api\.AI'"):
        codec.decode(batch.encode(), list[PatchAISession])


def test_collection_items_need_the_item_contracts_name_and_namespace() -> None:
    items = (
        f'<AccountIds xmlns:a="{ARRAYS}"><a:string>1</a:string><string>in AI</string>'
        f"<a:int>2</a:int><a:string>3</a:string></AccountIds>"
    )
    assert codec.decode(request(items, root="ListAISessions"), ListAISessions).account_ids == ["1", "3"]
    batch = request(
        "<PatchAISession><Purpose>1</Purpose></PatchAISession><GetAISession /><PatchAISession />",
        root="ArrayOfPatchAISession",
    )
    assert codec.decode(batch, list[PatchAISession]) == [PatchAISession(purpose="1"), PatchAISession()]


def test_scalars_are_converted_and_trimmed() -> None:
    body = request(
        base("All", " true ")
        + base("CountPerPage", "\n25\n")
        + base("SortOrder", " Descend")
        + f"<AccountIds xmlns:a='{ARRAYS}'><a:string> a </a:string><a:string i:nil='true'/></AccountIds>",
        root="ListAISessions",
    )
    with pytest.raises(ValidationError):  # a null inside list<string> is not a str
        codec.decode(body, ListAISessions)
    dto = codec.decode(body.replace(b"<a:string i:nil='true'/>", b""), ListAISessions)
    assert (dto.all, dto.count_per_page, dto.sort_order, dto.account_ids) == (True, 25, SortOrders.Descend, [" a "])


def test_wrong_types_are_validation_errors_naming_the_field() -> None:
    with pytest.raises(ValidationError) as info:
        codec.decode(request(base("Page", "abc"), root="ListAISessions"), ListAISessions)
    assert [e.field_name for e in info.value.errors] == ["page"]
    with pytest.raises(ValidationError) as info:
        codec.decode(request(base("SortOrder", "Sideways"), root="ListAISessions"), ListAISessions)
    assert info.value.errors[0].field_name == "sortOrder"


def test_nil_value_type_is_a_validation_error() -> None:
    with pytest.raises(ValidationError):
        codec.decode(request(f'<Page i:nil="true" xmlns="{API_NS}" />', root="ListAISessions"), ListAISessions)


def test_dictionary_entries() -> None:
    body = (
        b'<ResponseError xmlns="http://schemas.servicestack.net/types" '
        b'xmlns:a="http://schemas.microsoft.com/2003/10/Serialization/Arrays"><Meta>'
        b"<a:KeyValueOfstringstring><a:Key>k</a:Key><a:Value>v</a:Value></a:KeyValueOfstringstring>"
        b"<a:KeyValueOfstringstring><a:Value>no key</a:Value></a:KeyValueOfstringstring>"
        b"<a:KeyValueOfstringstring><Key>not in Arrays</Key><Value>x</Value></a:KeyValueOfstringstring>"
        b"<KeyValueOfstringstring><a:Key>entry not in Arrays</a:Key></KeyValueOfstringstring>"
        b"</Meta></ResponseError>"
    )
    assert codec.decode(body, ResponseError) == ResponseError(meta={"k": "v"})


def test_decode_untyped_gives_builtins_keyed_by_json_names() -> None:
    assert codec.decode_untyped(golden("PatchAISession"), PatchAISession) == {"purpose": S, "sessionId": S}


def test_struct_without_dotnet_uses_the_configured_default_namespace() -> None:
    class Plain(msgspec.Struct, rename="camel"):
        the_value: int = 0

    assert codec.encode(Plain(the_value=1)) == (
        DECLARATION + b'<Plain xmlns:i="http://www.w3.org/2001/XMLSchema-instance" '
        b'xmlns="http://schemas.datacontract.org/2004/07/"><TheValue>1</TheValue></Plain>'
    )
    other = XmlCodec(default_namespace="My.Dtos", contract_namespaces={"My.Dtos": "urn:my"})
    assert b'xmlns="urn:my"><TheValue>1</TheValue></Plain>' in other.encode(Plain(the_value=1))
    assert other.decode(other.encode(Plain(the_value=7)), Plain) == Plain(the_value=7)
