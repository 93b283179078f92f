"""Scalars to and from their JSV text, as ServiceStack.Text writes and reads them.

Writers never quote what they produce here (numbers, booleans, dates, Guids, durations, base64);
the string writer quotes only when the text holds a JSV delimiter.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import decimal
import enum
import math
import re
import uuid

__all__ = [
    "format_date",
    "format_datetime",
    "format_decimal",
    "format_duration",
    "format_float",
    "format_time",
    "parse_bool",
    "parse_bytes",
    "parse_date",
    "parse_datetime",
    "parse_decimal",
    "parse_duration",
    "parse_enum",
    "parse_float",
    "parse_int",
    "parse_time",
    "parse_uuid",
    "quote",
]

# The characters that force quotes (StringExtensions.EncodeJsv / JsWriter.EscapeChars).
_NEEDS_QUOTES = re.compile(r'[",:{}\[\]\r\n]').search


def quote(text: str) -> str:
    """A string as JSV writes it: bare unless it holds a delimiter; `""` when empty."""
    if not text:
        return '""'
    if _NEEDS_QUOTES(text) is None:
        return text
    return '"' + text.replace('"', '""') + '"'


# --- numbers ---


def format_float(value: float) -> str:
    """.NET Core's shortest round-trip `double.ToString()`: `1.0` → `1`, `1e20` → `1E+20`."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0:
        return "-0" if math.copysign(1.0, value) < 0 else "0"
    text = repr(value)
    # repr gives the shortest round-trip digits; re-lay them out with .NET's "G" notation rule:
    # scientific when the decimal exponent is below -5 or at least 15.
    sign = "-" if text.startswith("-") else ""
    digits, exponent = _shortest_digits(text.lstrip("-"))
    if exponent < -5 or exponent >= 15:
        mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        return f"{sign}{mantissa}E{'+' if exponent >= 0 else '-'}{abs(exponent):02d}"
    if exponent < 0:
        return f"{sign}0.{'0' * (-exponent - 1)}{digits}"
    if len(digits) <= exponent + 1:
        return sign + digits + "0" * (exponent + 1 - len(digits))
    return f"{sign}{digits[: exponent + 1]}.{digits[exponent + 1 :]}"


def _shortest_digits(text: str) -> tuple[str, int]:
    """Significant digits and the decimal exponent of the first one, from Python's repr."""
    mantissa, _, exp_text = text.partition("e")
    exponent = int(exp_text) if exp_text else 0
    whole, _, fraction = mantissa.partition(".")
    if fraction == "0":
        fraction = ""
    all_digits = whole + fraction
    stripped = all_digits.lstrip("0")
    leading_zeros = len(all_digits) - len(stripped)
    exponent += len(whole) - 1 - leading_zeros
    return stripped.rstrip("0") or "0", exponent


def format_decimal(value: decimal.Decimal) -> str:
    """.NET decimals keep their scale (`3.30`) and never use an exponent."""
    if not value.is_finite():
        raise ValueError(f"{value} has no JSV form")
    return format(value, "f")


_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$")


def _invariant_number(text: str) -> str:
    text = text.strip()
    # Invariant thousands separators are accepted ("1,111.1"), as ServiceStack's readers do.
    if "," in text and _THOUSANDS.match(text):
        text = text.replace(",", "")
    return text


def parse_int(text: str) -> int:
    cleaned = _invariant_number(text)
    if not re.fullmatch(r"[+-]?\d+", cleaned):
        raise ValueError(f"expected an integer, got {text!r}")
    return int(cleaned)


_FLOAT = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_SPECIAL_FLOATS = {"nan": math.nan, "infinity": math.inf, "-infinity": -math.inf, "∞": math.inf, "-∞": -math.inf}


def parse_float(text: str) -> float:
    cleaned = _invariant_number(text)
    special = _SPECIAL_FLOATS.get(cleaned.lower())
    if special is not None:
        return special
    if not _FLOAT.fullmatch(cleaned):
        raise ValueError(f"expected a number, got {text!r}")
    return float(cleaned)


def parse_decimal(text: str) -> decimal.Decimal:
    cleaned = _invariant_number(text)
    if not _FLOAT.fullmatch(cleaned):
        raise ValueError(f"expected a decimal number, got {text!r}")
    return decimal.Decimal(cleaned)


