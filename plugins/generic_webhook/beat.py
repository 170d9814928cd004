"""The webhooks plugin's periodic tasks, to merge into ``CELERY_BEAT_SCHEDULE``."""

from __future__ import annotations

from typing import Any

from celery.schedules import crontab

BEAT_SCHEDULE: dict[str, dict[str, Any]] = {
    # retry sweep for outbound webhooks (a safety net with a worker, the only retry path
    # when tasks run eagerly)
    "parrain-webhooks-retry-due": {
        "task": "parrain.plugins.generic_webhook.tasks.retry_due_webhooks",
        "schedule": 30.0,
    },
    "parrain-webhooks-purge-logs": {
        "task": "parrain.plugins.generic_webhook.tasks.purge_webhook_logs",
        "schedule": crontab(hour=4, minute=0),
    },
}
