"""The one contest form every admin wraps: texts per language, local dates, prizes, and the
service's refusals beside their fields."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.utils import timezone, translation

from parrain.core.factories import ProgramFactory
from parrain.core.forms.contest import ContestForm
from parrain.core.models import Badge, Contest
from parrain.core.models.contest import ContestStatus
from parrain.core.services import contest_setup

from .contest_helpers import make_contest

pytestmark = pytest.mark.django_db


@pytest.fixture
def program():
    return ProgramFactory(languages=["fr", "en"], default_language="fr", time_zone="Europe/Paris")


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def _local(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M")


def form_data(**extra):
    start = (timezone.now() + timedelta(days=1)).replace(tzinfo=None)
    data = {
        "name": "Winter draw",
        "name_fr": "Tirage d'hiver",
        "name_en": "Winter draw",
        "rules_fr": "Un ticket par ami converti.",
        "rules_en": "One ticket per converted friend.",
        "rules_url": "",
        "entries_start": _local(start),
        "entries_end": _local(start + timedelta(days=7)),
        "draw_at": _local(start + timedelta(days=8)),
        "participants": "referrers",
        "ticket_source": "friend_converted",
        "loyalty_kind": "",
        "badge": "",
        "badge_tickets": "1",
        "ticket_cap": "5",
        "public_value_source": "drand round 6000000",
        "prizes-TOTAL_FORMS": "2",
        "prizes-INITIAL_FORMS": "0",
        "prizes-MIN_NUM_FORMS": "0",
        "prizes-MAX_NUM_FORMS": "1000",
        "prizes-0-label": "Bike",
        "prizes-0-quantity": "1",
        "prizes-0-reward_kind": "",
        "prizes-0-ORDER": "2",
        "prizes-1-label": "Voucher",
        "prizes-1-quantity": "3",
        "prizes-1-reward_kind": "fixed_amount",
        "prizes-1-reward_value": "15",
        "prizes-1-ORDER": "1",
    }
    data.update(extra)
    return data


def test_form_creates_a_contest_with_local_dates_and_ordered_prizes(program):
    data = form_data()
    form = ContestForm(data, program=program)

    assert form.is_valid(), (form.errors, form.prizes.errors)
    contest = form.save(actor="alice")

    assert contest.names == {"fr": "Tirage d'hiver", "en": "Winter draw"}
    assert contest.rules_texts["en"] == "One ticket per converted friend."
    paris = timezone.localtime(contest.entries_start, program.tz())
    assert _local(paris) == data["entries_start"]  # read in the program's zone
    assert [p.label for p in contest.prizes.order_by("position")] == ["Voucher", "Bike"]
    assert contest.ticket_cap == 5


def test_form_shows_dates_in_the_program_time_zone(program):
    program.time_zone = "America/New_York"
    program.save()
    contest = make_contest(program)
    form = ContestForm(program=program, instance=contest)
    shown = form["entries_start"].value()
    assert _local(shown) == _local(timezone.localtime(contest.entries_start, program.tz()))
    assert 'type="datetime-local"' in str(form["entries_start"])
    assert len(form.prizes.forms) == 3  # two prizes and one blank row


def test_service_refusal_lands_on_its_field_and_nothing_is_saved(program):
    data = form_data()
    data["draw_at"] = data["entries_start"]
    form = ContestForm(data, program=program)
    assert not form.is_valid()
    assert "before the entry period ends" in str(form.errors["draw_at"])
    assert not Contest.objects.exists()


def test_badge_source_needs_a_badge_of_the_program(program):
    form = ContestForm(form_data(ticket_source="badge_held"), program=program)
    assert not form.is_valid()
    assert "badge" in form.errors
    other = Badge.objects.create(program=ProgramFactory(), names={"fr": "Or"}, rank=1)
    form = ContestForm(form_data(ticket_source="badge_held", badge=str(other.pk)), program=program)
    assert not form.is_valid() and "badge" in form.errors


def test_bad_prize_row_shows_its_error(program):
    form = ContestForm(form_data(**{"prizes-1-reward_value": "0"}), program=program)
    assert not form.is_valid()
    voucher = form.prizes.forms[1]
    assert "value above zero" in str(voucher.errors)


def test_open_contest_disables_frozen_fields_and_says_why(program):
    contest = contest_setup.open_contest(make_contest(program), actor="t")
    form = ContestForm(program=program, instance=contest)
    assert form.fields["ticket_cap"].disabled
    assert "participants rely on this" in str(form.fields["ticket_cap"].help_text)
    assert not form.fields["rules_en"].disabled and not form.fields["draw_at"].disabled
    assert all(f.disabled for f in form.prizes.forms[0].fields.values())


def test_open_contest_form_saves_a_new_rules_text_only(program):
    contest = contest_setup.open_contest(make_contest(program), actor="t")
    initial = ContestForm(program=program, instance=contest)
    data = {}
    for name in initial.fields:
        value = initial[name].value()
        data[name] = (
            _local(value) if isinstance(value, datetime) else ("" if value is None else value)
        )
    data.update(
        {
            "rules_en": "New wording",
            "ticket_cap": "99",  # disabled: ignored
            "prizes-TOTAL_FORMS": "0",
            "prizes-INITIAL_FORMS": "0",
        }
    )
    data["opt_in_required"] = ""
    form = ContestForm(data, program=program, instance=contest)
    assert form.is_valid(), form.errors
    saved = form.save(actor="t")
    assert saved.rules_texts["en"] == "New wording"
    assert saved.ticket_cap == 0 and saved.status == ContestStatus.OPEN
    assert saved.prizes.count() == 2
