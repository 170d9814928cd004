"""Orders accepted at once and attributed by a worker (issue 16 §5, ``accept_order``).

The central check is an equivalence: each scenario runs twice on programs set up alike,
once through ``record_order`` and once through ``accept_order`` then a drain, and every
consequence a shop owner, a referrer or the shop's server sees must be the same: the
referrals and their statuses, rewards, audit actions, loyalty lines, scheduled messages,
outbound events, orders and the dashboard's summary.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from parrain.core import day_summary
from parrain.core.factories import ProgramFactory, verified_referrer, welcome_order
from parrain.core.models import (
    AuditEvent,
    Contact,
    DayChannel,
    DaySummary,
    LoyaltyEntry,
    Order,
    Program,
    Referral,
    Reward,
    RewardRule,
    ScheduledMessage,
)
from parrain.core.models.choices import FraudAction, ReferralStatus, Side
from parrain.core.services import orders, scenarios
from parrain.core.services.contacts import ContactData, upsert_contact
from parrain.core.services.enrolment import enrol_referrer
from parrain.core.services.invitations import invite_by_email
from parrain.core.services.orders import OrderData, accept_order, drain_accepted, record_order
from parrain.core.services.registration import register_referee
from parrain.plugins.generic_webhook.models import OutboundEndpoint, OutboundMessage

from .boost_helpers import make_boost

pytestmark = pytest.mark.django_db

FRIEND = "friend@example.org"


def _order(external_id: str, email: str | None = FRIEND, **extra: Any) -> OrderData:
    fields: dict[str, Any] = {"amount": Decimal("60"), "currency": "EUR", **extra}
    return OrderData(external_id=external_id, email=email, **fields)


# Each scenario sets a program up and returns the orders to record, in their order.
Setup = Callable[[Program], list[OrderData]]


def _referral_code(program: Program) -> list[OrderData]:
    code = enrol_referrer(program, "alice@example.com").code
    return [_order("A-1", referral_code=code.lower())]


def _welcome_code(program: Program) -> list[OrderData]:
    return [welcome_order(program, external_id="A-1", amount="70", referee=FRIEND)]


def _email(program: Program) -> list[OrderData]:
    referrer = verified_referrer(program, "alice@example.com")
    invite_by_email(referrer, [FRIEND])
    return [_order("A-1")]


def _existing_customer(action: str) -> Setup:
    def setup(program: Program) -> list[OrderData]:
        program.fraud_existing_customer = action
        program.save()
        code = enrol_referrer(program, "alice@example.com").code
        welcome = register_referee(program, code, FRIEND).reward
        old = _order("OLD-1", placed_at=timezone.now() - timedelta(days=30))
        return [old, _order("A-1", welcome_code=welcome.code)]

    return setup


def _below_minimum(program: Program) -> list[OrderData]:
    RewardRule.objects.filter(program=program, side=Side.REFERRER).update(
        minimum_order_amount=Decimal("100")
    )
    code = enrol_referrer(program, "alice@example.com").code
    return [_order("A-1", referral_code=code)]


def _unknown_code(program: Program) -> list[OrderData]:
    enrol_referrer(program, "alice@example.com")
    return [_order("A-1", referral_code="NOSUCHCODE")]


def _no_email(program: Program) -> list[OrderData]:
    code = enrol_referrer(program, "alice@example.com").code
    return [_order("A-1", email=None, referral_code=code)]


def _replay(program: Program) -> list[OrderData]:
    code = enrol_referrer(program, "alice@example.com").code
    return [_order("A-1", referral_code=code), _order("A-1", referral_code=code)]


def _two_orders(program: Program) -> list[OrderData]:
    code = enrol_referrer(program, "alice@example.com").code
    return [_order("A-1", referral_code=code), _order("A-2", referral_code=code)]


def _boosted(program: Program) -> list[OrderData]:
    now = timezone.now()
    make_boost(program, now, now + timedelta(days=1))
    code = enrol_referrer(program, "alice@example.com").code
    return [_order("A-1", referral_code=code)]


def _scenario_messages(program: Program) -> list[OrderData]:
    scenarios.install_default_scenario(program)
    code = enrol_referrer(program, "alice@example.com").code
    return [_order("A-1", referral_code=code), _order("B-1", email="carol@example.org")]


def _known_customer(program: Program) -> list[OrderData]:
    upsert_contact(program, ContactData(email=FRIEND, first_name="Fred"))
    code = enrol_referrer(program, "alice@example.com").code
    return [_order("A-1", referral_code=code, first_name="Frederic", customer_external_id="c9")]


SCENARIOS: dict[str, Setup] = {
    "referral code": _referral_code,
    "welcome code": _welcome_code,
    "email attribution": _email,
    "existing customer, review": _existing_customer(FraudAction.REVIEW),
    "existing customer, block": _existing_customer(FraudAction.BLOCK),
    "below minimum": _below_minimum,
    "unknown code": _unknown_code,
    "no email": _no_email,
    "replay": _replay,
    "two orders of one friend": _two_orders,
    "boosted offer": _boosted,
    "scenario message": _scenario_messages,
    "known contact": _known_customer,
}


def _program(n: int) -> Program:
    program = ProgramFactory(slug=f"intake-{n}", loyalty_points_per_unit=Decimal("1"))
    OutboundEndpoint.objects.create(program=program, url="https://shop.example.com/hook")
    return program


def _run(setup: Setup, n: int, background: bool) -> tuple[Program, list[tuple]]:
    program = _program(n)
    answers = []
    for data in setup(program):
        if background:
            outcome = accept_order(program, data)
            answers.append((outcome.created, outcome.order.external_id))
        else:
            outcome = record_order(program, data)
            answers.append((outcome.created, outcome.order.external_id))
    if background:
        assert Order.objects.filter(program=program, intake__isnull=False).exists() or all(
            not created for created, _ in answers
        )
        drain_accepted(program.pk)
    return program, answers


def _email_of(contact: Contact | None) -> str | None:
    return contact.email if contact is not None else None


def snapshot(program: Program) -> dict[str, Any]:
    referrals = Referral.objects.filter(program=program).select_related(
        "referrer", "referee", "order"
    )
    return {
        "referrals": sorted(
            (
                r.referrer.email,
                r.referee.email,
                r.status,
                r.cancel_reason,
                r.review_reason,
                r.order.external_id if r.order else None,
                repr(sorted(t for t in r.referrer_terms.items() if not t[0].endswith("_id"))),
            )
            for r in referrals
        ),
        "rewards": sorted(
            (w.side, w.status, w.kind, str(w.value), _email_of(w.recipient))
            for w in Reward.objects.filter(program=program).select_related("recipient")
        ),
        "audit": [
            (e.action, e.reason)
            for e in AuditEvent.objects.filter(program=program).order_by("at", "pk")
        ],
        "loyalty": sorted(
            (e.kind, e.points, e.contact.email, e.external_id)
            for e in LoyaltyEntry.objects.filter(program=program).select_related("contact")
        ),
        "messages": sorted(
            (m.kind, m.channel, _email_of(m.contact), m.status)
            for m in ScheduledMessage.objects.filter(program=program).select_related("contact")
        ),
        "outbound": sorted(
            OutboundMessage.objects.filter(endpoint__program=program).values_list(
                "event_type", flat=True
            )
        ),
        "orders": sorted(
            (
                o.external_id,
                _email_of(o.contact),
                o.referral.status if o.referral else None,
                o.channel,
                o.intake,
                str(o.amount),
            )
            for o in Order.objects.filter(program=program).select_related("contact", "referral")
        ),
        "contacts": sorted(
            (c.email, c.first_name, c.external_id, c.is_customer)
            for c in Contact.objects.filter(program=program)
        ),
        "summary": _summary(program),
    }


def _summary(program: Program) -> list[tuple]:
    if connection.vendor != "postgresql":
        return []
    day_summary.compact()
    written = [
        *DaySummary.objects.filter(program=program)
        .order_by("day")
        .values_list("day", "invitations", "converted", "revenue", "referred"),
        *DayChannel.objects.filter(program=program)
        .order_by("day", "channel")
        .values_list("day", "channel", "orders", "revenue"),
    ]
    day_summary.rebuild(program.pk)
    day_summary.compact()
    rebuilt = [
        *DaySummary.objects.filter(program=program)
        .order_by("day")
        .values_list("day", "invitations", "converted", "revenue", "referred"),
        *DayChannel.objects.filter(program=program)
        .order_by("day", "channel")
        .values_list("day", "channel", "orders", "revenue"),
    ]
    assert written == rebuilt, "the triggers' summary differs from a rebuild"
    return written


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_an_order_accepted_then_drained_ends_as_a_synchronous_one(name: str) -> None:
    setup = SCENARIOS[name]
    sync_program, sync_answers = _run(setup, 1, background=False)
    async_program, async_answers = _run(setup, 2, background=True)
    assert async_answers == sync_answers
    expected, got = snapshot(sync_program), snapshot(async_program)
    for part in expected:
        assert got[part] == expected[part], part
    assert not Order.objects.filter(intake__isnull=False).exists()


def test_the_scenarios_do_what_their_names_say() -> None:
    """The table above is worth something only if its scenarios differ: spot checks."""
    program, _answers = _run(_existing_customer(FraudAction.REVIEW), 1, background=True)
    assert Referral.objects.get(program=program).status == ReferralStatus.REVIEW
    program, _answers = _run(_two_orders, 2, background=True)
    referral = Referral.objects.get(program=program)
    assert referral.status == ReferralStatus.CONVERTED
    assert referral.order.external_id == "A-1"  # the first of the two converts
    program, _answers = _run(_boosted, 3, background=True)
    assert "20" in str(Referral.objects.get(program=program).referrer_terms)


def test_an_accepted_order_is_stored_at_once_with_what_its_attribution_needs() -> None:
    program = _program(1)
    code = enrol_referrer(program, "alice@example.com").code
    outcome = accept_order(
        program, _order("A-1", referral_code=code.lower(), first_name="Fred", referral_click="")
    )
    assert outcome.created and outcome.pending and outcome.referral is None
    order = Order.objects.get(pk=outcome.order.pk)
    assert order.contact is None and order.referral is None
    # ``drain``: the drain slot of the order's customer (``orders.drain_slot``).
    slot = orders.drain_slot(_order("A-1"))
    assert order.intake == {"email": FRIEND, "first_name": "Fred", "drain": slot}
    assert order.referral_code == code.upper()
    assert not Contact.objects.filter(program=program, email=FRIEND).exists()
    # A replay answers the stored order, still pending, and stores nothing.
    again = accept_order(program, _order("A-1", amount=Decimal("99")))
    assert not again.created and again.pending and again.order.pk == order.pk
    assert Order.objects.filter(program=program).count() == 1
    assert drain_accepted(program.pk) == 1
    order.refresh_from_db()
    assert order.intake is None and order.contact.email == FRIEND
    assert order.referral.status == ReferralStatus.CONVERTED
    # Attributed now: a replay says so.
    done = accept_order(program, _order("A-1"))
    assert not done.created and not done.pending and done.referral == order.referral
    assert drain_accepted(program.pk) == 0


def test_an_accepted_order_is_validated_like_a_recorded_one() -> None:
    from parrain.core.exceptions import InvalidInput

    program = _program(1)
    with pytest.raises(InvalidInput):
        accept_order(program, _order("A-1", currency="USD"))
    assert not Order.objects.filter(program=program).exists()


def test_a_refund_of_a_pending_order_attributes_it_first() -> None:
    program = _program(1)
    code = enrol_referrer(program, "alice@example.com").code
    accept_order(program, _order("A-1", referral_code=code))
    refund = orders.record_refund(program, "A-1", orders.RefundData(external_id="R-1"))
    order = Order.objects.get(pk=refund.order_id)
    assert order.intake is None and order.contact.email == FRIEND
    # Attributed, then refunded in full before validation: the referral is cancelled.
    assert order.referral.status == ReferralStatus.CANCELLED
    assert order.referral.cancel_reason == "refunded"
    assert drain_accepted(program.pk) == 0
    actions = list(
        AuditEvent.objects.filter(program=program).order_by("pk").values_list("action", flat=True)
    )
    assert actions.index("referral.attributed") < actions.index("order.refunded")


def test_a_drain_already_running_for_the_program_makes_a_second_return_at_once() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("advisory locks: PostgreSQL")
    import psycopg
    from django.conf import settings

    program = _program(1)
    accept_order(program, _order("A-1"))
    key = orders._drain_key(program.pk, orders.drain_slot(_order("A-1")))
    db = settings.DATABASES["default"]
    other = psycopg.connect(
        host=db["HOST"] or None,
        port=db["PORT"] or None,
        user=db["USER"],
        password=db["PASSWORD"] or None,
        dbname=connection.settings_dict["NAME"],
        autocommit=True,
    )
    try:
        other.execute("SELECT pg_advisory_lock(%s)", [key])
        assert drain_accepted(program.pk) == 0
        assert Order.objects.get(program=program).intake is not None
        other.execute("SELECT pg_advisory_unlock(%s)", [key])
        assert drain_accepted(program.pk) == 1
    finally:
        other.close()


def test_the_drain_holder_looks_again_after_letting_go(monkeypatch) -> None:
    """The race "an order commits while the drainer finishes": its own drain finds the
    lock held and returns at once; the holder, once it let go, finds it and attributes it."""
    program = _program(1)
    accept_order(program, _order("A-1"))
    real_unlock, late = orders._drain_unlock, []

    def unlock(key: int) -> None:
        if not late:  # the holder read everything; an order commits, its drain is refused
            # The same customer's second order: the same slot as the holder's.
            late.append(accept_order(program, _order("A-2")))
            monkeypatch.setattr(orders, "_try_drain_lock", lambda key: False)
            assert drain_accepted(program.pk) == 0
            monkeypatch.undo()
            monkeypatch.setattr(orders, "_drain_unlock", unlock)
        real_unlock(key)

    monkeypatch.setattr(orders, "_drain_unlock", unlock)
    assert drain_accepted(program.pk) == 2
    assert not Order.objects.filter(program=program, intake__isnull=False).exists()


def test_accepted_orders_publish_one_drain_while_one_is_queued(
    monkeypatch, django_capture_on_commit_callbacks
) -> None:
    from django.core.cache import cache

    from parrain.core import tasks

    program = _program(1)
    datas = [_order(f"A-{n}", email=f"f{n}@example.org") for n in range(12)]
    slots = {orders.drain_slot(data) for data in datas}
    for slot in slots:
        cache.delete(orders._drain_flag(program.pk, slot))
    published: list[tuple[int, int]] = []
    monkeypatch.setattr(tasks.attribute_accepted_orders, "delay", lambda *a: published.append(a))
    with django_capture_on_commit_callbacks(execute=True):
        for data in datas:
            accept_order(program, data)
    # One message per slot the twelve orders fell in, and several slots among them.
    assert sorted(published) == [(program.pk, slot) for slot in sorted(slots)]
    assert len(slots) > 1
    slot = orders.drain_slot(_order("B-1"))
    drain_accepted(program.pk, slot)  # the queued drain starts: the flag goes first
    with django_capture_on_commit_callbacks(execute=True):
        accept_order(program, _order("B-1"))
    assert published[-1] == (program.pk, slot) and len(published) == len(slots) + 1


def test_an_order_whose_attribution_fails_is_skipped_and_the_others_drain(
    monkeypatch, caplog
) -> None:
    program = _program(1)
    first = accept_order(program, _order("A-1", email="a@example.org")).order
    accept_order(program, _order("A-2", email="b@example.org"))
    real = orders._record_new

    def failing(program_: Program, data: OrderData, accepted: Order | None = None) -> Any:
        if data.external_id == "A-1":
            raise RuntimeError("boom")
        return real(program_, data, accepted)

    monkeypatch.setattr(orders, "_record_new", failing)
    assert drain_accepted(program.pk) == 1
    assert Order.objects.get(pk=first.pk).intake is not None  # left for the beat's sweep
    assert "could not be attributed" in caplog.text


def test_the_sweep_drains_programs_whose_orders_wait_too_long(monkeypatch) -> None:
    from parrain.core import tasks

    program = _program(1)
    accept_order(program, _order("A-1"))
    slot = orders.drain_slot(_order("A-1"))
    published: list[tuple[int, int]] = []
    monkeypatch.setattr(tasks.attribute_accepted_orders, "delay", lambda *a: published.append(a))
    assert orders.drain_stale() == []  # accepted a moment ago: its own drain comes
    later = timezone.now() + orders.PENDING_GRACE + timedelta(seconds=1)
    assert orders.drain_stale(later) == [(program.pk, slot)]
    assert published == [(program.pk, slot)]


def test_the_beat_runs_the_sweep_every_minute() -> None:
    from parrain.core.beat import BEAT_SCHEDULE

    entry = BEAT_SCHEDULE["parrain-drain-accepted-orders"]
    assert entry["task"] == "parrain.core.tasks.drain_stale_accepted_orders"
    assert entry["schedule"].minute == set(range(60))


def test_erasing_a_person_leaves_no_copy_in_a_pending_orders_intake() -> None:
    from parrain.core.services.erasure import erase_contact

    program = _program(1)
    contact = upsert_contact(program, ContactData(email=FRIEND, first_name="Fred"))[0]
    accept_order(program, _order("A-1", first_name="Fredegonde"))
    accept_order(program, _order("B-1", email="someone@example.org"))
    erase_contact(contact, actor="test")
    mine = Order.objects.get(program=program, external_id="A-1")
    assert mine.intake is None and mine.contact_id == contact.pk
    other = Order.objects.get(program=program, external_id="B-1")
    slot = orders.drain_slot(_order("B-1", email="someone@example.org"))
    assert other.intake == {"email": "someone@example.org", "drain": slot}  # not theirs
    for intake in Order.objects.filter(program=program).values_list("intake", flat=True):
        assert FRIEND not in str(intake) and "Fredegonde" not in str(intake)


def test_an_export_lists_the_persons_pending_orders() -> None:
    from parrain.core.services.contact_export import exported

    program = _program(1)
    contact = upsert_contact(program, ContactData(email=FRIEND))[0]
    accept_order(program, _order("A-1"))
    data = exported(contact, actor="test")
    assert [o["external_id"] for o in data["orders"]] == ["A-1"]


def test_the_admin_shows_a_pending_order_as_such(admin_client) -> None:
    program = _program(1)
    order = accept_order(program, _order("A-1")).order
    listing = admin_client.get("/admin/parrain/order/", HTTP_ACCEPT_LANGUAGE="en")
    assert "Attribution pending" in listing.content.decode()
    detail = admin_client.get(f"/admin/parrain/order/{order.pk}/change/", HTTP_ACCEPT_LANGUAGE="en")
    assert "Attribution pending" in detail.content.decode()
    french = admin_client.get("/admin/parrain/order/", HTTP_ACCEPT_LANGUAGE="fr")
    assert "Attribution en attente" in french.content.decode()
    accept_order(program, _order("B-1", email="someone.else@example.org"))
    # The shop owner looks the customer up by address before any worker ran.
    found = admin_client.get("/admin/parrain/order/", {"q": FRIEND.split("@")[0].upper()})
    assert found.status_code == 200
    assert list(found.context["cl"].result_list) == [order]
    drain_accepted(program.pk)
    # Attributed, found by the contact's address as before (the intake is cleared).
    found = admin_client.get("/admin/parrain/order/", {"q": FRIEND})
    assert [o.pk for o in found.context["cl"].result_list] == [order.pk]
    listing = admin_client.get("/admin/parrain/order/", HTTP_ACCEPT_LANGUAGE="en")
    assert "Attribution pending" not in listing.content.decode()


def test_the_dashboard_counts_a_pending_order_then_moves_it_to_referred_revenue() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the summary's triggers: PostgreSQL")
    program = _program(1)
    code = enrol_referrer(program, "alice@example.com").code
    accept_order(program, _order("A-1", referral_code=code))
    [(_day, _invitations, converted, revenue, referred)] = [
        row[:5] for row in _summary(program) if len(row) == 5 and not isinstance(row[1], str)
    ]
    assert (converted, revenue, referred) == (0, Decimal("60"), Decimal("0"))
    drain_accepted(program.pk)
    [(_day, _invitations, converted, revenue, referred)] = [
        row[:5] for row in _summary(program) if len(row) == 5 and not isinstance(row[1], str)
    ]
    assert (converted, revenue, referred) == (1, Decimal("60"), Decimal("60"))


def test_a_broker_down_after_the_commit_does_not_fail_the_accepted_order(
    monkeypatch, django_capture_on_commit_callbacks, caplog
) -> None:
    """The order is stored: a message that cannot be published is logged, and the beat's
    sweep drains the program later."""
    from django.core.cache import cache

    from parrain.core import tasks

    program = _program(1)
    cache.delete(orders._drain_flag(program.pk, orders.drain_slot(_order("A-1"))))

    def down(program_id: int, slot: int) -> None:
        raise OSError("broker unreachable")

    monkeypatch.setattr(tasks.attribute_accepted_orders, "delay", down)
    with django_capture_on_commit_callbacks(execute=True):
        outcome = accept_order(program, _order("A-1"))
    assert outcome.created and Order.objects.get(program=program).is_pending
    assert "broker unreachable" in caplog.text
