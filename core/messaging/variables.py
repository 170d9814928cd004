"""The variables a template may use (helper: templates). Flat names only: a template never
reaches an object, so the sandbox has no attribute to protect.

Contract:
- ``VARIABLES: dict[str, Variable]``: every documented name, with its label and help
  (gettext_lazy, FR/EN) and an example value for previews and test sends.
- ``KIND_VARIABLES: dict[MessageKind, tuple[str, ...]]``: the names each kind offers (the
  editors list them beside the template; saving a template that uses another is refused).
- ``context_for(message: ScheduledMessage) -> dict[str, str] | None``: the values at
  sending, read again from the message's subject and contact (a badge lost since, a reward
  cancelled: None, and the engine drops the message with MessageRule.SUBJECT_GONE).
- ``example_context(program, kind, language) -> dict[str, str]``: for previews/test sends.

Names (at least): contact_first_name, referrer_first_name, friend_first_name,
offer_referrer, offer_referee, welcome_code, share_link, reward_code, reward_label,
reward_expiry, badge_name, points_balance, contest_name, contest_prize, boost_label,
boost_ends, personal_message, confirm_link, review_link, unsubscribe_link, shop_name,
shop_address, program_name.

Every value is a string (empty when the message has none: ``{% if welcome_code %}``). A
person's name is blanked by ``messaging.plain_name`` when it is not a name (a web address,
a line break), as in the plain-text emails before: templates then say "a friend".
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.functional import Promise, lazy
from django.utils.translation import gettext_lazy as _

from ..models.choices import MessageKind


@dataclass(frozen=True)
class Variable:
    name: str
    label: str | Promise
    help: str | Promise
    example: str | Promise


def _day(days_from_today: int) -> str:
    return date_format(timezone.localdate() + timedelta(days=days_from_today), "DATE_FORMAT")


#: An example day, ``days_from_today`` after the day the example is read (an expiry in the
#: future, as a real one), written in the language active then.
_example_day = lazy(_day, str)


def _v(name: str, label: Promise, help: Promise, example: str | Promise) -> Variable:
    return Variable(name, label, help, example)


VARIABLES: dict[str, Variable] = {
    v.name: v
    for v in (
        _v(
            "contact_first_name",
            _("Contact's first name"),
            _(
                "The recipient's first name; empty when unknown (write “Hello{% if "
                "contact_first_name %} {{ contact_first_name }}{% endif %}”)."
            ),
            "Camille",
        ),
        _v(
            "referrer_first_name",
            _("Referrer's first name"),
            _("The name the referrer chose to show their friends; empty when none."),
            "Alice",
        ),
        _v(
            "friend_first_name",
            _("Friend's first name"),
            _("The first name of the friend who ordered; empty when unknown."),
            "Bob",
        ),
        _v(
            "offer_referrer",
            _("Referrer's reward"),
            _("What a referrer earns for each friend who orders."),
            _("10 EUR off"),
        ),
        _v(
            "offer_referee",
            _("Friend's welcome offer"),
            _("What an invited friend gets on their first order."),
            _("15% off"),
        ),
        _v(
            "welcome_code",
            _("Welcome code"),
            _("The friend's welcome code, once they claimed the offer."),
            "BIENVENUE-7K2Q",
        ),
        _v(
            "welcome_expiry",
            _("Welcome code expiry"),
            _("The last day the welcome code is valid; empty when it does not expire."),
            _example_day(30),
        ),
        _v(
            "share_link",
            _("Share link"),
            _("The referrer's personal link (in an invitation: the link of who invited)."),
            "https://shop.example/r/ALICE7",
        ),
        _v(
            "reward_code",
            _("Reward code"),
            _("The code of the reward or prize; empty until it is created."),
            "MERCI-3F9D",
        ),
        _v(
            "reward_label",
            _("Reward"),
            _("What the reward or prize gives."),
            _("10 EUR off"),
        ),
        _v(
            "reward_expiry",
            _("Reward expiry"),
            _("The last day the reward code is valid; empty when it does not expire."),
            _example_day(90),
        ),
        _v("badge_name", _("Badge"), _("The badge just earned."), _("Ambassador")),
        _v(
            "next_badge_name",
            _("Next badge"),
            _("The next badge to earn; empty when all are earned."),
            _("Champion"),
        ),
        _v(
            "next_badge_missing",
            _("Still to go for the next badge"),
            _("What the contact still lacks for the next badge; empty when all are earned."),
            _("38 more points"),
        ),
        _v(
            "points_balance",
            _("Points balance"),
            _("The contact's loyalty points balance."),
            "120",
        ),
        _v("contest_name", _("Contest"), _("The contest's public name."), _("Spring draw")),
        _v("contest_prize", _("Prize"), _("The prize won."), _("A hamper of teas")),
        _v(
            "contest_rules_link",
            _("Contest rules link"),
            _("The contest rules and the draw's verification data."),
            "https://shop.example/contest-rules",
        ),
        _v(
            "boost_label",
            _("Boosted offer"),
            _("What customers read about the boosted offer."),
            _("Double reward until Sunday"),
        ),
        _v(
            "boost_ends",
            _("Boost end"),
            _("The last day of the boosted offer."),
            _example_day(5),
        ),
        _v(
            "personal_message",
            _("Personal message"),
            _("The note the referrer wrote to their friend; empty when none."),
            _("You will love it!"),
        ),
        _v(
            "held_invitations",
            _("Invitations waiting"),
            _("How many invitations wait for the address to be confirmed; empty when none."),
            "4",
        ),
        _v(
            "confirm_link",
            _("Confirmation link"),
            _("The link that confirms the referrer's email address."),
            "https://shop.example/parrain/confirm/…/",
        ),
        _v(
            "review_link",
            _("Review link"),
            _("The shop's review page (program settings)."),
            "https://shop.example/reviews",
        ),
        _v(
            "unsubscribe_link",
            _("Unsubscribe link"),
            _("Stops every message of this program to the recipient (added to every email)."),
            "https://shop.example/parrain/unsubscribe/…/",
        ),
        _v("shop_name", _("Shop name"), _("The program's name, as customers know it."), ""),
        _v(
            "shop_address",
            _("Shop address"),
            _("The shop's postal address (program settings)."),
            "",
        ),
        _v("program_name", _("Program name"), _("The referral program's name."), ""),
    )
}

_COMMON = ("contact_first_name", "shop_name", "shop_address", "program_name", "unsubscribe_link")

KIND_VARIABLES: dict[MessageKind, tuple[str, ...]] = {
    MessageKind.INVITATION: (
        *_COMMON,
        "referrer_first_name",
        "offer_referee",
        "share_link",
        "personal_message",
    ),
    MessageKind.FRIEND_REMINDER: (
        *_COMMON,
        "referrer_first_name",
        "offer_referee",
        "share_link",
        "welcome_code",
        "welcome_expiry",
    ),
    MessageKind.WELCOME: (
        *_COMMON,
        "referrer_first_name",
        "offer_referee",
        "welcome_code",
        "welcome_expiry",
    ),
    MessageKind.INCITATION: (
        *_COMMON,
        "offer_referrer",
        "offer_referee",
        "share_link",
        "points_balance",
    ),
    MessageKind.REWARD: (
        *_COMMON,
        "friend_first_name",
        "reward_code",
        "reward_label",
        "reward_expiry",
        "offer_referrer",
        "share_link",
    ),
    MessageKind.REVIEW_REQUEST: (*_COMMON, "review_link", "share_link"),
    MessageKind.BADGE_AWARDED: (
        *_COMMON,
        "badge_name",
        "next_badge_name",
        "next_badge_missing",
        "points_balance",
        "share_link",
    ),
    MessageKind.CONTEST_WON: (
        *_COMMON,
        "contest_name",
        "contest_prize",
        "contest_rules_link",
        "reward_code",
        "reward_label",
        "reward_expiry",
    ),
    MessageKind.BOOST_ANNOUNCEMENT: (
        *_COMMON,
        "boost_label",
        "boost_ends",
        "offer_referrer",
        "offer_referee",
        "share_link",
    ),
    MessageKind.CONFIRMATION: (*_COMMON, "share_link", "confirm_link", "held_invitations"),
}

#: Names that are a person's name: blanked when they are not one (``plain_name``).
PERSON_NAMES = frozenset({"contact_first_name", "referrer_first_name", "friend_first_name"})

#: Values the trigger alone knows, kept in ``ScheduledMessage.context``.
TRIGGER_VALUES = frozenset({"personal_message"})


def _date(value: datetime | None, program: Any = None) -> str:
    """The day in the program's time zone, written for the reader ("31 décembre 2025",
    "Dec. 31, 2025"): values are computed in the recipient's language."""
    if value is None:
        return ""
    tz = program.tz() if program is not None else None
    return date_format(timezone.localtime(value, tz).date(), "DATE_FORMAT")


