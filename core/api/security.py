"""Secret-key authentication and the checks made before a request body is read."""

from __future__ import annotations

import hmac
from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from io import BytesIO
from typing import Any

from django.http import HttpRequest, HttpResponseBase
from django.http.multipartparser import MultiPartParser, MultiPartParserError
from django.utils import timezone
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _
from ninja.security import HttpBearer

from ..conf import parrain_settings
from ..exceptions import InvalidInput, NotFound
from ..models import ApiKey, Program
from .problems import problem, too_large

LAST_USED_PRECISION = timedelta(minutes=1)
BODY_METHODS = {"POST", "PUT", "PATCH"}


class SecretKey(HttpBearer):
    """``Authorization: Bearer sk_…``: a key of the program named in the path.

    An unknown program is a 404; a missing, wrong or revoked key, or another program's
    key, is the same 401 so a caller cannot tell which.
    """

    def __call__(self, request: HttpRequest) -> ApiKey | None:
        key = super().__call__(request)
        if key is None:
            _require_program(_slug(request))
        return key

    def authenticate(self, request: HttpRequest, token: str) -> ApiKey | None:
        hashed = ApiKey.hash(token)
        key = (
            ApiKey.objects.select_related("program")
            .filter(hashed=hashed, revoked_at__isnull=True)
            .first()
        )
        if key is None or not hmac.compare_digest(key.hashed, hashed):
            return None
        if key.program.slug != _slug(request):
            return None
        _touch(key)
        return key


def _slug(request: HttpRequest) -> str:
    match = request.resolver_match
    return str(match.kwargs.get("slug", "")) if match else ""


def _require_program(slug: str) -> None:
    if not Program.objects.filter(slug=slug).exists():
        raise NotFound(_("There is no program with this slug."), field="slug")


def _touch(key: ApiKey) -> None:
    """Record the last use, writing at most once a minute per key."""
    now = timezone.now()
    if key.last_used_at is not None and now - key.last_used_at < LAST_USED_PRECISION:
        return
    ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
    key.last_used_at = now


def program_of(request: HttpRequest) -> Program:
    return request.auth.program  # type: ignore[attr-defined]


def actor_of(request: HttpRequest) -> str:
    return f"api:{request.auth.prefix}"  # type: ignore[attr-defined]


def accepts_upload(view: Callable[..., Any]) -> Callable[..., Any]:
    """Mark an endpoint that takes a multipart/form-data file instead of a JSON body."""
    view.accepts_upload = True  # type: ignore[attr-defined]
    return view


def parse_multipart(request: HttpRequest) -> MultiValueDict:
    """The files of a multipart body, whatever the method (Django parses POST only)."""
    try:
        _data, files = MultiPartParser(
            request.META, BytesIO(request.body), request.upload_handlers, request.encoding
        ).parse()
    except MultiPartParserError:
        raise InvalidInput(_("The multipart body is malformed."), field="image") from None
    return files


def check_body(request: HttpRequest, upload: bool = False) -> HttpResponseBase | None:
    """Refuse an oversized or non-JSON body before anything reads it (multipart too for an
    upload endpoint)."""
    raw_length = request.META.get("CONTENT_LENGTH") or "0"
    try:
        length = int(raw_length)
    except ValueError:
        return problem(400, "malformed", _("The Content-Length header is not a number."))
    limit = parrain_settings.API_MAX_BODY_BYTES
    if length > limit:
        return too_large(limit)
    media = (request.content_type or "").lower()
    if upload and media == "multipart/form-data":
        return None
    if length > 0 and request.method in BODY_METHODS and not _is_json(request.content_type):
        return problem(415, "unsupported-media-type", _("Send the body as application/json."))
    return None


def _is_json(content_type: str | None) -> bool:
    media = (content_type or "").lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


def guard_body(run: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    operation = getattr(run, "__self__", None)
    upload = getattr(getattr(operation, "view_func", None), "accepts_upload", False)

    @wraps(run)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        return check_body(request, upload) or run(request, *args, **kwargs)

    return guarded
