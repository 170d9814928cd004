"""Setting a contest up: create, edit, open (commitment), cancel; every refusal names its
field, says why, and stores nothing."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone, translation

from parrain.core import signals
from parrain.core.exceptions import InvalidInput, Refused
from parrain.core.factories import ProgramFactory
from parrain.core.models import AuditEvent, Badge, Contest, ContestPrize, RewardRule
from parrain.core.models.choices import Side
from parrain.core.models.contest import ContestStatus, TicketSource
from parrain.core.services import contest_setup

from .contest_helpers import PRIZES, contest_fields, make_contest

pytestmark = pytest.mark.django_db


@pytest.fixture
def program():
    return ProgramFactory(languages=["fr", "en"], default_language="fr")


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def test_create_stores_prizes_in_order_with_a_prize_rule_for_rewards(program):
    contest = make_contest(program)

    prizes = list(contest.prizes.order_by("position"))
    assert [(p.position, p.label, p.quantity) for p in prizes] == [
        (1, "Weekend for two", 1),
        (2, "Voucher", 2),
    ]
    assert prizes[0].reward_rule is None  # physical
    assert prizes[1].reward_rule.side == Side.PRIZE
    assert prizes[1].reward_rule.value == 20
    assert contest.status == ContestStatus.DRAFT and not contest.commitment
    assert AuditEvent.objects.filter(action="contest.created").count() == 1


def test_draw_before_end_of_entries_is_refused_and_nothing_stored(program):
    fields = contest_fields()
    fields["draw_at"] = fields["entries_end"] - timedelta(minutes=1)
    with pytest.raises(InvalidInput) as refused:
        contest_setup.create_contest(program, prizes=PRIZES, actor="t", **fields)
    assert refused.value.field == "draw_at"
    assert "before the entry period ends" in refused.value.message
    assert not Contest.objects.exists() and not ContestPrize.objects.exists()


def test_period_ending_before_it_starts_is_refused(program):
    fields = contest_fields()
    fields["entries_end"] = fields["entries_start"]
    with pytest.raises(InvalidInput) as refused:
        contest_setup.create_contest(program, prizes=[], actor="t", **fields)
    assert refused.value.field == "entries_end"


def test_loyalty_and_badge_sources_need_their_detail(program):
    with pytest.raises(InvalidInput) as refused:
        make_contest(program, ticket_source=TicketSource.LOYALTY_ACTION)
    assert refused.value.field == "loyalty_kind"
    with pytest.raises(InvalidInput) as refused:
        make_contest(program, ticket_source=TicketSource.BADGE_HELD)
    assert refused.value.field == "badge"


def test_badge_of_another_program_is_refused(program):
    other = Badge.objects.create(program=ProgramFactory(), names={"fr": "Or"}, rank=1)
    with pytest.raises(InvalidInput) as refused:
        make_contest(program, ticket_source=TicketSource.BADGE_HELD, badge=other.pk)
    assert refused.value.field == "badge"
    assert not Contest.objects.exists()


def test_bad_prize_names_its_row(program):
    prizes = [{"label": "A", "quantity": 1}, {"label": "B", "quantity": 0}]
    with pytest.raises(InvalidInput) as refused:
        make_contest(program, prizes=prizes)
    assert refused.value.field == "prizes.1.quantity"
    with pytest.raises(InvalidInput) as refused:
        make_contest(
            program, prizes=[{"label": "P", "reward": {"kind": "percentage", "value": 150}}]
        )
    assert refused.value.field == "prizes.0.reward.value"
    assert not RewardRule.objects.filter(side=Side.PRIZE).exists()


def test_contest_without_rules_cannot_open(program):
    contest = make_contest(program, rules_texts={}, rules_url="")

    with pytest.raises(InvalidInput) as refused:
        contest_setup.open_contest(contest, actor="t")

    assert refused.value.field == "rules_texts"
    assert "rules" in refused.value.message
    contest.refresh_from_db()
    assert contest.status == ContestStatus.DRAFT and not contest.commitment
    assert not AuditEvent.objects.filter(action="contest.opened").exists()


def test_rules_url_alone_is_enough_to_open(program):
    contest = make_contest(program, rules_texts={}, rules_url="https://shop.example/rules")
    assert contest_setup.open_contest(contest, actor="t").status == ContestStatus.OPEN


@pytest.mark.parametrize(
    ("change", "field"),
    [({"public_value_source": ""}, "public_value_source"), ({"prizes": []}, "prizes")],
)
def test_opening_needs_prizes_and_a_public_value_source(program, change, field):
    prizes = change.pop("prizes", PRIZES)
    contest = make_contest(program, prizes=prizes, **change)
    with pytest.raises(InvalidInput) as refused:
        contest_setup.open_contest(contest, actor="t")
    assert refused.value.field == field


def test_open_publishes_the_commitment_of_a_secret_seed(program):
    heard = []

    def listen(sender, contest, **kwargs):
        heard.append(contest)

    signals.contest_opened.connect(listen)
    try:
        contest = contest_setup.open_contest(make_contest(program), actor="alice")
    finally:
        signals.contest_opened.disconnect(listen)

    assert contest.status == ContestStatus.OPEN and contest.opened_at
    assert len(contest.server_seed) == 64
    assert contest.commitment == hashlib.sha256(contest.server_seed.encode("ascii")).hexdigest()
    event = AuditEvent.objects.get(action="contest.opened")
    assert event.actor == "alice" and event.data["commitment"] == contest.commitment
    assert contest.server_seed not in str(event.data)
    assert heard == [contest]


def test_opening_twice_is_refused_and_keeps_the_seed(program):
    contest = contest_setup.open_contest(make_contest(program), actor="t")
    with pytest.raises(Refused):
        contest_setup.open_contest(contest, actor="t")
    assert Contest.objects.get().server_seed == contest.server_seed


def test_period_already_over_cannot_open(program):
    contest = make_contest(program)
    with time_machine.travel(contest.entries_end + timedelta(seconds=1)):
        with pytest.raises(InvalidInput) as refused:
            contest_setup.open_contest(contest, actor="t")
    assert refused.value.field == "entries_end"


def test_open_contest_changes_only_texts_and_a_later_draw(program):
    contest = contest_setup.open_contest(make_contest(program), actor="t")
    later = contest.draw_at + timedelta(days=2)

    contest = contest_setup.update_contest(
        contest, actor="t", rules_url="https://shop.example/rules", draw_at=later
    )
    assert contest.draw_at == later

    for change in (
        {"ticket_cap": 3},
        {"entries_start": contest.entries_start - timedelta(days=1)},
        {"public_value_source": "another lottery"},
    ):
        with pytest.raises(Refused) as refused:
            contest_setup.update_contest(contest, actor="t", **change)
        assert refused.value.field == next(iter(change))
    with pytest.raises(InvalidInput):
        contest_setup.update_contest(contest, actor="t", draw_at=later - timedelta(days=1))
    with pytest.raises(Refused):
        contest_setup.update_contest(contest, actor="t", prizes=[{"label": "X", "quantity": 1}])
    with pytest.raises(InvalidInput):
        contest_setup.update_contest(contest, actor="t", rules_texts={}, rules_url="")
    stored = Contest.objects.get()
    assert stored.ticket_cap == 0 and stored.public_value_source == "drand round 5000000"
    assert stored.draw_at == later and stored.prizes.count() == 2


def test_open_contest_accepts_the_same_values_again(program):
    contest = contest_setup.open_contest(make_contest(program), actor="t")
    same = contest_fields(start=contest.entries_start)
    same["draw_at"] = contest.draw_at
    contest_setup.update_contest(contest, actor="t", prizes=PRIZES, **same)
    assert not AuditEvent.objects.filter(action="contest.updated").exists()


def test_draft_update_replaces_prizes_and_is_audited(program):
    contest = make_contest(program)
    contest_setup.update_contest(
        contest, actor="bob", prizes=[{"label": "Bike", "quantity": 3}], ticket_cap=5
    )
    assert [(p.label, p.quantity) for p in contest.prizes.all()] == [("Bike", 3)]
    assert not RewardRule.objects.filter(side=Side.PRIZE).exists()  # the voucher's rule went
    event = AuditEvent.objects.get(action="contest.updated")
    assert event.data["fields"] == "ticket_cap,prizes" and event.actor == "bob"


def test_cancel_draft_or_open_but_not_twice(program):
    contest = contest_setup.cancel_contest(make_contest(program), actor="t")
    assert contest.status == ContestStatus.CANCELLED
    with pytest.raises(Refused):
        contest_setup.cancel_contest(contest, actor="t")
    with pytest.raises(Refused):
        contest_setup.update_contest(contest, actor="t", name="Again")
    assert AuditEvent.objects.filter(action="contest.cancelled").count() == 1


def test_naive_dates_are_read_in_the_program_time_zone(program):
    program.time_zone = "America/New_York"
    program.save()
    start = timezone.now().replace(tzinfo=None, microsecond=0) + timedelta(days=1)
    contest = make_contest(program, start=start)
    assert contest.entries_start.utcoffset() is not None
    local = timezone.localtime(contest.entries_start, program.tz()).replace(tzinfo=None)
    assert local == start