# -- values at sending ----------------------------------------------------------------------


class _Subject:
    """What a message is about, loaded once, with the people and objects it reaches."""

    def __init__(self, message: Any) -> None:
        self.message = message
        self.contact = message.contact
        self.program = message.program
        self.invitation = None
        self.referral = None
        self.reward = None
        self.holding = None
        self.winner = None
        self.boost = None
        self.order = None
        self.language = "en"
        self.extra: dict[str, Any] = {}


def _load(message: Any) -> _Subject | None:
    """The subject as it stands now; None when it is gone (the engine drops the message)."""
    from ..models import (
        BadgeHolding,
        Boost,
        ContestWinner,
        Invitation,
        Order,
        Referral,
        Reward,
    )
    from ..models.choices import ReferralStatus, RewardStatus

    subject = _Subject(message)
    kind, pk = message.subject_type, message.subject_id
    if not kind or kind == "contact":
        return subject
    if pk is None:
        return None
    if kind == "invitation":
        subject.invitation = Invitation.objects.select_related("referrer").filter(pk=pk).first()
        if subject.invitation is None:
            return None
        subject.referral = (
            Referral.objects.filter(invitation=subject.invitation)
            .exclude(status=ReferralStatus.CANCELLED)
            .first()
        )
    elif kind == "referral":
        subject.referral = (
            Referral.objects.select_related("referrer", "referee", "invitation")
            .filter(pk=pk)
            .exclude(status=ReferralStatus.CANCELLED)
            .first()
        )
        if subject.referral is None:
            return None
        subject.invitation = subject.referral.invitation
    elif kind == "reward":
        subject.reward = (
            Reward.objects.select_related("referral__referee")
            .filter(pk=pk)
            .exclude(status=RewardStatus.CANCELLED)
            .first()
        )
        if subject.reward is None:
            return None
        subject.referral = subject.reward.referral
    elif kind == "order":
        subject.order = Order.objects.filter(pk=pk).first()
        if subject.order is None:
            return None
    elif kind == "badgeholding":
        subject.holding = (
            BadgeHolding.objects.select_related("badge", "contact__program")
            .filter(pk=pk, contact=message.contact, lost_at__isnull=True)
            .first()
        )
        if subject.holding is None:
            return None
    elif kind == "contestwinner":
        subject.winner = ContestWinner.objects.filter(pk=pk).first()
        if subject.winner is None:
            return None
    elif kind == "boost":
        subject.boost = Boost.objects.filter(pk=pk).first()
        if subject.boost is None or subject.boost.ends_at <= timezone.now():
            return None
    else:
        return None
    return subject


