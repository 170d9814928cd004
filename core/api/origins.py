"""The public widget API's door: the program of the public key, CORS, per-IP limits.

Browsers call the public API from the shop's pages. Each URL carries the program's public
key, so even a CORS preflight (which sends no custom header) knows the program and can
check its ``allowed_origins``. A request from another origin is refused (403) before any
view runs; the allowed origin is echoed in ``Access-Control-Allow-Origin``.

The refusal itself carries the CORS headers too, so the widget can read its problem type
(``origin-not-allowed``) and say so, instead of a network error; it reveals nothing but
the refusal. It is noted for the program's "recent widget errors"
(``services.widget_errors``). A refused preflight stays a bare 403: the widget's first
request (the configuration, a simple GET) already tells.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.utils.translation import gettext as _

from ..addresses import origin_of
from ..memo import Memo
from ..models import Program
from ..services.widget_errors import note_refused_origin
from . import ratelimit
from .problems import problem, rate_limited

ALLOWED_METHODS = "GET, POST, OPTIONS"
ALLOWED_HEADERS = "Content-Type, Accept-Language"
PREFLIGHT_MAX_AGE = "600"


# Programs by public key, kept in each process for a short while: the widget's hot paths
# (configuration, lookups) skip one query per request. Saving a program empties it here;
# other processes see a change within 30 seconds.
_programs: Memo[Program | None] = Memo(seconds=30, max_entries=1000)


def program_for_key(key: str) -> Program | None:
    if not key.startswith("pk_") or len(key) > 64:
        return None
    return _programs.get(
        key, lambda: Program.objects.filter(public_key=key, is_active=True).first()
    )


def forget_programs() -> None:
    _programs.forget()


def _normal(origin: str) -> str:
    return origin.strip().rstrip("/").lower()


def origin_allowed(program: Program, origin: str, request: HttpRequest) -> bool:
    """One of the program's origins, or the API's own origin (same-origin pages)."""
    own = f"{request.scheme}://{request.get_host()}"
    allowed = {_normal(o) for o in program.allowed_origins or [] if isinstance(o, str)}
    return _normal(origin) in allowed | {_normal(own)}


def page_origin(request: HttpRequest) -> str:
    """The origin of the page calling: its ``Origin`` header (cross-origin calls), else its
    ``Referer``'s (a same-origin GET sends no ``Origin``); ``""`` when it sends neither."""
    origin = request.headers.get("Origin", "")
    if origin and origin != "null":
        return origin_of(origin)
    return origin_of(request.headers.get("Referer", ""))


def _with_cors(response: HttpResponseBase, origin: str) -> HttpResponseBase:
    response["Access-Control-Allow-Origin"] = origin
    response["Access-Control-Expose-Headers"] = "Retry-After"
    response["Vary"] = (
        "Origin" if not response.has_header("Vary") else response["Vary"] + ", Origin"
    )
    return response


def _refused_origin() -> HttpResponse:
    return problem(403, "origin-not-allowed", _("This site may not use this referral program."))


def _unknown_key() -> HttpResponse:
    return problem(401, "unknown-key", _("This public key does not match an active program."))


def public_door(
    view: Callable[..., HttpResponseBase], *, limited: bool = True
) -> Callable[..., HttpResponseBase]:
    """Wrap one public URL's view: key, origin, preflight, per-IP limit, CORS headers.

    ``limited=False`` for the configuration: read-only, served from memory, cacheable.
    """

    @wraps(view)
    def door(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        origin = request.headers.get("Origin", "")
        program = program_for_key(str(kwargs.get("key", "")))
        if origin and program is not None and not origin_allowed(program, origin, request):
            note_refused_origin(program, origin)
            if request.method == "OPTIONS":
                return _refused_origin()
            return _with_cors(_refused_origin(), origin)
        if request.method == "OPTIONS":
            if program is None or not origin:
                return _refused_origin()
            return _preflight(origin)
        if program is None:
            return _unknown_key()
        try:
            if limited:
                ratelimit.hit("ip", ratelimit.client_ip(request))
        except ratelimit.RateLimited as exc:
            response: HttpResponseBase = rate_limited(exc.retry_after, exc.message)
        else:
            request.parrain_program = program  # type: ignore[attr-defined]
            response = view(request, *args, **kwargs)
        return _with_cors(response, origin) if origin else response

    door.csrf_exempt = True  # type: ignore[attr-defined]
    return door


def _preflight(origin: str) -> HttpResponseBase:
    response = HttpResponse(status=204)
    response["Access-Control-Allow-Methods"] = ALLOWED_METHODS
    response["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
    response["Access-Control-Max-Age"] = PREFLIGHT_MAX_AGE
    return _with_cors(response, origin)
