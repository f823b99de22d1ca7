"""One error taxonomy: every domain error has a stable code, an HTTP status and structured detail."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError


class MomentosError(Exception):
    code = "error"
    status = 400
    message = "The request could not be processed."

    def __init__(self, message: str | None = None, *, detail: Any = None, code: str | None = None) -> None:
        self.message = message or self.message
        self.detail = detail
        if code:
            self.code = code
        super().__init__(self.message)

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "detail": self.detail}


class BadRequest(MomentosError):
    code = "bad_request"
    status = 400


class ValidationFailed(MomentosError):
    code = "validation_error"
    status = 422
    message = "The input is not valid."


class Unauthorized(MomentosError):
    code = "unauthorized"
    status = 401
    message = "A valid API key is required."


class Forbidden(MomentosError):
    code = "forbidden"
    status = 403
    message = "This key may not do that."


class NotFound(MomentosError):
    code = "not_found"
    status = 404
    message = "Not found."


class Conflict(MomentosError):
    code = "conflict"
    status = 409
    message = "That conflicts with existing data."


class PayloadTooLarge(MomentosError):
    code = "payload_too_large"
    status = 413
    message = "The request body is too large."


class Throttled(MomentosError):
    code = "throttled"
    status = 429
    message = "Too many requests; retry later."

    def __init__(self, retry_after: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.retry_after = retry_after


class ImportFailed(MomentosError):
    """A file import failed; ``detail`` holds file, line and reason."""

    code = "import_failed"
    status = 422

    def __init__(self, file: str, line: int | None, reason: str) -> None:
        super().__init__(f"{file}:{line if line is not None else '-'}: {reason}",
                         detail={"file": file, "line": line, "reason": reason})
        self.file = file
        self.line = line
        self.reason = reason


def pydantic_detail(exc: ValidationError) -> list[dict[str, object]]:
    """Pydantic's errors in the ``detail`` shape of our error format (location, message, type)."""
    return [{"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]} for e in exc.errors()]
