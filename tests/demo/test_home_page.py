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


@pytest.mark.parametrize(
    ("language", "step"), [("en", "Import a customer file"), ("fr", "Importez un fichier clients")]
)
def test_home_offers_the_sample_customer_file_and_it_imports_as_is(
    client: Client, language: str, step: str
) -> None:
    """The file is the demo's, served as a download; the import guesses every column and
    finds 50 new customers and no invalid row in the dry run."""
    from io import BytesIO

    from parrain.core.services import contact_imports

    page = client.get("/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert step in page
    assert 'href="/demo/customers.csv"' in page
    assert 'href="/admin/parrain/contactimport/upload/"' in page

    response = client.get("/demo/customers.csv")
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="demo_customers.csv"'
    body = b"".join(response.streaming_content)
    program = ProgramFactory(languages=["fr", "en"])
    started = contact_imports.start(program, BytesIO(body), "demo_customers.csv", actor="t")
    assert {"email", "first_name", "external_id", "consent"} <= set(started.mapping.values())
    checked = contact_imports.check(started, actor="t")
    assert checked.dry_run == {"new": 50, "updated": 0, "unchanged": 0, "invalid": 0}
