"""Record loyalty actions on the append-only points ledger, and read a contact's balance.

Every line goes through ``record_action``: it is idempotent on the external id (a replay
answers the line stored the first time), serialised per contact by the contact's row lock
so that concurrent actions cannot overdraw a balance, audited, and announced with the
``loyalty_recorded`` signal.
"""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_FLOOR, Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import audit, signals
from ..exceptions import InvalidInput
from ..locks import contact_for_update
from ..models import Contact, LoyaltyEntry, LoyaltyKind, Order, Program, Reward

#: Bounds of one line: far beyond any real action, far inside a 32-bit integer column.
#: The external ids of the lines Parrain records itself (never accepted from a shop).
RESERVED_PREFIXES = ("order:", "refund:", "reward:")
MAX_POINTS = 100_000_000


def balance(contact: Contact) -> int:
    total = LoyaltyEntry.objects.filter(contact=contact).aggregate(total=Sum("points"))["total"]
    return int(total or 0)


def recent_entries(contact: Contact, limit: int = 10) -> list[LoyaltyEntry]:
    """The last ``limit`` lines of ``contact``'s ledger, newest first (what a customer sees)."""
    lines = LoyaltyEntry.objects.filter(contact=contact).select_related("reversal_of")
    return list(lines.order_by("-occurred_at", "-pk")[:limit])


def action_label(entry: LoyaltyEntry) -> str:
    """What a customer reads for a ledger line, in the active language: the action's name,
    the shop's own name for a custom action, or what a reversal takes back."""
    if entry.kind == LoyaltyKind.CUSTOM and entry.custom_kind:
        return entry.custom_kind
    if entry.kind == LoyaltyKind.REVERSAL and entry.reversal_of is not None:
        return _("Reversal: %(action)s") % {"action": action_label(entry.reversal_of)}
    return str(LoyaltyKind(entry.kind).label) if entry.kind in LoyaltyKind.values else ""


def _replay(program: Program, external_id: str | None) -> LoyaltyEntry | None:
    if not external_id:
        return None
    return LoyaltyEntry.objects.filter(program=program, external_id=external_id).first()


def record_action(
    program: Program,
    contact: Contact,
    kind: str,
    points: int,
    *,
    occurred_at: datetime | None = None,
    source: str,
    external_id: str | None = None,
    order: Order | None = None,
    reason: str = "",
    custom_kind: str = "",
    reversal_of: LoyaltyEntry | None = None,
    actor: str = "system",
) -> tuple[LoyaltyEntry, bool]:
    """Add one line to ``contact``'s ledger; returns (line, created).

    A replay of ``external_id`` changes nothing and returns the first line. Points that
    would make the balance negative are refused unless the line is a reversal.
    """
    _check(program, contact, kind, points, reason, custom_kind)
    with transaction.atomic():
        contact_for_update(contact.pk)
        found = _replay(program, external_id)
        if found is not None:
            return found, False
        before = balance(contact)
        if points < 0 and kind != LoyaltyKind.REVERSAL and before + points < 0:
            raise InvalidInput(
                _("The balance is %(balance)s points: it cannot go below zero.")
                % {"balance": before},
                field="points",
            )
        entry = LoyaltyEntry.objects.create(
            program=program,
            contact=contact,
            kind=kind,
            custom_kind=custom_kind,
            points=points,
            occurred_at=occurred_at or timezone.now(),
            source=source,
            external_id=external_id or None,
            order=order,
            reversal_of=reversal_of,
            reason=reason,
        )
        audit.record(
            program,
            "loyalty.recorded",
            reason=reason,
            actor=actor,
            contact=contact,
            order=order,
            kind=kind,
            points=points,
            source=source,
            external_id=external_id or "",
        )
        signals.loyalty_recorded.send(Program, entry=entry, balance=before + points)
    return entry, True


def _check(
    program: Program, contact: Contact, kind: str, points: int, reason: str, custom_kind: str
) -> None:
    if contact.program_id != program.pk:
        raise InvalidInput(_("This contact belongs to another program."), field="contact")
    if kind not in LoyaltyKind.values:
        raise InvalidInput(_("Unknown loyalty action."), field="kind")
    if not -MAX_POINTS <= points <= MAX_POINTS:
        raise InvalidInput(_("Give at most %(max)s points.") % {"max": MAX_POINTS}, field="points")
    if kind == LoyaltyKind.ADJUSTMENT and not reason.strip():
        raise InvalidInput(_("Say why the points are adjusted."), field="reason")
    if kind == LoyaltyKind.CUSTOM and not custom_kind.strip():
        raise InvalidInput(_("Name the custom action."), field="custom_kind")


def purchase_points(program: Program, amount: Decimal) -> int:
    rate = program.loyalty_points_per_unit
    return int((amount * rate).to_integral_value(rounding=ROUND_FLOOR)) if rate > 0 else 0


def record_purchase(order: Order) -> LoyaltyEntry | None:
    """The ``purchase`` line of a newly recorded order, when the program gives points."""
    points = purchase_points(order.program, order.amount)
    if order.contact is None or points <= 0:
        return None
    entry, _created = record_action(
        order.program,
        order.contact,
        LoyaltyKind.PURCHASE,
        points,
        occurred_at=order.placed_at,
        source="order",
        external_id=f"order:{order.external_id}",
        order=order,
    )
    return entry


def reverse_order_points(order: Order) -> LoyaltyEntry | None:
    """Take back the purchase points of ``order`` in proportion to what is refunded.

    The target is what the refunded share of the order earned, rounded down; only the
    difference with what was already taken back is recorded, so calling it again after
    the same refund records nothing, and a full refund takes everything back.
    """
    purchases = LoyaltyEntry.objects.filter(order=order, kind=LoyaltyKind.PURCHASE)
    purchase = purchases.order_by("pk").first()
    if purchase is None or order.amount <= 0:
        return None
    taken = -sum(purchase.reversals.values_list("points", flat=True))
    refunded = min(order.refunded_amount, order.amount)
    share = Decimal(purchase.points) * refunded / order.amount
    target = purchase.points if refunded >= order.amount else int(share)
    if target <= taken:
        return None
    entry, _created = record_action(
        order.program,
        purchase.contact,
        LoyaltyKind.REVERSAL,
        taken - target,
        source="refund",
        external_id=f"refund:{order.external_id}:{target}",
        order=order,
        reversal_of=purchase,
        reason="refund",
    )
    return entry


def credit_reward(reward: Reward) -> LoyaltyEntry | None:
    """The ledger line of a ``loyalty_points`` reward, once per reward."""
    points = int(reward.value)
    if points <= 0:
        return None
    entry, _created = record_action(
        reward.program,
        reward.recipient,
        LoyaltyKind.REWARD,
        points,
        source="reward",
        external_id=f"reward:{reward.pk}",
    )
    return entry


def reverse_reward(reward: Reward) -> LoyaltyEntry | None:
    """Take back the points a cancelled ``loyalty_points`` reward credited, once."""
    credited = LoyaltyEntry.objects.filter(
        program=reward.program, external_id=f"reward:{reward.pk}"
    ).first()
    if credited is None:
        return None
    entry, _created = record_action(
        reward.program,
        credited.contact,
        LoyaltyKind.REVERSAL,
        -credited.points,
        source="reward",
        external_id=f"reward-cancelled:{reward.pk}",
        reversal_of=credited,
        reason="reward_cancelled",
    )
    return entry
