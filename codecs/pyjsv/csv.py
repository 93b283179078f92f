"""ServiceStack's CSV dialect (CsvSerializer): a header of member names, one row per record, CRLF
after every row, cells quoted only when they must be, and nested values written as JSV in a cell.

    >>> pyjsv.csv.dumps([Point(x=1, y=2)])
    'x,y\\r\\n1,2\\r\\n'
"""

from __future__ import annotations

import dataclasses
import enum
import re
from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from itertools import repeat
from typing import Any, Literal, TypeVar, cast, get_args, get_origin, overload

import msgspec
from msgspec import convert
from msgspec import inspect as mi
from msgspec.structs import astuple

from ._errors import DecodeError, EncodeError
from ._reader import parse
from ._untyped import from_untyped, text_record_class
from ._writer import write

__all__ = ["dumps", "loads", "parse_fields", "parse_lines"]

T = TypeVar("T")
R = TypeVar("R")

ROW_SEPARATOR = "\r\n"
_NEEDS_QUOTES = re.compile(r'[",\r\n]').search
_QUOTE_CHARS = ('"', ",", "\r", "\n")
_BRACKETS = repeat(("[", "{"))
_NONE = type(None)
_STR_OR_NONE = frozenset({str, _NONE})
#: Characters a spreadsheet may treat as the start of a formula (OWASP "CSV injection").
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

HeaderCase = Literal["wire", "pascal"]
#: A record type's (attribute, wire name) pairs, in order.
Columns = tuple[tuple[str, str], ...]


def _field(text: str) -> str:
    """CsvWriter's escaping: quote on `"`, `,`, CR or LF, or a leading `[` / `{`."""
    if _NEEDS_QUOTES(text) is not None or text[:1] in ("[", "{"):
        return '"' + text.replace('"', '""') + '"'
    return text


def _cell(value: Any, neutralize: bool) -> str:
    if value is None:
        return ""
    if isinstance(value, str) and not isinstance(value, enum.Enum):
        text = value  # strings are CSV-escaped, not JSV-encoded
    else:
        text = write(value)
        # Nested values are their JSV text with any outer quotes removed (StripQuotes).
        if len(text) >= 2 and text[0] == '"' and text[-1] == '"':
            text = text[1:-1].replace('""', '"')
    if neutralize and text.startswith(_FORMULA_START):
        text = "'" + text
    return _field(text)


def _is_record(value: Any) -> bool:
    return isinstance(value, msgspec.Struct | Mapping) or (
        dataclasses.is_dataclass(value) and not isinstance(value, type)
    )


def _cached_per_type(fn: Callable[[Any], R]) -> Callable[[Any], R]:
    """`fn(tp)` computed once per type; an unhashable type annotation (rare) is computed each time."""
    cached = lru_cache(maxsize=256)(fn)

    def per_type(tp: Any) -> R:
        try:
            return cached(tp)
        except TypeError:
            return fn(tp)

    return per_type


@_cached_per_type
def _columns_of_type(tp: Any) -> Columns | None:
    """(attribute, wire name) pairs for a record type, or None for anything else."""
    info = mi.type_info(tp)
    while isinstance(info, mi.Metadata):
        info = info.type
    if isinstance(info, mi.StructType | mi.DataclassType):
        return tuple((f.name, f.encode_name) for f in info.fields)
    return None


@lru_cache(maxsize=256)
def _struct_columns(cls: type[msgspec.Struct]) -> Columns:
    return tuple(zip(cls.__struct_fields__, cls.__struct_encode_fields__, strict=True))


def _record_columns(record: Any) -> Columns:
    if isinstance(record, msgspec.Struct):
        return _struct_columns(type(record))
    if dataclasses.is_dataclass(record):
        return tuple((f.name, f.name) for f in dataclasses.fields(record))
    raise EncodeError(f"not a record: {type(record).__qualname__}")


def _header(name: str, case: HeaderCase) -> str:
    # A header cell is escaped like any other cell. CsvWriter writes .NET property names raw, which
    # is the same text for every name a property can have; a renamed member (`Column,3`) must be
    # quoted or it would shift every column after it.
    return _field(name[:1].upper() + name[1:] if case == "pascal" else name)


