"""``{% load parrain_oscar %}{% parrain_oscar_widget %}``: the shop's referrer widget.

Renders the program's referrer widget pre-identified for the signed-in customer (identity
token signed server-side), for the order thank-you page and the account area. Renders
nothing when the shop runs no program.
"""

from __future__ import annotations

from django import template

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
