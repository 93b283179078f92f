"""`/openapi.json`: an OpenAPI 3.1 document generated from the operation table.

Every route an operation answers on is a path: its custom routes (`/ai/sessions/{sessionId}`) and
its predefined `/api/{Op}` route. Schemas come from the DTOs themselves (msgspec's JSON Schema), so
the document describes exactly what the codecs read and write, plus what the service itself
requires (`Operation.required`, the list limits). Bodies on the custom routes list every registered
text format, on `/api/{Op}` JSON only; errors are `ErrorResponse`; auth is a bearer API key or Basic.
A single `AISessionInfo` answer documents its `ETag`, and the conditional headers an operation
honours (`Operation.precondition`) their parameter and their 304 or 412.
"""

from __future__ import annotations

import copy
import typing
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from typing import Any

import msgspec
from msgspec import inspect as mi
from wirecodecs import Codec, encode_declared

from .. import __version__
from ..dtos import AISessionInfo, ErrorResponse, ListAISessions
from ..operations import Operation
from ..service import MAX_PAGE_SIZE
from ..store.base import SORTABLE_FIELDS
from .model import TypeModel
from .pages import SERVICE_NAME

__all__ = ["OPENAPI_FORMATS", "openapi_document"]

#: The text formats a client can send and receive, by name, with the media type documented for each.
OPENAPI_FORMATS = {
    "json": "application/json",
    "xml": "application/xml",
    "jsv": "application/jsv",
    "csv": "text/csv",
}
_REF = "#/components/schemas/{name}"
_BODY_VERBS = frozenset({"POST", "PUT", "PATCH"})
_SECURITY: list[dict[str, list[str]]] = [{"bearerApiKey": []}, {"basic": []}]
#: .NET's Int32 range: ServiceStack cannot bind a larger number into an `int` member.
_INT32 = {"format": "int32", "minimum": -(2**31), "maximum": 2**31 - 1}
#: A route variable is one non-empty path segment of printable characters (no `.`: a known
#: `.{format}` suffix would be taken off it).
_PATH_SEGMENT = {"type": "string", "minLength": 1, "pattern": "^[^/.\\x00-\\x1f\\x7f]+$"}


def _dotnet_numbers(model: TypeModel, name: str, schema: dict[str, Any]) -> None:
    """Give the integer members of a type .NET's Int32 bounds (msgspec's schema has no width)."""
    meta = model.types.get(name)
    props = schema.get("properties", {})
    for member in meta.all_members if meta is not None else ():
        prop = props.get(member.wire_name)
        if prop is not None and member.type.name == "Int32" and prop.get("type") == "integer":
            prop.update(_INT32)


#: What the service refuses beyond the members' types (400 ArgumentException from
#: `SessionService.list`), so that a request valid by the document is one the service accepts.
#: `sortField` is matched case-insensitively there; the document lists the wire names.
_SERVICE_BOUNDS: dict[type, dict[str, dict[str, Any]]] = {
    ListAISessions: {
        "page": {"minimum": 0},
        "countPerPage": {"minimum": 0, "maximum": MAX_PAGE_SIZE},
        "sortField": {"enum": [f for f in AISessionInfo.__struct_encode_fields__ if f.lower() in SORTABLE_FIELDS]},
    }
}


def _bound(schema: dict[str, Any], request_type: type) -> None:
    props: dict[str, Any] = schema.get("properties") or {}
    for name, bounds in _SERVICE_BOUNDS.get(request_type, {}).items():
        prop = props[name]
        # A nullable member keeps its null branch; the bounds go on the value's branch.
        target = next((b for b in prop["anyOf"] if b.get("type") != "null"), prop) if "anyOf" in prop else prop
        target.update(bounds)


def _content(ref: dict[str, Any], media_types: list[str]) -> dict[str, Any]:
    return {media_type: {"schema": ref} for media_type in media_types}


