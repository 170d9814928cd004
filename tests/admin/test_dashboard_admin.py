"""The Django admin's referral dashboard: the shared component, with the seed's two stages,
the seven headline cards and their change against the previous period."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from parrain.core.factories import ProgramFactory
from parrain.core.models import Contact, Invitation
from parrain.core.services import stats
from parrain.core.services.enrolment import enrol_referrer
from parrain.core.services.invitations import invite_by_email
from parrain.core.services.registration import register_referee

pytestmark = pytest.mark.django_db

HEADLINES = [
    "influencers",
    "invited_referees",
    "converted_referees",
    "sponsors",
    "conversion_rate",
    "referral_rate",
    "opt_in_rate",
]


def test_admin_dashboard_shows_stages_and_seven_cards(admin_client) -> None:
    # Given a program where one referrer invited three friends today, one of whom agreed
    program = ProgramFactory()
    alice = enrol_referrer(program, "alice@example.com")
    invite_by_email(alice.contact, ["bob@example.org", "carol@example.org", "dan@example.org"])
    register_referee(program, alice.code, "bob@example.org", consent=True)
    today = timezone.localdate()

    # When the owner opens the dashboard in the Django admin
    response = admin_client.get(
        reverse("admin:parrain_dashboard"),
        {"program": program.slug, "start": (today - timedelta(days=6)).isoformat(), "end": today},
        HTTP_ACCEPT_LANGUAGE="en",
    )

    # Then the page shows the invitation and validation stages and the seven cards
    assert response.status_code == 200
    page = response.content.decode()
    assert "Invitation stage" in page and "Validation stage" in page
    cards = [card.key for card in response.context["cards"]]
    assert cards == HEADLINES
    by_key = {card.key: card for card in response.context["cards"]}
    assert by_key["invited_referees"].value == 3
    assert by_key["influencers"].value == 1
    # opt-in over all invited referees (1 of 3), not over those who answered (1 of 1)
    assert str(by_key["opt_in_rate"].value) == "0.3333"
    assert "1 of 3 invited referees agree to be recontacted" in page
    # nothing in the previous seven days: no relative change for counts
    assert by_key["invited_referees"].previous == 0
    assert by_key["invited_referees"].change is None
    assert 'data-change="influencers"' in page


def test_admin_dashboard_rejects_too_long_range(admin_client) -> None:
    program = ProgramFactory()
    response = admin_client.get(
        reverse("admin:parrain_dashboard"),
        {"program": program.slug, "start": "2024-01-01", "end": "2025-06-01"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    assert "at most 366 days" in response.content.decode()
    assert "cards" not in response.context


def test_program_list_links_to_the_dashboard(admin_client) -> None:
    program = ProgramFactory()
    response = admin_client.get(reverse("admin:parrain_program_changelist"))
    assert (
        f"{reverse('admin:parrain_dashboard')}?program={program.slug}" in response.content.decode()
    )


def test_admin_dashboard_counts_days_in_the_program_time_zone(admin_client) -> None:
    # Given a program on Kiritimati time (UTC+14) while the site runs on Paris time, and an
    # invitation issued at 11:00 UTC on 10 March: 11 March after 1:00 where the program is
    program = ProgramFactory(rules=False, time_zone="Pacific/Kiritimati")
    referrer, referee = (
        Contact.objects.create(program=program, email=f"{who}@example.com") for who in "ab"
    )
    Invitation.objects.create(
        program=program,
        referrer=referrer,
        referee=referee,
        channel="email",
        issued_at=datetime(2025, 3, 10, 11, tzinfo=UTC),
        referrer_terms={},
    )

    def figures(day: date):
        response = admin_client.get(
            reverse("admin:parrain_dashboard"),
            {"program": program.slug, "start": day.isoformat(), "end": day.isoformat()},
        )
        assert response.status_code == 200
        return response.context["figures"]

    # When the owner opens the dashboard on either day
    # Then the invitation belongs to the program's 11 March, as its series says
    assert figures(date(2025, 3, 11)).invitations == 1
    assert figures(date(2025, 3, 10)).invitations == 0
    with timezone.override("Pacific/Kiritimati"):  # the same figures as from the rows there
        rows = stats._page_rows(program, date(2025, 3, 11), date(2025, 3, 11))
    assert figures(date(2025, 3, 11)) == rows.figures
    # and the default range ends on the program's today
    response = admin_client.get(reverse("admin:parrain_dashboard"), {"program": program.slug})
    with timezone.override("Pacific/Kiritimati"):
        assert response.context["form"].cleaned_data["end"] == timezone.localdate()
