"""Record every order (idempotent on its external id) and attribute referred ones.

Attribution order: the welcome code used at checkout, else the referral code carried from
the share link, else the referee's email. Fraud rules run on the converting order.
"""

from __future__ import annotations

import logging
import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any

from django.core.cache import cache
from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import Model
from django.utils import timezone
from pydantic import BaseModel, ConfigDict, Field

from .. import audit, fraud, signals
from ..conf import parrain_settings
from ..emails import normalize_email
from ..exceptions import InvalidInput, NotFound
from ..inserts import InsertUnlessTaken
from ..locks import is_deadlock, referral_for_update
from ..memo import batch_scope
from ..models import Contact, Order, Program, Referral, Refund, Reward
from ..models.choices import Channel, FraudAction, Recipient, ReferralStatus, Side, Trigger
from ..prepared import Prepared, server_prepared
from ..validation_types import Currency, Email, ExternalId, Moment, Money, Name
from . import invitations, loyalty, ownership, scenarios, sharing
from .enrolment import referrer_by_code
from .rewards import cancel_reward
from .transitions import move

Amount = Money
ATTRIBUTABLE = (ReferralStatus.INVITED, ReferralStatus.REGISTERED)


class OrderData(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    external_id: ExternalId
    email: Email | None = None
    customer_external_id: ExternalId | None = None
    first_name: Name = ""
    amount: Amount
    currency: Currency
    placed_at: Moment | None = None
    welcome_code: Annotated[str, Field(max_length=64)] = ""
    referral_code: Annotated[str, Field(max_length=32)] = ""
    #: The share link's signed click cookie (``parrain_ref_at``) when the code came from it:
    #: a referral opened by this order is dated at the click (boosts, decision 0008).
    referral_click: Annotated[str, Field(max_length=200)] = ""


class RefundData(BaseModel):
    model_config = ConfigDict(extra="forbid")

    external_id: ExternalId
    amount: Amount | None = None
    refunded_at: Moment | None = None


@dataclass(frozen=True)
class RefundOutcome:
    refund: Refund
    created: bool


@dataclass(frozen=True)
class OrderOutcome:
    order: Order
    created: bool
    referral: Referral | None
    #: Accepted and not attributed yet (``accept_order``): a worker attributes it.
    pending: bool = False


def record_order(program: Program, data: OrderData) -> OrderOutcome:
    """Store the order once and attribute it, in one transaction without savepoints (run
    once more if PostgreSQL cancels it to break a deadlock).

    The order's row is inserted without asking first whether it exists: a replay (or a
    concurrent twin) breaks its unique key, the transaction rolls back, and the stored
    order answers. Any other unique key lost to a concurrent request (the customer's
    contact, the friend's referral) rolls the unit back too, and it runs once more, then
    seeing the other request's rows. Each statement saved is a round trip (issue 16 §5),
    and each one is prepared once per connection (``server_prepared``).
    """
    if data.currency != program.currency:
        raise InvalidInput(f"This program counts in {program.currency}.", field="currency")
    for attempt in range(2):
        try:
            # One order's events read their program's settings (outbound endpoints…) once;
            # its audit entries are written together at the end of the unit.
            with server_prepared(), batch_scope(), transaction.atomic(), audit.collected():
                return _record_new(program, data)
        except OperationalError as error:  # a deadlock PostgreSQL broke: once more
            if attempt or not is_deadlock(error):
                raise
        except (_Stored, IntegrityError):
            order = Order.objects.filter(program=program, external_id=data.external_id).first()
            if order is not None:
                return OrderOutcome(order=order, created=False, referral=order.referral)
            if attempt:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


class _Stored(Exception):
    """The order's external id is stored already (a replay): the unit rolls back."""


_INSERT_ORDER = InsertUnlessTaken(Order, conflict="program_id, external_id")


def _insert_order(order: Order) -> None:
    """INSERT the order unless its external id is stored (``_Stored``): a replay is not a
    unique-key error (PostgreSQL logs none), in the same one statement."""
    if not _INSERT_ORDER(order):
        raise _Stored


def _record_new(program: Program, data: OrderData, accepted: Order | None = None) -> OrderOutcome:
    """A new order's customer, attribution and what follows, in the caller's transaction:
    a row inserted here (``record_order``), or ``accepted``, the locked row of an order
    stored earlier by ``accept_order`` (its contact set and its intake cleared here)."""
    if accepted is None:
        placed_at = data.placed_at or timezone.now()
        contact, new_customer = _customer(program, data, placed_at)
        order = Order(
            program=program,
            external_id=data.external_id,
            contact=contact,
            amount=data.amount,
            currency=data.currency,
            placed_at=placed_at,
            welcome_code=data.welcome_code,
            referral_code=data.referral_code.upper(),
        )
    else:
        order = accepted
        contact, new_customer = _customer(program, data, order.placed_at)
        order.contact = contact
    clicked_at = sharing.click_time(
        data.referral_click, order.referral_code, program, now=order.placed_at
    )
    # The order's row is inserted once its referral is known, already attached to it (one
    # UPDATE of the order, and its run of the dashboard's trigger, less: 0.4 ms of each
    # attributed order, issue 16 §5); ``attribute`` inserts it then, or here without one.
    # A replay is found at that insert (``_Stored``) and the whole unit rolls back.
    referral = (
        attribute(order, clicked_at, new_contact=new_customer, savepoints=False)
        if contact is not None
        else None
    )
    if order._state.adding:
        _insert_order(order)
    elif order.intake is not None:  # accepted, and ``_attach`` did not settle it
        _settle(order)
    if contact is not None:
        if new_customer:  # inserted a customer already (_customer): one UPDATE less
            _became_customer(contact)
        else:
            _mark_customer(contact, order.placed_at)
        loyalty.record_purchase(order)
    signals.order_recorded.send(Program, order=order, created=True)
    return OrderOutcome(order=order, created=True, referral=referral)


def _customer(
    program: Program, data: OrderData, placed_at: datetime
) -> tuple[Contact | None, bool]:
    """The order's customer, and whether this unit inserted them (then already marked a
    customer since ``placed_at``: nobody else can see the row before the commit)."""
    if data.customer_external_id:
        found = Contact.objects.filter(
            program=program, external_id=data.customer_external_id
        ).first()
        if found is not None:
            return found, False
    if not data.email:
        return None, False
    normalized = normalize_email(data.email)
    found = _CONTACT_BY_EMAIL.first(program.pk, normalized)
    if found is not None:
        return found, False
    # No savepoint: a concurrent twin inserting the same address makes the whole unit run
    # again (record_order), and then finds this row.
    contact = Contact(
        program=program,
        email=data.email,
        email_normalized=normalized,
        first_name=data.first_name,
        external_id=data.customer_external_id,
        is_customer=True,
        first_order_at=placed_at,
    )
    contact.save(force_insert=True)
    return contact, True


# Every order with an address reads it: compiled once per process (core/prepared.py).
_CONTACT_BY_EMAIL = Prepared(
    lambda program_id, normalized: Contact.objects.filter(
        program_id=program_id, email_normalized=normalized
    ).order_by("pk")[:1],
    -7_000_003,
    "prepared-sample@contact-by-email",
)


def _mark_customer(contact: Contact, placed_at: datetime) -> None:
    if contact.first_order_at is None or placed_at < contact.first_order_at:
        Contact.objects.filter(pk=contact.pk).update(is_customer=True, first_order_at=placed_at)
    if not contact.is_customer:
        contact.is_customer, contact.first_order_at = True, placed_at
        _became_customer(contact)


def _became_customer(contact: Contact) -> None:
    scenarios.fire(
        contact.program,
        Trigger.BECAME_CUSTOMER,
        subject=contact,
        people={Recipient.CONTACT: contact},
    )


def attribute(
    order: Order,
    clicked_at: datetime | None = None,
    *,
    new_contact: bool = False,
    savepoints: bool = True,
) -> Referral | None:
    """Find the referral this order converts, apply the fraud rules, move it on; a referral
    the order's code opens is dated at ``clicked_at`` (the share link click) if known.
    ``new_contact``: the order's contact was inserted by the caller's transaction (no
    referral of theirs can exist yet); ``savepoints=False``: the caller runs its whole
    transaction again on a lost race (``record_order``). An order not inserted yet is
    inserted here once it has a referral to keep (attached at its insert), else left to
    the caller."""
    referral, via, opened = _find_referral(
        order, clicked_at, new_contact=new_contact, savepoints=savepoints
    )
    if referral is None:
        return None
    if not opened:  # a referral this transaction inserted is seen by no other: no lock
        referral = referral_for_update(referral.pk)
    if referral.status not in ATTRIBUTABLE:
        audit.record(
            order.program,
            "order.not_attributed",
            reason="referral_" + referral.status,
            referral=referral,
            order=order,
            via=via,
        )
        return None
    if order.placed_at + parrain_settings.ORDER_CLOCK_SKEW < referral.invited_at:
        audit.record(
            order.program,
            "order.not_attributed",
            reason="order_before_invitation",
            referral=referral,
            order=order,
        )
        return None
    if via == "email" and not (referral.registered_at or referral.referrer.is_verified):
        # Neither the friend (a claim, a code, a link) nor a proven referrer vouches for it.
        audit.record(
            order.program,
            "order.not_attributed",
            reason="unverified_referrer",
            referral=referral,
            order=order,
            via=via,
        )
        return None
    if via != "welcome_code" and not ownership.within_window(referral, order.placed_at):
        audit.record(
            order.program,
            "order.not_attributed",
            reason="attribution_window_passed",
            referral=referral,
            order=order,
            via=via,
            window_days=order.program.attribution_window_days,
        )
        return None
    minimum = Decimal(str(referral.referrer_terms.get("minimum_order_amount", "0")))
    if order.amount < minimum:
        audit.record(
            order.program,
            "order.not_attributed",
            reason="below_minimum",
            referral=referral,
            order=order,
            minimum=minimum,
        )
        return None
    check = fraud.Check(
        program=order.program,
        referrer=referral.referrer,
        referee=order.contact,
        at=order.placed_at,
        order=order,
    )
    verdict = fraud.evaluate(check)
    if verdict.action == FraudAction.BLOCK:
        if order._state.adding:  # counted unattributed until the refusal is written
            _insert_order(order)
        move(
            referral,
            ReferralStatus.CANCELLED,
            action="referral.refused",
            reason=verdict.reason,
            order=order,
            message=f"via {via}",
        )
        _cancel_welcome(referral, verdict.reason)
        # Kept on the order so that a replay of the same order answers the same refusal.
        _attach(order, referral)
        return referral
    _attach(order, referral)  # before ``move``: the referral keeps the order's id
    if verdict.action == FraudAction.REVIEW:
        move(
            referral,
            ReferralStatus.REVIEW,
            action="referral.held",
            reason=verdict.reason,
            order=order,
            at=order.placed_at,
            message=f"via {via}",
        )
    else:
        move(
            referral,
            ReferralStatus.CONVERTED,
            action="referral.attributed",
            reason=via,
            order=order,
            at=order.placed_at,
        )
    return referral


_ATTACH_SQL = "UPDATE parrain_order SET referral_id = %s, channel = %s WHERE id = %s"
_ATTACH_ACCEPTED_SQL = (
    "UPDATE parrain_order SET referral_id = %s, channel = %s, contact_id = %s, intake = NULL "
    "WHERE id = %s"
)
_SETTLE_SQL = "UPDATE parrain_order SET contact_id = %s, intake = NULL WHERE id = %s"


def _settle(order: Order) -> None:
    """An accepted order attributed (to no referral): its contact set, its intake gone."""
    order.intake = None
    with connection.cursor() as cursor:
        cursor.execute(_SETTLE_SQL, [order.contact_id, order.pk])


def _attach(order: Order, referral: Referral) -> None:
    """The order converted ``referral``: it also keeps the invitation's share channel, for
    the dashboard's revenue per channel (docs/dashboard.md). An order not inserted yet is
    inserted so (``_Stored`` if it is a replay)."""
    channel = referral.invitation.channel if referral.invitation_id else None
    order.referral, order.channel = referral, channel
    if order._state.adding:
        _insert_order(order)
        return
    # Written-out SQL: the ORM's update cost more Python than the round trip (issue 16 §5).
    with connection.cursor() as cursor:
        if order.intake is None:
            cursor.execute(_ATTACH_SQL, [referral.pk, channel, order.pk])
        else:  # an accepted order: settled in the same statement (``_settle``)
            order.intake = None
            cursor.execute(_ATTACH_ACCEPTED_SQL, [referral.pk, channel, order.contact_id, order.pk])


def _find_referral(
    order: Order, clicked_at: datetime | None, *, new_contact: bool, savepoints: bool
) -> tuple[Referral | None, str, bool]:
    """The referral, how the order reached it, and whether this call opened it."""
    program, contact = order.program, order.contact
    if order.welcome_code:
        reward = (
            Reward.objects.filter(program=program, side=Side.REFEREE, code=order.welcome_code)
            .select_related("referral")
            .first()
        )
        if reward is not None:
            if reward.recipient_id != contact.pk:
                audit.record(
                    program,
                    "order.not_attributed",
                    reason="welcome_code_other_person",
                    order=order,
                    referral=reward.referral,
                )
                return None, "", False
            return reward.referral, "welcome_code", False
    existing = ownership.live_referral(contact)
    referrer = referrer_by_code(program, order.referral_code) if order.referral_code else None
    if referrer is not None:
        if existing is None or (
            existing.referrer_id != referrer.pk
            and ownership.yield_reason(existing, order.placed_at)
        ):
            at = clicked_at or order.placed_at
            _, referral, opened = invitations.issue(
                referrer,
                contact,
                Channel.LINK,
                at,
                savepoints=savepoints,
                new_referee=new_contact,
                none_live=existing is None,
            )
            return referral, "referral_code", opened
        if existing.referrer_id == referrer.pk:
            return existing, "referral_code", False
        audit.record(
            program,
            "order.not_attributed",
            reason="already_referred",
            order=order,
            referral=existing,
            claimed_by=referrer.pk,
        )
    if existing is not None:
        return existing, "email", False
    if new_contact:
        return None, "", False
    # Only to say why in the audit log ("referral_cancelled"): a cancelled one stays so.
    return ownership.last_cancelled(contact), "email", False


def _cancel_welcome(referral: Referral, reason: str) -> None:
    for reward in Reward.objects.filter(referral=referral, side=Side.REFEREE):
        cancel_reward(reward, reason)


# Orders accepted at once, attributed by a worker (issue 16 §5, ``Prefer: respond-async``)

logger = logging.getLogger(__name__)

#: A drainer reads this many of its slot's accepted orders at a time.
DRAIN_BATCH = 50
#: It attributes them this many per transaction, a savepoint each: one commit (and one
#: round of after-commit checks, core/invitation_facts.py) for several orders, and row
#: locks held not much longer than one order's (concurrent drainers of one referrer).
DRAIN_UNIT = 10
#: How long a queued drain keeps other accepted orders from publishing one more message.
DRAIN_FLAG_SECONDS = 60
#: The beat's sweep drains any slot whose orders wait longer than this (a lost message).
PENDING_GRACE = timedelta(seconds=30)
#: The PostgreSQL advisory lock class of "draining a program's accepted orders": the
#: upper bits of each slot's lock key (``_drain_key``).
DRAIN_LOCK_CLASS = 7_016


def drain_slot(data: OrderData) -> int:
    """The drain slot of an accepted order, from its customer's identity: the normalised
    address, else the customer's external id, else the order's own external id, modulo
    ``PARRAIN_ORDER_DRAINS``.

    Why a friend's first order still converts with several drainers: both orders of one
    customer name the same identity, so they land in one slot; one slot is drained by one
    drainer at a time (its advisory lock), in id order, each order committed before the
    next is read; so the second is attributed after the first's conversion is committed,
    and finds the referral converted, as in the synchronous path. Orders of different
    customers (different slots) run concurrently exactly as concurrent requests do: each
    unit takes the same row locks as ``record_order`` (the referral, the referrer's rules).
    (Two orders of one person naming them differently, an address then only a customer
    id, may land in two slots: they are then as two concurrent requests would be.)"""
    if data.email:
        identity = "e:" + normalize_email(data.email)
    elif data.customer_external_id:
        identity = "c:" + data.customer_external_id
    else:
        identity = "o:" + data.external_id
    return zlib.crc32(identity.encode()) % parrain_settings.ORDER_DRAINS


def accept_order(
    program: Program, data: OrderData, along: tuple[InsertUnlessTaken, Model] | None = None
) -> OrderOutcome:
    """Store the order now and leave its attribution to a worker (``drain_accepted``).

    The same validation as ``record_order``, then one statement: the row without its
    contact, what only the attribution needs kept in ``intake`` (not null: pending), and
    its drain slot (``drain_slot``). A replay answers the stored order as it is now
    (``created=False``, pending or not). After the commit a drain of the slot is
    scheduled, unless one is queued already.

    ``along``: a row of the caller's to insert in the same statement, first (an inbound
    webhook's delivery claim, ``InsertUnlessTaken.after``): the order goes in only if that
    row did, else ``Taken`` is raised and nothing is stored."""
    if data.currency != program.currency:
        raise InvalidInput(f"This program counts in {program.currency}.", field="currency")
    slot = drain_slot(data)
    order = Order(
        program=program,
        external_id=data.external_id,
        amount=data.amount,
        currency=data.currency,
        placed_at=data.placed_at or timezone.now(),
        welcome_code=data.welcome_code,
        referral_code=data.referral_code.upper(),
        intake={
            name: value
            for name, value in (
                ("email", data.email),
                ("customer_external_id", data.customer_external_id),
                ("first_name", data.first_name),
                ("referral_click", data.referral_click),
            )
            if value
        }
        | {"drain": slot},
    )
    try:
        with server_prepared():
            if along is None:
                _insert_order(order)
            elif not _INSERT_ORDER.after(*along, order):
                raise _Stored
    except _Stored:
        stored = (
            Order.objects.select_related("referral")
            .filter(program=program, external_id=data.external_id)
            .get()
        )
        return OrderOutcome(
            order=stored, created=False, referral=stored.referral, pending=stored.is_pending
        )
    # Robust: the order is stored; a broker that cannot take the message must not turn the
    # answer into a 500 (the beat's sweep drains the program within a minute).
    program_id = program.pk
    transaction.on_commit(lambda: schedule_drain(program_id, slot), robust=True)
    return OrderOutcome(order=order, created=True, referral=None, pending=True)


def _accepted_data(order: Order) -> OrderData:
    """The ``OrderData`` an accepted order came with (validated then: not again)."""
    intake: dict[str, Any] = order.intake or {}
    return OrderData.model_construct(
        external_id=order.external_id,
        email=intake.get("email"),
        customer_external_id=intake.get("customer_external_id"),
        first_name=intake.get("first_name", ""),
        amount=order.amount,
        currency=order.currency,
        placed_at=order.placed_at,
        welcome_code=order.welcome_code,
        referral_code=order.referral_code,
        referral_click=intake.get("referral_click", ""),
    )


def attribute_accepted(order_id: int) -> OrderOutcome | None:
    """Attribute one accepted order exactly as ``record_order`` does a new one, in its own
    transaction, its row locked; None if it is attributed already (another drainer, a
    refund). A unique key lost to a concurrent request (the customer's contact), or a
    deadlock PostgreSQL broke by cancelling it, rolls the unit back and it runs once more,
    as in ``record_order``."""
    for attempt in range(2):
        try:
            with server_prepared(), batch_scope(), transaction.atomic(), audit.collected():
                order = (
                    Order.objects.select_for_update(of=("self",))
                    .select_related("program")
                    .filter(pk=order_id, intake__isnull=False)
                    .first()
                )
                if order is None:
                    return None
                return _record_new(order.program, _accepted_data(order), order)
        except IntegrityError:
            if attempt:
                raise
        except OperationalError as error:  # a deadlock with another drainer: once more
            if attempt or not is_deadlock(error):
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def _attribute_unit(program: Program, ids: list[int]) -> int:
    """Several accepted orders of one slot in one transaction: their rows locked in one
    statement, then attributed in id order, without a savepoint each (two round trips an
    order less, issue 16 §5): how many were attributed. An order that fails rolls the whole
    unit back and raises ``_UnitFailed`` naming it."""
    # One batch scope for the unit: its orders' events read the program's settings
    # (outbound endpoints…) once, not once an order.
    with server_prepared(), batch_scope(), fraud.cap_lock_nowait(), transaction.atomic():
        locked = list(
            Order.objects.select_for_update()
            .filter(pk__in=ids, intake__isnull=False)
            .order_by("pk")
        )
        for order in locked:
            order.program = program  # read once per batch, not once per order
            try:
                with audit.collected():
                    _record_new(program, _accepted_data(order), order)
            except Exception as exc:
                raise _UnitFailed(order.pk) from exc
    return len(locked)


class _UnitFailed(Exception):
    """An order of a drain unit failed: the unit rolled back (``_attribute_unit``)."""

    def __init__(self, order_id: int) -> None:
        super().__init__(order_id)
        self.order_id = order_id


def _attribute_batch(program: Program, ids: list[int], skipped: list[int]) -> int:
    """``ids`` attributed ``DRAIN_UNIT`` at a time. When an order fails, its unit rolls
    back: the orders before it run again as a unit, then it runs alone
    (``attribute_accepted``: a lost unique key, a deadlock with a concurrent drainer), then
    the ones after it, so one customer's orders keep their order; failing alone too, it is
    logged and left to the sweep."""
    done, queue, size, alone = 0, list(ids), DRAIN_UNIT, None
    while queue:
        if queue[0] == alone:
            try:
                done += attribute_accepted(alone) is not None
            except Exception:
                logger.exception("accepted order %s could not be attributed", alone)
                skipped.append(alone)
            queue, size, alone = queue[1:], DRAIN_UNIT, None
            continue
        unit = queue[:size]
        try:
            count = _attribute_unit(program, unit)
        except _UnitFailed as failure:
            alone, size = failure.order_id, max(1, unit.index(failure.order_id))
            continue
        except Exception:  # the unit's lock or commit failed: nothing of it is written
            alone, size = unit[0], DRAIN_UNIT
            continue
        done += count
        queue, size = queue[len(unit) :], DRAIN_UNIT
    return done


def _attribute_inline(order: Order) -> OrderOutcome:
    """A pending order attributed now, inside the caller's transaction that holds its row
    lock (a refund, an erasure): under a savepoint, run once more on a lost unique key."""
    for attempt in range(2):
        try:
            with batch_scope(), transaction.atomic(), audit.collected():
                return _record_new(order.program, _accepted_data(order), order)
        except IntegrityError:
            if attempt:
                raise
            order.refresh_from_db()
    raise AssertionError("unreachable")  # pragma: no cover


def attribute_pending_of(contact: Contact) -> int:
    """The program's accepted orders naming this person (address or customer id) are
    attributed now: before their orders are exported or erased. Returns how many."""
    wanted = [
        pk
        for pk, intake in Order.objects.filter(
            program_id=contact.program_id, intake__isnull=False
        ).values_list("pk", "intake")
        if (intake.get("email") and normalize_email(intake["email"]) == contact.email_normalized)
        or (contact.external_id and intake.get("customer_external_id") == contact.external_id)
    ]
    return sum(attribute_accepted(pk) is not None for pk in sorted(wanted))


def _drain_flag(program_id: int, slot: int) -> str:
    return f"parrain:orders:drain-queued:{program_id}:{slot}"


def schedule_drain(program_id: int, slot: int) -> None:
    """After an accepted order's commit: publish one drain of its slot, unless one is
    queued and not started yet (its flag is set). Why no order is left pending:

    * the flag is cleared by a drain *before* it reads anything (``drain_accepted``): if
      this order finds the flag set, that drain has not read yet, and will read after
      this order's commit, so it sees it;
    * if the flag is not set, this order publishes its own drain;
    * a drain that finds another holding the slot's lock returns at once, and the
      holder, once it let the lock go, looks for pending orders again and drains them
      (taking the lock again, or leaving them to whoever took it since, which reads after).

    A lost message (broker down, worker killed) is made up by the beat's sweep
    (``drain_stale``) within a minute."""
    from ..tasks import attribute_accepted_orders

    if cache.add(_drain_flag(program_id, slot), 1, timeout=DRAIN_FLAG_SECONDS):
        attribute_accepted_orders.delay(program_id, slot)


def _pending_ids(program_id: int, slot: int | None, skipped: list[int], limit: int) -> list[int]:
    pending = Order.objects.filter(program_id=program_id, intake__isnull=False)
    if slot is not None:
        pending = pending.filter(intake__drain=slot)
    return list(pending.exclude(pk__in=skipped).order_by("pk").values_list("pk", flat=True)[:limit])


def _drain_key(program_id: int, slot: int) -> int:
    """The slot's PostgreSQL advisory lock key (one bigint: class, program, slot)."""
    return (DRAIN_LOCK_CLASS << 40) | (program_id << 8) | slot


def _try_drain_lock(key: int) -> bool:
    if connection.vendor != "postgresql":  # SQLite: a single process
        return True
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
        return bool(cursor.fetchone()[0])


def _drain_unlock(key: int) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [key])


