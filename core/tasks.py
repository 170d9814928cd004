"""Thin Celery tasks: load ids, call a service, log."""

from __future__ import annotations

import time

from celery import Task, shared_task
from celery.utils.log import get_task_logger

from .exceptions import FulfilmentError
from .models import Contact

logger = get_task_logger(__name__)


#: How long one ``send_due_messages`` run keeps taking batches (the beat runs it every
#: minute; the next run takes over).
SEND_DUE_BUDGET_SECONDS = 50.0


@shared_task
def send_due_messages() -> int:
    """Every minute (schedule it): the scenario's due messages, batch after batch, until
    none is due or the time budget is spent. Several workers share the queue."""
    from .messaging.engine import BATCH, send_due

    started, sent = time.monotonic(), 0
    while time.monotonic() - started < SEND_DUE_BUDGET_SECONDS:
        counts = send_due(limit=BATCH)
        sent += counts.sent
        if counts.handled < BATCH:
            break
    logger.info("scheduled messages sent: %s", sent)
    return sent


@shared_task
def send_scheduled_messages(program_id: int, dedupe_keys: list[str]) -> int:
    """A trigger's messages due now, right after its commit (``scenarios.fire``)."""
    from .messaging.engine import send_now
    from .models import ScheduledMessage

    ids = list(
        ScheduledMessage.objects.filter(
            program_id=program_id, dedupe_key__in=dedupe_keys
        ).values_list("pk", flat=True)
    )
    counts = send_now(ids)
    logger.info("program %s: %s message(s) sent now", program_id, counts.sent)
    return counts.sent


@shared_task(autoretry_for=(OSError, FulfilmentError), retry_backoff=True, max_retries=5)
def issue_referrer_reward(referral_id: int) -> str:
    from .services.validation import reward_referrer

    reward = reward_referrer(referral_id)
    logger.info("referral %s: referrer reward %s", referral_id, reward.pk if reward else "none")
    return reward.code or "" if reward else ""


@shared_task(autoretry_for=(OSError, FulfilmentError), retry_backoff=True, max_retries=5)
def complete_pending_reward(reward_id: int) -> str:
    """Create a pending reward's code in the remote shop (same code on every retry)."""
    from .services.rewards import complete_reward

    reward = complete_reward(reward_id)
    logger.info("reward %s: %s", reward_id, reward.status)
    return str(reward.status)


@shared_task(autoretry_for=(OSError, FulfilmentError), retry_backoff=True, max_retries=5)
def award_contest_prize(winner_id: int) -> str:
    """Issue a contest winner's prize once and tell them (after the draw's commit)."""
    from .services.contest_prizes import award

    winner = award(winner_id)
    logger.info("contest winner %s: %s", winner_id, winner.status if winner else "redrawn")
    return str(winner.status) if winner else ""


@shared_task
def validate_due_referrals() -> int:
    from .services.validation import validate_due

    count = validate_due()
    logger.info("validated %s referrals", count)
    return count


@shared_task
def flush_share_clicks() -> int:
    """Write the share-link clicks queued in PARRAIN_SHARE_CLICK_BUFFER (schedule it)."""
    from .services.clicks import flush_clicks

    count = flush_clicks()
    logger.info("wrote %s share-link clicks", count)
    return count


@shared_task
def compact_day_summary() -> int:
    """Fold the dashboard summary's pending deltas into its daily rows (core/day_summary.py):
    keeps what the page reads short; the figures are exact with or without it."""
    from . import day_summary

    count = day_summary.compact()
    logger.info("folded %s dashboard summary deltas", count)
    return count


