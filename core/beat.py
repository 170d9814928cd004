"""The core's periodic tasks: the ``CELERY_BEAT_SCHEDULE`` entries every install runs.

A project starts its schedule from this dict (and each plugin's, e.g.
``parrain.plugins.generic_webhook.beat.BEAT_SCHEDULE``); docs/deploy.md says what each
entry does. Crontab times are in Django's ``TIME_ZONE``. Run exactly one beat.
"""

from __future__ import annotations

from typing import Any

from celery.schedules import crontab

BEAT_SCHEDULE: dict[str, dict[str, Any]] = {
    "parrain-validate-due-referrals": {
        "task": "parrain.core.tasks.validate_due_referrals",
        "schedule": crontab(minute="*/15"),
    },
    # widget (issue 3): writes the share-link clicks queued by PARRAIN_SHARE_CLICK_BUFFER
    "parrain-flush-share-clicks": {
        "task": "parrain.core.tasks.flush_share_clicks",
        "schedule": crontab(minute="*"),
    },
    # issue 15: the dashboard summary's deltas folded into its daily rows
    "parrain-compact-day-summary": {
        "task": "parrain.core.tasks.compact_day_summary",
        "schedule": crontab(minute="*"),
    },
    # issue 10: invitations of confirmed referrers that waited for the daily budget
    "parrain-release-held-invitations": {
        "task": "parrain.core.tasks.release_held_invitations",
        "schedule": crontab(minute=5),
    },
    # issue 12: boost.started / boost.ended, once each, within a minute of the instant
    "parrain-announce-boosts": {
        "task": "parrain.core.tasks.announce_boosts",
        "schedule": crontab(minute="*"),
    },
    # issue 11: re-evaluated badges over a rolling period fade without any event
    "parrain-recompute-fading-badges": {
        "task": "parrain.core.tasks.recompute_fading_badges",
        "schedule": crontab(hour=3, minute=30),
    },
    # issue 12: a contest's entries are frozen and their hash published at the end of entries
    "parrain-freeze-contest-entries": {
        "task": "parrain.core.tasks.freeze_contest_entries",
        "schedule": crontab(minute="*"),
    },
    # issue 13: the scenario's due messages (several workers share the queue)
    "parrain-send-due-messages": {
        "task": "parrain.core.tasks.send_due_messages",
        "schedule": crontab(minute="*"),
    },
    # issue 14: contact imports whose worker vanished (silent 10 minutes) are queued again
    "parrain-resume-orphaned-imports": {
        "task": "parrain.core.tasks.resume_orphaned_imports",
        "schedule": crontab(minute="*/5"),
    },
    # issue 16: the server API's Idempotency-Key answers are kept 24 hours
    "parrain-forget-idempotency-keys": {
        "task": "parrain.core.tasks.forget_idempotency_keys",
        "schedule": crontab(minute=20),
    },
    # issue 16: orders accepted at once (Prefer: respond-async) and still pending after
    # 30 s (a lost broker message, a restarted worker) are attributed
    "parrain-drain-accepted-orders": {
        "task": "parrain.core.tasks.drain_stale_accepted_orders",
        "schedule": crontab(minute="*"),
    },
    # issue 14: regular imports whose next run has come fetch their file and import it
    "parrain-run-import-schedules": {
        "task": "parrain.core.tasks.run_import_schedules",
        "schedule": crontab(minute="*/5"),
    },
    # issue 14: uploaded customer files are not kept once nobody will use them (imports
    # left waiting a week, invalid-rows files a month after their import)
    "parrain-discard-import-files": {
        "task": "parrain.core.tasks.discard_import_files",
        "schedule": crontab(hour=2, minute=50),
    },
    # issue 14: contacts inactive for their program's retention period are erased (only
    # programs whose retention setting is filled; empty by default)
    "parrain-erase-inactive-contacts": {
        "task": "parrain.core.tasks.erase_inactive_contacts",
        "schedule": crontab(hour=2, minute=40),
    },
}
