"""RFC 9457 problem details: every error the API returns has this shape and content type."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Sequence
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from pydantic import BaseModel

from ..exceptions import ParrainError

PROBLEM_CONTENT_TYPE = "application/problem+json"
TYPE_PREFIX = "urn:parrain:problem:"
LOCATION_SOURCES = {"body", "query", "path", "header", "cookie", "form", "file"}
BODY_PARAM = "payload"

logger = logging.getLogger("parrain.api")


class FieldError(BaseModel):
    field: str
    message: str


class Problem(BaseModel):
    """The body of every error response (``application/problem+json``)."""

    type: str
    title: str
    status: int
    detail: str
    errors: list[FieldError] = []
    reason: str | None = None


def _titles() -> dict[int, str]:
    return {
        400: _("Bad request"),
        401: _("Unauthorized"),
        403: _("Forbidden"),
        404: _("Not found"),
        405: _("Method not allowed"),
        409: _("Conflict"),
        413: _("Content too large"),
        415: _("Unsupported media type"),
        422: _("Invalid input"),
        429: _("Too many requests"),
        500: _("Internal server error"),
        503: _("Service unavailable"),
    }


def problem(
    status: int,
    code: str,
    detail: str,
    *,
    errors: Iterable[tuple[str, str]] = (),
    **extra: Any,
) -> HttpResponse:
    """A problem response; ``errors`` holds (field, message) pairs."""
    body: dict[str, Any] = {
        "type": TYPE_PREFIX + code,
        "title": _titles().get(status, _("Error")),
        "status": status,
        "detail": str(detail),
        "errors": [{"field": field, "message": str(message)} for field, message in errors],
    }
    body.update({key: value for key, value in extra.items() if value is not None})
    content = json.dumps(body, cls=DjangoJSONEncoder, ensure_ascii=False)
    return HttpResponse(content, status=status, content_type=PROBLEM_CONTENT_TYPE)


def field_path(loc: Sequence[Any]) -> str:
    """``("body", "payload", "rows", 2, "email")`` → ``rows.2.email``."""
    parts = list(loc)
    if parts and parts[0] in LOCATION_SOURCES:
        parts = parts[1:]
    if parts and parts[0] == BODY_PARAM:
        parts = parts[1:]
    return ".".join(str(part) for part in parts)


def error_message(error: dict[str, Any]) -> str:
    kind = error.get("type", "")
    if kind == "missing":
        return _("This field is required.")
    if kind == "extra_forbidden":
        return _("This field is not allowed.")
    message = str(error.get("msg", ""))
    return message.removeprefix("Value error, ")


def pydantic_errors(errors: Iterable[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(field_path(error.get("loc", ())), error_message(error)) for error in errors]


def invalid_input(errors: Iterable[dict[str, Any]]) -> HttpResponse:
    return problem(
        422, "invalid-input", _("Some fields are not valid."), errors=pydantic_errors(errors)
    )


def not_found(detail: str | None = None) -> HttpResponse:
    return problem(404, "not-found", detail or _("There is nothing at this address."))


def unauthorized(detail: str | None = None) -> HttpResponse:
    response = problem(
        401, "unauthorized", detail or _("Send a valid secret key: Authorization: Bearer sk_…")
    )
    response["WWW-Authenticate"] = 'Bearer realm="parrain"'
    return response


def rate_limited(retry_after: int, detail: str | None = None) -> HttpResponse:
    response = problem(
        429, "rate-limited", detail or _("Too many attempts; please wait a little and try again.")
    )
    response["Retry-After"] = str(retry_after)
    return response


def method_detail(allowed: str) -> str:
    return _("This address accepts: %(methods)s.") % {"methods": allowed or "-"}


def too_large(limit: int) -> HttpResponse:
    return problem(
        413, "too-large", _("The request body is larger than %(limit)s bytes.") % {"limit": limit}
    )


def _on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    return invalid_input(exc.errors)


def _on_parrain_error(request: HttpRequest, exc: ParrainError) -> HttpResponse:
    errors = getattr(exc, "errors", None) or ([(exc.field, exc.message)] if exc.field else [])
    return problem(
        exc.status,
        exc.code,
        exc.message,
        errors=errors,
        reason=getattr(exc, "reason", None),
        **getattr(exc, "problem_fields", {}),
    )


def _on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if isinstance(exc, AuthenticationError):
        return unauthorized(getattr(exc, "detail", None))
    if exc.status_code == 400:
        return problem(400, "malformed", _("The request body is not valid JSON."))
    return problem(exc.status_code, "http-error", str(exc))


def _on_model_validation(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
    """A model's ``full_clean`` refusal (the services that save through it): a 422 naming
    each field (``__all__`` for a rule across fields)."""
    if hasattr(exc, "error_dict"):
        errors = [
            (field, message) for field, messages in exc.message_dict.items() for message in messages
        ]
    else:
        errors = [("__all__", message) for message in exc.messages]
    return problem(422, "invalid-input", _("Some fields are not valid."), errors=errors)


def _on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return not_found()


def _on_too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    return too_large(settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0)


def _on_unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.exception("Unexpected error on %s %s", request.method, request.path)
    return problem(500, "internal", _("Something went wrong on our side; please try again."))


def install_handlers(api: NinjaAPI) -> None:
    api.add_exception_handler(Exception, _on_unexpected)
    api.add_exception_handler(ValidationError, _on_validation_error)
    api.add_exception_handler(ParrainError, _on_parrain_error)
    api.add_exception_handler(HttpError, _on_http_error)
    api.add_exception_handler(DjangoValidationError, _on_model_validation)
    api.add_exception_handler(Http404, _on_not_found)
    api.add_exception_handler(RequestDataTooBig, _on_too_big)