def parse_bool(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ("true", "1"):
        return True
    if lowered in ("false", "0"):
        return False
    raise ValueError(f"expected True or False, got {text!r}")


# --- dates and times ---


def _fraction7(microsecond: int) -> str:
    # .NET Core writes 7 fractional digits (ticks), not trimmed.
    return f"{microsecond:06d}0"


def _offset(value: dt.datetime) -> str:
    delta = value.utcoffset()
    assert delta is not None
    total = int(delta.total_seconds() // 60)
    sign = "-" if total < 0 else "+"
    hours, minutes = divmod(abs(total), 60)
    return f"{sign}{hours:02d}:{minutes:02d}"


def format_datetime(value: dt.datetime) -> str:
    """DateTimeSerializer.ToShortestXsdDateTimeString.

    - midnight exactly → `yyyy-MM-dd`, whatever the zone;
    - UTC → `yyyy-MM-ddTHH:mm:ss[.fffffff]Z`;
    - another fixed offset → `yyyy-MM-ddTHH:mm:ss[.fffffff]+hh:mm`;
    - naive → no zone at all (ServiceStack would append the host's offset; pyjsv never guesses one).
    """
    if value.hour == 0 and value.minute == 0 and value.second == 0 and value.microsecond == 0:
        return f"{value.year:04d}-{value.month:02d}-{value.day:02d}"
    text = f"{value.year:04d}-{value.month:02d}-{value.day:02d}T{value.hour:02d}:{value.minute:02d}:{value.second:02d}"
    if value.microsecond:
        text += "." + _fraction7(value.microsecond)
    if value.tzinfo is None:
        return text
    offset = value.utcoffset()
    if offset == dt.timedelta(0):
        return text + "Z"
    return text + _offset(value)


def format_date(value: dt.date) -> str:
    return f"{value.year:04d}-{value.month:02d}-{value.day:02d}"


def format_duration(value: dt.timedelta) -> str:
    """TimeSpanConverter.ToXsdDuration: `P1DT2H3M4.5S`, `PT0S`, `-PT1S`."""
    ticks = (value.days * 86_400 + value.seconds) * 10_000_000 + value.microseconds * 10
    sign = "-" if ticks < 0 else ""
    ticks = abs(ticks)
    days, rest = divmod(ticks, 86_400 * 10_000_000)
    hours, rest = divmod(rest, 3_600 * 10_000_000)
    minutes, rest = divmod(rest, 60 * 10_000_000)
    seconds, fraction = divmod(rest, 10_000_000)
    out = sign + "P"
    if days:
        out += f"{days}D"
    if days == 0 or hours or minutes or seconds or fraction:
        out += "T"
        if hours:
            out += f"{hours}H"
        if minutes:
            out += f"{minutes}M"
        if seconds or fraction:
            text = f"{seconds}.{fraction:07d}".rstrip("0").rstrip(".")
            out += f"{text}S"
        if out.endswith("T"):
            out += "0S"
    return out


def format_time(value: dt.time) -> str:
    """TimeOnly is written as the duration since midnight (`PT13H13M13S`)."""
    return format_duration(
        dt.timedelta(hours=value.hour, minutes=value.minute, seconds=value.second, microseconds=value.microsecond)
    )


_XSD_DATETIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?\s*(Z|[+-]\d{2}:?\d{2})?",
    re.IGNORECASE,
)
_COMPACT_DATE = re.compile(r"(\d{4})(\d{2})(\d{2})")
_DMY = re.compile(r"(\d{2})/(\d{2})/(\d{4})(?: (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,7}))?)?")
_WCF = re.compile(r"\\?/Date\((-?\d+)([+-]\d{4})?\)\\?/")


def _zone(text: str | None) -> dt.tzinfo | None:
    if text is None:
        return None
    if text.upper() == "Z":
        return dt.UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    return dt.timezone(sign * dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))


def _micro(fraction: str | None) -> int:
    if not fraction:
        return 0
    # Ticks (7 digits) and beyond are rounded down to microseconds.
    return int((fraction + "000000")[:6])


