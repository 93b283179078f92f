"""The parsed request: the parts of an ASGI scope the pipeline reads, parsed once."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import parse_qsl

from starlette.requests import Request

from .binding import flatten_params

__all__ = ["ParsedRequest", "lookup_param"]


def lookup_param(params: Mapping[str, str], name: str) -> str | None:
    """`params[name]`, with the name matched case-insensitively (the exact spelling first)."""
    value = params.get(name)
    if value is None and params:
        lowered = name.lower()
        value = next((v for k, v in params.items() if k.lower() == lowered), None)
    return value


#: Fields that hold one value: a repeat is not a list to fold (`application/json, application/json`
#: would name no codec); the first one counts.
_SINGLETON_HEADERS = frozenset({"content-type", "content-length", "authorization", "host"})


class ParsedRequest:
    """Headers, query and path of one request, parsed once from the ASGI scope.

    Starlette's `Request.headers`/`url`/`query_params` re-scan or rebuild on each access; on a
    request that does little else, that showed up as a fifth of the gateway's own time.
    """

    __slots__ = ("_lowered", "accept", "content_type", "headers", "http1", "path", "query", "query_string", "request")

    def __init__(self, request: Request) -> None:
        scope = request.scope
        self.request = request
        self.path: str = scope["path"]
        self.http1: bool = scope.get("http_version", "1.1") in ("1.0", "1.1")
        self.query_string: str = scope["query_string"].decode("latin-1")
        headers: dict[str, str] = {}
        #: Each Accept line as sent: ASP.NET Core hands ServiceStack the lines unsplit.
        self.accept: list[str] = []
        for raw_name, raw_value in scope["headers"]:
            name, value = raw_name.decode("latin-1").lower(), raw_value.decode("latin-1")
            if name == "accept":
                self.accept.append(value)
            if name not in headers:
                headers[name] = value
            elif name not in _SINGLETON_HEADERS:
                # Repeated list headers fold into one comma-separated value (RFC 9110 5.3).
                headers[name] = f"{headers[name]}, {value}"
        self.headers = headers
        self.query: dict[str, str] = (
            flatten_params(parse_qsl(self.query_string, keep_blank_values=True)) if self.query_string else {}
        )
        self.content_type: str | None = headers.get("content-type")
        self._lowered: dict[str, str] | None = None

    def param(self, name: str) -> str | None:
        """A query parameter by name, case-insensitively, as ASP.NET's QueryString reads it."""
        value = self.query.get(name)
        if value is None and self.query:
            if self._lowered is None:  # built once, on the first miss, for the request's switches
                self._lowered = {}
                for key, item in self.query.items():
                    self._lowered.setdefault(key.lower(), item)
            value = self._lowered.get(name.lower())
        return value

    @property
    def declares_body(self) -> bool:
        """Whether the framing headers announce a body (HTTP/2 and 3 may send one without them)."""
        length = self.headers.get("content-length", "")
        if length:
            return length != "0"
        return "transfer-encoding" in self.headers or not self.http1

    @property
    def cookies(self) -> Mapping[str, str]:
        return self.request.cookies if "cookie" in self.headers else {}

    @property
    def client(self) -> str | None:
        """The client's address (the proxy's `X-Forwarded-For` when serve trusts it), if known."""
        client = self.request.client
        return client.host or None if client is not None else None
