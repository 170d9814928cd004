"""Boosts in the Django admin: the shared form, the status list, the comparison figures."""

from __future__ import annotations

import pytest
import time_machine
from django.test import Client

from parrain.core.factories import ProgramFactory
from parrain.core.models import Boost
from tests.core.boost_helpers import make_boost, paris

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
LIST = "/admin/parrain/boost/"


@pytest.fixture(autouse=True)
def _now():  # type: ignore[no-untyped-def]
    with time_machine.travel(paris(2026, 12, 1, 10), tick=False):
        yield


def _post(**extra: str) -> dict[str, str]:
    return {
        "name": "Black week",
        "label_fr": "Récompense doublée",
        "label_en": "Double reward until Sunday",
        "starts_at": "2026-12-05T00:00",
        "ends_at": "2026-12-08T00:00",
        "referrer_kind": "fixed_amount",
        "referrer_value": "20",
        "referrer_validity_days": "90",
        "welcome_kind": "",
        **extra,
    }


def test_add_through_the_shared_form_then_list_by_status(admin_client: Client) -> None:
    program = ProgramFactory()
    ProgramFactory()  # two programs: the admin asks which one first
    chooser = admin_client.get(f"{LIST}add/", **EN)
    assert chooser.status_code == 200 and program.name in chooser.content.decode()
    page = admin_client.get(f"{LIST}add/?program={program.pk}", **EN)
    assert 'type="datetime-local"' in page.content.decode()
    response = admin_client.post(f"{LIST}add/?program={program.pk}", _post(), **EN)
    assert response.status_code == 302, response.context["form"].errors
    boost = Boost.objects.get()
    assert boost.starts_at == paris(2026, 12, 5)
    listing = admin_client.get(LIST, **EN).content.decode()
    # the reward in the program's language (French): "20 €", not "20 EUR"
    assert "Black week" in listing and "scheduled" in listing and "20\xa0€" in listing


def test_overlap_shown_beside_the_field_nothing_stored(admin_client: Client) -> None:
    program = ProgramFactory()
    make_boost(program, paris(2026, 12, 5), paris(2026, 12, 8), name="First")
    response = admin_client.post(
        f"{LIST}add/?program={program.pk}",
        _post(starts_at="2026-12-07T00:00", ends_at="2026-12-09T00:00", name="Second"),
        **EN,
    )
    assert response.status_code == 200
    assert "First" in str(response.context["form"].errors["starts_at"])
    assert Boost.objects.count() == 1


def test_started_boost_page_freezes_the_reward_and_shows_figures(admin_client: Client) -> None:
    program = ProgramFactory()
    boost = make_boost(program, paris(2026, 12, 1, 9, 58), paris(2026, 12, 8))
    with time_machine.travel(paris(2026, 12, 3), tick=False):
        page = admin_client.get(f"{LIST}{boost.pk}/change/", **EN).content.decode()
        assert "invitations already carry this reward" in page
        assert "During the boost" in page and "Referred revenue" in page
        listing = admin_client.get(f"{LIST}?status=running", **EN).content.decode()
        assert "Double week" in listing
        deleted = admin_client.post(f"{LIST}{boost.pk}/delete/", {"post": "yes"}, **EN)
    assert deleted.status_code == 302 and Boost.objects.filter(pk=boost.pk).exists()
