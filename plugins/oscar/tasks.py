"""Thin Celery tasks, enqueued on commit by the receivers so checkout is not slowed."""

from __future__ import annotations

from celery import shared_task
from celery.utils.log import get_task_logger
from django.db import OperationalError

logger = get_task_logger(__name__)
# A database hiccup is retried; every task is idempotent (order number, refund id, email).
RETRY = {"autoretry_for": (OperationalError,), "retry_backoff": True, "max_retries": 5}


@shared_task(**RETRY)
def record_oscar_order(order_id: int, referral_code: str = "", link_click: str = "") -> int | None:
    from .sync import record_order_of

    order = record_order_of(order_id, referral_code, link_click)
    logger.info("oscar order %s: parrain order %s", order_id, order.pk if order else "none")
    return order.pk if order else None


@shared_task(**RETRY)
def record_oscar_refund(order_id: int, status: str) -> int | None:
    from .sync import record_refund_of

    refund = record_refund_of(order_id, status)
    logger.info("oscar order %s now %s: refund %s", order_id, status, refund.pk if refund else "-")
    return refund.pk if refund else None


@shared_task(**RETRY)
def sync_oscar_customer(user_id: int, referral_code: str = "", link_click: str = "") -> int | None:
    from .sync import sync_customer

    contact = sync_customer(user_id, referral_code, link_click)
    logger.info("oscar user %s: contact %s", user_id, contact.pk if contact else "none")
    return contact.pk if contact else None


@shared_task(**RETRY)
def record_oscar_review(review_id: int) -> int | None:
    from .sync import record_review_of

    entry = record_review_of(review_id)
    logger.info("oscar review %s: loyalty line %s", review_id, entry.pk if entry else "none")
    return entry.pk if entry else None
