"""Bounds on what one request may make the gateway hold or do (docs/security.md).

- an auto-batch holds at most `max_batch_requests` requests: more is a 400 before any of them runs;
- a string member of a request DTO holds at most `max_string_length` characters: a 400 naming the
  member, reported as ServiceStack's validation feature reports a `MaximumLength` rule;
- an answer holds at most `max_response_bytes`, counted as a lower bound of its encoded size (the
  characters of its strings, which every format writes at least once): past it a 400, and a batch
  stops at the request that crossed it;
- a request body from a caller who is not authenticated is at most `max_anonymous_body_bytes`
  (a sign-in needs a few hundred bytes): past it a 413 before the body is read or decoded.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from itertools import chain
from typing import Any

import msgspec
from msgspec import inspect as mi
from msgspec.structs import astuple

from .dtos import ResponseError
from .errors import ServiceError

__all__ = [
    "BatchTooLarge",
    "RequestLimits",
    "ResponseBudget",
    "ResponseTooLarge",
    "StringTooLong",
    "check_strings",
    "checked_after_encoding",
    "dotnet_member_name",
    "string_size",
]


@dataclass(frozen=True)
class RequestLimits:
    #: Requests in one auto-batch (a JSON/JSV/XML/CSV list posted to `/json/reply/Op[]` and the like).
    max_batch_requests: int = 1000
    #: Characters in one string member of a request (`purpose`, a list item, a `meta` value).
    max_string_length: int = 10_000
    #: The characters of every string in one answer (a lower bound on its encoded size).
    max_response_bytes: int = 64 * 1024 * 1024
    #: The request body of a caller not (yet) authenticated: a sign-in.
    max_anonymous_body_bytes: int = 8 * 1024


class BatchTooLarge(ServiceError):
    status_code = 400
    error_code = "BatchTooLarge"

    def __init__(self, count: int, limit: int) -> None:
        super().__init__(f"An auto-batch may hold at most {limit} requests; this one holds {count}.")


class ResponseTooLarge(ServiceError):
    status_code = 400
    error_code = "ResponseTooLarge"

    def __init__(self, limit: int) -> None:
        super().__init__(
            f"The response would exceed the limit of {limit} bytes;"
            " ask for fewer items (page, countPerPage) or send smaller batches."
        )


class StringTooLong(ServiceError):
    """ServiceStack's ValidationException for failed `MaximumLength` rules: the first failure's code
    and message on the status, every failure in `errors[]` with the .NET member name."""

    status_code = 400
    error_code = "MaximumLength"

    def __init__(self, errors: list[ResponseError]) -> None:
        super().__init__(errors[0].message or "", errors=errors)


def dotnet_member_name(name: str) -> str:
    """`account_id` → `AccountId`: the C# property name ServiceStack's validators report."""
    return "".join(part[:1].upper() + part[1:] for part in name.split("_"))


# Both walks dispatch on the exact type first: they run over every answer, and a page of 1,000
# sessions is 8,000 strings (about 1 ms, against 0.4 ms to encode it as JSON).


def string_size(value: Any) -> int:
    """The characters of every string in `value`: no format encodes it in fewer bytes."""
    kind = type(value)
    if kind is str:
        return len(value)
    if kind is list or kind is tuple:
        if value and isinstance(value[0], msgspec.Struct):
            return _records_size(value)
        return sum([string_size(item) for item in value])
    if isinstance(value, msgspec.Struct):
        total = 0
        for member in astuple(value):
            if type(member) is str:
                total += len(member)
            elif member is not None:
                total += string_size(member)
        return total
    if kind is dict:
        return sum([string_size(k) + string_size(v) for k, v in value.items()])
    return 0


def _records_size(records: list[Any] | tuple[Any, ...]) -> int:
    """`string_size` of a list of records, at C speed when they are all of one Struct type whose
    members are all declared text or null (a page of sessions): every member in one flat list,
    their lengths summed. Never joined: the answer may hold very long strings, and this check
    runs to refuse such answers before any copy. Anything else is walked."""
    kinds = set(map(type, records))
    if len(kinds) == 1 and _is_text_record(kinds.pop()):
        try:
            return sum(map(len, filter(None, chain.from_iterable(map(astuple, records)))))
        except TypeError:  # a member holds what its declaration does not say
            pass
    return sum([string_size(item) for item in records])


@lru_cache(maxsize=256)
def _is_text_record(cls: type) -> bool:
    """Whether every member of `cls` is declared `str` or `str | None` (once per type)."""
    info = mi.type_info(cls) if isinstance(cls, type) and issubclass(cls, msgspec.Struct) else None
    if not isinstance(info, mi.StructType):
        return False
    for field in info.fields:
        member = field.type
        while isinstance(member, mi.Metadata):
            member = member.type
        options = member.types if isinstance(member, mi.UnionType) else (member,)
        if not all(isinstance(option, mi.StrType | mi.NoneType) for option in options):
            return False
    return True


def _longest(value: Any) -> int:
    """The length of the longest string in `value`."""
    kind = type(value)
    if kind is str:
        return len(value)
    if kind is list or kind is tuple:
        return max([_longest(item) for item in value], default=0)
    if isinstance(value, msgspec.Struct):
        return max([_longest(member) for member in astuple(value)], default=0)
    if kind is dict:
        return max([max(_longest(k), _longest(v)) for k, v in value.items()], default=0)
    return 0


def check_strings(dto: msgspec.Struct, max_length: int) -> None:
    """StringTooLong when any string in a top-level member of `dto` is longer than `max_length`."""
    errors: list[ResponseError] = []
    for name in dto.__struct_fields__:
        longest = _longest(getattr(dto, name))
        if longest > max_length:
            member = dotnet_member_name(name)
            message = (
                f"The length of '{member}' must be {max_length} characters or fewer. You entered {longest} characters."
            )
            errors.append(ResponseError(error_code="MaximumLength", field_name=member, message=message))
    if errors:
        raise StringTooLong(errors)


class ResponseBudget:
    """The bytes one answer may still take; `spend` raises once a result would overrun them."""

    __slots__ = ("_left", "limit")

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._left = limit

    def spend(self, result: Any) -> None:
        self._left -= string_size(result)
        if self._left < 0:
            raise ResponseTooLarge(self.limit)

    def spend_encoded(self, result: Any, encoded_bytes: int) -> None:
        """`spend`, for a result already encoded in `encoded_bytes`: no format writes a string in
        fewer bytes than it has characters, so only an encoding over the budget needs the walk."""
        if encoded_bytes > self._left:
            self.spend(result)


def checked_after_encoding(result: Any) -> bool:
    """Whether `result`'s size is checked on its encoding rather than before it: one record of
    text, which cannot hold more than the store took in for one row. A page of them is checked
    first, so an answer too large is refused before any of it is encoded."""
    kind: type = type(result)
    return _is_text_record(kind)