def _errors(media_types: list[str], op: Operation) -> dict[str, Any]:
    error = _content({"$ref": _REF.format(name="ErrorResponse")}, media_types)
    out: dict[str, Any] = {
        "400": {"description": "The request could not be read or bound to the request DTO", "content": error},
        "404": {"description": "No such operation, route or resource", "content": error},
    }
    if op.requires_auth:
        out["401"] = {
            "description": "Not authenticated (an empty body and a WWW-Authenticate challenge)",
            "headers": {"WWW-Authenticate": {"schema": {"type": "string"}}},
        }
    if op.required_role:
        out["403"] = {
            "description": f"Authenticated, but without the role {op.required_role}",
            "content": {"text/plain": {"schema": {"type": "string"}}},
        }
    return out


_ETAG_HEADER = {
    "ETag": {
        "description": "The session's version as a strong entity tag, the same in every format",
        "schema": {"type": "string", "pattern": '^"[1-9][0-9]*"$'},
    }
}
_PRECONDITIONS: dict[str, tuple[str, str, dict[str, Any]]] = {
    "If-None-Match": (
        "A GET answers 304 with no body when one of these tags (weak comparison) or `*` matches",
        "304",
        {"description": "Not modified: the tag still matches; no body", "headers": _ETAG_HEADER},
    ),
    "If-Match": (
        "Write only if the session is at one of these versions (strong comparison); `*` matches any version",
        "412",
        {"description": "PreconditionFailed: the session has changed; nothing was changed"},
    ),
}


def _precondition_parameter(op: Operation) -> list[dict[str, Any]]:
    if op.precondition is None:
        return []
    description = _PRECONDITIONS[op.precondition][0]
    return [{"name": op.precondition, "in": "header", "description": description, "schema": {"type": "string"}}]


def _precondition_responses(op: Operation, media_types: list[str]) -> dict[str, Any]:
    if op.precondition is None:
        return {}
    _, status, response = _PRECONDITIONS[op.precondition]
    response = dict(response)
    if status == "412":
        response["content"] = _content({"$ref": _REF.format(name="ErrorResponse")}, media_types)
    return {status: response}


def _required_member(prop: dict[str, Any]) -> dict[str, Any]:
    """The schema of a member the service rejects when null or empty (`'sessionId' must not be
    empty`, an ArgumentNullException): its non-null type, and at least one character for a string."""
    out = {k: v for k, v in prop.items() if k not in ("anyOf", "default")}
    if "anyOf" in prop:
        out.update(next(b for b in prop["anyOf"] if b.get("type") != "null"))
    if out.get("type") == "string":
        out.setdefault("minLength", 1)
    return out


def _require(schema: dict[str, Any], members: Iterable[str]) -> None:
    """Mark `members` of an object schema required, as the service enforces them."""
    props: dict[str, Any] = schema.get("properties") or {}
    names = [m for m in members if m in props]
    for name in names:
        props[name] = _required_member(props[name])
    schema["required"] = sorted({*schema.get("required", ()), *names}, key=list(props).index)


def _parameters(
    model: TypeModel, op: Operation, path: str, in_body: bool, schemas: dict[str, Any]
) -> list[dict[str, Any]]:
    """Route variables as path parameters; without a body, every other member is a query parameter
    (required when the service requires the member), with the schema of its component."""
    meta = model.types[op.request_type.__name__]
    props: dict[str, Any] = schemas[op.request_type.__name__].get("properties") or {}
    params: list[dict[str, Any]] = []
    variables = {part[1:-1] for part in path.split("/") if part.startswith("{")}
    for member in meta.all_members:
        prop = dict(props.get(member.wire_name, {}))
        description = prop.pop("description", member.description)
        prop.pop("default", None)
        prop.pop("xml", None)
        if member.wire_name in variables or member.name in variables:
            params.append(
                {
                    "name": member.wire_name,
                    "in": "path",
                    "required": True,
                    "description": description,
                    "schema": dict(_PATH_SEGMENT),
                }
            )
        elif not in_body:
            param: dict[str, Any] = {"name": member.wire_name, "in": "query", "description": description}
            if member.wire_name in op.required:
                param["required"] = True
            scalar = copy.deepcopy(prop.get("anyOf", [prop])[0] if "anyOf" in prop else prop)
            param["schema"] = scalar
            if scalar.get("type") == "array":
                # ServiceStack reads lists from a query string as comma-separated values.
                param["style"] = "form"
                param["explode"] = False
            params.append(param)
    return params


