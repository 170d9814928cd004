"""Contests: create, edit, open (commitment published), cancel.

Every change a shop owner makes to a contest goes through here, from any admin or the
server API: it is checked (a clear message naming the field, nothing stored on refusal),
audited (``contest.created`` / ``updated`` / ``opened`` / ``cancelled``), and opening sends
``signals.contest_opened``. Tickets, the draw and the prizes are ``services.contests``.

Once a contest is open its participants rely on what was published: only its texts, its
rules URL and a later draw date may still change (``OPEN_FIELDS``). Prizes given as a
``reward`` ({kind, value, product_ref}) get their own ``RewardRule`` of side ``prize``,
fulfilled by the usual backends once per winner; without one the prize is physical.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import audit, signals
from ..exceptions import InvalidInput, Refused
from ..locks import row_for_update
from ..models import Badge, Contest, ContestPrize, Program, RewardRule
from ..models.choices import RewardKind, Side
from ..models.contest import ContestStatus, Participants, TicketSource
from .texts import per_language

NAME_LENGTH, LABEL_LENGTH, RULES_LENGTH, URL_LENGTH = 120, 160, 20_000, 200
SOURCE_LENGTH, LOYALTY_KIND_LENGTH = 255, 40
MAX_PRIZES, MAX_UNITS, MAX_TICKETS = 50, 1000, 1_000_000
MAX_VALUE = Decimal("999999999.99")
FIELDS = {
    "name",
    "names",
    "rules_texts",
    "rules_url",
    "entries_start",
    "entries_end",
    "draw_at",
    "participants",
    "ticket_source",
    "loyalty_kind",
    "badge",
    "badge_tickets",
    "ticket_cap",
    "opt_in_required",
    "public_value_source",
}
REQUIRED = ("name", "entries_start", "entries_end", "draw_at")
#: What an open contest may still change (participants rely on the rest).
OPEN_FIELDS = {"name", "names", "rules_texts", "rules_url", "draw_at"}


def create_contest(
    program: Program, *, prizes: list[dict], actor: str = "admin", **fields: Any
) -> Contest:
    """Validate and create a draft; ``prizes`` = [{label, quantity, reward_rule | reward}],
    in order."""
    with transaction.atomic():
        contest = _checked_new(program, fields)
        specs = _prizes(program, prizes)
        contest.save()
        _store_prizes(contest, specs)
        audit.record(program, "contest.created", actor=actor, contest=contest.pk, name=contest.name)
    return contest


def update_contest(
    contest: Contest, *, prizes: list[dict] | None = None, actor: str = "admin", **fields: Any
) -> Contest:
    """Draft: anything. Open: only texts, rules URL and a later ``draw_at``; never the
    ticket rules, the period start, the prizes nor the public value source. Drawn: nothing.
    ``prizes`` replaces the whole list; ``None`` leaves it as it is."""
    with transaction.atomic():
        contest = _locked(contest)
        changed = _checked_changes(contest, fields)
        specs = None if prizes is None else _prizes(contest.program, prizes)
        if specs is not None and _prize_keys(specs) == _prize_keys(_current(contest)):
            specs = None
        if specs is not None and contest.status != ContestStatus.DRAFT:
            raise Refused(
                "contest_open", _("The prizes of an open contest cannot change."), field="prizes"
            )
        if not changed and specs is None:
            return contest
        contest.save()
        if specs is not None:
            _store_prizes(contest, specs, replace=True)
            changed.append("prizes")
        audit.record(
            contest.program,
            "contest.updated",
            actor=actor,
            contest=contest.pk,
            fields=",".join(changed),
        )
    return contest


def open_contest(contest: Contest, *, actor: str = "admin") -> Contest:
    """Refused without rules (text in a language or URL), without prizes or without the
    public value source. Makes the secret server seed and publishes its commitment."""
    with transaction.atomic():
        contest = _locked(contest)
        if contest.status != ContestStatus.DRAFT:
            raise Refused(
                "not_draft",
                _("Only a draft contest can be opened; this one is %(status)s.")
                % {"status": contest.get_status_display()},
            )
        check_ready(contest)
        contest.server_seed = secrets.token_hex(32)
        contest.commitment = commitment_of(contest.server_seed)
        contest.opened_at = timezone.now()
        contest.status = ContestStatus.OPEN
        contest.save(update_fields=["server_seed", "commitment", "opened_at", "status"])
        audit.record(
            contest.program,
            "contest.opened",
            actor=actor,
            contest=contest.pk,
            commitment=contest.commitment,
        )
        signals.contest_opened.send(Program, contest=contest)
    return contest


def cancel_contest(contest: Contest, *, actor: str = "admin") -> Contest:
    """A draft or open contest ends without a draw (its seed stays secret)."""
    with transaction.atomic():
        contest = _locked(contest)
        if contest.status not in (ContestStatus.DRAFT, ContestStatus.OPEN):
            raise Refused(
                "not_cancellable",
                _("A contest that is %(status)s cannot be cancelled.")
                % {"status": contest.get_status_display()},
            )
        contest.status = ContestStatus.CANCELLED
        contest.save(update_fields=["status"])
        audit.record(contest.program, "contest.cancelled", actor=actor, contest=contest.pk)
    return contest


def delete_contest(contest: Contest, *, actor: str = "admin") -> None:
    """Delete a draft that was never opened (an opened contest is cancelled instead: its
    commitment was published)."""
    with transaction.atomic():
        contest = _locked(contest)
        if contest.status != ContestStatus.DRAFT or contest.opened_at is not None:
            raise Refused(
                "not_draft",
                _("Only a draft can be deleted; cancel an open contest instead."),
            )
        rules = [p.reward_rule_id for p in contest.prizes.all() if p.reward_rule_id]
        pk, name = contest.pk, contest.name
        contest.delete()
        RewardRule.objects.filter(pk__in=rules, side=Side.PRIZE, prizes__isnull=True).delete()
        audit.record(contest.program, "contest.deleted", actor=actor, contest=pk, name=name)


def commitment_of(seed: str) -> str:
    """SHA-256 of the seed's ASCII text (``core/draw_verify.py``, step 1)."""
    return hashlib.sha256(seed.encode("ascii")).hexdigest()


