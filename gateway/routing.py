"""Matching a request path to an operation, the ServiceStack way.

Two kinds of route: the custom routes of the operation table (`/ai/sessions/{id}`),
and the predefined ones every operation gets (`/api/{Op}`, `/{format}/reply/{Op}`,
`/{format}/oneway/{Op}`, and `[]`-suffixed auto-batch forms). A known `.{format}` suffix on the
last segment is stripped before matching and fixes the response format.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from enum import Enum
from functools import partial
from types import MappingProxyType
from typing import NamedTuple

from .errors import MethodNotAllowed, NotFound, OperationNotImplemented
from .operations import Operation, find_operation

__all__ = ["PathInfo", "RouteKind", "RouteMatch", "Router", "check_verb", "split_suffix"]


class RouteKind(Enum):
    CUSTOM = "custom"
    #: `/api/{Op}`: JSON unless a suffix or `?format=` says otherwise; Accept is ignored.
    API = "api"
    #: `/{format}/reply/{Op}` and `/{format}/oneway/{Op}`: the path names the format.
    REPLY = "reply"


class PathInfo(NamedTuple):
    """The request path with a known format suffix removed."""

    path: str
    suffix_format: str | None


def split_suffix(path: str, formats: Collection[str]) -> PathInfo:
    """Strip `.{format}` from the last segment when it names a registered format (the highest-ranked format choice).

    An unknown suffix is left alone, so `/ai/sessions/a.b` keeps `sessionId = "a.b"`.
    """
    slash = path.rfind("/")
    dot = path.rfind(".")
    if dot > slash:
        ext = path[dot + 1 :].lower()
        if ext in formats:
            return PathInfo(path[:dot], ext)
    return PathInfo(path, None)


_NO_PARAMS: Mapping[str, str] = MappingProxyType({})


class RouteMatch(NamedTuple):
    # NamedTuples, not frozen dataclasses, for the per-request values: as immutable, and built in
    # half the time (a frozen dataclass sets each field through object.__setattr__).
    operation: Operation
    kind: RouteKind
    path_params: Mapping[str, str] = _NO_PARAMS
    #: The format named by `/{format}/reply/` (None on custom and `/api` routes).
    path_format: str | None = None
    batch: bool = False
    oneway: bool = False
    #: The verbs a predefined route runs the operation with; None on custom routes, which matched
    #: their verb already.
    verbs: frozenset[str] | None = None


def check_verb(match: RouteMatch, method: str) -> None:
    """Refuse a verb the operation has no method for, as ServiceStack does once the request DTO is
    bound and authenticated (so an anonymous caller hears 401 first, not 405)."""
    if match.verbs is not None and method not in match.verbs:
        name = match.operation.name
        raise OperationNotImplemented(f"Could not find method named {method.title()}({name}) or Any({name}) on Service")


_VARIABLE = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True, slots=True)
class _CompiledRoute:
    """One route template and the operation each of its verbs runs (the first one declared)."""

    pattern: re.Pattern[str]
    operations: dict[str, Operation]


def _compile(template: str) -> re.Pattern[str]:
    parts: list[str] = []
    last = 0
    for m in _VARIABLE.finditer(template):
        parts.append(re.escape(template[last : m.start()]))
        parts.append(f"(?P<{m.group(1)}>[^/]+)")
        last = m.end()
    parts.append(re.escape(template[last:]))
    # Literals match case-insensitively, as ServiceStack matches route literals.
    return re.compile("".join(parts) + "/?", re.IGNORECASE)


def _segments(path: str) -> list[str]:
    return path.strip("/").split("/")


#: A RouteMatch from all its fields in order, without the constructor's keyword handling.
_new_route_match = partial(tuple.__new__, RouteMatch)


class Router:
    def __init__(self, operations: Iterable[Operation], formats: Collection[str]) -> None:
        self._formats = formats
        templates: dict[str, dict[str, Operation]] = {}
        for op in operations:
            for spec in op.routes:
                by_verb = templates.setdefault(spec.path, {})
                for verb in spec.verbs:
                    by_verb.setdefault(verb, op)
        # A template's variables never span a `/`, so it matches only paths of as many segments
        # as it has: each path is tried against those templates alone, in declaration order.
        self._by_length: dict[int, list[_CompiledRoute]] = {}
        for template, by_verb in templates.items():
            route = _CompiledRoute(_compile(template), by_verb)
            self._by_length.setdefault(len(_segments(template)), []).append(route)

    def match(self, method: str, path: str) -> RouteMatch:
        """The operation for `method` and a suffix-free `path`; raises NotFound / 405 errors.

        A predefined route matches whatever the verb: `check_verb` refuses a wrong one later."""
        segments = _segments(path)
        predefined = self._match_predefined(segments)
        if predefined is not None:
            return predefined
        allowed: set[str] = set()
        for route in self._by_length.get(len(segments), ()):
            m = route.pattern.fullmatch(path)
            if m is None:
                continue
            operation = route.operations.get(method)
            if operation is not None:
                return _new_route_match((operation, RouteKind.CUSTOM, m.groupdict(), None, False, False, None))
            allowed.update(route.operations)
        if allowed:
            raise MethodNotAllowed(method, path, allowed)
        raise NotFound(f"Handler for Request not found: {method} {path}")

    def _match_predefined(self, segments: list[str]) -> RouteMatch | None:
        if len(segments) == 2 and segments[0].lower() == "api":
            kind, path_format, oneway, name = RouteKind.API, None, False, segments[1]
        elif len(segments) == 3 and segments[0].lower() in self._formats and segments[1].lower() in ("reply", "oneway"):
            kind, path_format = RouteKind.REPLY, segments[0].lower()
            oneway, name = segments[1].lower() == "oneway", segments[2]
        else:
            return None
        batch = name.endswith("[]")
        if batch:
            name = name[:-2]
        operation = find_operation(name)
        if operation is None:
            raise OperationNotImplemented(f"The operation '{name}' does not exist for this service")
        verbs = frozenset(
            {"POST"} if batch else {operation.verb, *(v for spec in operation.routes for v in spec.verbs)}
        )
        return RouteMatch(operation, kind, path_format=path_format, batch=batch, oneway=oneway, verbs=verbs)
