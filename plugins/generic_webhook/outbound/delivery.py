"""One attempt at a time: sign, POST, log the attempt, then schedule, finish or disable.

The schedule is ``RETRY_DELAYS`` (Standard Webhooks: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h,
10 h after the first try). A ``Retry-After`` longer than the next delay is honoured. A 410
disables the endpoint at once; an endpoint failing for ``DISABLE_AFTER_DAYS`` is disabled
with that reason. Redirects are failures: they are never followed.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

import httpx
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..conf import webhook_settings
from ..http_client import UnsafeTarget, client
from ..models import (
    InboundDelivery,
    MessageStatus,
    OutboundAttempt,
    OutboundEndpoint,
    OutboundMessage,
)
from ..signals import delivery_attempted
from ..signing import sign_all

# What an attempt leaves its message as, for the ``delivery_attempted`` signal.
ATTEMPT_RESULTS = {MessageStatus.DELIVERED: "delivered", MessageStatus.FAILED: "failed"}


@dataclass(frozen=True)
class Response:
    status_code: int | None
    text: str = ""
    retry_after: str = ""
    error: str = ""
    duration_ms: int = 0


def body_of(message: OutboundMessage) -> bytes:
    return json.dumps(message.payload, cls=DjangoJSONEncoder, separators=(",", ":")).encode()


def signed_headers(message: OutboundMessage, at: datetime) -> dict[str, str]:
    timestamp = int(at.timestamp())
    return {
        "content-type": "application/json",
        "webhook-id": message.msg_id,
        "webhook-timestamp": str(timestamp),
        # Both signatures during the endpoint's grace period: the receiver can switch.
        "webhook-signature": sign_all(
            message.endpoint.signing_secrets(), message.msg_id, timestamp, body_of(message)
        ),
    }


def post(message: OutboundMessage) -> Response:
    started = time.monotonic()
    try:
        answer = client().post(  # the client's transport refuses private targets
            message.endpoint.url,
            content=body_of(message),
            headers=signed_headers(message, timezone.now()),  # signed when it leaves
        )
    except UnsafeTarget as exc:
        return Response(None, error=str(exc))
    except httpx.HTTPError as exc:
        elapsed = int((time.monotonic() - started) * 1000)
        return Response(None, error=f"{type(exc).__name__}: {exc}"[:300], duration_ms=elapsed)
    return Response(
        answer.status_code,
        text=answer.text[: webhook_settings.RESPONSE_EXCERPT_BYTES],
        retry_after=answer.headers.get("retry-after", ""),
        duration_ms=int((time.monotonic() - started) * 1000),
    )


def retry_after_seconds(value: str, now: datetime) -> int:
    if not value:
        return 0
    if value.strip().isdigit():
        return int(value)
    try:
        return max(0, int((parsedate_to_datetime(value) - now).total_seconds()))
    except (TypeError, ValueError):
        return 0


def next_delay(attempts_made: int, retry_after: int) -> int | None:
    """Seconds until the next attempt, or None when the schedule is used up."""
    delays = webhook_settings.RETRY_DELAYS
    if attempts_made > len(delays):
        return None
    return max(
        delays[attempts_made - 1], min(retry_after, webhook_settings.MAX_RETRY_AFTER_SECONDS)
    )


def disable(endpoint: OutboundEndpoint, reason: str, now: datetime) -> None:
    endpoint.is_active = False
    endpoint.disabled_at = now
    endpoint.disabled_reason = reason[:200]
    endpoint.save(update_fields=["is_active", "disabled_at", "disabled_reason"])


def attempt(
    message_id: int, now: datetime | None = None, *, force: bool = False
) -> OutboundMessage | None:
    """Make the next attempt of one message if it is due (or ``force``); None if not."""
    now = now or timezone.now()
    with transaction.atomic():
        message = (
            OutboundMessage.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("endpoint")
            .filter(pk=message_id, status=MessageStatus.PENDING, endpoint__is_active=True)
            .first()
        )
        if message is None or (
            not force and message.next_attempt_at and message.next_attempt_at > now
        ):
            return None
        response = post(message)
        _record(message, response, now)
        return message


def _record(message: OutboundMessage, response: Response, now: datetime) -> None:
    code = response.status_code
    succeeded = code is not None and 200 <= code < 300
    OutboundAttempt.objects.create(
        message=message,
        attempted_at=now,
        status_code=code,
        response_excerpt=response.text,
        error=response.error or ("" if succeeded or code is None else f"HTTP {code}"),
        duration_ms=response.duration_ms,
        succeeded=succeeded,
    )
    message.attempt_count += 1
    endpoint = message.endpoint
    if succeeded:
        message.status, message.delivered_at, message.next_attempt_at = (
            MessageStatus.DELIVERED,
            now,
            None,
        )
        if endpoint.failing_since:
            OutboundEndpoint.objects.filter(pk=endpoint.pk).update(failing_since=None)
    elif code == 410:
        message.status, message.next_attempt_at = MessageStatus.FAILED, None
        disable(endpoint, _("The receiver answered 410 Gone: it asked us to stop."), now)
    else:
        _schedule(message, retry_after_seconds(response.retry_after, now), now)
        _disable_if_failing_for_days(endpoint, now)
    message.save(update_fields=["status", "attempt_count", "next_attempt_at", "delivered_at"])
    delivery_attempted.send(
        sender=OutboundEndpoint,
        message=message,
        status_code=code,
        result=ATTEMPT_RESULTS.get(message.status, "retrying"),
    )


def _schedule(message: OutboundMessage, retry_after: int, now: datetime) -> None:
    delay = next_delay(message.attempt_count, retry_after)
    if delay is None:
        message.status, message.next_attempt_at = MessageStatus.FAILED, None
    else:
        message.next_attempt_at = now + timedelta(seconds=delay)


def _disable_if_failing_for_days(endpoint: OutboundEndpoint, now: datetime) -> None:
    if endpoint.failing_since is None:
        endpoint.failing_since = now
        endpoint.save(update_fields=["failing_since"])
        return
    days = webhook_settings.DISABLE_AFTER_DAYS
    if now - endpoint.failing_since >= timedelta(days=days):
        since = timezone.localtime(endpoint.failing_since).strftime("%Y-%m-%d %H:%M")
        disable(
            endpoint,
            _("Every attempt failed since %(since)s (%(days)s days).")
            % {"since": since, "days": days},
            now,
        )


def due_message_ids(now: datetime, limit: int = 500) -> list[int]:
    qs = OutboundMessage.objects.filter(
        status=MessageStatus.PENDING, endpoint__is_active=True, next_attempt_at__lte=now
    ).order_by("next_attempt_at", "pk")
    return list(qs.values_list("pk", flat=True)[:limit])


def retry_due(now: datetime | None = None, limit: int = 500) -> int:
    """Attempt every message whose next attempt is due; returns how many were attempted."""
    now = now or timezone.now()
    return sum(attempt(pk, now) is not None for pk in due_message_ids(now, limit))


def replay(message: OutboundMessage, now: datetime | None = None) -> None:
    """Send a message again from the start of the schedule (the admin's "replay")."""
    OutboundMessage.objects.filter(pk=message.pk).update(
        status=MessageStatus.PENDING, attempt_count=0, next_attempt_at=now or timezone.now()
    )


def enable(endpoint: OutboundEndpoint) -> None:
    OutboundEndpoint.objects.filter(pk=endpoint.pk).update(
        is_active=True, disabled_at=None, disabled_reason="", failing_since=None
    )


def purge_logs(now: datetime | None = None) -> int:
    """Delete inbound deliveries and finished outbound messages older than the retention."""
    cutoff = (now or timezone.now()) - timedelta(days=webhook_settings.KEEP_LOGS_DAYS)
    inbound, _ = InboundDelivery.objects.filter(received_at__lt=cutoff).delete()
    outbound, _ = (
        OutboundMessage.objects.filter(created_at__lt=cutoff)
        .exclude(status=MessageStatus.PENDING)
        .delete()
    )
    return inbound + outbound
