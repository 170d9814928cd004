"""Thin Celery tasks: one delivery attempt, and the sweep that retries what is due."""

from __future__ import annotations

from celery import shared_task
from celery.utils.log import get_task_logger

from .models import MessageStatus
from .outbound import delivery

logger = get_task_logger(__name__)
SWEEP_BATCH = 500


@shared_task
def deliver_message(message_id: int, force: bool = False) -> str:
    message = delivery.attempt(message_id, force=force)
    if message is None:
        return "not due"
    logger.info("webhook %s attempt %s: %s", message.msg_id, message.attempt_count, message.status)
    eager = deliver_message.app.conf.task_always_eager
    if message.status == MessageStatus.PENDING and message.next_attempt_at and not eager:
        # With a worker, the retry is scheduled now; eagerly (demo, tests) the sweep does it.
        deliver_message.apply_async((message_id,), eta=message.next_attempt_at)
    return str(message.status)


@shared_task
def retry_due_webhooks() -> int:
    """Safety net run by beat: attempt every due message (e.g. after a broker restart)."""
    sent = delivery.retry_due(limit=SWEEP_BATCH)
    logger.info("retried %s webhook messages", sent)
    return sent


@shared_task
def purge_webhook_logs() -> int:
    """Daily, by beat: forget deliveries and finished messages past ``KEEP_LOGS_DAYS``."""
    removed = delivery.purge_logs()
    logger.info("purged %s webhook log rows", removed)
    return removed
