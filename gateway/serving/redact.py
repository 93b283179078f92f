"""Query strings with their secrets masked, for logs."""

from __future__ import annotations

from urllib.parse import unquote_plus

__all__ = ["SECRET_PARAMS", "redact_query"]

#: Parameter names (compared case-insensitively, `-` and `_` ignored) whose values are secrets.
SECRET_PARAMS = frozenset(
    {"password", "apikey", "key", "token", "sstok", "ssid", "sspid", "bearertoken", "refreshtoken",
     "accesstoken", "secret", "authsecret", "newpassword", "oldpassword", "authorization"}
)  # fmt: skip

_MASK = "***"


def _secret(name: str) -> bool:
    normal = unquote_plus(name, errors="replace").lower().replace("-", "").replace("_", "")
    return normal in SECRET_PARAMS or normal.endswith(("password", "token", "secret", "apikey"))


def redact_query(query: str) -> str:
    """`query` with the value of every secret parameter replaced by `***`; the rest verbatim."""
    if not query:
        return query
    parts = []
    for part in query.split("&"):
        name, sep, _ = part.partition("=")
        parts.append(f"{name}={_MASK}" if sep and _secret(name) else part)
    return "&".join(parts)
