"""The inbound endpoint: endpoint, size, content type, signature, duplicate, then the preset.

Until its signature verifies, a request is a stranger's and may cost us almost nothing: an
unknown program or source is a plain 404 and nothing is stored; a refused request keeps
only a short excerpt of its body and headers with the reason; refusals (and duplicates)
are rate-limited per client IP, past ``REFUSALS_PER_IP`` a 429 that stores nothing. A
verified delivery is stored whole with its result and reason. WooCommerce's unsigned
creation ping is answered 200 and not stored. Refusals are problem details with a 4xx
status; a handled or repeated delivery is a 200.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest, JsonResponse, UnreadablePostError
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from pydantic import ValidationError

from parrain.core.api.ratelimit import RateLimited, client_ip, hit
from parrain.core.api.server import prefers_async
from parrain.core.conf import parrain_settings
from parrain.core.exceptions import ParrainError
from parrain.core.inserts import InsertUnlessTaken, Taken
from parrain.core.prepared import Prepared

from .conf import webhook_settings
from .inbound import generic, saleor, shopify, woocommerce
from .inbound.base import Envelope, Outcome, Refusal, parse_json
from .inbound.translate import orders_in_background, queued
from .models import InboundDelivery, InboundEndpoint, Result, Source

logger = logging.getLogger("parrain.webhooks")

PRESETS: dict[str, Any] = {
    Source.GENERIC: generic,
    Source.SHOPIFY: shopify,
    Source.WOOCOMMERCE: woocommerce,
    Source.SALEOR: saleor,
}
SECRET_HEADERS = {"authorization", "cookie", "proxy-authorization", "x-api-key"}
PROBLEM = "application/problem+json"
# What is kept of a request whose signature did not verify.
EXCERPT_BYTES = 256
EXCERPT_HEADERS = 30
EXCERPT_HEADER_CHARS = 200
RATE_SCOPE = "webhook_refusal"


def safe_headers(request: HttpRequest, preset: Any) -> dict[str, str]:
    hidden = SECRET_HEADERS | set(getattr(preset, "SIGNATURE_HEADERS", ()))
    return {
        name: "[removed]" if name.lower() in hidden else value
        for name, value in request.headers.items()
    }


def _header_excerpt(request: HttpRequest, preset: Any) -> dict[str, str]:
    kept = list(safe_headers(request, preset).items())[:EXCERPT_HEADERS]
    return {name[:EXCERPT_HEADER_CHARS]: value[:EXCERPT_HEADER_CHARS] for name, value in kept}


def _text(body: bytes) -> str:
    # PostgreSQL text cannot hold NUL: keep a visible stand-in in the stored copy.
    return body.decode("utf-8", "replace").replace("\x00", "\ufffd")


def _declared_length(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


def _read_body(request: HttpRequest) -> bytes:
    """At most the limit plus one byte (to notice more); only an excerpt of a body declared
    over the limit."""
    limit = webhook_settings.MAX_BODY_BYTES
    wanted = EXCERPT_BYTES + 1 if _declared_length(request) > limit else limit + 1
    try:
        return request.read(wanted)
    except UnreadablePostError as exc:
        raise Refusal(400, "body_unreadable", _("The body could not be read.")) from exc


def _check_size(request: HttpRequest, body: bytes) -> None:
    limit = webhook_settings.MAX_BODY_BYTES
    if _declared_length(request) > limit or len(body) > limit:
        raise Refusal(
            413, "body_too_large", _("The body is over %(limit)s bytes.") % {"limit": limit}
        )


def _problem(
    status: int, reason: str, detail: str, delivery: InboundDelivery | None = None
) -> JsonResponse:
    body: dict[str, Any] = {
        "type": f"urn:parrain:webhooks:{reason}",
        "title": reason.replace("_", " "),
        "status": status,
        "detail": detail,
        "reason": reason,
    }
    if delivery is not None:
        body["delivery"] = delivery.pk
    return JsonResponse(body, status=status, content_type=PROBLEM)


#: An order accepted in the background: answered 202 (and so logged).
QUEUED = "order_queued"


def _answer(delivery: InboundDelivery) -> JsonResponse:
    return JsonResponse(
        {"result": delivery.result, "reason": delivery.reason, "delivery": delivery.pk},
        status=delivery.status_code if delivery.reason == QUEUED else 200,
    )


def _over_limit(request: HttpRequest) -> JsonResponse | None:
    """Count one refusal of the client's IP; the 429 to answer once it is over the limit."""
    try:
        hit(RATE_SCOPE, client_ip(request), rate=webhook_settings.REFUSALS_PER_IP)
    except RateLimited as exc:
        response = _problem(429, "rate_limited", exc.message)
        response["Retry-After"] = str(exc.retry_after)
        return response
    return None


