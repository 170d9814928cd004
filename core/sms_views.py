"""``/parrain/sms/inbound/``: the SMS provider forwards the replies it receives here.

Point the provider's "incoming message" webhook at this address with the shared token
``PARRAIN_SMS["INBOUND_TOKEN"]``, as ``Authorization: Bearer <token>`` or ``?token=<token>``.
The body is a form (``application/x-www-form-urlencoded`` or multipart) or a JSON object
holding the sender's number and the text:

- sender: ``From`` (Twilio), ``from``, ``msisdn`` (Vonage) or ``sender``;
- text: ``Body`` (Twilio), ``text``, ``body`` or ``message``.

A text that says stop ("STOP", "STOP SMS", "ARRET", "ARRÊT", "UNSUBSCRIBE", in any case,
with or without accents) unsubscribes every contact with that number from SMS; any other
text is acknowledged and changes nothing. Answers: 200 ``{"stop": bool, "unsubscribed":
n}``; 400 when the sender or text is missing or the number is not valid; 403 for a wrong
token; 404 while no token is set (the endpoint is off); 429 past the ``sms_inbound`` rate.
"""

from __future__ import annotations

import hmac
import json
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from .api import problems, ratelimit
from .conf import parrain_settings
from .messaging.sms import is_stop, sender_number
from .services.contacts import sms_unsubscribe

SENDER_FIELDS = ("From", "from", "msisdn", "sender")
TEXT_FIELDS = ("Body", "text", "body", "message")


@csrf_exempt  # a provider's server calls it; the shared token is the credential
@require_POST
def sms_inbound(request: HttpRequest) -> HttpResponse:
    try:
        ratelimit.hit("sms_inbound", ratelimit.client_ip(request))
    except ratelimit.RateLimited as exc:
        return problems.rate_limited(exc.retry_after)
    expected = parrain_settings.SMS.INBOUND_TOKEN
    if not expected:
        return problems.problem(
            404, "not-found", _("Inbound SMS are not set up (PARRAIN_SMS INBOUND_TOKEN).")
        )
    if not hmac.compare_digest(_token(request).encode(), expected.encode()):
        return problems.problem(403, "forbidden", _("Send the inbound SMS token."))
    data = _fields(request)
    if data is None:
        return problems.problem(400, "malformed", _("The request body is not valid JSON."))
    return _handle(*(_first(data, names) for names in (SENDER_FIELDS, TEXT_FIELDS)))


def _handle(raw_sender: str | None, text: str | None) -> HttpResponse:
    errors = []
    if not raw_sender:
        errors.append(("From", _("The sender's number is required (From, from or msisdn).")))
    if text is None:
        errors.append(("Body", _("The message text is required (Body or text).")))
    if errors:
        return problems.problem(400, "invalid-input", _("Some fields are missing."), errors=errors)
    try:
        number = sender_number(str(raw_sender))
    except ValueError:
        return problems.problem(
            400,
            "invalid-input",
            _("The sender is not a valid phone number."),
            errors=[("From", _("Not a valid phone number."))],
        )
    stop = is_stop(str(text))
    unsubscribed = sms_unsubscribe(number) if stop else 0
    return JsonResponse({"stop": stop, "unsubscribed": unsubscribed})


def _token(request: HttpRequest) -> str:
    scheme, _space, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return request.GET.get("token", "")


def _fields(request: HttpRequest) -> dict[str, Any] | None:
    """The body's fields; None for a JSON body that is not an object."""
    if request.content_type == "application/json":
        try:
            data = json.loads(request.body or b"null")
        except ValueError:
            return None
        return data if isinstance(data, dict) else None
    return request.POST.dict()


def _first(data: dict[str, Any], names: tuple[str, ...]) -> str | None:
    for name in names:
        value = data.get(name)
        if isinstance(value, (str, int)) and not isinstance(value, bool):
            return str(value)
    return None
