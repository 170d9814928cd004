"""Fixed-window rate limits in Django's cache (Redis in production: shared by all nodes)."""

from __future__ import annotations

import hashlib
import time

from django.core.cache import cache
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from ..conf import parrain_settings
from ..exceptions import ParrainError


class RateLimited(ParrainError):
    status = 429
    code = "rate-limited"
    default_message = _("Too many attempts; please wait a little and try again.")

    def __init__(self, retry_after: int, message: str | None = None) -> None:
        self.retry_after = max(1, retry_after)
        super().__init__(message)


def _count(key: str, window: int) -> int:
    """One cache round trip in the usual case (the window's counter exists)."""
    try:
        return cache.incr(key)
    except ValueError:  # first request of the window
        if cache.add(key, 1, timeout=window + 1):
            return 1
        return cache.incr(key)


def hit(
    scope: str,
    ident: str,
    *,
    now: float | None = None,
    rate: tuple[int, int] | None = None,
) -> None:
    """Count one request of ``ident`` in ``scope``; :class:`RateLimited` past the limit.

    ``rate`` is ``(requests, seconds)``; by default the scope's public rate limit."""
    limit, window = rate or parrain_settings.rate_limit(scope)
    moment = int(time.time() if now is None else now)
    slot = moment // window
    digest = hashlib.blake2s(ident.encode(), digest_size=12).hexdigest()
    if _count(f"parrain:rl:{scope}:{digest}:{slot}", window) > limit:
        raise RateLimited((slot + 1) * window - moment)


def client_ip(request: HttpRequest) -> str:
    header = parrain_settings.CLIENT_IP_HEADER
    if header:
        value = request.headers.get(header, "")
        if value:
            return value.split(",")[-1].strip()
    return request.META.get("REMOTE_ADDR", "")