@csrf_exempt
@require_POST
def receive(request: HttpRequest, program: str, source: str) -> JsonResponse:
    preset = PRESETS.get(source)
    endpoint = _endpoint(program, source) if preset is not None else None
    if endpoint is None:
        return _over_limit(request) or _problem(
            404, "unknown_endpoint", _("No active endpoint for this program and source.")
        )
    body = b""
    try:
        body = _read_body(request)
        _check_size(request, body)
        envelope = _check(endpoint, preset, request, body)
    except Refusal as refusal:
        return _refuse_unverified(request, endpoint, preset, body, refusal)
    if envelope.ping:
        return JsonResponse({"result": Result.ACCEPTED, "reason": "ping"}, status=200)
    delivery = InboundDelivery(
        endpoint=endpoint,
        headers=safe_headers(request, preset),
        body=_text(body),
        status_code=200,
        delivery_id=envelope.delivery_id,
        topic=envelope.topic[:120],
    )
    try:
        payload = parse_json(body)
        if source == Source.GENERIC:
            delivery.topic = generic.topic_of(payload)
        event_key = getattr(preset, "event_key", None)
        delivery.event_key = event_key(delivery.topic, payload, body) if event_key else ""
        return _process(request, delivery, preset, body)
    except Refusal as refusal:
        return _refuse(delivery, refusal.status, refusal.reason, refusal.detail)


def _endpoint(slug: str, source: str) -> InboundEndpoint | None:
    return _ENDPOINT.first(slug, source)


# Every delivery reads its endpoint, and every verified one asks whether it is a repeat:
# compiled once per process (core/prepared.py; issue 16 §5, orders through webhooks).
_ENDPOINT = Prepared(
    lambda slug, source: (
        InboundEndpoint.objects.select_related("program")
        .filter(program__slug=slug, source=source, is_active=True)
        .order_by("pk")[:1]
    ),
    "prepared-sample-slug",
    "prepared-sample-source",
)


def _check(endpoint: InboundEndpoint, preset: Any, request: HttpRequest, body: bytes) -> Envelope:
    is_ping = getattr(preset, "is_ping", None)
    if not (is_ping and is_ping(request, body)) and request.content_type != "application/json":
        raise Refusal(415, "unsupported_content_type", _("Send the webhook as application/json."))
    if not endpoint.secret and endpoint.source != Source.SALEOR:
        raise Refusal(401, "endpoint_not_configured", _("This endpoint has no signing secret yet."))
    return preset.verify(endpoint, request, body)


def _refuse_unverified(
    request: HttpRequest,
    endpoint: InboundEndpoint,
    preset: Any,
    body: bytes,
    refusal: Refusal,
) -> JsonResponse:
    """Store the reason and an excerpt only: the sender proved nothing yet."""
    limited = _over_limit(request)
    if limited is not None:
        return limited
    delivery = InboundDelivery(
        endpoint=endpoint,
        headers=_header_excerpt(request, preset),
        body=_text(body[:EXCERPT_BYTES]),
        body_truncated=len(body) > EXCERPT_BYTES,
        status_code=200,
    )
    return _refuse(delivery, refusal.status, refusal.reason, refusal.detail)


_INSERT_DELIVERY = InsertUnlessTaken(InboundDelivery)


class _Handled(Exception):
    """The delivery id or the event was handled before (a platform's retry, a replay)."""


