from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils import timezone, translation
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from .api import problems, ratelimit
from .messaging import contact_from_token, language_for
from .models import HeldInvitation
from .models.choices import ConsentSource
from .services import clicks, confirmation, sharing
from .services.contacts import set_email_unsubscribed
from .services.enrolment import share_url


@csrf_exempt  # the signed token is the credential; mail clients POST one-click (RFC 8058)
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a confirmation button (mail scanners follow links); POST unsubscribes."""
    contact = contact_from_token(token)
    if contact is None:
        return render(request, "parrain/unsubscribe.html", {"invalid": True}, status=404)
    if request.method == "POST":
        set_email_unsubscribed(contact, True, actor="contact", source=ConsentSource.UNSUBSCRIBE)
    return render(request, "parrain/unsubscribe.html", {"contact": contact})


@csrf_exempt  # the signed token is the credential, as for unsubscribing
@require_http_methods(["GET", "POST"])
def confirm_email(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows the share link and a button (mail scanners follow links); POST confirms."""
    contact = confirmation.contact_from_confirmation(token)
    if contact is None:
        return render(request, "parrain/confirm_email.html", {"invalid": True}, status=404)
    with translation.override(language_for(contact)):
        context = {"contact": contact, "share_url": share_url(contact)}
        if request.method == "POST":
            context["release"] = confirmation.confirm_address(contact)
        else:
            context["held"] = HeldInvitation.objects.filter(referrer=contact).count()
        return render(request, "parrain/confirm_email.html", context)


@require_GET
def share_link(request: HttpRequest, code: str) -> HttpResponse:
    """``/r/<code>``: record the click, set ``parrain_ref`` (and ``parrain_ref_at``, when),
    redirect to the landing page.

    Limited per client IP (``share_link`` scope) before anything is looked up or written:
    one address cannot inflate a referrer's clicks or probe codes at speed. Counted in
    memory and shared in batches, like the clicks: the link makes no network round trip.
    """
    try:
        ratelimit.hit_buffered("share_link", ratelimit.client_ip(request))
    except ratelimit.RateLimited as exc:
        return _too_many_clicks(request, exc.retry_after)
    target = sharing.share_target(code)
    if target is None:
        raise Http404("unknown referral code")
    clicks.record_click(target.program_id, target.referrer_id)
    landing = sharing.landing_target(target.landing, target.code, request.GET.get("next"))
    response = HttpResponseRedirect(landing)
    for name, value in (
        (sharing.REFERRAL_COOKIE, target.code),
        (sharing.CLICK_COOKIE, sharing.click_value(target.code, timezone.now())),
    ):
        response.set_cookie(
            name, value, max_age=target.max_age, samesite="Lax", secure=request.is_secure()
        )
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response


def _too_many_clicks(request: HttpRequest, retry_after: int) -> HttpResponse:
    """429 with ``Retry-After``: a short page for a browser, problem details for the rest."""
    if request.accepts("text/html"):
        context = {"minutes": -(-retry_after // 60)}
        response = render(request, "parrain/share_link_limited.html", context, status=429)
        response["Retry-After"] = str(retry_after)
    else:
        response = problems.rate_limited(retry_after)
    response["Cache-Control"] = "no-store"
    return response