def _referrer(s: _Subject) -> Any:
    if s.referral is not None:
        return s.referral.referrer
    if s.invitation is not None:
        return s.invitation.referrer
    return s.contact


def _referrer_first_name(s: _Subject) -> str:
    from ..services.enrolment import sharing_name

    referrer = _referrer(s)
    return "" if referrer is None or referrer.pk == s.contact.pk else sharing_name(referrer)


def _friend_first_name(s: _Subject) -> str:
    referral = s.referral
    if referral is None or referral.referee_id == s.contact.pk:
        return ""
    return referral.referee.first_name


def _share_link(s: _Subject) -> str:
    from ..services.enrolment import ensure_code, share_url

    referrer = _referrer(s)
    if referrer is None:
        return ""
    if referrer.pk == s.contact.pk and not referrer.referrer_code:
        ensure_code(referrer)  # a customer asked to refer gets their link
    return share_url(referrer)


def _offer_referee(s: _Subject) -> str:
    from ..services.offers import describe, welcome_terms_at
    from ..services.registration import invited_when

    when = None
    if s.referral is not None:
        when = invited_when(s.referral)
    elif s.invitation is not None:
        when = s.invitation.issued_at
    return describe(welcome_terms_at(s.program, when), s.language)


def _offer_referrer(s: _Subject) -> str:
    from ..services.offers import describe, referrer_terms_at

    if s.invitation is not None and s.invitation.referrer_id == s.contact.pk:
        return describe(s.invitation.referrer_terms, s.language)
    return describe(referrer_terms_at(s.program, referrer=s.contact), s.language)


def _welcome(s: _Subject) -> Any:
    from ..models import Reward
    from ..models.choices import RewardStatus, Side

    if not hasattr(s, "_welcome_reward"):
        s._welcome_reward = (
            None
            if s.referral is None
            else Reward.objects.filter(referral=s.referral, side=Side.REFEREE)
            .exclude(status__in=[RewardStatus.CANCELLED, RewardStatus.PENDING])
            .first()
        )
    return s._welcome_reward


def _the_reward(s: _Subject) -> Any:
    """The reward the message tells about: its subject, or the prize's."""
    from ..models import Reward
    from ..models.choices import RewardStatus

    if s.reward is not None:
        return s.reward
    if s.winner is not None:
        return (
            Reward.objects.filter(prize_winner=s.winner)
            .exclude(status=RewardStatus.CANCELLED)
            .first()
        )
    return None


def _reward_code(s: _Subject) -> str:
    from ..models.choices import RewardStatus

    reward = _the_reward(s)
    return (reward.code or "") if reward and reward.status != RewardStatus.PENDING else ""


def _reward_label(s: _Subject) -> str:
    from ..services.offers import describe

    if s.winner is not None:
        return s.extra.get("contest", {}).get("offer", "") or s.extra["contest"]["prize"]
    reward = _the_reward(s)
    return describe(reward.terms, s.language) if reward else ""


