"""The invitation facts and the daily summary behind the dashboard stay exact: after random
invitations (issued out of order), conversions, cancellations, orders, refunds, consent
changes and erasures, every range's figures equal a brute-force count, the page read from
the summary equals the page read from the rows, the summary equals a full rebuild, and the
cohort conversion rate never passes 100 %."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import F
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from parrain.core import day_summary, invitation_facts
from parrain.core.factories import ProgramFactory
from parrain.core.models import (
    Contact,
    DayChannel,
    DayFirsts,
    DaySummary,
    Invitation,
    Order,
    Program,
    Referral,
)
from parrain.core.models.choices import ReferralStatus
from parrain.core.services import stats, transitions
from parrain.core.services.erasure import erase_contact

pytestmark = pytest.mark.django_db

DAY0 = date(2025, 3, 1)
step = st.one_of(
    st.tuples(st.just("invite"), st.integers(0, 3), st.integers(4, 9), st.integers(0, 20)),
    st.tuples(st.just("convert"), st.integers(4, 9), st.just(0), st.just(0)),
    st.tuples(st.just("refund"), st.integers(4, 9), st.just(0), st.just(0)),
    st.tuples(st.just("erase"), st.integers(0, 9), st.just(0), st.just(0)),
    st.tuples(st.just("order"), st.integers(4, 9), st.integers(1, 300), st.integers(0, 20)),
    st.tuples(st.just("refund_order"), st.integers(4, 9), st.integers(0, 2), st.just(0)),
    st.tuples(st.just("consent"), st.integers(4, 9), st.integers(0, 2), st.just(0)),
    st.tuples(st.just("compact"), st.just(0), st.just(0), st.just(0)),
)
CHANNELS = ["email", "sms", None]


def _at(day: int, n: int) -> datetime:
    moment = datetime.combine(DAY0 + timedelta(days=day), time(9)) + timedelta(minutes=n % 3)
    return timezone.make_aware(moment)


def _expected(program, start: date, end: date) -> dict[str, int]:
    def inside(moment: datetime) -> bool:
        return start <= timezone.localtime(moment).date() <= end

    rows = [i for i in Invitation.objects.filter(program=program) if inside(i.issued_at)]
    referees = {i.referee_id for i in rows}
    customers = set(
        Referral.objects.filter(program=program, converted_at__isnull=False).values_list(
            "referee_id", flat=True
        )
    )
    orders = [o for o in Order.objects.filter(program=program) if inside(o.placed_at)]
    live = set(
        Referral.objects.filter(program=program)
        .exclude(status=ReferralStatus.CANCELLED)
        .values_list("pk", flat=True)
    )
    referred = [o for o in orders if o.referral_id in live]
    consent = {i.referee_id: i.referee_consent for i in rows}
    return {
        "invitations": len(rows),
        "influencers": len({i.referrer_id for i in rows}),
        "invited_referees": len(referees),
        "invited_referees_converted": len(referees & customers),
        "converted_referees": sum(
            1
            for r in Referral.objects.filter(program=program, status__in=stats.CONVERTED_STATUSES)
            if r.converted_at and inside(r.converted_at)
        ),
        "opt_in_consented": sum(1 for v in consent.values() if v is True),
        "opt_in_answered": sum(1 for v in consent.values() if v is not None),
        "revenue": sum((o.amount - o.refunded_amount for o in orders), Decimal("0.00")),
        "referred_revenue": sum((o.amount - o.refunded_amount for o in referred), Decimal("0.00")),
    }


def _summary(program) -> list[tuple]:
    day_summary.compact()  # the pending deltas, folded (the summary rows alone)
    return [
        tuple(row)
        for model, fields in (
            (DaySummary, ("day", "invitations", "converted", "revenue", "referred")),
            (
                DayFirsts,
                (
                    "day",
                    "gap",
                    "referrers",
                    "referees",
                    "referees_converted",
                    "referees_consented",
                    "referees_answered",
                ),
            ),
            (DayChannel, ("day", "channel", "orders", "revenue")),
        )
        for row in model.objects.filter(program=program).order_by(*fields).values_list(*fields)
    ]


def _apply(program, people, n: int, kind: str, a: int, b: int, day: int) -> None:
    """One random change (``step``)."""
    if kind == "invite":
        Invitation.objects.create(
            program=program,
            referrer=people[a],
            referee=people[b],
            channel="email",
            issued_at=_at(day, n),  # out of order on purpose
            referrer_terms={},
        )
        if (
            not Referral.objects.filter(program=program, referee=people[b])
            .exclude(status=ReferralStatus.CANCELLED)
            .exists()
        ):
            Referral.objects.create(program=program, referrer=people[a], referee=people[b])
    live = Referral.objects.filter(program=program, referee=people[a]).exclude(
        status=ReferralStatus.CANCELLED
    )
    if kind == "convert" and (referral := live.filter(status="invited").first()):
        transitions.move(referral, ReferralStatus.CONVERTED, action="referral.converted")
    if kind == "refund" and (referral := live.filter(status="converted").first()):
        transitions.move(
            referral, ReferralStatus.CANCELLED, action="referral.cancelled", reason="refund"
        )
    if kind == "erase":
        erase_contact(people[a], actor="test")
    if kind == "order":
        referral = live.first()
        Order.objects.create(
            program=program,
            external_id=f"o{n}",
            contact=people[a],
            amount=Decimal(b) / 4,
            currency="EUR",
            placed_at=_at(day, n),
            referral=referral,
            channel=CHANNELS[n % 3] if referral else None,
        )
    if kind == "refund_order":
        share = (F("amount"), F("amount") / 2, Decimal("0"))[b]
        Order.objects.filter(contact=people[a]).update(refunded_amount=share)
    if kind == "consent":
        people[a].refresh_from_db()
        people[a].consent_recontact = (True, False, None)[b]
        people[a].save()


@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
@given(steps=st.lists(step, min_size=5, max_size=30))
def test_distinct_counts_stay_exact_after_random_changes(steps) -> None:
    program = ProgramFactory(rules=False)
    people = [Contact.objects.create(program=program, email=f"p{n}@example.com") for n in range(10)]
    for n, (kind, a, b, day) in enumerate(steps):
        _apply(program, people, n, kind, a, b, day)
        if kind == "compact":  # fold the pending deltas now and then (the beat's job)
            day_summary.compact()
    for start, end in [
        (DAY0, DAY0 + timedelta(days=20)),
        (DAY0 + timedelta(days=3), DAY0 + timedelta(days=9)),
    ]:
        figures = stats.dashboard(program, start, end)
        got = {key: getattr(figures, key) for key in _expected(program, start, end)}
        assert got == _expected(program, start, end)
        assert figures.conversion_rate is None or figures.conversion_rate <= 1
        page = stats.page_data(program, start, end)
        assert page.figures == figures
        # the summary (PostgreSQL) answers exactly what the rows answer
        assert page == stats._page_rows(program, start, end)
        assert figures == stats._dashboard_rows(program, start, end)
        channels = stats.revenue_by_channel(program, start, end)
        assert channels == stats._channels_rows(program, start, end)
    # the summary written by every change on the way equals one built from scratch
    summary = _summary(program)
    if connection.vendor != "postgresql":  # no triggers: the pages read the rows
        assert summary == []
    day_summary.rebuild(program.pk)
    assert _summary(program) == summary
    # what was written on the way equals a full rebuild
    before = list(
        Invitation.objects.order_by("pk").values_list(
            "prev_referrer_at", "prev_referee_at", "referee_converted"
        )
    )
    invitation_facts.rebuild(program.pk)
    after = list(
        Invitation.objects.order_by("pk").values_list(
            "prev_referrer_at", "prev_referee_at", "referee_converted"
        )
    )
    assert before == after


def _world():
    program = ProgramFactory(rules=False)
    referrer, referee = (
        Contact.objects.create(program=program, email=f"{who}@example.com") for who in "ab"
    )
    invitation = Invitation.objects.create(
        program=program,
        referrer=referrer,
        referee=referee,
        channel="email",
        issued_at=_at(2, 0),
        referrer_terms={},
    )
    referral = Referral.objects.create(
        program=program, referrer=referrer, referee=referee, invitation=invitation
    )
    # Converted at 13:00 in Paris: the next day at UTC+14, whatever the hour the test runs
    # (converted "now" gave the same date in both zones between 23:00 and 10:00 UTC).
    converted_at = _at(3, 0) + timedelta(hours=4)
    transitions.move(
        referral, ReferralStatus.CONVERTED, action="referral.converted", at=converted_at
    )
    Order.objects.create(
        program=program,
        external_id="o1",
        contact=referee,
        amount=Decimal("30.00"),
        currency="EUR",
        placed_at=_at(3, 0),
        referral=referral,
        channel="email",
    )
    return program


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_deleting_a_program_leaves_no_summary_behind() -> None:
    program = _world()
    day_summary.compact()
    assert DaySummary.objects.filter(program=program).exists()
    pk = program.pk
    program.delete()
    for model in (DaySummary, DayFirsts, DayChannel):
        assert not model.objects.filter(program_id=pk).exists()


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_changing_the_program_time_zone_rebuilds_its_summary() -> None:
    program = _world()
    before = _summary(program)
    Program.objects.filter(pk=program.pk).update(time_zone="Pacific/Kiritimati")  # UTC+14
    moved = _summary(program)
    assert moved != before
    day_summary.rebuild(program.pk)
    assert _summary(program) == moved
    with timezone.override("Pacific/Kiritimati"):
        program.refresh_from_db()
        assert stats.page_data(program, DAY0, DAY0 + timedelta(days=9)) == stats._page_rows(
            program, DAY0, DAY0 + timedelta(days=9)
        )


RANGES = [
    (DAY0, DAY0 + timedelta(days=20)),
    (DAY0 + timedelta(days=3), DAY0 + timedelta(days=9)),
]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="no deltas without triggers")
@settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck))
@given(steps=st.lists(step, min_size=5, max_size=25), folds=st.sets(st.integers(0, 24)))
def test_compaction_at_random_points_never_changes_the_figures(steps, folds) -> None:
    """The page reads the summary rows plus the pending deltas: folding the deltas (at any
    point, any number of times) changes which side holds a change, never a figure."""
    program = ProgramFactory(rules=False)
    people = [Contact.objects.create(program=program, email=f"p{n}@example.com") for n in range(10)]

    def read() -> list:
        return [
            (stats.page_data(program, s, e), stats.revenue_by_channel(program, s, e))
            for s, e in RANGES
        ]

    for n, (kind, a, b, day) in enumerate(steps):
        _apply(program, people, n, kind, a, b, day)
        if n in folds:
            before = read()
            assert day_summary.compact() >= 0
            assert read() == before
            assert day_summary.compact() == 0  # nothing left to fold
            assert read() == before
    for s, e in RANGES:
        assert stats.page_data(program, s, e) == stats._page_rows(program, s, e)


TERMS = {"channel": "email", "referrer_terms": {}}


@pytest.mark.sqlite
def test_a_previous_invitation_date_is_stored_as_it_was_issued() -> None:
    """On SQLite (the demo) raw SQL reads datetimes back naive: taken for Paris time they
    were an hour off, with a warning per invitation."""
    program = ProgramFactory()
    referrer = Contact.objects.create(program=program, email="ref@example.com")
    friends = [
        Contact.objects.create(program=program, email=f"friend{n}@example.com") for n in range(2)
    ]
    first = Invitation.objects.create(
        program=program, referrer=referrer, referee=friends[0], issued_at=_at(0, 0), **TERMS
    )
    second = Invitation.objects.create(
        program=program, referrer=referrer, referee=friends[1], issued_at=_at(1, 0), **TERMS
    )
    assert second.prev_referrer_at == first.issued_at
    second.refresh_from_db()
    assert second.prev_referrer_at == first.issued_at


@pytest.mark.parametrize(
    "read",
    [datetime(2025, 3, 1, 8), "2025-03-01 08:00:00", datetime(2025, 3, 1, 8, tzinfo=UTC)],
)
def test_raw_datetimes_are_read_as_utc(read) -> None:
    assert invitation_facts._utc(read) == datetime(2025, 3, 1, 8, tzinfo=UTC)
    assert invitation_facts._utc(None) is None


def _invite(program, referrer: Contact, referee: Contact) -> None:
    Invitation(
        program=program, referrer=referrer, referee=referee, channel="email", referrer_terms={}
    ).save()


def _after_commit(queries) -> list[str]:
    sql = [query["sql"] for query in queries.captured_queries]
    return sql[sql.index("COMMIT") + 1 :]


@pytest.mark.skipif("connection.vendor != 'postgresql'")
@pytest.mark.django_db(transaction=True)
def test_a_transactions_checks_run_after_its_commit_as_one_statement() -> None:
    """An order's invitation and conversion each queue a check: one round trip after the
    order's commit (issue 16 §5), a read that writes nothing when the facts are right (no
    UPDATE, so no dashboard trigger runs); a rolled-back transaction's checks never run."""
    from django.db import transaction
    from django.test.utils import CaptureQueriesContext

    program = ProgramFactory()
    referrer = Contact.objects.create(program=program, email="referrer@example.org")
    referee = Contact.objects.create(program=program, email="referee@example.org")
    with pytest.raises(RuntimeError), transaction.atomic():
        invitation_facts.mark_converted(program.pk, referee.pk)
        raise RuntimeError
    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        _invite(program, referrer, referee)
    (check,) = _after_commit(queries)
    assert check.startswith("SELECT EXISTS")
    assert "prev_referrer_at" in check and "AND NOT referee_converted" not in check
    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        _invite(program, referee, referrer)
        invitation_facts.mark_converted(program.pk, referee.pk)
    (check,) = _after_commit(queries)
    assert check.startswith("SELECT EXISTS") and "UPDATE" not in check
    assert "prev_referrer_at" in check and "AND NOT referee_converted" in check


