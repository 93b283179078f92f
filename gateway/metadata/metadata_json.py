"""`/types/metadata`: the operation table and its types as JSON, in the shape of ServiceStack's
`MetadataTypes` (`config`, `namespaces`, `operations`, `types`), which tools read to generate clients."""

from __future__ import annotations

from typing import Any

from .model import MetaType, TypeModel, TypeRef

__all__ = ["metadata_types"]


def _type_name(ref: TypeRef) -> dict[str, Any]:
    """ServiceStack's `MetadataTypeName`: generic definitions keep their arity (`List`1`)."""
    out: dict[str, Any] = {"name": f"{ref.name}`{len(ref.args)}" if ref.args else ref.name}
    if ref.args:
        out["genericArgs"] = [a.dotnet for a in ref.args]
    if ref.nullable:
        out = {"name": "Nullable`1", "genericArgs": [ref.name]}
    return out


def _type(meta: MetaType, model: TypeModel) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": f"{meta.name}`{len(meta.generic_params)}" if meta.generic_params else meta.name,
        "namespace": meta.namespace,
    }
    if meta.generic_params:
        out["genericArgs"] = list(meta.generic_params)
    if meta.description:
        out["description"] = meta.description
    if meta.base is not None:
        out["inherits"] = _type_name(meta.base)
    if meta.enum_values is not None:
        out["isEnum"] = True
        out["enumNames"] = [value for _, value in meta.enum_values]
        return out
    properties = []
    for m in meta.members:
        prop: dict[str, Any] = {**_type_name(m.type)}
        prop = {"name": m.name, "type": prop.pop("name"), **prop}
        if m.type.name in model.types:
            prop["namespace"] = model.types[m.type.name].namespace
        if m.value_type:
            prop["isValueType"] = True
        if m.description:
            prop["description"] = m.description
        properties.append(prop)
    out["properties"] = properties
    return out


def metadata_types(model: TypeModel, base_url: str) -> dict[str, Any]:
    types = model.ordered()
    operations = []
    for op in model.operations:
        request = model.types[op.request_type.__name__]
        entry: dict[str, Any] = {
            "request": _type(request, model),
            "actions": sorted({v for spec in op.routes for v in spec.verbs}),
            "method": op.verb,
            "routes": [{"path": spec.path, "verbs": ",".join(spec.verbs)} for spec in op.routes],
            "requiresAuth": op.requires_auth,
        }
        response = model.response_ref(op)
        if response is None:
            entry["returnsVoid"] = True
        else:
            entry["response"] = _type(model.types[response.name], model)
            if response.args:
                entry["returnType"] = _type_name(response)
        if op.required_role:
            entry["requiredRoles"] = [op.required_role]
        operations.append(entry)
    request_names = {op.request_type.__name__ for op in model.operations}
    return {
        "config": {"baseUrl": base_url, "usePath": None},
        "namespaces": sorted({t.namespace for t in types}),
        "operations": operations,
        "types": [_type(t, model) for t in types if t.name not in request_names],
    }