def _reward_expiry(s: _Subject) -> str:
    reward = _the_reward(s)
    return _date(reward.expires_at, s.program) if reward else ""


def _badge(s: _Subject) -> dict[str, Any]:
    from ..services.badges import message_context

    if "badge" not in s.extra:
        s.extra["badge"] = message_context(s.holding) if s.holding is not None else {}
    return s.extra["badge"]


def _points_balance(s: _Subject) -> str:
    if s.holding is not None:
        return str(_badge(s).get("points", {}).get("balance", 0))
    from ..services.loyalty import balance

    return str(balance(s.contact))


def _contest(s: _Subject) -> dict[str, Any]:
    return s.extra.get("contest", {})


def _boost_label(s: _Subject) -> str:
    from ..services.boosts import label

    return label(s.boost, s.language) if s.boost is not None else ""


def _confirm_link(s: _Subject) -> str:
    from ..services.confirmation import confirmation_url

    return confirmation_url(s.contact)


def _unsubscribe_link(s: _Subject) -> str:
    from . import unsubscribe_url

    return unsubscribe_url(s.contact)


_VALUES: dict[str, Callable[[_Subject], Any]] = {
    "contact_first_name": lambda s: s.contact.first_name,
    "referrer_first_name": _referrer_first_name,
    "friend_first_name": _friend_first_name,
    "offer_referrer": _offer_referrer,
    "offer_referee": _offer_referee,
    "welcome_code": lambda s: (_welcome(s).code or "") if _welcome(s) else "",
    "welcome_expiry": lambda s: _date(_welcome(s).expires_at, s.program) if _welcome(s) else "",
    "share_link": _share_link,
    "reward_code": _reward_code,
    "reward_label": _reward_label,
    "reward_expiry": _reward_expiry,
    "badge_name": lambda s: _badge(s).get("badge", {}).get("name", ""),
    "next_badge_name": lambda s: (_badge(s).get("next_badge") or {}).get("name", ""),
    "next_badge_missing": lambda s: (_badge(s).get("next_badge") or {}).get("missing", ""),
    "points_balance": _points_balance,
    "contest_name": lambda s: _contest(s).get("contest_title", ""),
    "contest_prize": lambda s: _contest(s).get("prize", ""),
    "contest_rules_link": lambda s: _contest(s).get("rules_url", ""),
    "boost_label": _boost_label,
    "boost_ends": lambda s: _date(s.boost.ends_at, s.program) if s.boost else "",
    "personal_message": lambda s: s.message.context.get("personal_message", ""),
    "confirm_link": _confirm_link,
    "held_invitations": lambda s: str(s.message.context.get("held") or ""),
    "review_link": lambda s: s.program.review_url,
    "unsubscribe_link": _unsubscribe_link,
    "shop_name": lambda s: s.program.name,
    "shop_address": lambda s: s.program.shop_address,
    "program_name": lambda s: s.program.name,
}


def context_for(message: Any, only: Collection[str] | None = None) -> dict[str, str] | None:
    """The variables of ``message`` (a ``ScheduledMessage``) as they stand now, in the
    recipient's language; None when what it is about is gone (badge lost, reward
    cancelled, prize redrawn, referral cancelled, boost over). ``only``: the names to
    compute (those the template reads, ``templates.compose``), every name of the kind by
    default."""
    from . import language_for, plain_name

    subject = _load(message)
    if subject is None:
        return None
    subject.language = language_for(message.contact)
    if subject.winner is not None:
        from ..services.contest_prizes import message_context

        contest = message_context(message.contact, {"winner_id": subject.winner.pk})
        if contest is None:
            return None
        subject.extra["contest"] = contest
    names = KIND_VARIABLES.get(MessageKind(message.kind), ())
    if only is not None:  # the template's own (compose): the others may cost a query each
        names = tuple(name for name in names if name in only)
    values: dict[str, str] = {}
    with translation.override(subject.language):
        for name in names:
            value = _VALUES[name](subject)
            values[name] = plain_name(value) if name in PERSON_NAMES else str(value or "")
    # Values only the trigger knew (the personal note): given as they were then.
    for name in TRIGGER_VALUES & set(names):
        values[name] = str(message.context.get(name) or values.get(name, ""))
    return values


def example_context(program: Any, kind: str, language: str) -> dict[str, str]:
    """Made-up values for every variable of ``kind`` (the program's own name and address),
    for previews and test sends."""
    with translation.override(language):
        values = {
            name: str(VARIABLES[name].example) for name in KIND_VARIABLES.get(MessageKind(kind), ())
        }
        for name in ("shop_name", "program_name"):
            if name in values:
                values[name] = program.name
        if "shop_address" in values:
            values["shop_address"] = program.shop_address
        if "review_link" in values and program.review_url:
            values["review_link"] = program.review_url
    return values