def parse_datetime(text: str) -> dt.datetime:
    """Every form DateTimeSerializer reads: XSD with or without zone and fraction, date only,
    `yyyyMMdd`, `dd/MM/yyyy HH:mm:ss`, SQL-style space for `T`, and WCF `/Date(ms)/`."""
    raw = text.strip()
    m = _XSD_DATETIME.fullmatch(raw)
    if m:
        year, month, day, hour, minute, second, fraction, zone = m.groups()
        return dt.datetime(
            int(year),
            int(month),
            int(day),
            int(hour or 0),
            int(minute or 0),
            int(second or 0),
            _micro(fraction),
            tzinfo=_zone(zone),
        )
    m = _COMPACT_DATE.fullmatch(raw)
    if m:
        return dt.datetime(int(m[1]), int(m[2]), int(m[3]))
    m = _DMY.fullmatch(raw)
    if m:
        day, month, year, hour, minute, second, fraction = m.groups()
        return dt.datetime(
            int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0), _micro(fraction)
        )
    m = _WCF.fullmatch(raw)
    if m:
        instant = dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(milliseconds=int(m[1]))
        if m[2]:
            return instant.astimezone(_zone(m[2][:3] + ":" + m[2][3:]))
        return instant
    raise ValueError(f"expected a date and time, got {text!r}")


def parse_date(text: str) -> dt.date:
    value = parse_datetime(text)
    return value.date()


_DURATION = re.compile(
    r"(-)?P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?",
)
_CLOCK = re.compile(r"(-)?(?:(\d+)\.)?(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,7}))?)?")


def parse_duration(text: str) -> dt.timedelta:
    """XSD durations as TimeSpanConverter writes them; also `[d.]hh:mm[:ss[.f]]` and plain seconds."""
    raw = text.strip()
    m = _DURATION.fullmatch(raw)
    if m and raw not in ("P", "-P", "PT", "-PT"):
        negative, days, hours, minutes, seconds = m.groups()
        whole, _, fraction = (seconds or "0").partition(".")
        ticks = int((fraction + "0000000")[:7]) if fraction else 0
        total = dt.timedelta(
            days=int(days or 0),
            hours=int(hours or 0),
            minutes=int(minutes or 0),
            seconds=int(whole),
            microseconds=ticks // 10,
        )
        return -total if negative else total
    m = _CLOCK.fullmatch(raw)
    if m:
        negative, days, hours, minutes, seconds, fraction = m.groups()
        total = dt.timedelta(
            days=int(days or 0),
            hours=int(hours),
            minutes=int(minutes),
            seconds=int(seconds or 0),
            microseconds=_micro(fraction),
        )
        return -total if negative else total
    try:
        return dt.timedelta(seconds=parse_float(raw))
    except (ValueError, OverflowError):
        raise ValueError(f"expected a duration, got {text!r}") from None


def parse_time(text: str) -> dt.time:
    delta = parse_duration(text)
    if delta < dt.timedelta(0) or delta >= dt.timedelta(days=1):
        raise ValueError(f"expected a time of day, got {text!r}")
    seconds = delta.seconds
    return dt.time(seconds // 3600, seconds % 3600 // 60, seconds % 60, delta.microseconds)


def parse_uuid(text: str) -> uuid.UUID:
    try:
        return uuid.UUID(text.strip())
    except ValueError:
        raise ValueError(f"expected a Guid, got {text!r}") from None


def parse_bytes(text: str) -> bytes:
    try:
        return base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(f"expected base64, got {text!r}") from None


def parse_enum(enum_type: type[enum.Enum], text: str) -> enum.Enum:
    """By name (case-insensitive), then by value, then (for enums whose values are not numbers) by
    declaration position; `IntFlag`s by integer."""
    raw = text.strip()
    if issubclass(enum_type, enum.IntFlag):
        return enum_type(parse_int(raw))
    lowered = raw.lower()
    for member in enum_type:
        if member.name.lower() == lowered:
            return member
    for member in enum_type:
        if str(member.value).lower() == lowered:
            return member
    members = list(enum_type)
    if raw.isdigit() and not any(isinstance(m.value, int) for m in members) and int(raw) < len(members):
        # A .NET enum written as its number: members without explicit values count 0, 1, … in
        # declaration order, which is the only number a Python enum of names can stand for.
        return members[int(raw)]
    names = ", ".join(m.name for m in enum_type)
    raise ValueError(f"expected one of {names}, got {text!r}")
