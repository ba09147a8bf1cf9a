"""Typed errors of the fastgpu client, one per error code of the API (docs/api/protocol.md).

Every error carries the HTTP status (0 when the server was not reached), the server's code,
message and field (the input at fault, or None)."""


class FastgpuError(Exception):
    """Base class of every error the client raises."""

    code = "unknown"

    def __init__(self, message, status=0, field=None, code=None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.field = field
        if code is not None:
            self.code = code

    def __str__(self):
        text = self.message
        if self.field:
            text += f" (field {self.field})"
        return text


class InvalidArgument(FastgpuError):
    code = "invalid_argument"


class Unauthenticated(FastgpuError):
    code = "unauthenticated"


class PermissionDenied(FastgpuError):
    code = "permission_denied"


class NotFound(FastgpuError):
    code = "not_found"


class NotSupported(NotFound):
    """The server does not offer this route (an older server, or a feature not built yet)."""

    code = "not_supported"


class Conflict(FastgpuError):
    """already_exists or failed_precondition (e.g. cancelling a job that has ended)."""

    code = "failed_precondition"


class ResourceExhausted(FastgpuError):
    code = "resource_exhausted"


class Unavailable(FastgpuError):
    """The server could not be reached, or answered 503."""

    code = "unavailable"


class ServerError(FastgpuError):
    code = "internal"


class Timeout(FastgpuError):
    """wait() gave up before the job ended."""

    code = "timeout"


_BY_CODE = {
    "invalid_argument": InvalidArgument,
    "unauthenticated": Unauthenticated,
    "permission_denied": PermissionDenied,
    "not_found": NotFound,
    "already_exists": Conflict,
    "failed_precondition": Conflict,
    "resource_exhausted": ResourceExhausted,
    "unavailable": Unavailable,
    "internal": ServerError,
}

_BY_STATUS = {400: InvalidArgument, 401: Unauthenticated, 403: PermissionDenied, 404: NotFound,
              409: Conflict, 413: ResourceExhausted, 429: ResourceExhausted, 503: Unavailable}


def error_from_reply(status, body):
    """The error for a non-2xx reply. body: the parsed JSON (or bytes/None)."""
    err = body.get("error") if isinstance(body, dict) else None
    if isinstance(err, dict):
        code = err.get("code") or ""
        cls = _BY_CODE.get(code) or _BY_STATUS.get(status, ServerError)
        return cls(err.get("message") or f"HTTP {status}", status=status,
                   field=err.get("field"), code=code or None)
    snippet = body[:200].decode("utf-8", "replace") if isinstance(body, bytes) else ""
    cls = _BY_STATUS.get(status, ServerError)
    return cls(f"HTTP {status}" + (f": {snippet}" if snippet else ""), status=status)