@pytest.mark.skipif("connection.vendor != 'postgresql'")
@pytest.mark.django_db(transaction=True)
def test_the_check_after_the_commit_corrects_the_facts_it_finds_wrong() -> None:
    """When the committed rows say otherwise (a concurrent transaction's invitation or
    conversion that neither saw), the check's probe finds it and its UPDATE runs."""
    from django.db import transaction
    from django.test.utils import CaptureQueriesContext

    program = ProgramFactory()
    referrer = Contact.objects.create(program=program, email="referrer@example.org")
    friends = [
        Contact.objects.create(program=program, email=f"friend{n}@example.org") for n in range(2)
    ]
    first = Invitation.objects.create(
        program=program, referrer=referrer, referee=friends[0], issued_at=_at(0, 0), **TERMS
    )
    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        second = Invitation.objects.create(
            program=program, referrer=referrer, referee=friends[1], issued_at=_at(1, 0), **TERMS
        )
        # What a transaction racing this one would leave: facts written without its rows.
        Invitation.objects.filter(pk=second.pk).update(prev_referrer_at=None)
        Referral.objects.create(
            program=program,
            referrer=referrer,
            referee=friends[1],
            invitation=second,
            invited_at=_at(1, 0),
            status=ReferralStatus.CONVERTED,
            converted_at=_at(1, 1),
        )
        invitation_facts.mark_converted(program.pk, friends[1].pk)
        Invitation.objects.filter(pk=second.pk).update(referee_converted=False)
    probe, fix = _after_commit(queries)
    assert probe.startswith("SELECT EXISTS") and fix.startswith("\nUPDATE parrain_invitation")
    second.refresh_from_db()
    assert second.prev_referrer_at == first.issued_at
    assert second.referee_converted


