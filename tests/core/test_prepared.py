"""core/prepared.py: a read compiled once gives what the ORM queryset gives (issue 16 §5)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection, connections, transaction
from django.db.models import Q
from django.test.utils import CaptureQueriesContext

from parrain.core import fraud
from parrain.core.factories import ProgramFactory
from parrain.core.models import ApiKey, Contact, Order, Referral
from parrain.core.prepared import Prepared
from parrain.core.services import ownership
from parrain.core.services.enrolment import enrol_referrer, referrer_by_code
from parrain.core.services.orders import OrderData, record_order

pytestmark = pytest.mark.django_db

SAMPLE_AT = datetime(1901, 2, 3, tzinfo=UTC)


def _referrals(program_id: int, since: datetime):  # noqa: ANN202
    return (
        Referral.objects.filter(program_id=program_id, invited_at__gte=since)
        .exclude(status="cancelled")
        .select_related("program", "referrer")
        .order_by("pk")
    )


def _fields(referral: Referral) -> tuple:
    return (
        referral.pk,
        referral.status,
        referral.invited_at,
        referral.referrer_terms,
        referral.program.slug,
        referral.program.attribution_window_days,
        referral.referrer.email,
        referral.referrer.referrer_code,
    )


def test_a_prepared_read_gives_the_querysets_instances_with_each_calls_values() -> None:
    first, second = ProgramFactory(), ProgramFactory()
    for program in (first, second):
        for n in range(3):
            code = enrol_referrer(program, f"r{n}@example.com").code
            data = {"amount": "80.00", "currency": "EUR", "referral_code": code}
            record_order(program, OrderData(external_id=f"O{n}", email=f"f{n}@example.org", **data))
    prepared = Prepared(_referrals, -1, SAMPLE_AT)
    since = datetime.now(tz=UTC) - timedelta(days=1)
    for program in (first, second, first):
        with CaptureQueriesContext(connection) as queries:
            got = prepared.all(program.pk, since)
        assert len(queries.captured_queries) == 1  # program and referrer joined, as asked
        expected = list(_referrals(program.pk, since))
        assert [_fields(r) for r in got] == [_fields(r) for r in expected]
        assert len(got) == 3
    assert prepared.all(first.pk, datetime.now(tz=UTC) + timedelta(days=1)) == []
    assert prepared.first(first.pk, since).pk == _referrals(first.pk, since).first().pk


@pytest.mark.django_db(transaction=True)
def test_a_prepared_read_runs_on_the_calling_threads_connection() -> None:
    program = ProgramFactory()
    referrer = enrol_referrer(program, "r@example.com").contact
    prepared = Prepared(lambda pk: Contact.objects.filter(pk=pk), -1)
    assert prepared.first(referrer.pk) == referrer  # compiled on this thread
    found = []

    def other() -> None:
        try:
            found.append(prepared.first(referrer.pk))
        finally:
            connection.close()

    thread = threading.Thread(target=other)
    thread.start()
    thread.join()
    assert found == [referrer]


def test_on_another_database_the_read_is_the_plain_orms(monkeypatch) -> None:  # noqa: ANN001
    """SQLite (the demo) turns a datetime sample into text while compiling: there the read
    is built by the ORM at each call, with the same answers, and nothing is compiled."""
    program = ProgramFactory()
    code = enrol_referrer(program, "r@example.com").code
    record_order(
        program,
        OrderData(
            external_id="O1",
            email="f@example.org",
            amount="80.00",
            currency="EUR",
            referral_code=code,
        ),
    )
    prepared = Prepared(_referrals, -1, SAMPLE_AT)
    since = datetime.now(tz=UTC) - timedelta(days=1)
    monkeypatch.setattr(type(connections["default"]), "vendor", "sqlite")
    got = prepared.all(program.pk, since)
    assert [_fields(r) for r in got] == [_fields(r) for r in _referrals(program.pk, since)]
    assert len(got) == 1
    assert prepared._compiled == {}
    monkeypatch.undo()
    assert [_fields(r) for r in prepared.all(program.pk, since)] == [_fields(r) for r in got]
    assert prepared._compiled  # PostgreSQL: compiled once


def test_samples_must_reach_the_sql_unchanged_and_be_distinct() -> None:
    contains = Prepared(lambda email: Contact.objects.filter(email__contains=email), "x@y")
    with pytest.raises(ValueError, match="do not reach the SQL"):
        contains.all("a@b")
    equal = Prepared(lambda a, b: Contact.objects.filter(Q(pk=a) | Q(program_id=b)), -1, -1)
    with pytest.raises(ValueError, match="are equal"):
        equal.all(1, 2)


def test_the_order_paths_prepared_reads_answer_as_their_orm_versions() -> None:
    """The reads moved to Prepared (API key, referrer by code, live referral, the
    existing-customer and monthly-cap fraud rules) against the ORM they replace."""
    program = ProgramFactory(currency="EUR", monthly_reward_cap=5)
    _, key = program.create_api_key("tests")
    hashed = ApiKey.hash(key)
    found = ApiKey.objects.select_related("program").filter(hashed=hashed).first()
    from parrain.core.api.security import _API_KEY

    assert _API_KEY.first(hashed, datetime.now(tz=UTC)) == found
    assert _API_KEY.first(hashed, datetime.now(tz=UTC)).program.slug == program.slug
    assert _API_KEY.first("nope", datetime.now(tz=UTC)) is None

    code = enrol_referrer(program, "alice@example.com").code
    assert referrer_by_code(program, f" {code.lower()} ").referrer_code == code
    assert referrer_by_code(program, "NOPE") is None
    assert referrer_by_code(None, code).referrer_code == code

    data = {"amount": "80.00", "currency": "EUR", "referral_code": code}
    outcome = record_order(program, OrderData(external_id="A", email="f@example.org", **data))
    assert outcome.referral.status == "converted"
    friend = outcome.order.contact
    alias = Contact.objects.create(
        program=program, email="f+tag@example.org", email_normalized="f+tag@example.org"
    )
    assert alias.email_canonical == friend.email_canonical
    assert ownership.live_referral(alias).pk == outcome.referral.pk
    with transaction.atomic():
        assert ownership.live_referral(alias, lock=True).pk == outcome.referral.pk

    later = Order.objects.create(
        program=program,
        external_id="B",
        contact=alias,
        amount=10,
        currency="EUR",
        placed_at=outcome.order.placed_at + timedelta(hours=1),
    )
    referrer = outcome.referral.referrer
    check = fraud.Check(program=program, referrer=referrer, referee=alias, order=later)
    assert fraud.existing_customer(check) == "existing_customer"  # the first order was f's
    check = fraud.Check(program=program, referrer=referrer, referee=friend, order=outcome.order)
    assert fraud.existing_customer(check) is None  # the order itself does not count
    check.at = outcome.order.placed_at
    assert fraud.monthly_reward_cap(check) is None
    program.monthly_reward_cap = 1
    assert fraud.monthly_reward_cap(check) == "monthly_reward_cap"


def _prepared_statements() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements")
        return cursor.fetchone()[0]


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_recording_orders_prepares_their_statements_once_per_connection(settings) -> None:  # noqa: ANN001
    """``server_prepared`` around an order: from its third run on the connection each of its
    statements runs prepared, and the attribution is the same; then the connection is back
    to Django's client-side binding. ``PARRAIN_PREPARED_ORDERS = False`` prepares none."""
    program = ProgramFactory()
    code = enrol_referrer(program, "r@example.com").code
    data = {"amount": "80.00", "currency": "EUR", "referral_code": code}
    settings.PARRAIN_PREPARED_ORDERS = False
    for n in range(3):
        record_order(program, OrderData(external_id=f"N{n}", email=f"n{n}@example.org", **data))
    assert _prepared_statements() == 0
    settings.PARRAIN_PREPARED_ORDERS = True
    outcomes = [
        record_order(program, OrderData(external_id=f"P{n}", email=f"p{n}@example.org", **data))
        for n in range(3)
    ]
    assert _prepared_statements() >= 10
    assert [outcome.referral.status for outcome in outcomes] == ["converted"] * 3
    assert type(connection.connection.cursor()).__name__ == "Cursor"  # Django's client one
    assert connection.connection.prepare_threshold is None


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_prepared_statements_are_planned_once_without_their_values(settings) -> None:  # noqa: ANN001
    """A connection that recorded an order plans its prepared statements once, generic
    (PostgreSQL's default planned the facts probe again at every run: its range looked
    costlier without values); Django's unprepared statements are not concerned."""
    program = ProgramFactory()
    settings.PARRAIN_PREPARED_ORDERS = True
    with connection.cursor() as cursor:
        cursor.execute("RESET plan_cache_mode")
    connection.connection._parrain_generic_plans = False
    record_order(program, OrderData(external_id="G", amount="8.00", currency="EUR"))
    with connection.cursor() as cursor:
        cursor.execute("SHOW plan_cache_mode")
        assert cursor.fetchone()[0] == "force_generic_plan"


def test_the_existing_customer_rule_probes_the_contacts_orders_by_index() -> None:
    """Its earlier order is a scalar subquery, not an EXISTS under OR: PostgreSQL answered
    that EXISTS by hashing every order of the table for each new order (issue 16 §5)."""
    sql = str(fraud._customer_before(1, "x@example.org", datetime(2025, 1, 1, tzinfo=UTC), 2).query)
    assert "EXISTS" not in sql.upper() and '"parrain_order"' in sql