def _body_schema(op: Operation, path: str, schemas: dict[str, Any]) -> dict[str, Any]:
    """The request DTO as a body. On a custom route a route variable comes from the path (which
    overrides the body), so the body need not carry it: that route gets a copy of the DTO's schema
    without it among the required members. Elsewhere, the component itself."""
    name = op.request_type.__name__
    variables = {part[1:-1] for part in path.split("/") if part.startswith("{")}
    component: dict[str, Any] = schemas[name]
    if not variables & set(component.get("required", ())):
        return {"$ref": _REF.format(name=name)}
    body: dict[str, Any] = copy.deepcopy(component)
    original: dict[str, Any] = msgspec.json.schema(op.request_type, ref_template=_REF)["$defs"][name]["properties"]
    for variable in variables & set(body["required"]):
        xml = body["properties"][variable].get("xml")
        body["properties"][variable] = original[variable] | ({"xml": xml} if xml else {})
    body["required"] = [m for m in body["required"] if m not in variables]
    return body


def _operation(
    model: TypeModel,
    op: Operation,
    path: str,
    verb: str,
    media_types: list[str],
    operation_id: str,
    schemas: dict[str, Any],
) -> dict[str, Any]:
    in_body = verb in _BODY_VERBS
    out: dict[str, Any] = {
        "operationId": operation_id,
        "summary": op.description,
        "tags": ["sessions"],
    }
    params = _parameters(model, op, path, in_body, schemas) + _precondition_parameter(op)
    if params:
        out["parameters"] = params
    if in_body:
        out["requestBody"] = {
            "required": True,
            "content": _content(_body_schema(op, path, schemas), media_types),
        }
    responses: dict[str, Any] = {}
    if op.response_type is None:
        responses["204"] = {"description": "Done; no content"}
    else:
        name = msgspec.json.schema(op.response_type, ref_template=_REF)["$ref"]
        responses["200"] = {"description": "Success", "content": _content({"$ref": name}, media_types)}
        if op.response_type is AISessionInfo:
            responses["200"]["headers"] = _ETAG_HEADER
    responses.update(_precondition_responses(op, media_types))
    responses.update(_errors(media_types, op))
    out["responses"] = responses
    if op.requires_auth:
        out["security"] = _SECURITY
    return out


def _struct_types(types: Iterable[Any]) -> list[Any]:
    """Every Struct type the given types reach (generic aliases like `ListResponse[AISessionInfo]`
    as they are), in first-use order."""
    found: list[Any] = []

    def walk(info: mi.Type) -> None:
        if isinstance(info, mi.StructType):
            if info.cls in found:
                return
            found.append(info.cls)
            for f in info.fields:
                walk(f.type)
        elif isinstance(info, mi.Metadata):
            walk(info.type)
        elif isinstance(info, mi.UnionType):
            for t in info.types:
                walk(t)
        elif isinstance(info, (mi.ListType, mi.SetType, mi.FrozenSetType, mi.VarTupleType)):
            walk(info.item_type)
        elif isinstance(info, mi.DictType):
            walk(info.value_type)

    for info in mi.multi_type_info(list(types)):
        walk(info)
    return found


