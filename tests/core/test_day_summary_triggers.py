"""The dashboard's statement triggers (core/day_summary.py) count every row a statement
changes, although they return early when nothing counted changed: multi-row statements
where some rows count and some do not, cancellations that move orders out of the referred
revenue, and an order written before its referral. Each step checks that the summary
written by the triggers equals the one rebuilt from the rows."""

from __future__ import annotations

import importlib
from datetime import date, datetime, time
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.utils import timezone

from parrain.core import day_summary
from parrain.core.factories import ProgramFactory
from parrain.core.models import (
    Contact,
    DayChannel,
    DayFirsts,
    DaySummary,
    Invitation,
    Order,
    Referral,
)
from parrain.core.models.choices import ReferralStatus
from parrain.core.services import stats

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db,
    pytest.mark.skipif("connection.vendor != 'postgresql'"),
]

DAY = date(2025, 3, 10)


def _at(hour: int) -> datetime:
    return timezone.make_aware(datetime.combine(DAY, time(hour)))


def _summary(program) -> list[tuple]:
    day_summary.compact()
    return [
        *DaySummary.objects.filter(program=program)
        .order_by("day")
        .values_list("day", "invitations", "converted", "revenue", "referred"),
        *DayFirsts.objects.filter(program=program)
        .order_by("day", "gap")
        .values_list("day", "gap", "referrers", "referees", "referees_converted"),
        *DayChannel.objects.filter(program=program)
        .order_by("day", "channel")
        .values_list("day", "channel", "orders", "revenue"),
    ]


def _assert_exact(program) -> list[tuple]:
    written = _summary(program)
    day_summary.rebuild(program.pk)
    assert _summary(program) == written
    assert stats.dashboard(program, DAY, DAY) == stats._dashboard_rows(program, DAY, DAY)
    return written


def _world(count: int = 4):
    program = ProgramFactory(rules=False)
    referrer = Contact.objects.create(program=program, email="referrer@example.com")
    referrals, orders = [], []
    for n in range(count):
        referee = Contact.objects.create(program=program, email=f"r{n}@example.com")
        invitation = Invitation.objects.create(
            program=program,
            referrer=referrer,
            referee=referee,
            channel="email",
            issued_at=_at(8),
            referrer_terms={},
        )
        referral = Referral.objects.create(
            program=program, referrer=referrer, referee=referee, invitation=invitation
        )
        orders.append(
            Order.objects.create(
                program=program,
                external_id=f"o{n}",
                contact=referee,
                referral=referral,
                channel="email",
                amount=Decimal("10.00") * (n + 1),
                currency="EUR",
                placed_at=_at(9 + n),
            )
        )
        referrals.append(referral)
    return program, referrals, orders


def test_a_multi_row_update_counts_every_row_it_changes() -> None:
    program, referrals, orders = _world()
    _assert_exact(program)
    # statements over every referral where one row changes and the others are written
    # unchanged: the changed row is the first written, then the last, then in the middle
    everyone = Referral.objects.filter(program=program)
    for n, changing in enumerate([referrals[3], referrals[0], referrals[2]]):
        everyone.update(status=ReferralStatus.CONVERTED, converted_at=_at(12))
        Referral.objects.filter(pk=changing.pk).update(
            status=ReferralStatus.INVITED, converted_at=None
        )
        _assert_exact(program)
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE parrain_referral SET status = 'converted', converted_at = %s"
                " WHERE program_id = %s",
                [_at(12), program.pk],
            )
        _assert_exact(program)
        assert stats.dashboard(program, DAY, DAY).converted_referees == 4, n
    # one refund among the orders, written by a statement that touches them all
    Order.objects.filter(program=program).update(refunded_amount=Decimal("0"))
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE parrain_order SET refunded_amount = CASE WHEN id = %s THEN 5 ELSE 0 END"
            " WHERE program_id = %s",
            [orders[-1].pk, program.pk],
        )
    written = _assert_exact(program)
    assert stats.dashboard(program, DAY, DAY).revenue == Decimal("95.00")
    # an update of columns that count for nothing leaves the summary as it was
    Referral.objects.filter(program=program).update(review_reason="checked")
    Order.objects.filter(program=program).update(currency="EUR")
    assert _summary(program) == written


def test_cancelling_some_referrals_moves_only_their_orders() -> None:
    program, referrals, _ = _world()
    Referral.objects.filter(pk__in=[referrals[1].pk, referrals[3].pk]).update(
        status=ReferralStatus.CANCELLED
    )
    _assert_exact(program)
    figures = stats.dashboard(program, DAY, DAY)
    assert (figures.revenue, figures.referred_revenue) == (Decimal("100.00"), Decimal("40.00"))
    # restored in one statement with a row that was never cancelled
    Referral.objects.filter(program=program).update(status=ReferralStatus.INVITED)
    _assert_exact(program)
    assert stats.dashboard(program, DAY, DAY).referred_revenue == Decimal("100.00")


def test_an_order_written_before_its_referral_counts_when_the_referral_comes() -> None:
    program, referrals, _ = _world(1)
    referee = Contact.objects.create(program=program, email="late@example.com")
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT nextval(pg_get_serial_sequence('parrain_referral', 'id'))")
            pk = cursor.fetchone()[0]
        # the foreign key is checked at commit: the order may name its referral first
        Order.objects.create(
            program=program,
            external_id="early",
            contact=referee,
            referral_id=pk,
            channel="email",
            amount=Decimal("7.00"),
            currency="EUR",
            placed_at=_at(15),
        )
        Referral.objects.create(
            pk=pk, program=program, referrer=referrals[0].referrer, referee=referee
        )
    _assert_exact(program)
    assert stats.dashboard(program, DAY, DAY).referred_revenue == Decimal("17.00")


def test_the_migration_installs_the_triggers_the_code_writes() -> None:
    migration = importlib.import_module("parrain.core.migrations.0033_day_summary_triggers")
    assert migration.TRIGGERS_SQL == day_summary.triggers_sql()