@lru_cache(maxsize=256)
def _header_line(columns: Columns, case: HeaderCase) -> str:
    return ",".join(_header(wire, case) for _, wire in columns)


@lru_cache(maxsize=256)
def _struct_header_line(cls: type[msgspec.Struct], case: HeaderCase) -> str:
    return _header_line(_struct_columns(cls), case)


def _column_cells(values: Sequence[Any], neutralize: bool) -> Sequence[str]:
    """`_cell` of each value of one column, with C-speed str methods when they are all plain text."""
    if not neutralize:
        kinds = set(map(type, values))
        if kinds <= _STR_OR_NONE:
            if _NONE in kinds:
                values = ["" if value is None else value for value in values]  # null is an empty cell
            joined = "".join(values)
            # A cell that starts with a bracket is quoted: only look for one when the text has any.
            bracket = ("[" in joined or "{" in joined) and any(map(str.startswith, values, _BRACKETS))
            if not bracket and not any(map(joined.__contains__, _QUOTE_CHARS)):
                return values  # nothing to quote
            return list(map(_field, values))
    return [_cell(value, neutralize) for value in values]


def _table(records: Sequence[Any], columns: Columns, case: HeaderCase, neutralize: bool) -> str:
    lines = [_header_line(columns, case)]
    if len(records) < 2:
        # One row: its cells are checked as a column's are, all plain text at C speed.
        for record in records:
            lines.append(",".join(_column_cells([getattr(record, attr, None) for attr, _ in columns], neutralize)))
        return ROW_SEPARATOR.join(lines) + ROW_SEPARATOR
    # Column by column, so plain text columns cost C calls, not a Python step per cell.
    cells = [_column_cells([getattr(record, attr, None) for record in records], neutralize) for attr, _ in columns]
    lines.extend(map(",".join, zip(*cells, strict=True)) if cells else [""] * len(records))
    return ROW_SEPARATOR.join(lines) + ROW_SEPARATOR


def _is_string_mapping(record: Mapping[Any, Any]) -> bool:
    return all(v is None or (isinstance(v, str) and not isinstance(v, enum.Enum)) for v in record.values())


def _mapping_table(records: Sequence[Mapping[Any, Any]], neutralize: bool) -> str:
    if len(records) > 1 and all(map(_is_string_mapping, records)):
        # CsvDictionaryWriter: a list of string dictionaries has the sorted union of their keys.
        keys = sorted({str(k) for record in records for k in record})
    else:
        # One dictionary is its key/value pairs in order; a list of object dictionaries has the
        # first one's keys in order (CsvDictionaryWriter). Keys only later records hold follow, so
        # that no value is lost or lands under another key's header.
        keys = list(dict.fromkeys(str(k) for record in records for k in record))
    # Missing keys give empty cells.
    # Keys are arbitrary text, unlike property names: escape them as cells are escaped.
    lines = [",".join(_field(k) for k in keys)]
    for record in records:
        by_text = {str(k): v for k, v in record.items()}
        lines.append(",".join(_cell(by_text.get(k), neutralize) for k in keys))
    return ROW_SEPARATOR.join(lines) + ROW_SEPARATOR


def dumps(
    obj: Any,
    *,
    item_type: Any = None,
    header_case: HeaderCase = "wire",
    neutralize_formulas: bool = False,
) -> str:
    """CSV text for `obj`.

    - a sequence of records (Structs, dataclasses, mappings): header + one row each;
    - one record: header + one row;
    - a sequence of scalars: one row, no header; one scalar: its JSV text alone.

    `item_type` gives the header of an empty sequence. `header_case="pascal"` upper-cases the first
    letter of each member name, giving .NET property names from camelCase Structs.
    `neutralize_formulas` prefixes cells that start like a spreadsheet formula with `'`.
    """
    if obj is None:
        return ""
    if isinstance(obj, msgspec.Struct):  # first: the commonest answer, and no ABC check on the way
        row = ",".join(_column_cells(astuple(obj), neutralize_formulas))
        return _struct_header_line(type(obj), header_case) + ROW_SEPARATOR + row + ROW_SEPARATOR
    if isinstance(obj, list | tuple | set | frozenset):
        items = list(obj)
        if not items:
            columns = _columns_of_type(item_type) if item_type is not None else None
            return _table([], columns, header_case, neutralize_formulas) if columns else ""
        if all(isinstance(item, Mapping) for item in items):
            return _mapping_table(items, neutralize_formulas)
        if _is_record(items[0]):
            return _table(items, _record_columns(items[0]), header_case, neutralize_formulas)
        return ",".join(_cell(item, neutralize_formulas) for item in items) + ROW_SEPARATOR
    if isinstance(obj, Mapping):
        return _mapping_table([obj], neutralize_formulas)
    if _is_record(obj):
        return _table([obj], _record_columns(obj), header_case, neutralize_formulas)
    return write(obj)


