"""Secret-key authentication and the checks made before a request body is read."""

from __future__ import annotations

import hmac
import inspect
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import wraps
from io import BytesIO
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.db.models import Q
from django.http import HttpRequest, HttpResponseBase
from django.http.multipartparser import MultiPartParser, MultiPartParserError
from django.utils import timezone
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _
from ninja.errors import AuthenticationError
from ninja.security import HttpBearer

from ..conf import parrain_settings
from ..exceptions import InvalidInput, NotFound
from ..models import AccountKey, ApiKey, Program
from ..prepared import Prepared
from ..validation_types import nul_field, nul_problem
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

    def authenticate(self, request: HttpRequest, token: str) -> ApiKey | ProgramAccess | None:
        if token.startswith(ACCOUNT_KEY_PREFIX):
            account = _account_key(token)
            if account is None:
                return None
            program = Program.objects.filter(slug=_slug(request)).first()
            return ProgramAccess(program, account) if program is not None else None
        hashed = ApiKey.hash(token)
        key = _API_KEY.first(hashed, timezone.now())
        if key is None or not hmac.compare_digest(key.hashed, hashed):
            return None
        if key.program.slug != _slug(request):
            return None
        _touch(key)
        return key


# Every server API request reads it: compiled once per process (core/prepared.py).
_API_KEY = Prepared(
    lambda hashed, now: (
        ApiKey.objects.select_related("program")
        .filter(hashed=hashed)
        .filter(Q(revoked_at__isnull=True) | Q(revoked_at__gt=now))
        .order_by("pk")[:1]
    ),
    "prepared-sample-hash",
    datetime(1901, 2, 3, 4, 5, 6, 789, tzinfo=UTC),
)

ACCOUNT_KEY_PREFIX = "mk_"


@dataclass(frozen=True)
class ProgramAccess:
    """An account key acting on one program's endpoints: ``request.auth`` there.

    It answers ``program`` and ``prefix`` as an :class:`ApiKey` does, so
    :func:`program_of` and :func:`actor_of` work with either credential.
    """

    program: Program
    account_key: AccountKey

    @property
    def prefix(self) -> str:
        return self.account_key.prefix


class AccountKeyRequired(AuthenticationError):
    """The 401 of the management API, whose problem says which key it wants."""

    def __init__(self, detail: str) -> None:
        super().__init__(401, detail)
        self.detail = detail


class ManageKey(HttpBearer):
    """``Authorization: Bearer mk_…``: an account key of scope ``manage``, not revoked.

    ``request.auth`` is the :class:`AccountKey`. A missing, wrong or revoked key is a 401;
    so is a program key (``sk_…``), whose problem says an account key is needed.
    """

    def __call__(self, request: HttpRequest) -> AccountKey | None:
        key = super().__call__(request)
        if key is not None:
            return key
        header = request.headers.get("Authorization", "")
        if header.partition(" ")[2].strip().startswith("sk_"):
            raise AccountKeyRequired(
                _(
                    "A program key (sk_…) cannot use the management API; send an account "
                    "key: Authorization: Bearer mk_…"
                )
            )
        raise AccountKeyRequired(_("Send a valid account key: Authorization: Bearer mk_…"))

    def authenticate(self, request: HttpRequest, token: str) -> AccountKey | None:
        if not token.startswith(ACCOUNT_KEY_PREFIX):
            return None
        return _account_key(token)


def _account_key(token: str) -> AccountKey | None:
    hashed = ApiKey.hash(token)
    key = AccountKey.objects.filter(
        hashed=hashed, revoked_at__isnull=True, scope=AccountKey.Scope.MANAGE
    ).first()
    if key is None or not hmac.compare_digest(key.hashed, hashed):
        return None
    _touch(key)
    return key


def _slug(request: HttpRequest) -> str:
    match = request.resolver_match
    return str(match.kwargs.get("slug", "")) if match else ""


def _require_program(slug: str) -> None:
    if not Program.objects.filter(slug=slug).exists():
        raise NotFound(_("There is no program with this slug."), field="slug")


