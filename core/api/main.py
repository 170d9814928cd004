"""The NinjaAPI object, its error handlers, and its URL patterns."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.urls import URLPattern, URLResolver, re_path
from ninja import NinjaAPI

from .. import idempotency
from . import problems, ratelimit
from .manage import router as manage_router
from .origins import public_door
from .security import guard_body, guard_query, refuse_nul
from .server import router
from .server_boosts import router as boosts_router
from .server_contests import router as contests_router
from .server_imports import router as imports_router
from .server_loyalty import router as loyalty_router
from .server_messages import router as messages_router
from .server_privacy import router as privacy_router
from .widget import router as widget_router
from .widget_contests import router as public_contests_router

ERROR_MEDIA = problems.PROBLEM_CONTENT_TYPE


class ParrainAPI(NinjaAPI):
    """A NinjaAPI whose error responses, in the schema as on the wire, are problems."""

    idempotent_posts = False

    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        schema = super().get_openapi_schema(*args, **kwargs)
        for operations in schema["paths"].values():
            for method, operation in operations.items():
                if self.idempotent_posts and method == "post":
                    _document_idempotency(operation)
                for status, response in operation.get("responses", {}).items():
                    content = response.get("content", {})
                    if int(status) >= 400 and "application/json" in content:
                        response["content"] = {ERROR_MEDIA: content["application/json"]}
        return schema


def _document_idempotency(operation: dict[str, Any]) -> None:
    """Every POST takes ``Idempotency-Key`` (core/idempotency.py) and may answer 400/409/422."""
    operation.setdefault("parameters", []).append(
        {
            "in": "header",
            "name": idempotency.HEADER,
            "required": False,
            "description": (
                "Send a unique key (e.g. a UUID) to retry this POST safely: the same key with "
                "the same body gets the first answer again (header Idempotent-Replayed: true), "
                "with another body a 422; kept 24 hours."
            ),
            "schema": {"type": "string", "pattern": idempotency.KEY_PATTERN},
        }
    )
    problem_ref = {ERROR_MEDIA: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    responses = operation.setdefault("responses", {})
    for status, description in (
        (400, "Bad request"),
        (409, "A request with this Idempotency-Key is still running"),
        (422, "Invalid input"),
    ):
        if status not in responses and str(status) not in responses:
            responses[status] = {"description": description, "content": problem_ref}


api = ParrainAPI(
    title="Parrain API",
    version="1",
    description="Server-to-server API of Parrain referral programs. See docs/api.md.",
    urls_namespace="parrain:parrain-api",
    docs_url="/docs",
    openapi_url="/openapi.json",
)
api.idempotent_posts = True
problems.install_handlers(api)
api.add_decorator(guard_body, mode="view")
api.add_decorator(guard_query, mode="view")
api.add_router("", router)
api.add_router("", boosts_router)
api.add_router("", contests_router)
api.add_router("", messages_router)
api.add_router("", privacy_router)
api.add_router("", imports_router)
api.add_router("", loyalty_router)
api.add_router("", manage_router)


# Public widget API (issue 3): public key in the path, CORS and rate limits in public_door.
public_api = ParrainAPI(
    title="Parrain public widget API",
    version="1",
    description="What the browser widget calls with the program's public key. See docs/widget.md.",
    urls_namespace="parrain:parrain-public-api",
    docs_url="/docs",
    openapi_url="/openapi.json",
)
problems.install_handlers(public_api)
public_api.add_exception_handler(
    ratelimit.RateLimited,
    lambda request, exc: problems.rate_limited(exc.retry_after, exc.message),
)
public_api.add_decorator(guard_body, mode="view")
public_api.add_router("", widget_router)
public_api.add_router("", public_contests_router)


def _as_problem(view: Any) -> Any:
    """Turn Ninja's plain 405 (a path that exists, a method that does not) into a problem."""

    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        response = view(request, *args, **kwargs)
        if response.status_code != 405 or response.get("Content-Type") == ERROR_MEDIA:
            return response
        allowed = response.get("Allow", "")
        converted = problems.problem(405, "method-not-allowed", problems.method_detail(allowed))
        converted["Allow"] = allowed
        return converted

    wrapped.csrf_exempt = True  # type: ignore[attr-defined]
    return wrapped


def _unknown_path(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    return problems.not_found()


_unknown_path.csrf_exempt = True  # type: ignore[attr-defined]


def urls(of: NinjaAPI = api) -> tuple[list[URLPattern | URLResolver], str, str]:
    """``api.urls`` with problem responses for unknown paths and methods."""
    patterns, app_name, namespace = of.urls
    for pattern in patterns:
        if isinstance(pattern, URLPattern):
            pattern.callback = _as_problem(pattern.callback)
            if of is public_api and "key" in pattern.pattern.converters:
                limited = not str(pattern.pattern).endswith("/config")
                pattern.callback = public_door(pattern.callback, limited=limited)
            pattern.callback = refuse_nul(pattern.callback)
            if of.idempotent_posts:  # outermost: a replay runs nothing, not even the checks
                pattern.callback = idempotency.idempotent(pattern.callback)
                pattern.callback.csrf_exempt = True  # type: ignore[attr-defined]
    return [*patterns, re_path(r"", _unknown_path)], app_name, namespace


def public_urls() -> tuple[list[URLPattern | URLResolver], str, str]:
    return urls(public_api)
