"""Errors the gateway and the service raise, each knowing its ServiceStack status and errorCode.

    ServiceError                       → ErrorResponse in the negotiated format
    ├── NotFound                  404  errorCode NotFound       (HttpError.NotFound)
    ├── ArgumentError             400  ArgumentException, one errors[] entry for the field
    ├── SerializationError        400  SerializationException (undecodable or mistyped body)
    ├── PayloadTooLarge           413  RequestEntityTooLarge
    ├── MethodNotAllowed          405  MethodNotAllowed (a known path, another verb)
    ├── NotAcceptable             406  NotAcceptable (strict negotiation only)
    ├── UnsupportedMediaType      415  UnsupportedMediaType (strict negotiation only)
    ├── OperationNotImplemented   405  NotImplementedException (unknown op / wrong verb)
    ├── NotSupported              405  NotSupportedException (a sign-in by GET)
    ├── InvalidCredentials        401  Unauthorized (bad user name or password at /auth)
    ├── PreconditionFailed        412  PreconditionFailed (If-Match names no current version)
    ├── TooManyRequests           429  TooManyRequests + Retry-After (sign-in throttled)
    └── ServiceUnavailable        503  ServiceUnavailable (the store cannot be reached)
    AuthRequired                  401  empty body + WWW-Authenticate (short-circuit, not an ErrorResponse)
    RoleRequired                  403  text/plain "Forbidden…" (short-circuit, not an ErrorResponse)

The statuses follow ServiceStack's `ToStatusCode`; one boundary, `gateway.responses.for_exception`,
turns them (and anything else raised) into responses.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from .dtos import ResponseError, ResponseStatus

__all__ = [
    "ArgumentError",
    "AuthRequired",
    "InvalidCredentials",
    "MethodNotAllowed",
    "NotAcceptable",
    "NotFound",
    "NotSupported",
    "OperationNotImplemented",
    "PayloadTooLarge",
    "PreconditionFailed",
    "RoleRequired",
    "SerializationError",
    "ServiceError",
    "ServiceUnavailable",
    "TooManyRequests",
    "UnsupportedMediaType",
]


class ServiceError(Exception):
    status_code: int = 500
    error_code: str = "Exception"

    def __init__(
        self,
        message: str,
        *,
        errors: Sequence[ResponseError] = (),
        status_code: int | None = None,
        error_code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.errors = list(errors)
        if status_code is not None:
            self.status_code = status_code
        if error_code is not None:
            self.error_code = error_code
        self.meta: dict[str, str] | None = None
        #: Extra response headers this error is answered with (`Allow`, `X-AutoBatch-Completed`).
        self.headers: dict[str, str] = {}

    def to_status(self) -> ResponseStatus:
        return ResponseStatus(
            error_code=self.error_code, message=self.message, errors=list(self.errors), meta=self.meta
        )


class NotFound(ServiceError):
    status_code = 404
    error_code = "NotFound"


class ArgumentError(ServiceError):
    """ServiceStack's ArgumentException with a ParamName: the field is named in `errors[]`."""

    status_code = 400
    error_code = "ArgumentException"

    def __init__(self, field_name: str, message: str, *, error_code: str | None = None) -> None:
        code = error_code or self.error_code
        super().__init__(
            message,
            error_code=code,
            errors=[ResponseError(error_code=code, field_name=field_name, message=message)],
        )
        self.field_name = field_name


class SerializationError(ServiceError):
    status_code = 400
    error_code = "SerializationException"


class PayloadTooLarge(ServiceError):
    status_code = 413
    error_code = "RequestEntityTooLarge"


class MethodNotAllowed(ServiceError):
    """The path exists, but not for this verb (ServiceStack itself answers 404 here)."""

    status_code = 405
    error_code = "MethodNotAllowed"

    def __init__(self, method: str, path: str, allowed: Iterable[str]) -> None:
        self.allowed = sorted(set(allowed))
        super().__init__(f"{method} is not allowed on {path}; allowed: {', '.join(self.allowed)}")
        self.headers["Allow"] = ", ".join(self.allowed)


class NotAcceptable(ServiceError):
    """Strict negotiation only: nothing the client accepts is available."""

    status_code = 406
    error_code = "NotAcceptable"

    def __init__(self, available: Iterable[str]) -> None:
        self.available = list(available)
        super().__init__(f"None of the requested media types is available; available: {', '.join(self.available)}")


class UnsupportedMediaType(ServiceError):
    """Strict negotiation only: the request body's Content-Type has no codec."""

    status_code = 415
    error_code = "UnsupportedMediaType"

    def __init__(self, content_type: str | None, available: Iterable[str]) -> None:
        self.available = list(available)
        super().__init__(
            f"Content-Type '{content_type or ''}' is not supported; supported: {', '.join(self.available)}"
        )


class OperationNotImplemented(ServiceError):
    status_code = 405
    error_code = "NotImplementedException"


class NotSupported(ServiceError):
    status_code = 405
    error_code = "NotSupportedException"


class InvalidCredentials(ServiceError):
    status_code = 401
    error_code = "Unauthorized"


class PreconditionFailed(ServiceError):
    """`If-Match` named no current version of the session (or it is gone): nothing was changed."""

    status_code = 412
    error_code = "PreconditionFailed"


class TooManyRequests(ServiceError):
    """Too many sign-in attempts for one user name or from one address (gateway.throttle)."""

    status_code = 429
    error_code = "TooManyRequests"

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"Too many sign-in attempts; try again in {retry_after} seconds")
        self.retry_after = retry_after
        self.headers["Retry-After"] = str(retry_after)


class ServiceUnavailable(ServiceError):
    """The store cannot be reached (disk gone, database locked beyond the busy timeout)."""

    status_code = 503
    error_code = "ServiceUnavailable"


class AuthRequired(Exception):
    """No (valid) credentials on an operation that needs them."""


class RoleRequired(Exception):
    """Authenticated, but without the role the operation requires."""

    def __init__(self, role: str) -> None:
        super().__init__(f"Invalid Role: {role}")
        self.role = role