def _xml_root(codec: Codec, tp: Any) -> dict[str, str]:
    """The root element the XML codec writes for `tp`: its name (`ListResponseOfAISessionInfokPYUDTdt`
    for a generic) and namespace, read from the codec's own output for an empty instance."""
    cls = typing.get_origin(tp) or tp
    tag = ET.fromstring(encode_declared(codec, cls(), tp)).tag
    namespace, _, name = tag[1:].partition("}") if tag.startswith("{") else ("", "", tag)
    return {"name": name, "namespace": namespace} if namespace else {"name": name}


def _xml_members(codec: Codec, tp: Any, schema: dict[str, Any]) -> None:
    """Each property's element name (`AccountId` for `accountId`), and the properties in the order
    the XML reader takes them: DataContractSerializer skips a member that comes after a later one.
    JSON readers ignore property order, so one order serves every format."""
    member_elements = getattr(codec, "member_elements", None)
    properties = schema.get("properties")
    if member_elements is None or not properties:
        return
    root_ns = schema["xml"].get("namespace", "")
    ordered: dict[str, Any] = {}
    for json_name, element, namespace in member_elements(typing.get_origin(tp) or tp):
        prop = properties.get(json_name)
        if prop is None:
            continue
        xml = {"name": element} if namespace == root_ns else {"name": element, "namespace": namespace}
        ordered[json_name] = {**prop, "xml": xml}
    ordered.update((k, v) for k, v in properties.items() if k not in ordered)
    schema["properties"] = ordered


def openapi_document(model: TypeModel, formats: list[Any], base_url: str = "") -> dict[str, Any]:
    """The document for the operations of `model`, listing the bodies of every registered text format."""
    names = [getattr(c, "format", c) for c in formats]
    media_types = [OPENAPI_FORMATS[f] for f in OPENAPI_FORMATS if f in names]
    types = [op.request_type for op in model.operations]
    types += [op.response_type for op in model.operations if op.response_type is not None]
    _, schemas = msgspec.json.schema_components([*types, ErrorResponse], ref_template=_REF)
    for name, schema in schemas.items():
        _dotnet_numbers(model, name.split("_", 1)[0], schema)
    for op in model.operations:
        _require(schemas[op.request_type.__name__], op.required)
        _bound(schemas[op.request_type.__name__], op.request_type)
    xml_codec = next((c for c in formats if getattr(c, "format", None) == "xml"), None)
    if xml_codec is not None:
        for tp in _struct_types([*types, ErrorResponse]):
            ref = msgspec.json.schema(tp, ref_template="{name}")["$ref"]
            schemas[ref]["xml"] = _xml_root(xml_codec, tp)
            _xml_members(xml_codec, tp, schemas[ref])
    paths: dict[str, dict[str, Any]] = {}
    for op in model.operations:
        for i, spec in enumerate(op.routes):
            for verb in spec.verbs:
                suffix = "" if i == 0 and len(spec.verbs) == 1 else f"_{i}_{verb.lower()}"
                paths.setdefault(spec.path, {})[verb.lower()] = _operation(
                    model, op, spec.path, verb, media_types, op.name + suffix, schemas
                )
        # `/api/{Op}` is ServiceStack's JSON route: it reads the body as JSON whatever its
        # Content-Type and answers JSON whatever the Accept, as ServiceStack's predefined routes do.
        api_path = f"/api/{op.name}"
        api_media = [m for m in media_types if m == OPENAPI_FORMATS["json"]] or media_types
        paths.setdefault(api_path, {})[op.verb.lower()] = _operation(
            model, op, api_path, op.verb, api_media, f"{op.name}_api", schemas
        )
    document: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {
            "title": SERVICE_NAME,
            "version": __version__,
            "description": "The Evo Voice AI-session API, served by evo-gateway (ServiceStack wire-compatible).",
        },
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearerApiKey": {"type": "http", "scheme": "bearer", "description": "An API key as a bearer token"},
                "basic": {"type": "http", "scheme": "basic", "description": "User name and password"},
            },
        },
    }
    if base_url:
        document["servers"] = [{"url": base_url}]
    return document
