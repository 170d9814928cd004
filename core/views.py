from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from . import audit
from .messaging import contact_from_token


@csrf_exempt  # the signed token is the credential; mail clients POST one-click (RFC 8058)
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a confirmation button (mail scanners follow links); POST unsubscribes."""
    contact = contact_from_token(token)
    if contact is None:
        return render(request, "parrain/unsubscribe.html", {"invalid": True}, status=404)
    if request.method == "POST" and contact.unsubscribed_at is None:
        contact.unsubscribed_at = timezone.now()
        contact.save(update_fields=["unsubscribed_at"])
        audit.record(contact.program, "contact.unsubscribed", contact=contact, actor="contact")
    return render(request, "parrain/unsubscribe.html", {"contact": contact})