@pytest.mark.skipif("connection.vendor != 'postgresql'")
@pytest.mark.django_db(transaction=True)
def test_checks_cancelled_by_a_deadlock_run_again(monkeypatch) -> None:
    """Two orders sharing a person may lock the same invitations in turn in their checks:
    the one PostgreSQL cancels runs again instead of failing the order's request."""
    import psycopg.errors
    from django.db import OperationalError, transaction

    program = ProgramFactory()
    referrer = Contact.objects.create(program=program, email="referrer@example.org")
    referee = Contact.objects.create(program=program, email="referee@example.org")
    real, opened = invitation_facts._client_binding_cursor, []

    def cancelled_once(error_class):  # noqa: ANN001, ANN202
        def cursor():  # noqa: ANN202
            opened.append(error_class)
            if len(opened) == 1:
                error = OperationalError("cancelled")
                error.__cause__ = error_class("cancelled")
                raise error
            return real()

        return cursor

    monkeypatch.setattr(
        invitation_facts, "_client_binding_cursor", cancelled_once(psycopg.errors.DeadlockDetected)
    )
    with transaction.atomic():
        _invite(program, referrer, referee)
        _wrong_facts(referee)  # the check's probe finds them: its UPDATE runs
    assert len(opened) == 2
    assert Invitation.objects.get(referee=referee).prev_referrer_at is None

    opened.clear()
    monkeypatch.setattr(
        invitation_facts, "_client_binding_cursor", cancelled_once(psycopg.errors.DiskFull)
    )
    with pytest.raises(OperationalError), transaction.atomic():
        _invite(program, referee, referrer)
        _wrong_facts(referrer)
    assert len(opened) == 1  # any other failure is not hidden


def _wrong_facts(referee: Contact) -> None:
    Invitation.objects.filter(referee=referee).update(prev_referrer_at=_at(0, 0))
