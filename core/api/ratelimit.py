"""Fixed-window rate limits in Django's cache (Redis in production: shared by all nodes).

:func:`hit` counts in the cache on the request path. :func:`hit_buffered`, for the share
link, counts in memory first and shares the counts from a background thread, so that the
hottest public URL makes no network round trip (see :class:`BufferedWindows`).
"""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass

from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
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


def _count(key: str, window: int, hits: int = 1) -> int:
    """Add ``hits`` to the window's counter and return it: one cache round trip.

    On Redis a pipeline (Django's ``RedisCache.incr`` asks whether the key exists, then
    increments: two round trips); elsewhere ``incr``, and ``add`` once a window.
    """
    backend = caches["default"]
    if isinstance(backend, RedisCache):
        name = backend.make_key(key)
        pipe = backend._cache.get_client(name, write=True).pipeline(transaction=False)
        pipe.set(name, 0, ex=window + 1, nx=True)  # stored as Django stores an int
        pipe.incrby(name, hits)
        return int(pipe.execute()[1])
    try:
        return cache.incr(key, hits)
    except ValueError:  # first request of the window
        if cache.add(key, hits, timeout=window + 1):
            return hits
        return cache.incr(key, hits)


def _window(
    scope: str, ident: str, now: float | None, rate: tuple[int, int] | None = None
) -> tuple[str, int, int, int]:
    """(counter key, limit, window, seconds left in the window).

    ``rate`` is ``(requests, seconds)``; by default the scope's public rate limit."""
    limit, window = rate or parrain_settings.rate_limit(scope)
    moment = int(time.time() if now is None else now)
    slot = moment // window
    digest = hashlib.blake2s(ident.encode(), digest_size=12).hexdigest()
    return f"parrain:rl:{scope}:{digest}:{slot}", limit, window, (slot + 1) * window - moment


def hit(
    scope: str,
    ident: str,
    *,
    now: float | None = None,
    rate: tuple[int, int] | None = None,
) -> None:
    """Count one request of ``ident`` in ``scope``; :class:`RateLimited` past the limit."""
    key, limit, window, left = _window(scope, ident, now, rate)
    if _count(key, window) > limit:
        raise RateLimited(left)


@dataclass
class _Counter:
    seen: int  # hits this process let through in the window
    unshared: int  # of which not yet added to the shared counter
    limit: int
    window: int
    ends: float


class BufferedWindows:
    """This process's counts of the current windows, shared through the cache in batches.

    The request path only touches memory: a process refuses an ident at once when it let
    it through ``limit`` times itself. Every ``SYNC_EVERY`` seconds a daemon thread adds the
    hits to the shared counters (one round trip per ident) and learns which idents all the
    processes together let through more than ``limit`` times: those are refused here too
    until their window ends. So one address gets at most ``limit`` hits per process, and is
    cut everywhere within ``SYNC_EVERY`` of reaching the limit in total. If the cache is
    away, each process still holds its own limit.
    """

    SYNC_EVERY = 0.25  # seconds

    def __init__(self, background: bool = True) -> None:
        self.lock = threading.Lock()
        self.counters: dict[str, _Counter] = {}
        self.over: dict[str, float] = {}  # key -> end of its window
        self.background = background  # False: only explicit sync() calls share the counts
        self.thread: threading.Thread | None = None

    def hit(self, key: str, limit: int, window: int, left: int) -> bool:
        with self.lock:
            if key in self.over:
                return False
            counter = self.counters.get(key)
            if counter is None:
                ends = time.time() + left
                counter = self.counters[key] = _Counter(0, 0, limit, window, ends)
            if counter.seen >= limit:
                return False
            counter.seen += 1
            counter.unshared += 1
            if self.background and (self.thread is None or not self.thread.is_alive()):
                self.thread = threading.Thread(target=self._run, daemon=True)
                self.thread.start()
        return True

    def sync(self) -> None:
        """Share the unshared hits; note the idents past the limit on all nodes together."""
        with self.lock:
            batch = [(k, c) for k, c in self.counters.items() if c.unshared]
            hits = {key: counter.unshared for key, counter in batch}
            for _, counter in batch:
                counter.unshared = 0
        totals: dict[str, int] = {}
        try:
            for key, counter in batch:
                totals[key] = _count(key, counter.window, hits[key])
        finally:
            with self.lock:  # what could not be shared goes with the next sync
                for key, counter in batch:
                    if key not in totals:
                        counter.unshared += hits[key]
        now = time.time()
        with self.lock:
            for key, counter in batch:
                if totals[key] > counter.limit:
                    self.over[key] = counter.ends
            self.counters = {k: c for k, c in self.counters.items() if c.ends > now}
            self.over = {k: ends for k, ends in self.over.items() if ends > now}

    def clear(self) -> None:
        with self.lock:
            self.counters.clear()
            self.over.clear()

    def _run(self) -> None:
        while True:
            time.sleep(self.SYNC_EVERY)
            try:
                self.sync()
            except Exception:  # noqa: BLE001  # nosec B112 # cache away: local limits hold
                continue


buffered = BufferedWindows()


def hit_buffered(scope: str, ident: str, *, now: float | None = None) -> None:
    """Like :func:`hit` without a round trip; shared across processes within a moment."""
    key, limit, window, left = _window(scope, ident, now)
    if not buffered.hit(key, limit, window, left):
        raise RateLimited(left)


def client_ip(request: HttpRequest) -> str:
    header = parrain_settings.CLIENT_IP_HEADER
    if header:
        value = request.headers.get(header, "")
        if value:
            return value.split(",")[-1].strip()
    return request.META.get("REMOTE_ADDR", "")
