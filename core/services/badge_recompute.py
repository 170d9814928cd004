"""Re-evaluate every contact of a program, in the background, resumable, with progress.

Contacts are read by primary key in batches. For a whole batch the figures come from one
grouped query per family (``badge_metrics.for_contacts``) and the decision is made in
memory; only the few contacts whose badges change are then evaluated for real, under
their row locks, and written set-wise (``badge_batch.evaluate_many``: the same decisions
and effects as the incremental evaluation, in a few statements for the whole batch).
After each batch the row stores its cursor (``last_contact_id``) and its counts: a worker
restarted mid-way resumes after the last finished batch. Editing the conditions again
while it runs moves the cursor back to the start (compare-and-set).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from ..locks import row_for_update
from ..models import BadgeCondition, BadgeHolding, BadgeRecompute, Contact, Program
from . import badge_batch, badges
from . import badge_metrics as metrics

BATCH_SIZE = 1000
LIVE = (BadgeRecompute.State.QUEUED, BadgeRecompute.State.RUNNING)


def contacts(program_id: int) -> QuerySet[Contact]:
    return Contact.objects.filter(program_id=program_id, erased_at__isnull=True)


def start(
    program: Program, *, reason: str = "", enqueue: bool = True, restart: bool = True
) -> BadgeRecompute:
    """The program's live recompute, started over from the first contact (``restart``;
    else resumed where it stopped), or a new one, queued after commit when ``enqueue``.
    Serialised by the program's row lock: never two live rows for a program."""
    with transaction.atomic():
        row_for_update(Program, program.pk)
        total = contacts(program.pk).count()
        row = BadgeRecompute.objects.filter(program=program, state__in=LIVE).first()
        if row is not None and not restart:
            return row
        if row is not None:
            BadgeRecompute.objects.filter(pk=row.pk).update(
                reason=reason[:255], total=total, done=0, last_contact_id=0
            )
            row.refresh_from_db()
            return row
        row = BadgeRecompute.objects.create(program=program, reason=reason[:255], total=total)
        if enqueue:
            transaction.on_commit(lambda: _enqueue(row.pk))
    return row


def start_fading() -> list[BadgeRecompute]:
    """Recompute the programs whose re-evaluated badges have a rolling period: such a figure
    falls as days pass without any event, so no incremental evaluation would notice it."""
    fading = BadgeCondition.objects.filter(
        badge__is_active=True, badge__keep_once_earned=False, period_days__isnull=False
    ).values("badge__program_id")
    programs = Program.objects.filter(pk__in=fading).order_by("pk")
    return [start(p, reason="daily: rolling periods", restart=False) for p in programs]


def _enqueue(recompute_id: int) -> None:
    from ..tasks import recompute_badges

    recompute_badges.delay(recompute_id)


Progress = Callable[[BadgeRecompute], None]


def run(recompute_id: int, progress: Progress | None = None) -> BadgeRecompute:
    """Work through the contacts from the stored cursor on; returns the finished row."""
    row = BadgeRecompute.objects.select_related("program").get(pk=recompute_id)
    if row.state not in LIVE:
        return row
    BadgeRecompute.objects.filter(pk=row.pk).update(state=BadgeRecompute.State.RUNNING)
    try:
        _batches(row, progress)
    except Exception as exc:
        BadgeRecompute.objects.filter(pk=row.pk).update(
            state=BadgeRecompute.State.FAILED, error=repr(exc)[:2000], finished_at=timezone.now()
        )
        raise
    BadgeRecompute.objects.filter(pk=row.pk).update(
        state=BadgeRecompute.State.DONE, finished_at=timezone.now()
    )
    row.refresh_from_db()
    return row


def _batches(row: BadgeRecompute, progress: Progress | None) -> None:
    definitions = badges.definitions(row.program_id, fresh=True)
    while True:
        row.refresh_from_db(fields=["last_contact_id", "done", "total", "awarded", "lost"])
        cursor = row.last_contact_id
        ids = list(
            contacts(row.program_id)
            .filter(pk__gt=cursor)
            .order_by("pk")
            .values_list("pk", flat=True)[:BATCH_SIZE]
        )
        if not ids:
            return
        awarded, lost = recompute_batch(definitions, ids)
        moved = BadgeRecompute.objects.filter(pk=row.pk, last_contact_id=cursor).update(
            last_contact_id=ids[-1],
            done=F("done") + len(ids),
            awarded=F("awarded") + awarded,
            lost=F("lost") + lost,
        )
        if not moved:  # started over (conditions edited): read them again
            definitions = badges.definitions(row.program_id, fresh=True)
        elif progress is not None:
            row.refresh_from_db(fields=["done", "total"])
            progress(row)


def recompute_batch(definitions: list, contact_ids: list[int]) -> tuple[int, int]:
    """Evaluate a batch of contacts; returns (badges awarded, badges lost)."""
    if not definitions:
        return 0, 0
    now = timezone.now()
    values = metrics.for_contacts(contact_ids, badges.all_conditions(definitions), now)
    held: dict[int, set[int]] = defaultdict(set)
    live = BadgeHolding.objects.filter(contact_id__in=contact_ids, lost_at__isnull=True)
    for contact_id, badge_id in live.values_list("contact_id", "badge_id"):
        held[contact_id].add(badge_id)
    changing = [pk for pk in contact_ids if badges.decide(definitions, values[pk], held[pk])]
    # Only the few contacts that change are written, all together: locked in one statement,
    # decided again under the lock, their holdings and audit events in one insert each
    # (badge_batch). One by one through ``award`` took eight statements per badge.
    changes = badge_batch.evaluate_many(changing, definitions, now=now)
    awarded = sum(change.awarded for change in changes)
    return awarded, len(changes) - awarded