# --- reading ---
#
# Every scan below is a compiled regex or a bounded `str.find` that starts where the last one
# stopped, so a document is split and read in time linear in its length, whatever it holds.

#: One quoted run as the record splitter sees it: `"…"` segments back to back (`""` inside a quoted
#: cell closes and reopens the quotes). Possessive, so an unterminated run never backtracks.
_QUOTED_RUN = re.compile(r'(?:"[^"]*+")++')
#: A quoted cell: `"`, text and doubled quotes, then the first `"` that is not part of a pair.
_QUOTED_FIELD = re.compile(r'"([^"]*+(?:""[^"]*+)*+)"')
#: A separator followed by a cell that is not plain: one starting with `"`, `[` or `{`.
_NEXT_SPECIAL = re.compile(r',["\[{]')
_BRACKET_OR_QUOTE = re.compile(r'["\[\]{}]')
# Every `str.find` goes through this name, so the linear-time tests can count what it scans.
_find = str.find


def _records(text: str) -> list[str]:
    """Split into records at LF outside quotes (a CR before it dropped); empty lines are skipped."""
    records: list[str] = []
    append = records.append
    find = _find
    n = len(text)
    start = pos = 0  # start of the current record; where the unquoted stretch begins
    while True:
        quote = find(text, '"', pos)
        stop = n if quote == -1 else quote
        newline = find(text, "\n", pos, stop)
        while newline != -1:
            line = text[start:newline]
            if line.endswith("\r"):
                line = line[:-1]
            if line:
                append(line)
            start = newline + 1
            newline = find(text, "\n", start, stop)
        if quote == -1:
            break
        run = _QUOTED_RUN.match(text, quote)
        if run is None:
            break  # an unterminated quote runs to the end
        pos = run.end()
    tail = text[start:]
    if tail.endswith("\r"):
        tail = tail[:-1]
    if tail:
        records.append(tail)
    return records


class _Brackets:
    """Where each `[` / `{` of one line is closed, found in one left-to-right pass shared by every
    cell of the line.

    A cell that starts with a bracket runs to the bracket that brings the depth back to zero,
    counting `[{` up and `]}` down and ignoring brackets inside quotes, where quotes toggle from
    the cell's own start. Whether a bracket is inside quotes, seen from a cell start, depends only
    on the parity of the quotes between them, so brackets fall into two classes by the parity of
    the quotes before them, and a cell's bracket is matched within its own class by an ordinary
    stack. Cells are asked for left to right, so the scan only ever moves forward.
    """

    __slots__ = ("_closed", "_open", "_parity", "_tokens")

    def __init__(self, line: str, start: int) -> None:
        self._tokens = _BRACKET_OR_QUOTE.finditer(line, start)
        self._parity = 0
        self._open: tuple[list[int], list[int]] = ([], [])
        self._closed: dict[int, int] = {}

    def end(self, start: int) -> int:
        """Index just past the bracket matching the one at `start`; -1 if the line never closes it."""
        closed = self._closed
        while start not in closed:
            token = next(self._tokens, None)
            if token is None:
                return -1
            ch = token.group()
            if ch == '"':
                self._parity ^= 1
            elif ch in "[{":
                self._open[self._parity].append(token.start())
            else:
                stack = self._open[self._parity]
                if stack:
                    closed[stack.pop()] = token.end()
        return closed[start]


def parse_lines(text: str) -> list[str]:
    """ServiceStack's `CsvReader.ParseLines`: the records of a CSV text, split at LF outside quotes
    (a CR before it dropped), empty lines skipped, each record's text as written (quotes kept)."""
    return _records(text)


