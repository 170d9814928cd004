"""Recent widget errors: page origins the public API refused, per program.

A widget placed on a page whose origin the program does not list answers "not set up for
this site" to the visitor; the shop owner learns about it here (admin panels) and the
developer in the browser console. The public door calls :func:`note_refused_origin` on
every refusal, so it must stay cheap and bounded whoever sends the requests:

- counts gather in the cache and reach the database at most once a minute per origin
  (a refusal between two writes is counted at the next one);
- a new origin row at most every few seconds per program, and only the most recent
  :data:`RECENT` origins are kept;
- only well-formed origins (or ``null``, a sandboxed frame or a local file) are kept.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import timedelta

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from ..addresses import origin_of
from ..models import Program, RefusedOrigin

RECENT = 20  # origins kept per program
WRITE_EVERY = 60  # seconds between two database writes for one origin
NEW_ORIGIN_EVERY = 5  # seconds between two new origin rows for one program
PENDING_FOR = 24 * 3600  # seconds a count waits in the cache for its next write
LATELY = timedelta(hours=24)  # refusals the admin pages warn about

logger = logging.getLogger("parrain.widget")


def recent_widget_errors(program: Program) -> QuerySet[RefusedOrigin]:
    return _newest_first(program)[:RECENT]


def _newest_first(program: Program) -> QuerySet[RefusedOrigin]:
    return RefusedOrigin.objects.filter(program=program).order_by("-last_seen", "-pk")


def refused_lately(program: Program) -> list[str]:
    """Origins refused in the last 24 hours, most recent first (the admin's warning)."""
    since = timezone.now() - LATELY
    return list(
        _newest_first(program)
        .filter(last_seen__gte=since)[:RECENT]
        .values_list("origin", flat=True)
    )


def refused_origins_message(origins: list[str]) -> str:
    """What the owner reads on the program's page in every admin."""
    return _(
        "The widget was refused in the last 24 hours on pages of %(origins)s: this page "
        "origin is not allowed for this program. If these are your pages, add them to the "
        "allowed widget origins; see “recent widget errors” on the program's page."
    ) % {"origins": ", ".join(origins)}


def note_refused_origin(program: Program, origin: str) -> None:
    """Count one refused request from ``origin``; write the count when its minute is due."""
    origin = "null" if origin.strip() == "null" else origin_of(origin)
    if not origin:
        return
    digest = hashlib.sha256(origin.encode()).hexdigest()[:24]
    key = f"parrain:refused-origin:{program.pk}:{digest}"
    pending = _increment(key)
    if not cache.add(f"{key}:written", 1, timeout=WRITE_EVERY):
        return
    try:
        cache.decr(key, pending)  # what arrived meanwhile waits for the next write
    except ValueError:
        pass
    _record(program, origin, pending)


def _increment(key: str) -> int:
    try:
        return cache.incr(key)
    except ValueError:
        if cache.add(key, 1, timeout=PENDING_FOR):
            return 1
        return cache.incr(key)


def _record(program: Program, origin: str, count: int) -> None:
    now = timezone.now()
    seen = RefusedOrigin.objects.filter(program=program, origin=origin)
    if seen.update(count=F("count") + count, last_seen=now):
        return
    if not cache.add(f"parrain:refused-origin:{program.pk}:new", 1, timeout=NEW_ORIGIN_EVERY):
        return
    try:
        with transaction.atomic():
            RefusedOrigin.objects.create(
                program=program, origin=origin, count=count, first_seen=now, last_seen=now
            )
    except IntegrityError:  # another process wrote it first
        seen.update(count=F("count") + count, last_seen=now)
        return
    logger.warning("program %s: widget refused on page origin %s", program.slug, origin)
    _forget_older(program)


def _forget_older(program: Program) -> None:
    older = _newest_first(program)[RECENT:]
    RefusedOrigin.objects.filter(pk__in=list(older.values_list("pk", flat=True))).delete()
