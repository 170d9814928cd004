"""Boosted offers: set up, validated, and read by the offer terms (``offers.terms_at``).

Contract (issue 12) — signatures shared by every adapter; bodies marked TODO are being
built in branch ``i12-boost-core``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils import timezone

from ..models import Boost, Program


@dataclass(frozen=True)
class OfferView:
    """What a widget, block or account page shows for a program at one moment."""

    referrer_reward: str  # in force now (the boost's when one runs)
    welcome_offer: str
    boost: Boost | None  # the running boost, if any
    boost_label: str  # the boost's label in the asked language ("" without a boost)
    ends_at: datetime | None  # the running boost's end (for the countdown)
    normal_referrer_reward: str  # what the offer returns to at ``ends_at``
    normal_welcome_offer: str


def running_boost(program: Program, at: datetime | None = None) -> Boost | None:
    """The boost whose window holds ``at`` (start included, end excluded), if any."""
    at = at or timezone.now()
    return (
        Boost.objects.select_related("referrer_rule", "referee_rule")
        .filter(program=program, starts_at__lte=at, ends_at__gt=at)
        .first()
    )


def label(boost: Boost, language: str) -> str:
    """The boost's customer label in ``language`` (primary subtag, then any), never empty."""
    for tag in dict.fromkeys((language, language.split("-")[0])):
        if boost.labels.get(tag):
            return boost.labels[tag]
    return next((text for text in boost.labels.values() if text), boost.name)


def offer_view(program: Program, language: str, at: datetime | None = None) -> OfferView:
    from .offers import describe, terms_from_rule

    at = at or timezone.now()
    normal_referrer = program.rule("referrer")
    normal_referee = program.rule("referee")
    normal_r = describe(terms_from_rule(normal_referrer), language) if normal_referrer else ""
    normal_w = describe(terms_from_rule(normal_referee), language) if normal_referee else ""
    boost = running_boost(program, at)
    if boost is None:
        return OfferView(normal_r, normal_w, None, "", None, normal_r, normal_w)
    referrer = describe(terms_from_rule(boost.referrer_rule), language)
    welcome = (
        describe(terms_from_rule(boost.referee_rule), language) if boost.referee_rule else normal_w
    )
    return OfferView(
        referrer, welcome, boost, label(boost, language), boost.ends_at, normal_r, normal_w
    )


# --- TODO in i12-boost-core -----------------------------------------------------------


def create_boost(program: Program, *, actor: str = "admin", **fields: Any) -> Boost:
    """Validate (end after start, no overlap with another boost of the program — the error
    names it, reward rule of a valid kind) and create; audited ``boost.created``.
    Raises ``core.exceptions.InvalidInput`` with ``field`` set."""
    raise NotImplementedError


def update_boost(boost: Boost, *, actor: str = "admin", **fields: Any) -> Boost:
    """Before the start anything may change; once started only ``ends_at`` (extend or
    shorten, never before now) and labels; audited ``boost.updated``."""
    raise NotImplementedError


def delete_boost(boost: Boost, *, actor: str = "admin") -> None:
    """Only a boost that has not started; audited ``boost.deleted``."""
    raise NotImplementedError


def announce_boosts(at: datetime | None = None) -> tuple[list[Boost], list[Boost]]:
    """Emit ``boost_started`` / ``boost_ended`` once each (periodic task); returns them."""
    raise NotImplementedError


def comparison(boost: Boost) -> dict[str, Any]:
    """The boost window against the same length just before it: invitations, conversions,
    conversion rate, referred revenue — ``{"boost": {...}, "before": {...}, "window":
    (start, end), "before_window": (start, end)}``; a running boost counts up to now."""
    raise NotImplementedError