def _try_drain_locks(keys: list[int]) -> bool:
    """All the keys, or none (those taken are let go again)."""
    for n, key in enumerate(keys):
        if not _try_drain_lock(key):
            for taken in keys[:n]:
                _drain_unlock(taken)
            return False
    return True


def drain_accepted(program_id: int, slot: int | None = None) -> int:
    """Attribute the accepted orders of one drain slot of the program (``drain_slot``), in
    id order, a few per transaction, under the slot's advisory lock; returns how many this
    call attributed. Another drain of the slot running: returns 0 at once (it looks again
    once done: ``schedule_drain``). An order whose attribution fails is logged and left to
    the beat's next sweep. ``slot=None``: every pending order of the program in id order,
    under all of its slots' locks (or, one of them held, slot by slot)."""
    program = Program.objects.filter(pk=program_id).first()
    if program is None:  # deleted since, with its orders
        return 0
    slots = range(parrain_settings.ORDER_DRAINS) if slot is None else [slot]
    for each in slots:  # before any read: see ``schedule_drain``
        cache.delete(_drain_flag(program_id, each))
    done = _drain(program, slot, [_drain_key(program_id, each) for each in slots])
    if done is None:  # slot None, and one slot's drainer at work: each slot on its own
        return sum(drain_accepted(program_id, each) for each in slots)
    return done