def _touch(key: ApiKey | AccountKey) -> None:
    """Record the last use, writing at most once a minute per key."""
    now = timezone.now()
    if key.last_used_at is not None and now - key.last_used_at < LAST_USED_PRECISION:
        return
    type(key).objects.filter(pk=key.pk).update(last_used_at=now)
    key.last_used_at = now


def program_of(request: HttpRequest) -> Program:
    return request.auth.program  # type: ignore[attr-defined]


def actor_of(request: HttpRequest) -> str:
    """Who acted, in audit entries: ``api:sk_…`` for a program key, ``api:mk_…`` for an
    account key (the first ten characters, which the admin shows beside each key)."""
    return f"api:{request.auth.prefix}"  # type: ignore[attr-defined]


def accepts_upload(view: Callable[..., Any]) -> Callable[..., Any]:
    """Mark an endpoint that takes a multipart/form-data file instead of a JSON body."""
    view.accepts_upload = True  # type: ignore[attr-defined]
    return view


def parse_multipart(request: HttpRequest, field: str = "image") -> MultiValueDict:
    """The files of a multipart body, whatever the method (Django parses POST only);
    ``field`` is named in the 422 when the body is malformed."""
    try:
        _data, files = MultiPartParser(
            request.META, BytesIO(request.body), request.upload_handlers, request.encoding
        ).parse()
    except MultiPartParserError:
        raise InvalidInput(_("The multipart body is malformed."), field=field) from None
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


def refuse_nul(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """A 422 naming the field for NUL in the path, the query or the JSON body, before any
    view (or the public API's key lookup) could hand it to PostgreSQL."""

    @wraps(view)
    def checked(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        field = _nul_field(request, kwargs)
        if field is not None:
            errors = [(field, nul_problem())]
            return problem(422, "invalid-input", _("Some fields are not valid."), errors=errors)
        return view(request, *args, **kwargs)

    return checked


def _nul_field(request: HttpRequest, path: dict[str, Any]) -> str | None:
    for name, value in path.items():
        if isinstance(value, str) and "\x00" in value:
            return name
    for name, values in request.GET.lists():
        if "\x00" in name or any("\x00" in value for value in values):
            return name.replace("\x00", "\ufffd")
    return _body_nul_field(request)


def _body_nul_field(request: HttpRequest) -> str | None:
    """Only a body that spells ``\\u0000`` is parsed here; check_body refuses the rest."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return None
    if not 0 < declared <= parrain_settings.API_MAX_BODY_BYTES:
        return None
    try:
        body = request.body
        if b"\\u0000" not in body:
            return None
        return nul_field(json.loads(body))
    except (RequestDataTooBig, ValueError, RecursionError):
        return None  # too big or not JSON: the view answers 413 or 400


def guard_body(run: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    operation = getattr(run, "__self__", None)
    upload = getattr(getattr(operation, "view_func", None), "accepts_upload", False)

    @wraps(run)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        return check_body(request, upload) or run(request, *args, **kwargs)

    return guarded


def guard_query(run: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """The server API's operations take only the query parameters they declare. (The public
    API is left lenient: the widget adds ``lang`` to every call, as documented.)"""
    declared = _query_names(getattr(inspect.unwrap(run), "__self__", None))

    @wraps(run)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        return check_query(request, declared) or run(request, *args, **kwargs)

    return guarded


def _query_names(operation: Any) -> frozenset[str]:
    """The query parameters an operation declares (as its OpenAPI schema lists them)."""
    names: set[str] = set()
    for model in getattr(operation, "models", ()):
        if getattr(model, "__ninja_param_source__", None) != "query":
            continue
        names.update(getattr(model, "__ninja_flatten_map__", {}))
        names.update(field.alias or name for name, field in model.model_fields.items())
    return frozenset(names)


def check_query(request: HttpRequest, declared: frozenset[str]) -> HttpResponseBase | None:
    """Refuse a query parameter the operation does not take: a typo (``?limt=5``) gets a
    400 naming it rather than being silently ignored (the schema allows no others)."""
    unknown = sorted(set(request.GET) - declared)
    if not unknown:
        return None
    message = _("This operation takes no query parameter of this name.")
    return problem(
        400,
        "unknown-query-parameter",
        _("Unknown query parameter: %(names)s.") % {"names": ", ".join(unknown)},
        errors=[(name, message) for name in unknown],
    )
