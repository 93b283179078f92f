"""The per-request record the outer layer puts in the ASGI scope for the endpoint to fill in.

The outer layer (`gateway.serving.observe`) creates one `RequestRecord` per HTTP request under
`scope[RECORD_KEY]` before the application runs, and reads it once the response is sent, for the
access log and the metrics. Only the endpoint knows which operation ran, in which format, for whom,
and with which ServiceStack error code, so it sets those fields; any it leaves unset are logged as
`-` and counted under the label `""`.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.types import Scope

__all__ = ["RECORD_KEY", "RequestRecord", "request_record"]

#: The scope key; the value survives `{**scope, ...}` copies because it is one shared object.
RECORD_KEY = "evo.request"


@dataclass(slots=True)
class RequestRecord:
    #: The request id (the caller's `X-Request-Id` when sane, else a new one); set by the outer layer.
    request_id: str
    #: The operation's name, e.g. "PatchAISession" (or "Authenticate"); None before routing.
    operation: str | None = None
    #: The negotiated response format's name, e.g. "json", "jsv", "xml", "csv".
    format: str | None = None
    #: The authenticated caller's user id.
    user_id: str | None = None
    #: The ServiceStack error code of an error answer (`ResponseStatus.ErrorCode`, e.g. "NotFound").
    error_code: str | None = None


def request_record(scope: Scope) -> RequestRecord | None:
    """The record of this request, when the outer layer made one (it does for every HTTP request
    served by `create_app`; an endpoint mounted alone has none)."""
    record = scope.get(RECORD_KEY)
    return record if isinstance(record, RequestRecord) else None