def _claim(delivery: InboundDelivery) -> None:
    """Insert the delivery as handled, unless its id or event key is handled already: the
    unique indexes that keep a delivery handled once answer both the repeat and its
    concurrent twin (which waits for the first one's commit), in the same statement, so
    no read comes before it (issue 16 §5) and PostgreSQL logs no error for a repeat."""
    if not _INSERT_DELIVERY(delivery):
        raise _Handled


def _process(
    request: HttpRequest, delivery: InboundDelivery, preset: Any, body: bytes
) -> JsonResponse:
    endpoint = delivery.endpoint
    background = (
        prefers_async(request.headers.get("Prefer")) or parrain_settings.ORDERS_IN_BACKGROUND
    )
    # An order accepted in the background whose event writes nothing else: the claim goes
    # in the order's own statement (``accept_order``), and no transaction wraps it.
    alone = background and delivery.topic in getattr(preset, "ORDER_ONLY_TOPICS", ())
    try:
        with (
            contextlib.nullcontext() if alone else transaction.atomic(),
            orders_in_background(background, along=(_INSERT_DELIVERY, delivery) if alone else None),
        ):
            delivery.result = Result.ACCEPTED
            if background:  # the likely outcome, written by the claim: no UPDATE after it
                presumed = queued()
                delivery.reason, delivery.message = presumed.reason, presumed.detail
                delivery.status_code = 202
            if not alone:
                _claim(delivery)  # the delivery id and event key: a repeat or a twin stops here
            outcome = preset.handle(endpoint, delivery.topic, body)
            _finish(delivery, outcome)
    except (_Handled, Taken, IntegrityError):
        delivery.pk = None
        delivery._state.adding = True
        return _store_duplicate(request, delivery)
    except ValidationError as exc:
        delivery.pk = None
        return _refuse(delivery, 422, "invalid_payload", _validation_detail(exc))
    except ParrainError as exc:
        delivery.pk = None
        detail = f"{exc.field}: {exc.message}" if exc.field else exc.message
        return _refuse(delivery, exc.status if exc.status < 500 else 422, exc.code, detail)
    except Exception as exc:  # a bug must not turn into a 500 that the shop retries forever
        logger.exception("webhook %s %s could not be processed", endpoint, delivery.topic)
        delivery.pk = None
        return _refuse(delivery, 422, "processing_failed", type(exc).__name__)
    logger.info(
        "webhook %s %s: %s (%s)", endpoint, delivery.topic, delivery.result, delivery.reason
    )
    response = _answer(delivery)
    if delivery.reason == QUEUED and prefers_async(request.headers.get("Prefer")):
        response["Preference-Applied"] = "respond-async"
    return response


def _finish(delivery: InboundDelivery, outcome: Outcome) -> None:
    """The outcome on the delivery's row, unless its claim wrote it already (an order
    accepted in the background: one UPDATE less on that path, issue 16 §5). A delivery
    left to the order's statement that the order did not take (an event ignored before
    any write) is claimed here, with its outcome."""
    status_code = 202 if outcome.reason == QUEUED else 200
    written = (delivery.result, delivery.reason, delivery.message, delivery.status_code)
    if delivery.pk is not None and written == (
        outcome.result,
        outcome.reason,
        outcome.detail,
        status_code,
    ):
        return
    delivery.result, delivery.reason, delivery.message = (
        outcome.result,
        outcome.reason,
        outcome.detail,
    )
    delivery.status_code = status_code
    if delivery.pk is None:
        _claim(delivery)
    else:
        delivery.save(update_fields=["result", "reason", "message", "status_code"])


def _store_duplicate(request: HttpRequest, delivery: InboundDelivery) -> JsonResponse:
    """A repeat costs a row without its body (the first copy has it), within the IP's
    refusal budget: a replayed signed body cannot fill the disk either."""
    limited = _over_limit(request)
    if limited is not None:
        return limited
    delivery.result, delivery.reason = Result.DUPLICATE, "already_handled"
    delivery.body_truncated = len(delivery.body) > EXCERPT_BYTES
    delivery.body = delivery.body[:EXCERPT_BYTES]
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