def parse_fields(line: str, parse: Callable[[str | None], Any] | None = None) -> list[Any]:
    """ServiceStack's `CsvReader.ParseFields`: the cells of one record, unquoted (`""` → `"`), with
    None for an empty unquoted cell; `[]` for an empty line. `parse`, if given, maps each cell."""
    if not line:
        return []
    fields = _fields(line)
    return fields if parse is None else [parse(cell) for cell in fields]


def _fields(line: str) -> list[str | None]:
    """Split a record into cells: `None` for an empty unquoted cell, and a trailing separator adds one."""
    if '"' not in line and "[" not in line and "{" not in line:
        cells = line.split(",")
        return [cell or None for cell in cells] if "" in cells else cast("list[str | None]", cells)
    fields: list[str | None] = []
    append = fields.append
    n = len(line)
    brackets: _Brackets | None = None
    pos = 0  # always the start of a cell
    while True:
        ch = line[pos] if pos < n else ""
        if ch == '"':
            quoted = _QUOTED_FIELD.match(line, pos)
            if quoted is None:
                raise DecodeError("unterminated quoted CSV field", pos=pos)
            append(quoted.group(1).replace('""', '"'))
            end = quoted.end()
            if end < n and line[end] != ",":
                raise DecodeError(f"expected ',' after a quoted CSV field, found {line[end]!r}", pos=end)
        elif ch == "[" or ch == "{":
            if brackets is None:
                brackets = _Brackets(line, pos)
            end = brackets.end(pos)
            if end == -1 or (end < n and line[end] != ","):
                # Unbalanced, or text after the closing bracket: a plain cell after all.
                comma = _find(line, ",", pos)
                end = n if comma == -1 else comma
            append(line[pos:end])
        else:
            # Plain cells run to the next separator: take every one up to the next special cell at once.
            special = _NEXT_SPECIAL.search(line, pos)
            end = n if special is None else special.start()
            cells = line[pos:end].split(",")
            fields.extend([cell or None for cell in cells] if "" in cells else cells)
        if end >= n:
            return fields
        pos = end + 1  # past the separator; at the end of the line it leaves a null cell


@_cached_per_type
def _scalar_columns(tp: Any) -> tuple[Any, frozenset[str]] | None:
    """For a record type: the type itself and the lower-cased names of its scalar members."""
    info = mi.type_info(tp)
    while isinstance(info, mi.Metadata):
        info = info.type
    if not isinstance(info, mi.StructType | mi.DataclassType):
        return None
    scalar: set[str] = set()
    for f in info.fields:
        member = f.type
        while isinstance(member, mi.Metadata):
            member = member.type
        options = member.types if isinstance(member, mi.UnionType) else (member,)
        if not any(isinstance(o, _NESTED) for o in options):
            scalar.update({f.name.lower(), f.encode_name.lower()})
    return tp, frozenset(scalar)


_NESTED = (
    mi.ListType,
    mi.DictType,
    mi.StructType,
    mi.DataclassType,
    mi.SetType,
    mi.FrozenSetType,
    mi.TupleType,
    mi.VarTupleType,
    mi.AnyType,
)


def _row(header: list[str], cells: list[str | None], scalar: frozenset[str]) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for name, cell in zip(header, cells, strict=False):
        if not name:
            continue
        # Nested members hold JSV; scalar members are the cell text itself.
        row[name] = cell if cell is None or name.lower() in scalar else parse(cell)
    return row


@_cached_per_type
def _read_plan(tp: Any) -> tuple[Any, tuple[Any, frozenset[str]] | None]:
    """The item type of a collection type (None for a record or scalar type), and the columns plan
    of the record type read (None for scalars and untyped reading)."""
    args = get_args(tp)
    item_type = args[0] if get_origin(tp) in (list, tuple, set, frozenset) and args else None
    target = item_type if item_type is not None else tp
    return item_type, (_scalar_columns(target) if target is not Any else None)


#: What keeps a document off the plain-text fast path: quotes and nested (JSV) cells.
_NOT_PLAIN = re.compile(r'["\[\]{}]')
#: Header lines longer than this are mapped to members each time rather than cached.
_CACHED_HEADER_CHARS = 1024


