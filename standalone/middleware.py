"""One middleware for what every request gets: an id, a JSON log line and its metrics."""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from . import metrics
from .jsonlog import request_id

logger = logging.getLogger("parrain.request")
# An id a proxy or load balancer set (X-Request-ID) is kept when it looks like one.
_FIT_ID = re.compile(r"[A-Za-z0-9._:-]{8,128}")


class RequestLogMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        given = request.headers.get("X-Request-ID", "")
        rid = given if _FIT_ID.fullmatch(given) else uuid.uuid4().hex
        token = request_id.set(rid)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = rid
            self._observe(request, response.status_code, time.perf_counter() - started)
            return response
        finally:
            request_id.reset(token)

    def _observe(self, request: HttpRequest, status: int, seconds: float) -> None:
        route = route_of(request)
        metrics.HTTP_REQUESTS.labels(route, request.method, str(status)).inc()
        metrics.HTTP_DURATION.labels(route, request.method).observe(seconds)
        logger.info(
            "%s %s %s",
            request.method,
            request.path,
            status,
            extra={
                "method": request.method,
                "path": request.path,
                "route": route,
                "status": status,
                "duration_ms": round(seconds * 1000, 1),
            },
        )


def route_of(request: HttpRequest) -> str:
    """The URL pattern that answered (``api/v1/programs/<slug>/orders``), never the path
    itself: metrics keep one series per route, whatever the codes and slugs in URLs."""
    match = getattr(request, "resolver_match", None)
    if match is not None and match.route:
        return match.route
    if request.path.startswith("/" + settings.STATIC_URL.lstrip("/")):
        return "static"
    return "unmatched"
