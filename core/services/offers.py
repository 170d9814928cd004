"""The reward terms in force for a program at a given moment.

Terms are frozen into invitations and rewards as plain dicts, so a later change of the
offer (or a boosted offer for a time window) never rewrites what was promised.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from django.utils import timezone
from pydantic import BaseModel

from ..formats import format_money
from ..memo import Memo
from ..models import Boost, Contact, Program, RewardRule
from ..models.choices import RewardKind, Side


class RewardTerms(BaseModel):
    rule_id: int | None = None
    source: str = "rule"  # "rule" (the normal offer), "badge" or "boost"
    boost_id: int | None = None  # the boost whose window held the invitation
    kind: RewardKind
    value: Decimal
    currency: str
    product_ref: str = ""
    minimum_order_amount: Decimal = Decimal("0")
    validity_days: int = 90
    labels: dict[str, str] = {}

    def as_json(self) -> dict:
        return self.model_dump(mode="json")


def terms_from_rule(rule: RewardRule) -> RewardTerms:
    return RewardTerms(
        rule_id=rule.pk,
        kind=RewardKind(rule.kind),
        value=rule.value,
        currency=rule.program.currency,
        product_ref=rule.product_ref,
        minimum_order_amount=rule.minimum_order_amount,
        validity_days=rule.validity_days,
        labels=rule.labels or {},
    )


def terms_at(
    program: Program, side: Side | str, when: datetime | None = None
) -> RewardTerms | None:
    """The terms for ``side`` at ``when`` (now by default): the boost's when one runs at
    that instant and has a rule for the side (source ``boost``), else the program's."""
    from ..memo import scoped

    if when is None:  # the same for every message of a batch (engine.send_due)
        return scoped(("terms_at", program.pk, str(side)), lambda: _terms_at(program, side))
    return _terms_at(program, side, when)


# A program's offers (its boosts not ended a day ago, its normal rule of each side), kept a
# few seconds per process: every order with a referral code freezes the referrer terms in
# force into its invitation, and these rows change a few times a year. This process
# forgets them at once when a program, rule, boost or badge is saved (core/receivers.py);
# other processes within OFFERS_SECONDS. A boost's window is compared with the moment
# itself, so a boost starts and ends on time whatever the memory holds.
OFFERS_SECONDS = 5
BOOST_HISTORY = timedelta(days=1)
_offers: Memo[tuple[datetime, list[Boost], dict[str, RewardRule | None]]] = Memo(
    seconds=OFFERS_SECONDS
)


def forget_offers() -> None:
    _offers.forget()


def _program_offers(
    program: Program,
) -> tuple[datetime, list[Boost], dict[str, RewardRule | None]]:
    def load() -> tuple[datetime, list[Boost], dict[str, RewardRule | None]]:
        since = timezone.now() - BOOST_HISTORY
        boosts = Boost.objects.select_related("referrer_rule__program", "referee_rule__program")
        recent = list(boosts.filter(program=program, ends_at__gt=since))  # newest start first
        rules = {str(side): program.rule(side) for side in (Side.REFERRER, Side.REFEREE)}
        return since, recent, rules

    return _offers.get(program.pk, load)


def _terms_at(
    program: Program, side: Side | str, when: datetime | None = None
) -> RewardTerms | None:
    from .boosts import running_boost

    at = when or timezone.now()
    since, boosts, rules = _program_offers(program)
    if at < since:  # a moment older than the memory: ask the database
        boost = running_boost(program, at)
        rule = program.rule(side)
    else:
        boost = next((b for b in boosts if b.starts_at <= at < b.ends_at), None)
        rule = rules[str(side)]
    if boost is not None:
        boost_rule = boost.referrer_rule if side == Side.REFERRER else boost.referee_rule
        if boost_rule is not None:
            return terms_from_rule(boost_rule).model_copy(
                update={"source": "boost", "boost_id": boost.pk}
            )
    return terms_from_rule(rule) if rule else None


def referrer_terms_at(
    program: Program, when: datetime | None = None, *, referrer: Contact | None = None
) -> RewardTerms | None:
    """The referrer reward in force at ``when``; for ``referrer``, the reward of the
    highest-ranked badge they hold that carries one (source ``badge``) replaces the
    program's, and competes with a running boost: the better one for the referrer wins
    (``better``). Frozen into each invitation: a badge won or lost later changes nothing
    already promised (docs/decisions/0007-badge-reward-rule.md, 0008-boost-terms.md)."""
    offer = terms_at(program, Side.REFERRER, when)
    if referrer is not None:
        from .badges import referrer_rule_for

        rule = referrer_rule_for(referrer)
        if rule is not None:
            badge = terms_from_rule(rule).model_copy(update={"source": "badge"})
            return better(offer, badge) if offer and offer.source == "boost" else badge
    return offer


def welcome_terms_at(program: Program, when: datetime | None = None) -> RewardTerms | None:
    return terms_at(program, Side.REFEREE, when)


#: Between terms of different kinds, which one is better (docs/decisions/0008-boost-terms.md).
SOURCE_RANK = {"boost": 2, "badge": 1, "rule": 0}


def better(current: RewardTerms, other: RewardTerms) -> RewardTerms:
    """The better of two terms for the one who earns them: of the same kind and currency,
    the higher value; else the higher source (boost, then badge, then the normal offer).
    A tie keeps ``current``."""
    if current.kind == other.kind and current.currency == other.currency:
        return other if other.value > current.value else current
    rank = SOURCE_RANK.get
    return other if (rank(other.source, 0) > rank(current.source, 0)) else current


def describe(terms: RewardTerms | dict | None, language: str = "en") -> str:
    """A short human label for the offer in ``language`` (the rule's own label wins, in the
    exact language or its primary subtag)."""
    from django.utils import translation
    from django.utils.translation import gettext as _

    if terms is None:
        return ""
    if isinstance(terms, dict):
        terms = RewardTerms.model_validate(terms)
    for tag in dict.fromkeys((language, language.split("-")[0])):  # "fr-ca", then "fr"
        if terms.labels.get(tag):
            return terms.labels[tag]
    with translation.override(language):
        value = f"{terms.value.normalize():f}"
        match terms.kind:
            case RewardKind.FIXED_AMOUNT:
                return _("%(amount)s off") % {"amount": format_money(terms.value, terms.currency)}
            case RewardKind.PERCENTAGE:
                return _("%(value)s%% off") % {"value": value}
            case RewardKind.FREE_SHIPPING:
                return _("free shipping")
            case RewardKind.FREE_PRODUCT:
                return _("a free product")
            case RewardKind.LOYALTY_POINTS:
                return _("%(value)s loyalty points") % {"value": value}
            case _kind:
                return _("a gift worth %(amount)s") % {
                    "amount": format_money(terms.value, terms.currency)
                }
