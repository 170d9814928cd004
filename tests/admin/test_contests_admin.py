"""Contests in the Django admin: the core form with its prizes, opening and drawing behind
a confirmation page, the winners, the entries export."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains

from parrain.core.factories import ProgramFactory
from parrain.core.models import Contest, ContestWinner
from parrain.core.services import contest_setup
from tests.core.contest_helpers import converted_friends, make_contest

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def program():
    return ProgramFactory(languages=["fr", "en"], default_language="fr")


def _local(moment) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M")


def _post(**extra):
    start = (timezone.now() + timedelta(days=1)).replace(tzinfo=None)
    data = {
        "name": "Admin draw",
        "name_fr": "Tirage",
        "name_en": "Draw",
        "rules_fr": "",
        "rules_en": "",
        "rules_url": "",
        "entries_start": _local(start),
        "entries_end": _local(start + timedelta(days=3)),
        "draw_at": _local(start + timedelta(days=4)),
        "participants": "both",
        "ticket_source": "invitation_sent",
        "badge_tickets": "1",
        "ticket_cap": "0",
        "public_value_source": "drand",
        "prizes-TOTAL_FORMS": "1",
        "prizes-INITIAL_FORMS": "0",
        "prizes-MIN_NUM_FORMS": "0",
        "prizes-MAX_NUM_FORMS": "1000",
        "prizes-0-label": "Bike",
        "prizes-0-quantity": "1",
        "prizes-0-reward_kind": "",
        "prizes-0-ORDER": "1",
    }
    data.update(extra)
    return data


def test_add_a_contest_through_the_core_form(admin_client, program):
    url = reverse("admin:parrain_contest_add") + f"?program={program.pk}"
    assertContains(admin_client.get(url, **EN), 'type="datetime-local"')

    response = admin_client.post(url, _post(), **EN)

    contest = Contest.objects.get()
    assert response.status_code == 302
    assert contest.names == {"fr": "Tirage", "en": "Draw"}
    assert [p.label for p in contest.prizes.all()] == ["Bike"]


def test_add_with_several_programs_asks_which(admin_client, program):
    ProgramFactory()
    response = admin_client.get(reverse("admin:parrain_contest_add"), **EN)
    assertContains(response, "choose the program")


def test_bad_dates_are_shown_on_the_field_and_nothing_saved(admin_client, program):
    url = reverse("admin:parrain_contest_add") + f"?program={program.pk}"
    data = _post()
    data["draw_at"] = data["entries_start"]
    response = admin_client.post(url, data, **EN)
    assertContains(response, "The draw cannot take place before the entry period ends.")
    assert not Contest.objects.exists()


def test_open_without_rules_is_refused_with_a_clear_message(admin_client, program):
    contest = make_contest(program, rules_texts={}, rules_url="")
    url = reverse("admin:parrain_contest_open", args=[contest.pk])
    assertContains(admin_client.get(url, **EN), "Yes, open")

    response = admin_client.post(url, follow=True, **EN)

    assertContains(response, "Write the rules")
    assert Contest.objects.get().status == "draft"


def test_open_action_asks_for_confirmation_then_opens(admin_client, program):
    contest = make_contest(program)
    changelist = reverse("admin:parrain_contest_changelist")
    form = {"action": "open_selected", "_selected_action": [contest.pk]}

    confirm = admin_client.post(changelist, form, **EN)
    assertContains(confirm, "Open these contests?")
    assert Contest.objects.get().status == "draft"

    admin_client.post(changelist, {**form, "confirmed": "yes"}, **EN)
    assert Contest.objects.get().status == "open"


def test_open_contest_form_shows_frozen_fields_disabled(admin_client, program):
    contest = contest_setup.open_contest(make_contest(program), actor="t")
    response = admin_client.get(reverse("admin:parrain_contest_change", args=[contest.pk]), **EN)
    assertContains(response, "participants rely on this")
    assertContains(response, contest.commitment)
    assertContains(response, reverse("admin:parrain_contest_draw", args=[contest.pk]))


def test_changelist_lists_contests(admin_client, program):
    make_contest(program)
    response = admin_client.get(reverse("admin:parrain_contest_changelist"), **EN)
    assertContains(response, "Summer draw")


def test_draw_page_needs_the_confirmation_and_refuses_before_the_date(admin_client, program):
    contest = contest_setup.open_contest(make_contest(program), actor="t")
    url = reverse("admin:parrain_contest_draw", args=[contest.pk])
    assertContains(admin_client.get(url, **EN), "drand round 5000000")

    unconfirmed = admin_client.post(url, {"public_value": "abc"}, **EN)
    assert unconfirmed.status_code == 200
    assert Contest.objects.get().status == "open"


# The draw itself (services.contests, built in i12-contest-core)


def test_draw_then_winners_and_export(admin_client, program):
    contest = contest_setup.open_contest(
        make_contest(program, prizes=[{"label": "Bike", "quantity": 1}]), actor="t"
    )
    with time_machine.travel(contest.entries_start + timedelta(hours=1)):
        converted_friends(program, {"alice@example.com": 1})
    url = reverse("admin:parrain_contest_draw", args=[contest.pk])
    with time_machine.travel(contest.draw_at - timedelta(minutes=1)):
        early = admin_client.post(url, {"public_value": "abc", "confirm": "on"}, **EN)
    assert early.status_code == 200 and Contest.objects.get().status == "open"

    with time_machine.travel(contest.draw_at + timedelta(minutes=1)):
        done = admin_client.post(url, {"public_value": "abc", "confirm": "on"}, follow=True, **EN)
    assertContains(done, "Alice")
    winner = ContestWinner.objects.get()
    export = admin_client.get(reverse("admin:parrain_contest_entries", args=[contest.pk]))
    assert export.content.startswith(b"entrant,tickets\n")

    action = reverse(
        "admin:parrain_contest_winner_action", args=[contest.pk, winner.pk, "delivered"]
    )
    admin_client.post(action, **EN)
    winner.refresh_from_db()
    assert winner.delivered_at is not None


def test_delete_action_deletes_drafts_only(admin_client, program):
    draft = make_contest(program, name="Draft one")
    opened = contest_setup.open_contest(make_contest(program), actor="t")
    changelist = reverse("admin:parrain_contest_changelist")
    both = {"action": "delete_selected", "_selected_action": [draft.pk, opened.pk], "post": "yes"}

    refused = admin_client.post(changelist, both, **EN)
    assert refused.status_code == 403 and Contest.objects.count() == 2

    alone = {**both, "_selected_action": [draft.pk]}
    admin_client.post(changelist, alone, follow=True, **EN)
    assert list(Contest.objects.values_list("pk", flat=True)) == [opened.pk]
