"""Errors that services raise. Each carries a message id (English, translated when shown),
the field it concerns, and the HTTP status it maps to. Routes never raise HTTP exceptions."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any


@dataclass
class FieldError:
    field: str
    message: str
    params: dict[str, Any] = dataclass_field(default_factory=dict)


class IocError(Exception):
    status_code = 400
    code = "invalid"

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        errors: list[FieldError] | None = None,
        **params: Any,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.params = params
        self.errors = list(errors or [])
        if field is not None:
            self.errors.append(FieldError(field, message, params))


class ValidationFailed(IocError):
    status_code = 422
    code = "validation"


class NotFound(IocError):
    status_code = 404
    code = "not_found"


class PermissionDenied(IocError):
    status_code = 403
    code = "forbidden"


class NotAuthenticated(IocError):
    status_code = 401
    code = "not_authenticated"


class Conflict(IocError):
    status_code = 409
    code = "conflict"


class RateLimited(IocError):
    status_code = 429
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int = 60, **params: Any) -> None:
        super().__init__(message, **params)
        self.retry_after = retry_after


class CsrfFailed(IocError):
    status_code = 403
    code = "csrf"
