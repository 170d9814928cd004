"""The sandbox home page: the programs, where to click, what to try, in French and English."""

from __future__ import annotations

import pytest
from django.test import Client

from parrain.core.factories import ProgramFactory

pytestmark = pytest.mark.django_db


def test_home_lists_programs_with_their_offers_in_the_visitors_language(client: Client) -> None:
    program = ProgramFactory(name="Maison Test")
    program.reward_rules.filter(side="referrer").update(labels={"fr": "10 € offerts"})

    page = client.get("/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()

    assert "Maison Test" in page
    assert "10 € offerts" in page
    assert "À essayer" in page


def test_home_links_to_admin_and_api_docs_in_english(client: Client) -> None:
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    for link in ('href="/admin/"', 'href="/api/v1/docs"', 'href="/api/v1/openapi.json"'):
        assert link in page
    assert "What to try" in page
    assert "No program yet" in page


@pytest.mark.parametrize(
    ("language", "first_step"),
    [("en", "Refer a friend in the"), ("fr", "Parrainez un ami dans la")],
)
def test_home_walks_through_the_shop_referral_journey(
    client: Client, language: str, first_step: str
) -> None:
    page = client.get("/", HTTP_ACCEPT_LANGUAGE=language).content.decode()

    assert first_step in page
    assert "alice@example.com" in page and "alice-demo-2026" in page
    assert 'href="/shop/"' in page and 'href="/shop/dashboard/referral/referrals/"' in page
