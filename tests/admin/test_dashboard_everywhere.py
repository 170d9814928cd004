"""One dashboard for three admins: the Django admin, Oscar's dashboard and the Wagtail admin
show the same seven headline cards, with the same numbers, for the same program and range
(all three render core/dashboard.py through parrain/dashboard/dashboard.html)."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from parrain.core.factories import ProgramFactory
from parrain.core.services.enrolment import enrol_referrer
from parrain.core.services.invitations import invite_by_email
from parrain.core.services.orders import OrderData, record_order
from parrain.core.services.registration import register_referee

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

CARD = re.compile(
    r'data-figure="(?P<key>\w+)">\s*<span>(?P<label>[^<]*)</span>\s*<strong>(?P<value>[^<]*)</strong>'
    r'.*?data-change="(?P=key)">(?P<change>[^<]*)</small>',
    re.S,
)


def _cards(html: str) -> list[tuple[str, ...]]:
    return [
        tuple(" ".join(part.split()) for part in match.groups()) for match in CARD.finditer(html)
    ]


def test_django_oscar_and_wagtail_admins_show_the_same_seven_cards() -> None:
    # Given a program where a referrer invited three friends, one of whom agreed and ordered
    program = ProgramFactory(slug="atelier", name="Atelier")
    alice = enrol_referrer(program, "alice@example.com")
    invite_by_email(alice.contact, ["bob@example.org", "carol@example.org", "dan@example.org"])
    register_referee(program, alice.code, "bob@example.org", consent=True)
    for external_id, email, amount in (
        ("A-1", "bob@example.org", "80"),
        ("A-2", "eve@x.org", "20"),
    ):
        record_order(
            program,
            OrderData(external_id=external_id, email=email, amount=Decimal(amount), currency="EUR"),
        )
    end = timezone.localdate()
    start = end - timedelta(days=13)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(
        get_user_model().objects.create_superuser("owner", "owner@example.com", "pw")
    )
    dates = {"start": start.isoformat(), "end": end.isoformat()}

    # When the owner opens the dashboard in each admin for the same program and range
    pages = {
        "django": client.get(reverse("admin:parrain_dashboard"), {"program": "atelier", **dates}),
        "oscar": client.get("/shop/dashboard/referral/", {"program": "atelier", **dates}),
        "wagtail": client.get(
            reverse("parrain_wagtail:dashboard"), {"program": program.pk, **dates}
        ),
    }

    # Then each shows the seven cards, in the same order, with the same values and changes
    cards = {name: _cards(page.content.decode()) for name, page in pages.items()}
    assert all(page.status_code == 200 for page in pages.values())
    assert [card[0] for card in cards["django"]] == [
        "influencers",
        "invited_referees",
        "converted_referees",
        "sponsors",
        "conversion_rate",
        "referral_rate",
        "opt_in_rate",
    ]
    assert cards["oscar"] == cards["django"]
    assert cards["wagtail"] == cards["django"]
    values = {card[0]: card[2] for card in cards["django"]}
    assert values["invited_referees"] == "3"
    assert values["converted_referees"] == "1"
    assert values["referral_rate"] == "80.0 %"  # 80 of 100 EUR
    assert values["opt_in_rate"] == "33.3 %"  # 1 of 3 invited, not 1 of 1 who answered
    # and the same stages, charts and tables around them
    for page in pages.values():
        html = page.content.decode()
        assert "Invitation stage" in html and "Validation stage" in html
        assert html.count('<svg class="parrain-chart"') == 2
        assert "alice@example.com" in html