def check_ready(contest: Contest) -> None:
    """Raise what ``open_contest`` would refuse a draft for (rules, prizes, public value
    source, a period still to come)."""
    if not any((contest.rules_texts or {}).values()) and not contest.rules_url:
        raise InvalidInput(
            _(
                "Write the rules (in at least one language) or give the address of the "
                "rules page before opening the contest: participants must be able to read them."
            ),
            field="rules_texts",
        )
    if not contest.prizes.exists():
        raise InvalidInput(_("Add at least one prize before opening."), field="prizes")
    if not contest.public_value_source.strip():
        raise InvalidInput(
            _(
                "Name the source of the public value before opening (e.g. a drand round or a "
                "lottery result): it must be fixed in advance and named in the rules."
            ),
            field="public_value_source",
        )
    if contest.entries_end <= timezone.now():
        raise InvalidInput(
            _("The entry period has already ended: move it to the future before opening."),
            field="entries_end",
        )


def check_contest(
    program: Program,
    fields: Mapping[str, Any],
    prizes: list[dict] | None = None,
    contest: Contest | None = None,
) -> None:
    """Raise what ``create_contest`` (or ``update_contest`` of ``contest``) would for these
    fields and prizes, storing nothing: forms show the message beside the field."""
    if contest is None or contest.pk is None:
        _checked_new(program, dict(fields))
    else:
        _checked_changes(Contest.objects.select_related("program").get(pk=contest.pk), fields)
    if prizes is not None:
        specs = _prizes(program, prizes)
        if contest is not None and contest.pk and contest.status != ContestStatus.DRAFT:
            if _prize_keys(specs) != _prize_keys(_current(contest)):
                raise InvalidInput(
                    _("The prizes of an open contest cannot change."), field="prizes"
                )


def locked_fields(contest: Contest | None) -> set[str]:
    """The fields an admin form shows disabled for ``contest`` (all once drawn)."""
    if contest is None or contest.pk is None or contest.status == ContestStatus.DRAFT:
        return set()
    if contest.status == ContestStatus.OPEN:
        return FIELDS - OPEN_FIELDS
    return set(FIELDS)


