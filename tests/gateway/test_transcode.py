"""`gateway.transcode`: one document decoded as one format and encoded as another, with what the
decoding matched; the CLI's `convert` is a thin shell over it (tests/gateway/test_cli.py)."""

from __future__ import annotations

import pytest
from wirecodecs import DecodeError, default_registry

from gateway.transcode import EmptyInput, UnknownFormat, UnknownType, dto_types, transcode

REGISTRY = default_registry()


def test_a_matching_document_is_re_encoded_and_marked_matched() -> None:
    done = transcode(b'{"sessionId":"s1"}', source="json", target="jsv", type_name="patchaisession", registry=REGISTRY)
    assert (done.output, done.type_name, done.matched) == (b"{sessionId:s1}", "PatchAISession", True)
    assert done.members == ("sessionId", "purpose")


@pytest.mark.parametrize(
    ("source", "data"),
    [
        ("json", b'{"accountId":"a","purpose":"p"}'),
        ("jsv", b"{accountId:a}"),
        ("csv", b"AccountId,Purpose\r\na,p\r\n"),
        (
            "xml",
            b'<GetAISession xmlns="http://schemas.datacontract.org/2004/07/Voice.Api.AI"><AccountId>a</AccountId>'
            b"</GetAISession>",
        ),
    ],
)
def test_a_type_whose_members_the_input_never_sets_is_not_matched(source: str, data: bytes) -> None:
    done = transcode(data, source=source, target="json", type_name="GetAISession", registry=REGISTRY)
    assert done.output == b"{}" and not done.matched and done.members == ("sessionId",)


def test_the_list_response_alias_and_its_name() -> None:
    done = transcode(b'{"totalCount":2}', source="json", target="json", type_name="ListResponse", registry=REGISTRY)
    assert done.type_name == "ListResponse<AISessionInfo>" and done.matched


@pytest.mark.parametrize("data", [b"", b" \r\n\t", b"\xef\xbb\xbf", b"\xef\xbb\xbf \n"])
def test_blank_input_is_empty_input(data: bytes) -> None:
    with pytest.raises(EmptyInput, match="empty input"):
        transcode(data, source="json", target="jsv", type_name="PatchAISession", registry=REGISTRY)


def test_bad_arguments_and_bad_documents() -> None:
    with pytest.raises(UnknownFormat, match="'yaml'"):
        transcode(b"{}", source="yaml", target="jsv", type_name="PatchAISession", registry=REGISTRY)
    with pytest.raises(UnknownType, match="'Nope'"):
        transcode(b"{}", source="json", target="jsv", type_name="Nope", registry=REGISTRY)
    with pytest.raises(DecodeError):
        transcode(b"{nope", source="json", target="jsv", type_name="PatchAISession", registry=REGISTRY)


def test_every_dto_type_is_known_by_its_dotnet_name() -> None:
    assert {"PatchAISession", "AISessionInfo", "ListResponse<AISessionInfo>", "ErrorResponse"} <= set(dto_types())
