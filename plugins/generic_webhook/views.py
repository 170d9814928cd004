"""The inbound endpoint: size, content type, signature, duplicate, then the platform preset.

Every request is stored (``InboundDelivery``) with its result and reason. Refusals are
problem details with a 4xx status; a handled or repeated delivery is a 200.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest, JsonResponse, UnreadablePostError
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from pydantic import ValidationError

from parrain.core.exceptions import ParrainError

from .conf import webhook_settings
from .inbound import generic, saleor, shopify, woocommerce
from .inbound.base import Envelope, Outcome, Refusal
from .models import HANDLED, InboundDelivery, InboundEndpoint, Result, Source

logger = logging.getLogger("parrain.webhooks")

PRESETS: dict[str, Any] = {
    Source.GENERIC: generic,
    Source.SHOPIFY: shopify,
    Source.WOOCOMMERCE: woocommerce,
    Source.SALEOR: saleor,
}
SECRET_HEADERS = {"authorization", "cookie", "proxy-authorization", "x-api-key"}
PROBLEM = "application/problem+json"


def safe_headers(request: HttpRequest, preset: Any) -> dict[str, str]:
    hidden = SECRET_HEADERS | set(getattr(preset, "SIGNATURE_HEADERS", ()))
    return {
        name: "[removed]" if name.lower() in hidden else value
        for name, value in request.headers.items()
    }


def _read_body(request: HttpRequest, delivery: InboundDelivery) -> bytes:
    """Read at most the limit (plus one byte to notice more); keep what fits for the log."""
    limit = webhook_settings.MAX_BODY_BYTES
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    try:
        body = request.read(limit + 1)
    except UnreadablePostError as exc:
        raise Refusal(400, "body_unreadable", _("The body could not be read.")) from exc
    # PostgreSQL text cannot hold NUL: keep a visible stand-in in the stored copy.
    delivery.body = body[:limit].decode("utf-8", "replace").replace("\x00", "\ufffd")
    if declared > limit or len(body) > limit:
        delivery.body_truncated = True
        raise Refusal(
            413, "body_too_large", _("The body is over %(limit)s bytes.") % {"limit": limit}
        )
    return body


def _problem(status: int, reason: str, detail: str, delivery: InboundDelivery) -> JsonResponse:
    body = {
        "type": f"urn:parrain:webhooks:{reason}",
        "title": reason.replace("_", " "),
        "status": status,
        "detail": detail,
        "reason": reason,
        "delivery": delivery.pk,
    }
    return JsonResponse(body, status=status, content_type=PROBLEM)


def _answer(delivery: InboundDelivery) -> JsonResponse:
    return JsonResponse(
        {"result": delivery.result, "reason": delivery.reason, "delivery": delivery.pk}, status=200
    )


@csrf_exempt
@require_POST
def receive(request: HttpRequest, program: str, source: str) -> JsonResponse:
    preset = PRESETS.get(source)
    delivery = InboundDelivery(headers=safe_headers(request, preset), status_code=200)
    try:
        body = _read_body(request, delivery)
        endpoint = _endpoint(program, source)
        delivery.endpoint = endpoint
        envelope = _check(endpoint, preset, request, body)
        delivery.delivery_id, delivery.topic = envelope.delivery_id, envelope.topic[:120]
        if not envelope.ping:
            payload = _parse(body)
            if source == Source.GENERIC:
                delivery.topic = generic.topic_of(payload)
        return _process(delivery, endpoint, preset, envelope, body)
    except Refusal as refusal:
        return _refuse(delivery, refusal.status, refusal.reason, refusal.detail)


def _endpoint(slug: str, source: str) -> InboundEndpoint:
    endpoint = (
        InboundEndpoint.objects.select_related("program")
        .filter(program__slug=slug, source=source, is_active=True)
        .first()
    )
    if endpoint is None:
        raise Refusal(404, "unknown_endpoint", _("No active endpoint for this program and source."))
    return endpoint


def _check(endpoint: InboundEndpoint, preset: Any, request: HttpRequest, body: bytes) -> Envelope:
    is_ping = getattr(preset, "is_ping", None)
    if not (is_ping and is_ping(request, body)) and request.content_type != "application/json":
        raise Refusal(415, "unsupported_content_type", _("Send the webhook as application/json."))
    if not endpoint.secret and endpoint.source != Source.SALEOR:
        raise Refusal(401, "endpoint_not_configured", _("This endpoint has no signing secret yet."))
    return preset.verify(endpoint, request, body)


def _parse(body: bytes) -> Any:
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise Refusal(
            400, "malformed_json", _("The body is not valid JSON: %(error)s") % {"error": exc}
        ) from exc
    if _holds_nul(payload):
        raise Refusal(400, "malformed_json", _("Text with NUL characters is not accepted."))
    return payload


def _holds_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(k) or _holds_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_holds_nul(v) for v in value)
    return False


def _duplicate(endpoint: InboundEndpoint, delivery_id: str) -> bool:
    return (
        bool(delivery_id)
        and InboundDelivery.objects.filter(
            endpoint=endpoint, delivery_id=delivery_id, result__in=HANDLED
        ).exists()
    )


def _process(
    delivery: InboundDelivery,
    endpoint: InboundEndpoint,
    preset: Any,
    envelope: Envelope,
    body: bytes,
) -> JsonResponse:
    if _duplicate(endpoint, envelope.delivery_id):
        return _store_duplicate(delivery)
    try:
        with transaction.atomic():
            delivery.result = Result.ACCEPTED
            delivery.save()  # claims the delivery id; a concurrent twin fails here
            outcome = preset.handle(endpoint, envelope.topic, body)
            _finish(delivery, outcome)
    except IntegrityError:
        delivery.pk = None
        return _store_duplicate(delivery)
    except ValidationError as exc:
        delivery.pk = None
        return _refuse(delivery, 422, "invalid_payload", _validation_detail(exc))
    except ParrainError as exc:
        delivery.pk = None
        return _refuse(delivery, exc.status if exc.status < 500 else 422, exc.code, exc.message)
    except Exception as exc:  # a bug must not turn into a 500 that the shop retries forever
        logger.exception("webhook %s %s could not be processed", endpoint, delivery.topic)
        delivery.pk = None
        return _refuse(delivery, 422, "processing_failed", type(exc).__name__)
    logger.info(
        "webhook %s %s: %s (%s)", endpoint, delivery.topic, delivery.result, delivery.reason
    )
    return _answer(delivery)


def _finish(delivery: InboundDelivery, outcome: Outcome) -> None:
    delivery.result, delivery.reason, delivery.message = (
        outcome.result,
        outcome.reason,
        outcome.detail,
    )
    delivery.save(update_fields=["result", "reason", "message"])


def _store_duplicate(delivery: InboundDelivery) -> JsonResponse:
    delivery.result, delivery.reason = Result.DUPLICATE, "already_handled"
    delivery.save()
    return _answer(delivery)


def _refuse(delivery: InboundDelivery, status: int, reason: str, detail: str) -> JsonResponse:
    delivery.result, delivery.status_code = Result.REFUSED, status
    delivery.reason, delivery.message = reason[:120], detail
    delivery.save()
    logger.warning("webhook refused (%s): %s", reason, detail)
    return _problem(status, reason, detail, delivery)


def _validation_detail(exc: ValidationError) -> str:
    errors = exc.errors(include_url=False)[:5]
    return "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in errors)