@shared_task
def release_held_invitations() -> int:
    """Send confirmed referrers' invitations that waited for the daily budget (schedule it)."""
    from .services.confirmation import release_waiting

    count = release_waiting()
    logger.info("released %s held invitations", count)
    return count


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def evaluate_badges(contact_id: int) -> int:
    """Award or take back the contact's badges after an event (queued on commit)."""
    from .services.badges import evaluate

    contact = Contact.objects.select_related("program").filter(pk=contact_id).first()
    if contact is None:
        logger.warning("contact %s is gone; badges not evaluated", contact_id)
        return 0
    changes = evaluate(contact)
    logger.info("contact %s: %s badge change(s)", contact_id, len(changes))
    return len(changes)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def recompute_badges(recompute_id: int) -> str:
    """Re-evaluate a program's contacts; a worker lost mid-way hands it to the next one,
    which resumes after the last finished batch."""
    from .services.badge_recompute import run

    row = run(recompute_id)
    logger.info("badge recompute %s: %s (%s/%s)", recompute_id, row.state, row.done, row.total)
    return str(row.state)


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True)
def run_contact_import(self: Task, import_id: int, dry_run: bool = False) -> str:
    """A contact import's dry run or real run (issue 14); a worker lost mid-way gives the
    task back to the broker and the next worker resumes after the last committed batch."""
    from .services.contact_imports import run

    row = run(import_id, dry_run=dry_run, task_id=self.request.id or "")
    if row.schedule_id and not dry_run:
        from .services.import_schedules import report

        report(row)  # a regular import's report, once it has ended
    logger.info(
        "contact import %s%s: %s (%s/%s rows)",
        import_id,
        " (dry run)" if dry_run else "",
        row.status,
        row.rows_done,
        row.total_rows,
    )
    return str(row.status)


@shared_task
def run_import_schedules() -> int:
    """Every 5 minutes (schedule it): the regular imports whose next run has come."""
    from .services.import_schedules import run_due

    count = run_due()
    if count:
        logger.info("regular imports run: %s", count)
    return count


@shared_task
def run_import_schedule(schedule_id: int, actor: str) -> int | None:
    """A regular import's "Run now": fetch and queue the import; the import's id."""
    from .models import ImportSchedule
    from .services.import_schedules import run_now

    schedule = ImportSchedule.objects.select_related("program").filter(pk=schedule_id).first()
    if schedule is None:
        return None
    return run_now(schedule, actor=actor).pk


@shared_task
def resume_orphaned_imports() -> int:
    """Every few minutes (schedule it): queue again the imports whose worker vanished."""
    from .services.contact_imports import resume_orphaned

    return len(resume_orphaned())


@shared_task
def discard_import_files() -> tuple[int, int]:
    """Daily (schedule it): cancel the imports left waiting on a person and delete their
    uploaded file; delete the invalid-rows files of imports finished long ago."""
    from .services.contact_imports import discard_abandoned

    cancelled, deleted = discard_abandoned()
    logger.info(
        "imports: %s abandoned import(s) cancelled, %s error file(s) deleted", cancelled, deleted
    )
    return cancelled, deleted


@shared_task
def announce_boosts() -> str:
    """Every minute (schedule it): boost.started / boost.ended, once each."""
    from .services.boosts import announce_boosts as announce

    started, ended = announce()
    logger.info("boosts started: %s, ended: %s", len(started), len(ended))
    return f"{len(started)} started, {len(ended)} ended"


@shared_task
def recompute_fading_badges() -> int:
    """Daily (schedule it): programs with re-evaluated badges over a rolling period."""
    from .services.badge_recompute import start_fading

    started = start_fading()
    logger.info("badge recomputes for rolling periods: %s", len(started))
    return len(started)


@shared_task
def forget_idempotency_keys() -> int:
    """Delete the server API's Idempotency-Key answers past their 24 hours."""
    from .idempotency import forget_expired

    return forget_expired()


@shared_task
def freeze_contest_entries() -> int:
    """Freeze the entries of the contests whose entry period has ended (every minute): their
    hash is published before the draw's public value exists."""
    from .services.contests import freeze_due_entries

    return len(freeze_due_entries())


@shared_task
def erase_inactive_contacts() -> int:
    """Daily (schedule it): erase the contacts with no activity for their program's
    retention period; programs without one (the default) are left alone."""
    from .models import Program
    from .services.retention import erase_inactive

    erased = 0
    for program in Program.objects.filter(retention_months__isnull=False).order_by("pk"):
        count = erase_inactive(program)
        logger.info("program %s: %s inactive contact(s) erased", program.pk, count)
        erased += count
    return erased


@shared_task
def attribute_accepted_orders(program_id: int, slot: int | None = None) -> int:
    """Attribute a program's orders accepted at once (``Prefer: respond-async``) of one
    drain slot (all slots: None), in id order; published after their commit
    (``orders.schedule_drain``) and by the sweep."""
    from .services.orders import drain_accepted

    done = drain_accepted(program_id, slot)
    logger.info("program %s slot %s: %s accepted order(s) attributed", program_id, slot, done)
    return done


@shared_task
def drain_stale_accepted_orders() -> int:
    """Every minute: programs whose accepted orders wait for more than 30 s (a lost
    message, a restarted worker) get a drain."""
    from .services.orders import drain_stale

    return len(drain_stale())