def _drain(program: Program, slot: int | None, keys: list[int]) -> int | None:
    done, skipped = 0, []
    while True:
        if not _try_drain_locks(keys):
            return None if slot is None and not done else done
        try:
            while batch := _pending_ids(program.pk, slot, skipped, DRAIN_BATCH):
                program.refresh_from_db()  # read once per batch: its settings as they are
                done += _attribute_batch(program, batch, skipped)
        finally:
            for key in keys:
                _drain_unlock(key)
        # An order committed after the last read, whose own drain found the lock held.
        if not _pending_ids(program.pk, slot, skipped, 1):
            return done


def drain_stale(now: datetime | None = None) -> list[tuple[int, int]]:
    """The (program, slot) pairs with orders accepted more than ``PENDING_GRACE`` ago and
    still pending (a lost message, a restarted worker): a drain of each is published."""
    from ..tasks import attribute_accepted_orders

    limit = (now or timezone.now()) - PENDING_GRACE
    stale = Order.objects.filter(intake__isnull=False, recorded_at__lt=limit)
    slots = sorted(
        {(pk, intake.get("drain", 0)) for pk, intake in stale.values_list("program_id", "intake")}
    )
    for program_id, slot in slots:
        attribute_accepted_orders.delay(program_id, slot)
    return slots


