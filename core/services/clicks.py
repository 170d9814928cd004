"""Share-link clicks: written at once, or queued in Redis and written in batches.

Without ``PARRAIN_SHARE_CLICK_BUFFER`` each click is one row written at once. With it (a
Redis URL), the share link only appends the click to a list in memory; a daemon thread of
the web process pushes that list to Redis every ``PUSH_EVERY`` seconds in one command, and
the ``flush_share_clicks`` task writes the queue to the database in batches. A process
killed outright loses at most its last ``PUSH_EVERY`` seconds of clicks, never anything
else.
"""

from __future__ import annotations

import atexit
import functools
import threading
import time
from datetime import UTC, datetime
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from ..conf import parrain_settings
from ..models import Contact, ShareClick

FLUSH_BATCH = 5000
PUSH_EVERY = 0.25  # seconds

_FAST_INSERT = (
    "BEGIN; SET LOCAL synchronous_commit TO OFF; "
    "INSERT INTO {table} (program_id, referrer_id, clicked_at) VALUES (%s, %s, %s); COMMIT"
)


def record_click(program_id: int, referrer_id: int) -> None:
    url = parrain_settings.SHARE_CLICK_BUFFER
    if url:
        _pusher(url).add(f"{program_id} {referrer_id} {time.time():.3f}")
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


class ClickPusher:
    """Clicks of this process, pushed to the Redis queue by a daemon thread."""

    def __init__(self, url: str) -> None:
        import redis

        self.redis = redis.Redis.from_url(url)
        self.pending: list[str] = []
        self.lock = threading.Lock()
        self.thread: threading.Thread | None = None

    def add(self, item: str) -> None:
        with self.lock:
            self.pending.append(item)
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(target=self._run, daemon=True)
                self.thread.start()

    def push(self) -> None:
        with self.lock:
            items, self.pending = self.pending, []
        if not items:
            return
        try:
            self.redis.rpush(parrain_settings.SHARE_CLICK_QUEUE, *items)
        except Exception:
            with self.lock:  # Redis away: keep them for the next push
                self.pending[:0] = items
            raise

    def _run(self) -> None:
        while True:
            time.sleep(PUSH_EVERY)
            try:
                self.push()
            except Exception:  # noqa: BLE001  # nosec B112 # Redis away: retried next tick
                continue


@functools.cache
def _pusher(url: str) -> ClickPusher:
    pusher = ClickPusher(url)
    atexit.register(pusher.push)
    return pusher


def flush_clicks(batch: int = FLUSH_BATCH) -> int:
    """Write the queued clicks to the database; clicks of people erased meanwhile go."""
    url = parrain_settings.SHARE_CLICK_BUFFER
    if not url:
        return 0
    pusher = _pusher(url)
    pusher.push()  # this process's own clicks first
    written = 0
    while items := pusher.redis.lpop(parrain_settings.SHARE_CLICK_QUEUE, batch):
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


def _parse(item: Any) -> tuple[int, int, datetime]:
    program, referrer, at = item.decode().split()
    return int(program), int(referrer), datetime.fromtimestamp(float(at), tz=UTC)
