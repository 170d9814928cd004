"""Boosted offers: set up, validated, and read by the offer terms (``offers.terms_at``).

Every change a shop owner makes to a boost goes through ``create_boost`` / ``update_boost``
/ ``delete_boost`` (the Django admin, the Oscar dashboard, Wagtail and the server API wrap
``core.forms.boost.BoostForm`` or call them): checked (a clear message naming the field,
nothing stored on refusal), serialised on the program's row lock (two admins cannot create
overlapping boosts), audited. A boost owns its reward rules: they are copied from the spec
given, never shared with the normal offer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import audit, signals
from ..exceptions import InvalidInput
from ..locks import row_for_update
from ..models import Boost, Contest, Program, RewardRule
from ..models.choices import RewardKind, Side
from .texts import per_language


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


def status(boost: Boost, at: datetime | None = None) -> str:
    """``scheduled``, ``running`` or ``ended`` at ``at`` (now)."""
    at = at or timezone.now()
    if at < boost.starts_at:
        return "scheduled"
    return "running" if at < boost.ends_at else "ended"


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


# --- setting up a boost ----------------------------------------------------------------

#: What a boost is made of; ``referrer_reward`` / ``welcome_offer`` are reward specs
#: (``kind``, ``value``, ``product_ref``, ``minimum_order_amount``, ``validity_days``) or a
#: ``RewardRule`` to copy; the boost keeps its own rule rows.
FIELDS = {"name", "labels", "starts_at", "ends_at", "referrer_reward", "welcome_offer", "contest"}
#: What may still change once the boost has started (invitations carry its reward).
AFTER_START = {"ends_at", "labels"}
REQUIRED = ("name", "starts_at", "ends_at", "referrer_reward")
NAME_LENGTH, LABEL_LENGTH = 120, 120
MAX_VALIDITY_DAYS = 3660
MAX_AMOUNT = Decimal("9999999999.99")
#: A boost may be created "now" from a form whose inputs have minute precision.
START_TOLERANCE = timedelta(minutes=5)
REWARD_KEYS = ("kind", "value", "product_ref", "minimum_order_amount", "validity_days")


def create_boost(program: Program, *, actor: str = "admin", **fields: Any) -> Boost:
    """Validate (end after start, no overlap with another boost of the program — the error
    names it, reward rule of a valid kind) and create; audited ``boost.created``.
    Raises ``core.exceptions.InvalidInput`` with ``field`` set."""
    fields.setdefault("labels", {})
    fields.setdefault("welcome_offer", None)
    with transaction.atomic():
        program = row_for_update(Program, program.pk)
        values = _checked(program, None, fields)
        boost = Boost(program=program)
        _store(boost, values)
        audit.record(program, "boost.created", actor=actor, **_summary(boost))
    return boost


def update_boost(boost: Boost, *, actor: str = "admin", **fields: Any) -> Boost:
    """Before the start anything may change; once started only ``ends_at`` (extend or
    shorten, never before now) and labels; audited ``boost.updated``."""
    with transaction.atomic():
        program = row_for_update(Program, boost.program_id)
        boost = _locked(boost.pk)
        values = _checked(program, boost, fields)
        changed = _store(boost, values)
        if changed:
            audit.record(
                program,
                "boost.updated",
                actor=actor,
                fields=",".join(changed),
                **_summary(boost),
            )
    return boost


def delete_boost(boost: Boost, *, actor: str = "admin") -> None:
    """Only a boost that has not started; audited ``boost.deleted``."""
    with transaction.atomic():
        program = row_for_update(Program, boost.program_id)
        boost = _locked(boost.pk)
        if boost.has_started():
            raise InvalidInput(
                _(
                    "This boost has started: invitations already carry its reward, so it "
                    "cannot be deleted. Shorten its end instead."
                ),
                field="starts_at",
            )
        summary = _summary(boost)
        rules = [boost.referrer_rule, boost.referee_rule]
        boost.delete()
        for rule in rules:
            if rule is not None:
                rule.delete()
        audit.record(program, "boost.deleted", actor=actor, **summary)


def check_boost(program: Program, boost: Boost | None, fields: Mapping[str, Any]) -> None:
    """Raise what ``create_boost`` (``boost`` None) or ``update_boost`` would for
    ``fields``, storing nothing: forms show the refusal beside its field."""
    _checked(program, boost, dict(fields))


def reward_spec(rule: RewardRule | None) -> dict[str, Any] | None:
    """The reward spec of a rule, as ``create_boost`` takes it (None for no rule)."""
    if rule is None:
        return None
    return {key: getattr(rule, key) for key in REWARD_KEYS}


def _locked(pk: int) -> Boost:
    return (
        Boost.objects.order_by("pk")
        .select_for_update(of=("self",))
        .select_related("program", "referrer_rule", "referee_rule")
        .get(pk=pk)
    )


def _summary(boost: Boost) -> dict[str, Any]:
    return {
        "boost": boost.pk,
        "name": boost.name,
        "starts_at": boost.starts_at.isoformat(),
        "ends_at": boost.ends_at.isoformat(),
    }


def _checked(program: Program, boost: Boost | None, fields: dict[str, Any]) -> dict[str, Any]:
    """The checked values of ``fields`` (only those given), or the first refusal."""
    unknown = sorted(set(fields) - FIELDS)
    if unknown:
        raise InvalidInput(
            _("Unknown boost field: %(field)s.") % {"field": unknown[0]}, field=unknown[0]
        )
    now = timezone.now()
    if boost is None:
        missing = [f for f in REQUIRED if f not in fields]
        if missing:
            raise InvalidInput(_("This field is required."), field=missing[0])
    elif boost.has_started(now):
        _refuse_started_changes(boost, fields, now)
    values: dict[str, Any] = {}
    for name, value in fields.items():
        values[name] = _CHECKS[name](program, value)
    starts_at = values.get("starts_at", boost.starts_at if boost else None)
    ends_at = values.get("ends_at", boost.ends_at if boost else None)
    moved = {n for n in ("starts_at", "ends_at") if n in values and values[n] != _was(boost, n)}
    if "starts_at" in moved and starts_at < now - START_TOLERANCE:
        raise InvalidInput(
            _("A boost cannot start in the past: invitations already issued keep their terms."),
            field="starts_at",
        )
    if ends_at <= starts_at:
        raise InvalidInput(_("The boost must end after it starts."), field="ends_at")
    if "ends_at" in moved and boost is not None and boost.has_started(now) and ends_at < now:
        raise InvalidInput(
            _("A running boost can end now at the earliest, not in the past."), field="ends_at"
        )
    _refuse_overlap(program, boost, starts_at, ends_at)
    return values


def _was(boost: Boost | None, name: str) -> Any:
    return getattr(boost, name) if boost is not None else None


def _refuse_started_changes(boost: Boost, fields: Mapping[str, Any], now: datetime) -> None:
    for name, value in fields.items():
        if name in AFTER_START or _same(boost, name, value):
            continue
        raise InvalidInput(
            _(
                "This boost has started: invitations already carry this reward, so only its "
                "end and its labels can change."
            ),
            field=name,
        )
    if boost.ends_at <= now and "ends_at" in fields and fields["ends_at"] != boost.ends_at:
        raise InvalidInput(
            _("This boost has ended; create a new boost for another period."), field="ends_at"
        )


def _same(boost: Boost, name: str, value: Any) -> bool:
    """True when an unchanged value is sent again (a form or a PUT sends every field)."""
    if name in ("referrer_reward", "welcome_offer"):
        rule = boost.referrer_rule if name == "referrer_reward" else boost.referee_rule
        try:
            spec = _reward(boost.program, value, name, optional=name == "welcome_offer")
        except InvalidInput:
            return False
        return spec == reward_spec(rule)
    if name == "contest":
        return _pk(value) == boost.contest_id
    return getattr(boost, name) == value


def _refuse_overlap(
    program: Program, boost: Boost | None, starts_at: datetime, ends_at: datetime
) -> None:
    others = Boost.objects.filter(program=program, starts_at__lt=ends_at, ends_at__gt=starts_at)
    other = others.exclude(pk=boost.pk if boost else None).order_by("starts_at").first()
    if other is None:
        return
    zone = program.tz()
    raise InvalidInput(
        _(
            "This period overlaps the boost “%(name)s” (from %(start)s to %(end)s); boosts "
            "of a program may not overlap."
        )
        % {
            "name": other.name,
            "start": timezone.localtime(other.starts_at, zone).strftime("%Y-%m-%d %H:%M"),
            "end": timezone.localtime(other.ends_at, zone).strftime("%Y-%m-%d %H:%M %Z"),
        },
        field="starts_at",
        boost=other.pk,
    )


def _store(boost: Boost, values: Mapping[str, Any]) -> list[str]:
    """Write the checked values (the boost's own reward rules with them); the names of
    the fields that changed."""
    changed = []
    for name, value in values.items():
        if name == "referrer_reward":
            if _set_rule(boost, "referrer_rule", Side.REFERRER, value):
                changed.append(name)
        elif name == "welcome_offer":
            if _set_rule(boost, "referee_rule", Side.REFEREE, value):
                changed.append(name)
        elif getattr(boost, name if name != "contest" else "contest") != value:
            setattr(boost, name, value)
            changed.append(name)
    orphan = getattr(boost, "_orphan_rule", None)
    if changed or boost.pk is None:
        boost.save()
    if orphan is not None:
        orphan.delete()
    return changed


def _set_rule(boost: Boost, attr: str, side: str, spec: dict[str, Any] | None) -> bool:
    rule: RewardRule | None = getattr(boost, attr) if getattr(boost, f"{attr}_id") else None
    if spec == reward_spec(rule):
        return False
    if spec is None:
        boost._orphan_rule = rule  # type: ignore[attr-defined]  # deleted once unlinked
        setattr(boost, attr, None)
        return True
    rule = rule or RewardRule(program=boost.program, side=side)
    for key, value in spec.items():
        setattr(rule, key, value)
    rule.save()
    setattr(boost, attr, rule)
    return True


# --- checks of one field ------------------------------------------------------------------


def _name(program: Program, value: Any) -> str:
    name = str(value or "").strip()
    if not name:
        raise InvalidInput(_("Give the boost a name."), field="name")
    if len(name) > NAME_LENGTH:
        raise InvalidInput(
            _("At most %(length)s characters.") % {"length": NAME_LENGTH}, field="name"
        )
    return name


def _labels(program: Program, value: Any) -> dict[str, str]:
    return per_language(program, value, "labels", LABEL_LENGTH)


def _instant(field: str):  # type: ignore[no-untyped-def]
    def check(program: Program, value: Any) -> datetime:
        if not isinstance(value, datetime):
            raise InvalidInput(_("Give a date and time."), field=field)
        if timezone.is_naive(value):  # read in the program's time zone
            return timezone.make_aware(value, program.tz())
        return value

    return check


def _reward(program: Program, value: Any, field: str, optional: bool) -> dict[str, Any] | None:
    if value is None or value == {}:
        if optional:
            return None
        raise InvalidInput(_("Choose the referrer reward during the boost."), field=field)
    if isinstance(value, RewardRule):
        value = reward_spec(value)
    if not isinstance(value, Mapping):
        raise InvalidInput(_("Give the reward's kind and value."), field=field)
    unknown = sorted(set(value) - set(REWARD_KEYS))
    if unknown:
        raise InvalidInput(_("Unknown reward field."), field=f"{field}.{unknown[0]}")
    kind = value.get("kind")
    if kind not in RewardKind.values:
        raise InvalidInput(_("Choose a kind of reward."), field=f"{field}.kind")
    spec = {
        "kind": str(kind),
        "value": _amount(value.get("value", 0), f"{field}.value"),
        "product_ref": str(value.get("product_ref") or "").strip(),
        "minimum_order_amount": _amount(
            value.get("minimum_order_amount", 0), f"{field}.minimum_order_amount"
        ),
        "validity_days": _days(value.get("validity_days", 90), f"{field}.validity_days"),
    }
    if kind == RewardKind.PERCENTAGE and spec["value"] > 100:
        raise InvalidInput(_("A percentage is at most 100."), field=f"{field}.value")
    if kind in (RewardKind.FIXED_AMOUNT, RewardKind.PERCENTAGE, RewardKind.LOYALTY_POINTS) and (
        spec["value"] <= 0
    ):
        raise InvalidInput(_("Give a value above 0."), field=f"{field}.value")
    if kind == RewardKind.FREE_PRODUCT and not spec["product_ref"]:
        raise InvalidInput(_("Give the free product's reference."), field=f"{field}.product_ref")
    if len(spec["product_ref"]) > 120:
        raise InvalidInput(
            _("At most %(length)s characters.") % {"length": 120}, field=f"{field}.product_ref"
        )
    return spec


def _amount(value: Any, field: str) -> Decimal:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise InvalidInput(_("Give a number."), field=field) from None
    if isinstance(value, bool) or not amount.is_finite() or not 0 <= amount <= MAX_AMOUNT:
        raise InvalidInput(_("Give a number from 0 upwards."), field=field)
    if amount != amount.quantize(Decimal("0.01")):
        raise InvalidInput(_("At most two decimals."), field=field)
    return amount.quantize(Decimal("0.01"))


def _days(value: Any, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_VALIDITY_DAYS:
        raise InvalidInput(
            _("A whole number of days from 1 to %(max)s.") % {"max": MAX_VALIDITY_DAYS},
            field=field,
        )
    return value


def _pk(value: Any) -> int | None:
    return getattr(value, "pk", value) if value not in (None, "") else None


def _contest(program: Program, value: Any) -> Contest | None:
    pk = _pk(value)
    if pk is None:
        return None
    contest = (
        Contest.objects.filter(pk=pk, program=program).first() if isinstance(pk, int) else None
    )
    if contest is None:
        raise InvalidInput(_("Choose a contest of this program."), field="contest")
    return contest


_CHECKS = {
    "name": _name,
    "labels": _labels,
    "starts_at": _instant("starts_at"),
    "ends_at": _instant("ends_at"),
    "referrer_reward": lambda p, v: _reward(p, v, "referrer_reward", optional=False),
    "welcome_offer": lambda p, v: _reward(p, v, "welcome_offer", optional=True),
    "contest": _contest,
}


# --- announcing and measuring --------------------------------------------------------


def announce_boosts(at: datetime | None = None) -> tuple[list[Boost], list[Boost]]:
    """Emit ``boost_started`` / ``boost_ended`` once each (periodic task); returns them.

    Each announcement is claimed by a conditional UPDATE (``…_announced_at IS NULL``) in the
    transaction that stores what the receivers do (outbound webhooks): two workers running
    the task at once cannot both emit, and a failed receiver leaves it for the next run."""
    at = at or timezone.now()
    due = Boost.objects.select_related("program", "referrer_rule", "referee_rule")
    started = [
        b
        for b in due.filter(started_announced_at=None, starts_at__lte=at).order_by("starts_at")
        if _announce(b, "started_announced_at", signals.boost_started, "boost.started", at)
    ]
    ended = [
        b
        for b in due.filter(
            ended_announced_at=None, ends_at__lte=at, started_announced_at__isnull=False
        ).order_by("ends_at")
        if _announce(b, "ended_announced_at", signals.boost_ended, "boost.ended", at)
    ]
    return started, ended


def _announce(boost: Boost, stamp: str, signal: Any, action: str, at: datetime) -> bool:
    with transaction.atomic():
        claimed = Boost.objects.filter(pk=boost.pk, **{stamp: None}).update(**{stamp: at})
        if not claimed:
            return False
        setattr(boost, stamp, at)
        audit.record(boost.program, action, **_summary(boost))
        signal.send(Program, boost=boost)
    return True


def comparison(boost: Boost, now: datetime | None = None) -> dict[str, Any]:
    """The boost window against the same length just before it: invitations, conversions,
    conversion rate, referred revenue — ``{"boost": {...}, "before": {...}, "window":
    (start, end), "before_window": (start, end)}``; a running boost counts up to now (and
    is compared with as long a stretch before it), a scheduled one counts nothing yet.

    The figures are the dashboard's (``stats``, docs/dashboard.md) over these instants:
    invitations issued, distinct friends invited, distinct friends converted (by conversion
    date), conversion rate = converted / invited, referred revenue (net of refunds)."""
    from . import stats

    now = now or timezone.now()
    start = boost.starts_at
    end = max(start, min(boost.ends_at, now))
    before = (start - (end - start), start)
    return {
        "boost": stats.figures_between(boost.program, start, end),
        "before": stats.figures_between(boost.program, *before),
        "window": (start, end),
        "before_window": before,
    }
