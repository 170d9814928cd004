"""``{% load parrain %}``: put a referral widget on any Django template.

``{% parrain_widget program "referrer" %}``, ``"referee"`` or ``"loyalty"`` (points, ledger
and badges of a signed-in customer); ``program`` is a Program or its slug. Options:
``identify=user`` signs an identity token for a logged-in user (their email and first name)
so the referrer and loyalty widgets open pre-identified with their stats, badges and
points; ``title="…"`` and ``colour="#…"`` override the program's.
``{% parrain_offer program %}`` shows the offer in force with a boost's countdown.
"""

from __future__ import annotations

from typing import Any

from django import template

from ..embed import render_widget
from ..identity import sign_identity
from ..models import Program

register = template.Library()


@register.simple_tag(takes_context=True)
def parrain_widget(
    context: template.Context,
    program: Program | str,
    kind: str = "referrer",
    identify: Any = None,
    title: str = "",
    colour: str = "",
) -> str:
    if not isinstance(program, Program):
        program = Program.objects.filter(slug=program, is_active=True).first()
        if program is None:
            return ""
    identity = ""
    if identify is not None and getattr(identify, "is_authenticated", False) and identify.email:
        identity = sign_identity(
            program, identify.email, first_name=getattr(identify, "first_name", "") or ""
        )
    return render_widget(
        program,
        kind,
        request=context.get("request"),
        identity=identity,
        title=title,
        colour=colour,
    )


@register.inclusion_tag("parrain/includes/offer.html")
def parrain_offer(program: Program | str, language: str = "") -> dict[str, Any]:
    """``{% parrain_offer program %}``: the offer in force, boosted with its end (in the
    program's time zone) and a live countdown while a boost runs (load
    ``parrain/countdown.js`` once on the page); it turns back to the normal offer by itself
    at the end. ``program`` is a Program or its slug; an unknown slug renders nothing."""
    from django.utils import translation

    from ..services.boosts import offer_view

    if not isinstance(program, Program):
        program = Program.objects.filter(slug=program, is_active=True).first()
        if program is None:
            return {"offer": None}
    language = language or translation.get_language() or program.default_language
    return {"offer": offer_view(program, language), "time_zone": program.tz()}


@register.simple_tag
def parrain_identity(program: Program, email: str, first_name: str = "") -> str:
    """The identity token alone, for pages that build the placeholder themselves."""
    return sign_identity(program, email, first_name=first_name)
