"""The share link ``/r/<code>``: count the visit, remember the code, land on the shop.

The link is what referrers paste anywhere; it carries the code to the program's landing
page as ``?parrain=<code>`` and leaves the first-party cookie ``parrain_ref`` (the code) for
the attribution window, so an order placed days later on the same site is still attributed.
Only the landing page's own host is ever a target: ``next`` elsewhere is ignored.
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from django.db import connection, transaction
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme

from ..conf import parrain_settings
from ..models import Contact, Program, ShareClick
from .enrolment import SHARE_QUERY_PARAM, referrer_by_code

REFERRAL_COOKIE = "parrain_ref"
CLICK_QUEUE = "parrain:share-clicks"
FLUSH_BATCH = 5000
DAY_SECONDS = 24 * 60 * 60


_FAST_INSERT = (
    "BEGIN; SET LOCAL synchronous_commit TO OFF; "
    "INSERT INTO {table} (program_id, referrer_id, clicked_at) VALUES (%s, %s, %s); COMMIT"
)


def record_click(program_id: int, referrer_id: int) -> None:
    """Queue the click in Redis when ``PARRAIN_SHARE_CLICK_BUFFER`` is set, else store it."""
    url = parrain_settings.SHARE_CLICK_BUFFER
    if url:
        _buffer(url).rpush(CLICK_QUEUE, f"{program_id} {referrer_id} {time.time():.3f}")
    else:
        insert_click(program_id, referrer_id, timezone.now())


def insert_click(program_id: int, referrer_id: int, at: datetime) -> None:
    """Store the click without waiting for the disk on PostgreSQL.

    A click is worth less than the latency of a flush: with ``synchronous_commit`` off for
    this one transaction, a crash may lose the last fraction of a second of clicks, never
    anything else. Outside any transaction, the four statements go in one round trip.
    """
    if connection.vendor != "postgresql":
        ShareClick.objects.create(program_id=program_id, referrer_id=referrer_id, clicked_at=at)
        return
    if connection.get_autocommit() and not connection.in_atomic_block:
        sql = _FAST_INSERT.format(table=connection.ops.quote_name(ShareClick._meta.db_table))
        with connection.cursor() as cursor:
            cursor.execute(sql, [program_id, referrer_id, at])
        return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL synchronous_commit TO OFF")
        ShareClick.objects.create(program_id=program_id, referrer_id=referrer_id, clicked_at=at)


@functools.cache
def _buffer(url: str) -> Any:
    import redis

    return redis.Redis.from_url(url)


def flush_clicks(batch: int = FLUSH_BATCH) -> int:
    """Write the queued clicks (``PARRAIN_SHARE_CLICK_BUFFER``); clicks of deleted people go."""
    url = parrain_settings.SHARE_CLICK_BUFFER
    if not url:
        return 0
    written = 0
    while items := _buffer(url).lpop(CLICK_QUEUE, batch):
        rows = [_parse(item) for item in items]
        referrers = {referrer for _, referrer, _ in rows}
        alive = set(Contact.objects.filter(pk__in=referrers).values_list("pk", flat=True))
        clicks = [
            ShareClick(program_id=program, referrer_id=referrer, clicked_at=at)
            for program, referrer, at in rows
            if referrer in alive
        ]
        ShareClick.objects.bulk_create(clicks, batch_size=1000)
        written += len(clicks)
    return written


def _parse(item: bytes) -> tuple[int, int, datetime]:
    program, referrer, at = item.decode().split()
    return int(program), int(referrer), datetime.fromtimestamp(float(at), tz=UTC)


@dataclass(frozen=True)
class ShareTarget:
    """What the share link needs of a referrer and their program."""

    program_id: int
    referrer_id: int
    code: str
    landing: str
    max_age: int


# Codes resolved recently, per process: a popular link does not query the referrer each time.
TARGET_MEMO_SECONDS = 30
_targets: dict[str, tuple[float, ShareTarget | None]] = {}


def share_target(code: str) -> ShareTarget | None:
    code = code.strip().upper()[:32]
    now = time.monotonic()
    memo = _targets.get(code)
    if memo is not None and memo[0] > now:
        return memo[1]
    referrer = referrer_by_code(None, code)
    target = None
    if referrer is not None and referrer.program.is_active:
        program = referrer.program
        target = ShareTarget(
            program.pk, referrer.pk, code, landing_page(program), cookie_max_age(program)
        )
    if len(_targets) > 10_000:
        _targets.clear()
    _targets[code] = (now + TARGET_MEMO_SECONDS, target)
    return target


def forget_targets() -> None:
    _targets.clear()


def landing_page(program: Program) -> str:
    return program.landing_url or f"{parrain_settings.BASE_URL.rstrip('/')}/"


def landing_target(base: str, code: str, next_url: str | None = None) -> str:
    """The landing page ``base`` (or ``next`` on the same host) with the code."""
    parts = urlsplit(base)
    target = base
    if next_url and url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={parts.netloc}, require_https=parts.scheme == "https"
    ):
        target = urljoin(base, next_url)
    return with_code(target, code)


def with_code(url: str, code: str) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)]
    query = [(k, v) for k, v in query if k != SHARE_QUERY_PARAM] + [(SHARE_QUERY_PARAM, code)]
    return urlunsplit(parts._replace(query=urlencode(query)))


def cookie_max_age(program: Program) -> int:
    return program.attribution_window_days * DAY_SECONDS