# --- checks -------------------------------------------------------------------------------


def _locked(contest: Contest) -> Contest:
    row_for_update(Contest, contest.pk)
    return Contest.objects.select_related("program", "badge").get(pk=contest.pk)


def _checked_new(program: Program, fields: dict[str, Any]) -> Contest:
    missing = [name for name in REQUIRED if fields.get(name) in (None, "")]
    if missing:
        raise InvalidInput(_("This field is required."), field=missing[0])
    contest = Contest(program=program)
    _apply(contest, fields)
    _check_whole(contest)
    return contest


def _checked_changes(contest: Contest, fields: Mapping[str, Any]) -> list[str]:
    """Apply ``fields`` to ``contest`` (unsaved) and return the names that changed."""
    if contest.status in (ContestStatus.DRAWN, ContestStatus.CANCELLED):
        if not fields:
            return []
        raise Refused(
            "contest_closed",
            _("A contest that is %(status)s can no longer change.")
            % {"status": contest.get_status_display()},
        )
    before = {name: _comparable(getattr(contest, name)) for name in FIELDS}
    previous_draw = contest.draw_at
    _apply(contest, fields)
    changed = sorted(n for n in FIELDS if _comparable(getattr(contest, n)) != before[n])
    if contest.status == ContestStatus.OPEN:
        frozen = [name for name in changed if name not in OPEN_FIELDS]
        if frozen:
            raise Refused(
                "contest_open",
                _(
                    "The contest is open: participants rely on its ticket rules, period, "
                    "prizes and public value source, which can no longer change."
                ),
                field=frozen[0],
            )
        if contest.draw_at < previous_draw:
            raise InvalidInput(
                _("The draw of an open contest can only be postponed, not brought forward."),
                field="draw_at",
            )
        if not any((contest.rules_texts or {}).values()) and not contest.rules_url:
            raise InvalidInput(
                _("An open contest keeps its rules: give a text or the rules page address."),
                field="rules_texts",
            )
    _check_whole(contest)
    return changed


def _comparable(value: Any) -> Any:
    return value.pk if isinstance(value, Badge) else value


def _apply(contest: Contest, changes: Mapping[str, Any]) -> None:
    unknown = sorted(set(changes) - FIELDS)
    if unknown:
        raise InvalidInput(
            _("Unknown contest field: %(field)s.") % {"field": unknown[0]}, field=unknown[0]
        )
    program = contest.program
    for name, value in changes.items():
        setattr(contest, name, _CHECKS[name](program, value))


def _check_whole(contest: Contest) -> None:
    """What depends on several fields: the dates' order, the ticket source's details."""
    if contest.entries_end <= contest.entries_start:
        raise InvalidInput(_("The entry period must end after it starts."), field="entries_end")
    if contest.draw_at < contest.entries_end:
        raise InvalidInput(
            _("The draw cannot take place before the entry period ends."), field="draw_at"
        )
    source = contest.ticket_source
    if source == TicketSource.LOYALTY_ACTION and not contest.loyalty_kind:
        raise InvalidInput(_("Choose which loyalty action gives tickets."), field="loyalty_kind")
    if source != TicketSource.LOYALTY_ACTION and contest.loyalty_kind:
        raise InvalidInput(
            _("Only loyalty-action tickets name a loyalty action; leave it empty."),
            field="loyalty_kind",
        )
    if source == TicketSource.BADGE_HELD and contest.badge_id is None:
        raise InvalidInput(_("Choose the badge that gives tickets."), field="badge")
    if source != TicketSource.BADGE_HELD and contest.badge_id is not None:
        raise InvalidInput(_("Only badge tickets name a badge; leave it empty."), field="badge")


def _text(field: str, length: int, required: bool = False):
    def check(program: Program, value: Any) -> str:
        if value is None:
            value = ""
        if not isinstance(value, str):
            raise InvalidInput(_("Give a text."), field=field)
        value = value.strip()
        if required and not value:
            raise InvalidInput(_("This field is required."), field=field)
        if len(value) > length:
            raise InvalidInput(
                _("At most %(length)s characters.") % {"length": length}, field=field
            )
        return value

    return check


