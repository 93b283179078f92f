from __future__ import annotations

import pytest

from gateway.errors import MethodNotAllowed, NotFound, OperationNotImplemented
from gateway.operations import OPERATIONS
from gateway.routing import RouteKind, Router, check_verb, split_suffix

FORMATS = ("json", "xml", "jsv", "csv")
router = Router(OPERATIONS, FORMATS)


def test_known_suffix_is_stripped_and_names_the_format() -> None:
    info = split_suffix("/ai/sessions/abc.xml", FORMATS)
    assert (info.path, info.suffix_format) == ("/ai/sessions/abc", "xml")


@pytest.mark.parametrize("path", ["/ai/sessions/a.b", "/ai/sessions/abc", "/a.json/sessions"])
def test_unknown_or_inner_suffix_is_kept(path: str) -> None:
    assert split_suffix(path, FORMATS).path == path


def test_custom_route_binds_path_variables_by_verb() -> None:
    match = router.match("PATCH", "/ai/sessions/s1")
    assert match.operation.name == "PatchAISession"
    assert match.kind is RouteKind.CUSTOM
    assert match.path_params == {"sessionId": "s1"}
    assert router.match("GET", "/ai/sessions/s1").operation.name == "GetAISession"
    assert router.match("DELETE", "/ai/sessions/s1").operation.name == "DeleteAISession"
    assert router.match("GET", "/ai/sessions").operation.name == "ListAISessions"
    assert router.match("POST", "/AI/Sessions/").operation.name == "NewAISession"


def test_wrong_verb_on_a_known_path_is_405_with_the_allowed_verbs() -> None:
    with pytest.raises(MethodNotAllowed) as info:
        router.match("PUT", "/ai/sessions/s1")
    assert info.value.allowed == ["DELETE", "GET", "PATCH"]


def test_unknown_path_is_not_found() -> None:
    with pytest.raises(NotFound):
        router.match("GET", "/nope")


@pytest.mark.parametrize("path", ["/ai/sessions/s1/more", "//ai/sessions/s1", "/ai/sessions/s1//", "/ai//s1"])
def test_a_path_matches_only_a_template_with_as_many_segments(path: str) -> None:
    # Templates are looked up by the path's number of segments; the pattern still decides, so
    # extra, doubled or empty segments are not a session id.
    with pytest.raises(NotFound):
        router.match("GET", path)


def test_the_verbs_of_one_template_run_their_own_operations_and_share_its_405() -> None:
    assert [router.match(verb, "/auth/credentials").operation.name for verb in ("GET", "POST")] == ["Authenticate"] * 2
    with pytest.raises(MethodNotAllowed) as info:
        router.match("DELETE", "/ai/sessions")
    assert info.value.allowed == ["GET", "POST"]  # List and New share the template


def test_predefined_routes_are_case_insensitive_on_the_operation_name() -> None:
    api = router.match("PATCH", "/api/patchaisession")
    assert (api.operation.name, api.kind, api.path_format) == ("PatchAISession", RouteKind.API, None)
    reply = router.match("PATCH", "/json/reply/PatchAISession")
    assert (reply.kind, reply.path_format, reply.oneway) == (RouteKind.REPLY, "json", False)
    assert router.match("PATCH", "/json/oneway/PatchAISession").oneway


def test_batch_routes_need_post() -> None:
    batch = router.match("POST", "/api/PatchAISession[]")
    assert batch.batch and batch.operation.name == "PatchAISession"
    with pytest.raises(OperationNotImplemented):
        check_verb(router.match("PATCH", "/api/PatchAISession[]"), "PATCH")


def test_unknown_operation_and_wrong_verb_on_predefined_routes_are_405() -> None:
    with pytest.raises(OperationNotImplemented, match="does not exist"):
        router.match("POST", "/api/Nope")
    with pytest.raises(OperationNotImplemented, match=r"Get\(PatchAISession\)"):
        check_verb(router.match("GET", "/json/reply/PatchAISession"), "GET")