def record_refund(program: Program, order_external_id: str, data: RefundData) -> Refund:
    """Record a refund once (by its id); a refund before validation cancels the referral."""
    return record_refund_outcome(program, order_external_id, data).refund


@transaction.atomic
def record_refund_outcome(
    program: Program, order_external_id: str, data: RefundData
) -> RefundOutcome:
    """``record_refund``, saying whether this call stored the refund: concurrent twins wait
    on the order's row lock, so exactly one of them is told ``created``."""
    order = (
        Order.objects.select_for_update()
        .filter(program=program, external_id=order_external_id)
        .first()
    )
    if order is None:
        raise NotFound("No order with this external id.", field="order_external_id")
    if order.intake is not None:  # accepted, not attributed yet: first, under this lock
        _attribute_inline(order)
    refund = Refund.objects.filter(order=order, external_id=data.external_id).first()
    if refund is not None:
        return RefundOutcome(refund=refund, created=False)
    remaining = order.amount - order.refunded_amount
    amount = remaining if data.amount is None else data.amount
    if amount > remaining:
        raise InvalidInput(f"At most {remaining} can still be refunded.", field="amount")
    refund = Refund.objects.create(
        order=order,
        external_id=data.external_id,
        amount=amount,
        refunded_at=data.refunded_at or timezone.now(),
    )
    order.refunded_amount += amount
    order.refunded_at = refund.refunded_at
    order.save(update_fields=["refunded_amount", "refunded_at"])
    audit.record(program, "order.refunded", order=order, amount=amount)
    _cancel_if_unvalidated(order)
    loyalty.reverse_order_points(order)
    signals.order_refunded.send(Program, order=order, refund=refund)
    return RefundOutcome(refund=refund, created=True)


def refund_keeps(referral: Referral, order: Order) -> bool:
    """Does what is left of ``order`` after its refunds still qualify for ``referral``?"""
    minimum = Decimal(str(referral.referrer_terms.get("minimum_order_amount", "0")))
    kept = order.amount - order.refunded_amount
    return kept > 0 and kept >= minimum


def _cancel_if_unvalidated(order: Order) -> None:
    if order.referral_id is None:
        return
    referral = referral_for_update(order.referral_id)
    if referral.order_id != order.pk or referral.status == ReferralStatus.CANCELLED:
        return
    if refund_keeps(referral, order):
        audit.record(order.program, "refund.partial_kept", referral=referral, order=order)
        return
    if referral.status in (ReferralStatus.CONVERTED, ReferralStatus.REVIEW):
        move(
            referral,
            ReferralStatus.CANCELLED,
            action="referral.cancelled",
            reason="refunded",
            order=order,
        )
    else:
        audit.record(
            order.program, "refund.after_validation", reason="kept", referral=referral, order=order
        )
