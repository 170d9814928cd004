"""Oscar's dashboard contact pages write dates as the reader does, with the month spelt
(« 19 septembre 2026 », "Sept. 19, 2026", never the US "09/19/2026"), and say when a
contact gave no name instead of leaving a blank cell."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.test import Client
from oscar.test.factories import UserFactory

from parrain.core.factories import ContactFactory
from parrain.core.models import Program

pytestmark = pytest.mark.django_db
BASE = "/shop/dashboard/referral/"


def staff(language: str) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def nameless(program: Program) -> object:
    program.time_zone = "Europe/Paris"
    program.save(update_fields=["time_zone"])
    return ContactFactory(
        program=program,
        email="lea@example.net",
        first_name="",
        last_name="",
        is_customer=True,
        first_order_at=datetime(2026, 9, 19, 22, 30, tzinfo=UTC),  # the 20th in Paris
    )


@pytest.mark.parametrize(
    ("language", "day"), [("en", "Sept. 20, 2026"), ("fr", "20 septembre 2026")]
)
def test_the_contact_page_spells_the_date_and_says_there_is_no_name(
    nameless: object, language: str, day: str
) -> None:
    page = staff(language).get(f"{BASE}contacts/{nameless.pk}/").content.decode()
    assert day in page  # the program's day (Paris), its month spelt
    assert "09/20/2026" not in page and "20/09/2026" not in page
    assert "<td> </td>" not in page
    if language == "en":
        assert "No name given" in page


def test_the_contact_list_has_no_blank_name_cell(nameless: object, program: Program) -> None:
    page = staff("en").get(f"{BASE}contacts/", {"program": program.slug}).content.decode()
    row = page[page.index("lea@example.net") :].split("</tr>")[0]
    assert "<td> </td>" not in row and "–</span></td>" in row
    assert "Sept. 20, 2026" in row
