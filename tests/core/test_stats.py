"""Dashboard figures against a brute-force count in plain Python over a seeded random data set.

The range crosses the spring DST change of Europe/Paris, and some rows sit exactly on, or a
microsecond outside, the local-midnight boundaries.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from parrain.core import invitation_facts
from parrain.core.exceptions import InvalidInput
from parrain.core.factories import ProgramFactory
from parrain.core.models import Contact, Invitation, Order, Program, Referral
from parrain.core.models.choices import Channel, ReferralStatus
from parrain.core.services import stats

pytestmark = pytest.mark.django_db

START, END = date(2025, 3, 20), date(2025, 4, 5)
CONVERTED = {ReferralStatus.CONVERTED, ReferralStatus.VALIDATED, ReferralStatus.REWARDED}
VALIDATED = {ReferralStatus.VALIDATED, ReferralStatus.REWARDED}


@dataclass
class World:
    program: Program
    contacts: list[Contact]
    invitations: list[Invitation]
    referrals: list[Referral]
    orders: list[Order]


def _local_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _moment(rng: random.Random) -> datetime:
    """Mostly uniform around the range, often exactly on or just beside a boundary."""
    since, until = _local_midnight(START), _local_midnight(END + timedelta(days=1))
    edges = [since, since - timedelta(microseconds=1), until, until - timedelta(microseconds=1)]
    if rng.random() < 0.2:
        return rng.choice(edges)
    lo = since - timedelta(days=4)
    return lo + timedelta(seconds=rng.randrange(int((until - lo).total_seconds()) + 4 * 86400))


def _contacts(program: Program, rng: random.Random, count: int) -> list[Contact]:
    rows = []
    for n in range(count):
        email = f"p{program.pk}-c{n}@example.com"
        rows.append(
            Contact(
                program=program,
                email=email,
                email_normalized=email,
                email_canonical=email,
                consent_recontact=rng.choice([True, False, None]),
            )
        )
    return Contact.objects.bulk_create(rows)


def _invitations(program: Program, rng: random.Random, people: list[Contact]) -> list[Invitation]:
    referrers = people[:12]
    rows = []
    for _ in range(120):
        referrer = rng.choice(referrers)
        referee = rng.choice([p for p in people if p is not referrer])
        rows.append(
            Invitation(
                program=program,
                referrer=referrer,
                referee=referee,
                channel=rng.choice(Channel.values),
                issued_at=_moment(rng),
                referrer_terms={},
                referee_consent=referee.consent_recontact,  # as issue_invitation copies it
            )
        )
    return Invitation.objects.bulk_create(rows)


def _change_minds(rng: random.Random, people: list[Contact]) -> None:
    """Some referees answer (or change their answer) after being invited."""
    for person in rng.sample(people, 15):
        person.consent_recontact = rng.choice([True, False, None])
        person.save()


def _referral(
    program: Program, rng: random.Random, invitation: Invitation, status: str
) -> Referral:
    reached_conversion = status in CONVERTED or rng.random() < 0.5
    reached_validation = status in VALIDATED or (
        status == ReferralStatus.CANCELLED and rng.random() < 0.5
    )
    return Referral(
        program=program,
        referrer=invitation.referrer,
        referee=invitation.referee,
        invitation=invitation if rng.random() < 0.9 else None,
        status=status,
        invited_at=invitation.issued_at,
        converted_at=_moment(rng) if reached_conversion else None,
        validated_at=_moment(rng) if reached_validation else None,
    )


def _referrals(
    program: Program, rng: random.Random, invitations: list[Invitation]
) -> list[Referral]:
    first_by_referee = {}
    for invitation in invitations:
        first_by_referee.setdefault(invitation.referee_id, invitation)
    chosen = rng.sample(sorted(first_by_referee), k=len(first_by_referee) * 3 // 4)
    statuses = ReferralStatus.values
    rows = [
        _referral(program, rng, first_by_referee[referee], statuses[n % len(statuses)])
        for n, referee in enumerate(chosen)
    ]
    return Referral.objects.bulk_create(rows)


def _orders(
    program: Program, rng: random.Random, people: list[Contact], referrals: list[Referral]
) -> list[Order]:
    rows = []
    for n in range(90):
        amount = Decimal(rng.randrange(500, 30000)) / 100
        refunded = rng.choice(
            [Decimal("0"), Decimal("0"), amount, (amount / 3).quantize(Decimal("0.01"))]
        )
        rows.append(
            Order(
                program=program,
                external_id=f"O-{n}",
                contact=rng.choice(people),
                amount=amount,
                currency="EUR",
                placed_at=_moment(rng),
                referral=rng.choice(referrals) if rng.random() < 0.6 else None,
                refunded_amount=refunded,
            )
        )
    return Order.objects.bulk_create(rows)


def _populate(program: Program, seed: int) -> World:
    rng = random.Random(seed)
    people = _contacts(program, rng, 50)
    invitations = _invitations(program, rng, people)
    _change_minds(random.Random(seed + 1), people)
    referrals = _referrals(program, rng, invitations)
    orders = _orders(program, rng, people, referrals)
    # rows written by bulk_create, not Invitation.save() nor orders.attribute()
    invitation_facts.rebuild(program.pk)
    return World(program, people, invitations, referrals, orders)


@pytest.fixture
def world() -> World:
    program = ProgramFactory(rules=False)
    # Another program's data, all inside the range, must never leak into the figures.
    _populate(ProgramFactory(rules=False), seed=99)
    return _populate(program, seed=20250320)


def _in_range(moment: datetime | None) -> bool:
    return moment is not None and START <= timezone.localtime(moment).date() <= END


def _net(order: Order) -> Decimal:
    return order.amount - order.refunded_amount


def _is_referred(order: Order) -> bool:
    return order.referral is not None and order.referral.status != ReferralStatus.CANCELLED


def _rate(part: int | Decimal, whole: int | Decimal) -> Decimal | None:
    return stats.rate(part, whole)


def test_dashboard_figures_match_brute_force_count(world: World) -> None:
    invited = [i for i in world.invitations if _in_range(i.issued_at)]
    referees = {i.referee_id for i in invited}
    converted = {
        r.referee_id for r in world.referrals if r.status in CONVERTED and _in_range(r.converted_at)
    }
    sponsors = {
        r.referrer_id
        for r in world.referrals
        if r.status in VALIDATED and _in_range(r.validated_at)
    }
    orders = [o for o in world.orders if _in_range(o.placed_at)]
    revenue = sum((_net(o) for o in orders), Decimal("0"))
    referred = sum((_net(o) for o in orders if _is_referred(o)), Decimal("0"))
    answered = [c for c in world.contacts if c.pk in referees and c.consent_recontact is not None]
    consented = [c for c in answered if c.consent_recontact]
    # Became customers at any time so far, whatever happened to the referral since.
    customers = {r.referee_id for r in world.referrals if r.converted_at is not None}

    figures = stats.dashboard(world.program, START, END)

    assert figures.invitations == len(invited) > 0
    assert figures.influencers == len({i.referrer_id for i in invited}) > 0
    assert figures.invited_referees == len(referees)
    assert figures.converted_referees == len(converted) > 0
    assert figures.sponsors == len(sponsors) > 0
    assert figures.invited_referees_converted == len(referees & customers) > 0
    assert figures.conversion_rate == _rate(len(referees & customers), len(referees))
    assert figures.conversion_rate <= 1
    assert figures.activity_ratio == _rate(len(converted), len(referees))
    assert figures.revenue == revenue > 0
    assert figures.referred_revenue == referred > 0
    assert any(o.referral and o.referral.status == ReferralStatus.CANCELLED for o in orders)
    assert figures.referral_rate == _rate(referred, revenue)
    assert (figures.opt_in_consented, figures.opt_in_answered) == (len(consented), len(answered))
    assert figures.opt_in_rate == _rate(len(consented), len(referees))
    assert figures.currency == "EUR"


def test_dashboard_runs_few_aggregate_queries(
    world: World, django_assert_num_queries: pytest.FixtureRequest
) -> None:
    if connection.vendor == "postgresql":  # the daily summary (core/day_summary.py)
        # the days and their first invitations (folded rows and pending deltas each in
        # one statement), sponsors
        with django_assert_num_queries(3):
            stats.dashboard(world.program, START, END)
    with django_assert_num_queries(4):  # invitations, converted, sponsors, orders
        stats._dashboard_rows(world.program, START, END)


def test_rates_round_to_four_places() -> None:
    assert stats.rate(1, 3) == Decimal("0.3333")
    assert stats.rate(2, 3) == Decimal("0.6667")
    assert stats.rate(Decimal("5.00"), Decimal("0.00")) is None


def test_series_matches_brute_force_per_day(world: World) -> None:
    expected: dict[date, dict[str, object]] = defaultdict(
        lambda: {
            "invitations": 0,
            "referees": set(),
            "converted": set(),
            "revenue": Decimal(0),
            "referred": Decimal(0),
        }
    )
    for i in world.invitations:
        if _in_range(i.issued_at):
            day = expected[timezone.localtime(i.issued_at).date()]
            day["invitations"] += 1
            day["referees"].add(i.referee_id)
    for r in world.referrals:
        if r.status in CONVERTED and _in_range(r.converted_at):
            expected[timezone.localtime(r.converted_at).date()]["converted"].add(r.referee_id)
    for o in world.orders:
        if _in_range(o.placed_at):
            day = expected[timezone.localtime(o.placed_at).date()]
            day["revenue"] += _net(o)
            day["referred"] += _net(o) if _is_referred(o) else 0

    points = stats.series(world.program, START, END)

    assert [p.day for p in points] == [START + timedelta(days=n) for n in range(17)]
    for point in points:
        day = expected[point.day]
        assert point.invitations == day["invitations"], point.day
        assert point.invited_referees == len(day["referees"]), point.day
        assert point.converted_referees == len(day["converted"]), point.day
        assert point.revenue == day["revenue"], point.day
        assert point.referred_revenue == day["referred"], point.day
    assert (
        sum(p.invitations for p in points) == stats.dashboard(world.program, START, END).invitations
    )


def test_top_referrers_rank_by_conversions_then_invited_referees(world: World) -> None:
    invitations: dict[int, int] = defaultdict(int)
    referees: dict[int, set[int]] = defaultdict(set)
    converted: dict[int, set[int]] = defaultdict(set)
    for i in world.invitations:
        if _in_range(i.issued_at):
            invitations[i.referrer_id] += 1
            referees[i.referrer_id].add(i.referee_id)
    for r in world.referrals:
        if r.status in CONVERTED and _in_range(r.converted_at):
            converted[r.referrer_id].add(r.referee_id)
    active = set(invitations) | set(converted)
    ranked = sorted(active, key=lambda pk: (-len(converted[pk]), -len(referees[pk]), pk))

    for limit in (3, 10):
        top = stats.top_referrers(world.program, START, END, limit=limit)
        assert [t.contact_id for t in top] == ranked[:limit]
        for t in top:
            assert t.invitations == invitations[t.contact_id]
            assert t.invited_referees == len(referees[t.contact_id])
            assert t.converted_referees == len(converted[t.contact_id])


def test_revenue_by_channel_groups_referred_revenue_by_invitation_channel(world: World) -> None:
    expected: dict[str | None, list] = defaultdict(lambda: [0, Decimal(0)])
    for o in world.orders:
        if _in_range(o.placed_at) and _is_referred(o):
            invitation = o.referral.invitation
            entry = expected[invitation.channel if invitation else None]
            entry[0] += 1
            entry[1] += _net(o)

    rows = stats.revenue_by_channel(world.program, START, END)

    assert {r.channel: [r.orders, r.revenue] for r in rows} == dict(expected)
    assert None in expected
    assert [r.revenue for r in rows] == sorted((r.revenue for r in rows), reverse=True)
    total = sum(r.revenue for r in rows)
    assert total == stats.dashboard(world.program, START, END).referred_revenue


def test_empty_range_has_no_rates_and_zero_revenue(world: World) -> None:
    quiet = date(2024, 1, 1)

    figures = stats.dashboard(world.program, quiet, quiet)

    assert figures.invitations == figures.influencers == figures.invited_referees == 0
    assert figures.converted_referees == figures.sponsors == 0
    assert figures.revenue == figures.referred_revenue == Decimal("0")
    assert figures.conversion_rate is figures.referral_rate is figures.opt_in_rate is None
    assert stats.top_referrers(world.program, quiet, quiet) == []
    assert stats.revenue_by_channel(world.program, quiet, quiet) == []
    assert stats.series(world.program, quiet, quiet) == [stats.SeriesPoint(day=quiet)]


def test_start_after_end_is_invalid_input(world: World) -> None:
    with pytest.raises(InvalidInput) as raised:
        stats.dashboard(world.program, END, START)
    assert raised.value.field == "start"


def test_opt_in_rate_follows_consent_given_after_the_invitation() -> None:
    from parrain.core.services.contacts import ContactData, upsert_contact
    from parrain.core.services.enrolment import enrol_referrer
    from parrain.core.services.invitations import invite_by_email
    from parrain.core.services.registration import register_referee

    program = ProgramFactory()
    alice = enrol_referrer(program, "alice@example.com")
    invite_by_email(alice.contact, ["bob@example.org", "carol@example.org", "dan@example.org"])
    today = timezone.localdate()

    def opt_in() -> tuple[int, int]:
        figures = stats.dashboard(program, today, today)
        return figures.opt_in_consented, figures.opt_in_answered

    assert opt_in() == (0, 0)  # nobody answered yet
    register_referee(program, alice.code, "bob@example.org", consent=True)
    register_referee(program, alice.code, "carol@example.org", consent=False)
    assert opt_in() == (1, 2)
    upsert_contact(program, ContactData(email="carol@example.org", consent_recontact=True))
    assert opt_in() == (2, 2)


def test_money_figures_are_to_the_cent(world: World) -> None:
    figures = stats.dashboard(world.program, START, END)
    amounts = [figures.revenue, figures.referred_revenue]
    amounts += [p.revenue for p in stats.series(world.program, START, END)]
    amounts += [r.revenue for r in stats.revenue_by_channel(world.program, START, END)]
    assert all(a.as_tuple().exponent == -2 for a in amounts), amounts
