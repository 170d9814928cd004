"""``{% load parrain_oscar %}{% parrain_oscar_widget %}``: the shop's referrer widget;
``{{ badge|parrain_badge_name }}``, ``|parrain_badge_image``: a badge in the page's language.

Renders the program's referrer widget pre-identified for the signed-in customer (identity
token signed server-side), for the order thank-you page and the account area. Renders
nothing when the shop runs no program.
"""

from __future__ import annotations

from django import template
from django.utils.translation import get_language

from parrain.core.models import Badge
from parrain.core.services.badges import image_url
from parrain.core.templatetags.parrain import parrain_widget

from ..program import shop_program

register = template.Library()


@register.simple_tag(takes_context=True)
def parrain_oscar_widget(
    context: template.Context, kind: str = "referrer", title: str = "", colour: str = ""
) -> str:
    program = shop_program()
    if program is None:
        return ""
    request = context.get("request")
    user = getattr(request, "user", None)
    return parrain_widget(context, program, kind, identify=user, title=title, colour=colour)


@register.filter
def parrain_badge_name(badge: Badge) -> str:
    """The badge's name in the page's language (falling back as ``Badge.name`` does)."""
    return badge.name(get_language() or "")


@register.filter
def parrain_badge_description(badge: Badge) -> str:
    return badge.description(get_language() or "")


@register.filter
def parrain_badge_image(badge: Badge) -> str:
    """The badge thumbnail's absolute URL, "" when it has no image."""
    return image_url(badge)