def _texts(field: str, length: int):
    def check(program: Program, value: Any) -> dict[str, str]:
        return per_language(program, value, field, length)

    return check


def _url(program: Program, value: Any) -> str:
    value = _text("rules_url", URL_LENGTH)(program, value)
    if value:
        try:
            URLValidator(schemes=["http", "https"])(value)
        except ValidationError:
            raise InvalidInput(
                _("Give the full address of the rules page, starting with https://."),
                field="rules_url",
            ) from None
    return value


def _moment(field: str):
    def check(program: Program, value: Any) -> datetime:
        if isinstance(value, str):
            try:
                value = datetime.fromisoformat(value)
            except ValueError:
                value = None
        if not isinstance(value, datetime):
            raise InvalidInput(_("Give a date and time."), field=field)
        if timezone.is_naive(value):
            value = value.replace(tzinfo=program.tz())  # a wall time in the shop's zone
        return value

    return check


def _choice(field: str, choices: list[str]):
    def check(program: Program, value: Any) -> str:
        if value not in choices:
            raise InvalidInput(
                _("Choose one of: %(choices)s.") % {"choices": ", ".join(choices)}, field=field
            )
        return str(value)

    return check


def _count(field: str, low: int, high: int):
    def check(program: Program, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise InvalidInput(
                _("Give a whole number from %(low)s to %(high)s.") % {"low": low, "high": high},
                field=field,
            )
        return value

    return check


def _flag(program: Program, value: Any) -> bool:
    if not isinstance(value, bool):
        raise InvalidInput(_("Give true or false."), field="opt_in_required")
    return value


def _badge(program: Program, value: Any) -> Badge | None:
    if value in (None, ""):
        return None
    pk = value.pk if isinstance(value, Badge) else value
    found = Badge.objects.filter(pk=pk, program=program).first() if _is_id(pk) else None
    if found is None:
        raise InvalidInput(_("Choose a badge of this program."), field="badge")
    return found


def _is_id(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**63


_CHECKS = {
    "name": _text("name", NAME_LENGTH, required=True),
    "names": _texts("names", NAME_LENGTH),
    "rules_texts": _texts("rules_texts", RULES_LENGTH),
    "rules_url": _url,
    "entries_start": _moment("entries_start"),
    "entries_end": _moment("entries_end"),
    "draw_at": _moment("draw_at"),
    "participants": _choice("participants", Participants.values),
    "ticket_source": _choice("ticket_source", TicketSource.values),
    "loyalty_kind": _text("loyalty_kind", LOYALTY_KIND_LENGTH),
    "badge": _badge,
    "badge_tickets": _count("badge_tickets", 1, MAX_TICKETS),
    "ticket_cap": _count("ticket_cap", 0, MAX_TICKETS),
    "opt_in_required": _flag,
    "public_value_source": _text("public_value_source", SOURCE_LENGTH),
}


# --- prizes -------------------------------------------------------------------------------


def _prizes(program: Program, prizes: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Checked prize specs; an error names its row (``prizes.2.quantity``)."""
    listed = list(prizes)
    if len(listed) > MAX_PRIZES:
        raise InvalidInput(
            _("At most %(max)s prizes per contest.") % {"max": MAX_PRIZES}, field="prizes"
        )
    checked = []
    for index, spec in enumerate(listed):
        try:
            checked.append(_prize(program, spec))
        except InvalidInput as exc:
            exc.field = f"prizes.{index}.{exc.field}"
            raise
    return checked


def _prize(program: Program, spec: Mapping[str, Any]) -> dict[str, Any]:
    if not isinstance(spec, Mapping):
        raise InvalidInput(_("Give the prize's label and quantity."), field="label")
    label = _text("label", LABEL_LENGTH, required=True)(program, spec.get("label"))
    quantity = _count("quantity", 1, MAX_UNITS)(program, spec.get("quantity", 1))
    rule, reward = spec.get("reward_rule"), spec.get("reward")
    if rule not in (None, "") and reward:
        raise InvalidInput(_("Give either a reward rule or a reward, not both."), field="reward")
    checked: dict[str, Any] = {"label": label, "quantity": quantity, "rule": None, "reward": None}
    if rule not in (None, ""):
        checked["rule"] = _prize_rule(program, rule)
    elif reward:
        checked["reward"] = _reward(reward)
    return checked


def _prize_rule(program: Program, value: Any) -> RewardRule:
    pk = value.pk if isinstance(value, RewardRule) else value
    rule = (
        RewardRule.objects.filter(pk=pk, program=program, side=Side.PRIZE).first()
        if _is_id(pk)
        else None
    )
    if rule is None:
        raise InvalidInput(_("Choose a prize reward rule of this program."), field="reward_rule")
    return rule


def _reward(reward: Any) -> dict[str, Any]:
    if not isinstance(reward, Mapping):
        raise InvalidInput(_("Give the reward's kind and value."), field="reward")
    kind = reward.get("kind")
    if kind not in RewardKind.values:
        raise InvalidInput(
            _("Choose one of: %(choices)s.") % {"choices": ", ".join(RewardKind.values)},
            field="reward.kind",
        )
    try:
        value = Decimal(str(reward.get("value") if reward.get("value") is not None else "0"))
    except (InvalidOperation, ValueError):
        value = Decimal("NaN")
    if not value.is_finite() or value < 0 or value > MAX_VALUE or value.as_tuple().exponent < -2:  # type: ignore[operator]
        raise InvalidInput(
            _("Give a value from 0 with at most two decimals."), field="reward.value"
        )
    if kind == RewardKind.PERCENTAGE and value > 100:
        raise InvalidInput(_("A percentage is at most 100."), field="reward.value")
    needs_value = kind in (
        RewardKind.FIXED_AMOUNT,
        RewardKind.PERCENTAGE,
        RewardKind.LOYALTY_POINTS,
    )
    if needs_value and value <= 0:
        raise InvalidInput(_("This reward needs a value above zero."), field="reward.value")
    product = str(reward.get("product_ref") or "").strip()
    if len(product) > 120:
        raise InvalidInput(
            _("At most %(length)s characters.") % {"length": 120}, field="reward.product_ref"
        )
    return {"kind": kind, "value": value, "product_ref": product}


def _prize_keys(specs: list[dict[str, Any]]) -> list[tuple]:
    def key(spec: dict[str, Any]) -> tuple:
        rule, reward = spec["rule"], spec["reward"]
        if rule is not None:
            reward = {"kind": rule.kind, "value": rule.value, "product_ref": rule.product_ref}
        terms = (reward["kind"], reward["value"], reward["product_ref"]) if reward else None
        return (spec["label"], spec["quantity"], terms)

    return [key(spec) for spec in specs]


def _current(contest: Contest) -> list[dict[str, Any]]:
    return [
        {"label": p.label, "quantity": p.quantity, "rule": p.reward_rule, "reward": None}
        for p in contest.prizes.select_related("reward_rule").order_by("position", "pk")
    ]


def _store_prizes(
    contest: Contest, specs: list[dict[str, Any]], *, replace: bool = False
) -> list[ContestPrize]:
    if replace:
        old = list(contest.prizes.all())
        own_rules = [p.reward_rule_id for p in old if p.reward_rule_id]
        contest.prizes.all().delete()
        kept = {s["rule"].pk for s in specs if s["rule"] is not None}
        RewardRule.objects.filter(pk__in=set(own_rules) - kept, side=Side.PRIZE).exclude(
            prizes__isnull=False
        ).delete()
    stored = []
    for position, spec in enumerate(specs, start=1):
        rule = spec["rule"]
        if spec["reward"] is not None:
            rule = RewardRule.objects.create(
                program=contest.program,
                side=Side.PRIZE,
                labels={contest.program.default_language: spec["label"]},
                **spec["reward"],
            )
        stored.append(
            ContestPrize.objects.create(
                contest=contest,
                position=position,
                label=spec["label"],
                quantity=spec["quantity"],
                reward_rule=rule,
            )
        )
    return stored