@_cached_per_type
def _text_target(tp: Any) -> tuple[Any, bool] | None:
    """For a text record type (every member `str` or `str | None`) or a list of one: the record
    class, and whether a list is read."""
    args = get_args(tp)
    is_list = get_origin(tp) is list and len(args) == 1
    record = text_record_class(mi.type_info(args[0] if is_list else tp))
    return None if record is None else (record, is_list)


def _wire_names(record: type[msgspec.Struct], header: str) -> tuple[str | None, ...] | None:
    """The wire name each header cell names, matched as the general reader matches (trimmed, the
    wire name exactly, else either name case-insensitively); None for cells that name no member.
    None for a header that names a member twice: which cell wins is the general reader's rule."""
    exact: dict[str, str] = {}
    folded: dict[str, str] = {}
    for attr, wire in _struct_columns(record):
        exact[wire] = wire
        folded.setdefault(wire.lower(), wire)
        folded.setdefault(attr.lower(), wire)
    names = [(name or "").strip() for name in _fields(header)]
    members = tuple((exact.get(name) or folded.get(name.lower())) if name else None for name in names)
    named = [member for member in members if member is not None]
    return members if len(set(named)) == len(named) else None


_cached_wire_names = lru_cache(maxsize=256)(_wire_names)


def _read_text_records(text: str, tp: Any) -> Any:
    """A document of plain cells (no quotes, no JSV) read into a text record type (or a list of
    one) by msgspec.convert: what the general reader gives, at C speed. None when it does not
    apply or the cells do not fit, and the general reader runs (and says what is wrong)."""
    target = _text_target(tp)
    if target is None or _NOT_PLAIN.search(text) is not None:
        return None
    record, is_list = target
    # Records end at LF, a CR before it dropped; empty lines are skipped (as `_records` reads).
    lines = text.replace("\r\n", "\n").split("\n")
    lines[-1] = lines[-1].removesuffix("\r")
    lines = list(filter(None, lines))
    if len(lines) < 2:
        return None  # no rows: the general reader's answer (None) holds for every type
    header = lines[0]
    names = _cached_wire_names(record, header) if len(header) <= _CACHED_HEADER_CHARS else _wire_names(record, header)
    if names is None:
        return None
    if len(lines) == 2:  # one record (a PATCH body, say): no loop to set up
        rows: list[dict[str | None, Any]] = [dict(zip(names, _fields(lines[1]), strict=False))]
    else:
        rows = [dict(zip(names, _fields(line), strict=False)) for line in lines[1:]]
    if None in names:
        for row in rows:
            row.pop(None, None)  # columns that name no member are ignored
    try:
        if not is_list:
            return convert(rows[0], record)
        # Row by row: msgspec keeps what it learns of a Struct type, but not of `list[X]`.
        return [convert(row, record) for row in rows]
    except msgspec.ValidationError:
        return None  # a null for a member that takes none: the general reader skips it


@overload
def loads(text: str) -> Any: ...
@overload
def loads(text: str, *, type: type[T]) -> T: ...
@overload
def loads(text: str, *, type: Any) -> Any: ...
def loads(text: str, *, type: Any = Any) -> Any:
    """Read CSV. With a record type (or `list[Record]`), the header names members
    (case-insensitively, unknown columns ignored) and each cell is read with the JSV reader;
    untyped, rows come back as dicts of strings (None for empty cells)."""
    try:
        if type is not Any:
            fast = _read_text_records(text, type)
            if fast is not None:
                return fast
        records = _records(text)
        if not records:
            return None
        item_type, plan = _read_plan(type)
        target = item_type if item_type is not None else type
        if plan is None and target is not Any:
            # Scalars: one line is one row of values; several lines are one value each, the whole
            # record (CsvReader<T>.Read: a string is the raw line, quotes and separators included).
            values: list[Any] = _fields(records[0]) if len(records) == 1 else list(records)
            return from_untyped(values if item_type is not None else values[0], type)
        # An empty header cell (None) still holds its column's place; it names no member.
        header = [(name or "").strip() for name in _fields(records[0])]
        scalar = plan[1] if plan is not None else frozenset(h.lower() for h in header)
        rows = [_row(header, _fields(line), scalar) for line in records[1:]]
        if target is Any:
            return rows
        if item_type is not None:
            return from_untyped(rows, type)
        return from_untyped(rows[0], type) if rows else None
    except RecursionError:
        raise DecodeError("CSV cell nested too deeply") from None
