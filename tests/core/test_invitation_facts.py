"""The invitation facts behind the dashboard's distinct counts stay exact: after random
invitations (issued out of order), conversions, refunds and erasures, every range's figures
equal a brute-force count, and the cohort conversion rate never passes 100 %."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from parrain.core import invitation_facts
from parrain.core.factories import ProgramFactory
from parrain.core.models import Contact, Invitation, Referral
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
)


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
    return {
        "invitations": len(rows),
        "influencers": len({i.referrer_id for i in rows}),
        "invited_referees": len(referees),
        "invited_referees_converted": len(referees & customers),
    }


@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
@given(steps=st.lists(step, min_size=5, max_size=30))
def test_distinct_counts_stay_exact_after_random_changes(steps) -> None:
    program = ProgramFactory(rules=False)
    people = [Contact.objects.create(program=program, email=f"p{n}@example.com") for n in range(10)]
    for n, (kind, a, b, day) in enumerate(steps):
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
