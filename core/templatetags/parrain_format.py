"""``{% load parrain_format %}``: codes and values as a shop owner reads them.

``{{ event.action|action_label }}``, ``{{ template.updated_by|actor_label }}``,
``{{ template.language|language_label }}``, ``{{ referral.review_reason|reason_label }}``,
``{{ order.amount|money:order.currency }}``, ``{{ contact.is_customer|yes_no }}``,
``{{ referral.invited_at|program_datetime:program }}`` (in the program's time zone);
``program_long_date`` / ``program_long_datetime`` spell the month ("19 septembre 2026",
"Sept. 19, 2026"), never a day/month order a reader may take the wrong way (09/10/2026).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import template

from .. import formats, labels

register = template.Library()


@register.filter
def action_label(code: str) -> str:
    return labels.action_label(code)


@register.filter
def reason_label(code: str) -> str:
    return labels.reason_label(code)


@register.filter
def actor_label(actor: str) -> str:
    return labels.actor_label(actor)


@register.filter
def language_label(code: str) -> str:
    return labels.language_label(code)


@register.filter
def money(amount: Any, currency: str = "") -> str:
    return formats.format_money(amount, currency)


@register.filter
def yes_no(value: Any) -> str:
    return formats.yes_no(value)


@register.filter
def program_datetime(value: datetime | None, program: Any) -> str:
    return formats.local_datetime(value, getattr(program, "time_zone", None) or None)


@register.filter
def program_date(value: datetime | None, program: Any) -> str:
    return formats.local_date(value, getattr(program, "time_zone", None) or None)


@register.filter
def program_long_date(value: datetime | None, program: Any) -> str:
    return formats.local_date(value, getattr(program, "time_zone", None) or None, "DATE_FORMAT")


@register.filter
def program_long_datetime(value: datetime | None, program: Any) -> str:
    zone = getattr(program, "time_zone", None) or None
    return formats.local_datetime(value, zone, "DATETIME_FORMAT")
