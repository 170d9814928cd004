"""Contest tickets, the frozen entries, the draw and its refusals, redraws and prizes."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test import TestCase

from parrain.core import draw_verify
from parrain.core.exceptions import InvalidInput, Refused
from parrain.core.factories import ProgramFactory
from parrain.core.models import (
    AuditEvent,
    BadgeHolding,
    ContestEntry,
    ContestStatus,
    ContestWinner,
    LoyaltyKind,
    Participants,
    Reward,
    RewardRule,
    TicketSource,
    WinnerStatus,
)
from parrain.core.models.choices import ReferralStatus, RewardKind, RewardStatus, Side
from parrain.core.services import contests
from parrain.core.services.contest_tickets import entrant_id
from parrain.core.services.erasure import erase_contact
from parrain.core.services.loyalty import record_action
from parrain.core.services.rewards import mark_redeemed

from .badge_helpers import make_badge
from .contest_helpers import invite, open_contest, referrer

pytestmark = pytest.mark.django_db

START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
IN = START + timedelta(days=2)
AFTER_DRAW = START + timedelta(days=12)


@pytest.fixture
def program():
    return ProgramFactory()


def _tickets(contest, contact, at=IN + timedelta(days=5)) -> int:
    return contests.tickets_of(contest, contact, at).tickets


def _draw(contest, public="round 5000000: 8b1f…", at=AFTER_DRAW):
    """The draw, then what its commit starts (the prize tasks, eager here)."""
    with time_machine.travel(at, tick=False), TestCase.captureOnCommitCallbacks(execute=True):
        return contests.draw(contest, public, actor="test")


def _redraw(winner, **kwargs):
    with TestCase.captureOnCommitCallbacks(execute=True):
        return contests.redraw(winner, **kwargs)


# --- tickets ------------------------------------------------------------------------------


def test_entrant_id_is_a_short_stable_hmac_of_contest_and_contact_and_sql_agrees(program):
    contest = open_contest(program, start=START)
    alice = referrer(program)
    invite(program, alice, IN, status=ReferralStatus.CONVERTED, converted=True)

    entrant = contests.entrant_id(contest, alice.pk)

    assert entrant == contests.entrant_id(contest, alice.pk)
    assert len(entrant) == 20 and int(entrant, 16) >= 0
    assert entrant != contests.entrant_id(open_contest(program, start=START), alice.pk)
    # the SQL computation (the freeze) writes the same id
    _draw(contest)
    assert ContestEntry.objects.get(contest=contest).entrant == entrant
    assert entrant == entrant_id(contest, alice.pk)


def test_one_ticket_per_friend_converted_inside_the_period_only(program):
    contest = open_contest(program, start=START)
    alice = referrer(program)
    for at in (IN, IN + timedelta(hours=5)):
        invite(program, alice, at, status=ReferralStatus.CONVERTED, converted=True)
    invite(program, alice, START - timedelta(days=3), converted=True)  # converted before
    invite(program, alice, IN)  # invited, not converted
    invite(program, alice, contest.entries_end, converted=True)  # converted after the end

    assert _tickets(contest, alice) == 2


def test_cancelled_and_review_referrals_never_count(program):
    contest = open_contest(program, start=START, ticket_source=TicketSource.INVITATION_SENT)
    alice = referrer(program)
    invite(program, alice, IN)
    invite(program, alice, IN, status=ReferralStatus.CANCELLED)
    invite(program, alice, IN, status=ReferralStatus.REVIEW)

    assert _tickets(contest, alice) == 1


def test_validated_referrals_count_for_referral_validated(program):
    contest = open_contest(program, start=START, ticket_source=TicketSource.REFERRAL_VALIDATED)
    alice = referrer(program)
    invite(program, alice, IN, status=ReferralStatus.VALIDATED, validated=True)
    invite(program, alice, IN, status=ReferralStatus.REWARDED, validated=True)
    invite(program, alice, IN, status=ReferralStatus.CONVERTED, converted=True)

    assert _tickets(contest, alice) == 2


def test_referees_get_one_ticket_for_their_own_referral_and_both_adds_the_sides(program):
    only_friends = open_contest(program, start=START, participants=Participants.REFEREES)
    both = open_contest(program, start=START, participants=Participants.BOTH)
    alice = referrer(program)
    bob = invite(program, alice, IN, status=ReferralStatus.CONVERTED, converted=True).referee
    invite(program, bob, IN, status=ReferralStatus.CONVERTED, converted=True)  # bob refers too

    assert (_tickets(only_friends, alice), _tickets(only_friends, bob)) == (0, 1)
    assert (_tickets(both, alice), _tickets(both, bob)) == (1, 2)


def test_ticket_cap_limits_the_tickets_and_keeps_the_earned_count(program):
    contest = open_contest(
        program, start=START, ticket_source=TicketSource.INVITATION_SENT, ticket_cap=3
    )
    alice = referrer(program)
    for _ in range(5):
        invite(program, alice, IN)

    standing = contests.tickets_of(contest, alice, IN + timedelta(days=1))

    assert (standing.tickets, standing.uncapped, standing.cap) == (3, 5, 3)
    _draw(contest)
    assert ContestEntry.objects.get(contest=contest).tickets == 3


def test_opt_in_required_counts_only_contacts_who_opted_in(program):
    contest = open_contest(
        program, start=START, ticket_source=TicketSource.INVITATION_SENT, opt_in_required=True
    )
    alice, carol = referrer(program), referrer(program)
    invite(program, alice, IN)
    invite(program, carol, IN)

    assert contests.tickets_of(contest, alice, IN).opted_in is False
    assert _tickets(contest, alice) == 0
    contests.opt_in(contest, alice)
    contests.opt_in(contest, alice)  # again: no change

    standing = contests.tickets_of(contest, alice, IN + timedelta(days=1))
    assert (standing.opted_in, standing.tickets) == (True, 1)
    _draw(contest)
    assert list(ContestEntry.objects.values_list("contact", flat=True)) == [alice.pk]
    assert AuditEvent.objects.filter(action="contest.opted_in").count() == 1


def test_opt_in_is_refused_once_drawn(program):
    contest = open_contest(program, start=START, ticket_source=TicketSource.INVITATION_SENT)
    alice = referrer(program)
    invite(program, alice, IN)
    _draw(contest)

    with pytest.raises(Refused):
        contests.opt_in(contest, alice)


def test_loyalty_actions_of_the_kind_count_and_reversed_ones_do_not(program):
    contest = open_contest(
        program,
        start=START,
        ticket_source=TicketSource.LOYALTY_ACTION,
        loyalty_kind="quiz",  # a custom action, by name
    )
    alice = referrer(program)
    for n in range(3):
        with time_machine.travel(IN + timedelta(hours=n), tick=False):
            record_action(program, alice, LoyaltyKind.CUSTOM, 5, source="api", custom_kind="Quiz")
    with time_machine.travel(IN, tick=False):
        record_action(program, alice, LoyaltyKind.REVIEW, 5, source="api")

    assert _tickets(contest, alice) == 3


def test_holding_the_badge_at_the_end_gives_the_fixed_tickets(program):
    badge = make_badge(program, "Gold", {"kind": "friends_converted", "threshold": 99})
    contest = open_contest(
        program, start=START, ticket_source=TicketSource.BADGE_HELD, badge=badge, badge_tickets=5
    )
    alice, bob = referrer(program), referrer(program)
    BadgeHolding.objects.create(badge=badge, contact=alice, awarded_at=IN)
    BadgeHolding.objects.create(
        badge=badge, contact=bob, awarded_at=IN, lost_at=IN + timedelta(days=1)
    )

    assert (_tickets(contest, alice), _tickets(contest, bob)) == (5, 0)


def test_erased_contacts_never_enter(program):
    contest = open_contest(program, start=START, ticket_source=TicketSource.INVITATION_SENT)
    alice, carol = referrer(program), referrer(program)
    invite(program, alice, IN)
    invite(program, carol, IN)
    erase_contact(carol, actor="test")

    assert _tickets(contest, carol) == 0
    _draw(contest)
    assert list(ContestEntry.objects.values_list("contact", flat=True)) == [alice.pk]


def test_contact_contests_lists_open_and_recently_drawn_contests(program):
    current = open_contest(program, start=START, ticket_source=TicketSource.INVITATION_SENT)
    old = open_contest(program, start=START - timedelta(days=90))
    alice = referrer(program)
    invite(program, alice, IN)
    invite(program, alice, START - timedelta(days=88), converted=True)
    _draw(old, at=START - timedelta(days=70))

    listed = contests.contact_contests(alice, IN + timedelta(days=1))

    assert [(t.contest.pk, t.tickets) for t in listed] == [(current.pk, 1)]


# --- the draw -----------------------------------------------------------------------------


def _contest_with_entrants(program, tickets: list[int], **fields):
    contest = open_contest(
        program, start=START, ticket_source=TicketSource.INVITATION_SENT, **fields
    )
    people = []
    for count in tickets:
        contact = referrer(program, first_name="Alice", last_name="Dupont")
        for _ in range(count):
            invite(program, contact, IN)
        people.append(contact)
    return contest, people


def test_draw_freezes_entries_publishes_hash_and_seed_and_picks_by_the_spec(program):
    contest, people = _contest_with_entrants(
        program, [1, 2, 3, 4], prizes=[("Hamper", 1, None), ("Mug", 2, None)]
    )

    result = _draw(contest)

    contest.refresh_from_db()
    assert result.created and result.undrawn == 0
    assert contest.status == ContestStatus.DRAWN
    assert (contest.entries_count, contest.tickets_total) == (4, 10)
    assert contest.algorithm == "parrain-draw-v1"
    data = contests.entries_csv(contest)
    assert data.startswith(b"entrant,tickets\n") and data.endswith(b"\n")
    assert contest.entries_hash == hashlib.sha256(data).hexdigest()
    assert hashlib.sha256(contest.server_seed.encode()).hexdigest() == contest.commitment
    rows = draw_verify.parse_entries(data)
    chain = draw_verify.draw_chain(
        [t for _, t in rows], contest.server_seed, contest.public_value, contest.entries_hash, 3
    )
    assert [(w.pick, w.entry.entrant, w.prize.label, w.unit) for w in result.winners] == [
        (0, rows[chain[0]][0], "Hamper", 0),
        (1, rows[chain[1]][0], "Mug", 0),
        (2, rows[chain[2]][0], "Mug", 1),
    ]
    assert len({w.entry_id for w in result.winners}) == 3  # without replacement
    event = AuditEvent.objects.get(action="contest.drawn")
    assert event.data["entries_hash"] == contest.entries_hash
    assert event.data["public_value"] == contest.public_value
    assert event.data["picks"].startswith(f"0:{rows[chain[0]][0]}")


def test_drawing_twice_returns_the_first_result(program):
    contest, _people = _contest_with_entrants(program, [1, 1, 1])
    first = _draw(contest, public="first value")

    again = _draw(contest, public="another value")

    assert not again.created
    assert [w.pk for w in again.winners] == [w.pk for w in first.winners]
    again.contest.refresh_from_db()
    assert again.contest.public_value == "first value"
    assert AuditEvent.objects.filter(action="contest.drawn").count() == 1


def test_draw_before_the_draw_date_is_refused_and_changes_nothing(program):
    contest, _people = _contest_with_entrants(program, [1])

    with pytest.raises(Refused) as refusal:
        _draw(contest, at=contest.draw_at - timedelta(seconds=1))

    assert refusal.value.reason == "before_draw_date" and refusal.value.status == 409
    contest.refresh_from_db()
    assert contest.status == ContestStatus.OPEN and not contest.entries_hash
    assert not ContestEntry.objects.exists()


def test_draw_exactly_at_the_draw_date_is_allowed(program):
    contest, _people = _contest_with_entrants(program, [1])

    assert _draw(contest, at=contest.draw_at).created


def test_draw_with_no_entries_is_refused(program):
    contest, _people = _contest_with_entrants(program, [])

    with pytest.raises(Refused) as refusal:
        _draw(contest)

    assert refusal.value.reason == "no_entries"
    contest.refresh_from_db()
    assert contest.status == ContestStatus.OPEN


def test_draw_of_a_contest_not_open_is_refused(program):
    contest, _people = _contest_with_entrants(program, [1], status=ContestStatus.DRAFT)

    with pytest.raises(Refused) as refusal:
        _draw(contest)
    assert refusal.value.reason == "contest_not_open"


def test_blank_public_value_is_refused(program):
    contest, _people = _contest_with_entrants(program, [1])

    with pytest.raises(InvalidInput) as refusal:
        _draw(contest, public="   ")
    assert refusal.value.field == "public_value" and refusal.value.status == 422


def test_fewer_entries_than_prize_units_leaves_the_last_units_undrawn(program):
    contest, _people = _contest_with_entrants(program, [1, 5], prizes=[("Mug", 3, None)])

    result = _draw(contest)

    assert [w.unit for w in result.winners] == [0, 1]
    assert result.undrawn == 1
    assert AuditEvent.objects.get(action="contest.drawn").data["undrawn_units"] == 1
    assert contests.draw(result.contest, "x").undrawn == 1


def test_a_referral_cancelled_after_the_draw_changes_nothing(program):
    contest, people = _contest_with_entrants(program, [2, 1])
    result = _draw(contest)
    data = contests.entries_csv(result.contest)

    people[0].referrals_made.update(status=ReferralStatus.CANCELLED)

    assert contests.entries_csv(result.contest) == data
    assert contests.tickets_of(result.contest, people[0]).tickets == 2


def test_changing_one_ticket_changes_the_entries_hash(program):
    contest, _people = _contest_with_entrants(program, [1, 2, 3])
    result = _draw(contest)
    data = contests.entries_csv(result.contest)
    rows = draw_verify.parse_entries(data)

    changed = draw_verify.entries_file([(rows[0][0], rows[0][1] + 1), *rows[1:]])

    assert draw_verify.entries_hash(changed) != result.contest.entries_hash


def test_entries_preview_before_the_draw_is_the_same_file_as_frozen(program):
    contest, _people = _contest_with_entrants(program, [3, 1, 2])
    with time_machine.travel(AFTER_DRAW, tick=False):
        preview = contests.entries_csv(contest)

    result = _draw(contest)

    assert contests.entries_csv(result.contest) == preview


# --- prizes, messages, redraws ------------------------------------------------------------


def _prize_rule(program) -> RewardRule:
    return RewardRule.objects.create(
        program=program, side=Side.PRIZE, kind=RewardKind.FIXED_AMOUNT, value=Decimal("50")
    )


def test_reward_prize_is_issued_once_and_the_winner_told_in_their_language(program):
    rule = _prize_rule(program)
    contest, people = _contest_with_entrants(
        program, [1], prizes=[("50 € voucher", 1, rule), ("Hamper", 1, None)]
    )
    people[0].language = "en"
    people[0].save()

    result = _draw(contest)

    winner = result.winners[0]
    reward = Reward.objects.get()
    assert (reward.side, reward.referral, reward.prize_winner) == (Side.PRIZE, None, winner)
    assert reward.recipient == people[0] and reward.status == RewardStatus.ISSUED
    assert reward.terms["source"] == "prize"
    winner.refresh_from_db()
    assert winner.status == WinnerStatus.NOTIFIED and winner.notified_at
    assert result.undrawn == 1  # one entrant, two prizes
    [message] = mail.outbox
    assert message.subject == f"You won a prize at {program.name}: 50 € voucher"
    assert reward.code in message.body and "Christmas draw" in message.body
    # the task again (a retry): nothing twice
    from parrain.core.services.contest_prizes import award

    award(winner.pk)
    assert Reward.objects.count() == 1 and len(mail.outbox) == 1


def test_physical_prize_message_in_french_and_delivered_by_hand(program):
    contest, people = _contest_with_entrants(program, [1])
    result = _draw(contest)

    [message] = mail.outbox
    assert message.subject.startswith("Vous avez gagné chez")
    assert "Nous revenons vers vous très vite pour vous le remettre" in message.body
    assert not Reward.objects.exists()
    winner = contests.mark_delivered(result.winners[0], actor="owner")
    assert winner.status == WinnerStatus.CLAIMED and winner.delivered_at
    assert AuditEvent.objects.filter(action="contest.prize_delivered").exists()


def test_redraw_gives_the_unit_to_the_next_pick_of_the_chain_and_cancels_the_code(program):
    rule = _prize_rule(program)
    contest, people = _contest_with_entrants(program, [1, 1, 1], prizes=[("Voucher", 1, rule)])
    result = _draw(contest)
    first = result.winners[0]
    first_reward = Reward.objects.get(prize_winner=first)

    second = _redraw(first, actor="owner", reason="no answer")

    contest = result.contest
    rows = draw_verify.parse_entries(contests.entries_csv(contest))
    chain = draw_verify.draw_chain(
        [t for _, t in rows], contest.server_seed, contest.public_value, contest.entries_hash, 2
    )
    assert (second.pick, second.unit, second.entry.entrant) == (1, 0, rows[chain[1]][0])
    first.refresh_from_db()
    first_reward.refresh_from_db()
    assert first.status == WinnerStatus.UNCLAIMED
    assert first_reward.status == RewardStatus.CANCELLED
    assert Reward.objects.get(prize_winner=second).status == RewardStatus.ISSUED
    event = AuditEvent.objects.get(action="contest.redrawn")
    assert event.reason == "no answer" and event.data["pick"] == f"1:{second.entry.entrant}"
    assert len(mail.outbox) == 2
    assert [w.pk for w in contests.live_winners(contest)] == [second.pk]
    with pytest.raises(Refused):
        _redraw(first)


def test_redraw_refused_when_the_prize_was_redeemed_or_nobody_is_left(program):
    rule = _prize_rule(program)
    contest, _people = _contest_with_entrants(program, [1, 1], prizes=[("Voucher", 1, rule)])
    result = _draw(contest)
    mark_redeemed(Reward.objects.get())
    with pytest.raises(Refused) as refusal:
        _redraw(result.winners[0])
    assert refusal.value.reason == "prize_delivered"

    other, _people = _contest_with_entrants(ProgramFactory(), [1, 1])
    winner = _draw(other).winners[0]
    second = _redraw(winner)
    with pytest.raises(Refused) as refusal:
        _redraw(second)
    assert refusal.value.reason == "no_entrant_left"


def test_public_winner_name_is_first_name_and_initial(program):
    contest, people = _contest_with_entrants(program, [1])
    winner = _draw(contest).winners[0]

    assert contests.public_winner_name(winner) == "Alice D."


def test_erased_winner_keeps_the_entries_and_the_hash_still_verifies(program):
    contest, people = _contest_with_entrants(program, [1, 2])
    result = _draw(contest)
    data = contests.entries_csv(result.contest)

    for contact in people:
        erase_contact(contact, actor="test")

    after = contests.entries_csv(result.contest)
    assert after == data
    assert draw_verify.entries_hash(after) == result.contest.entries_hash
    winner = ContestWinner.objects.get(pk=result.winners[0].pk)
    assert contests.public_winner_name(winner) == winner.entry.entrant
    assert ContestEntry.objects.filter(contest=result.contest).count() == 2


def test_entrant_sql_matches_python_hmac_for_many_ids(program):
    """The PostgreSQL (or SQLite) HMAC and Python's agree, whatever the id's length."""
    contest = open_contest(program, start=START)
    from parrain.core.services.contest_tickets import _entrant_sql

    ids = [1, 9, 10, 12345, 987654321]
    sql, params = _entrant_sql(contest, "x.id")
    values = " UNION ALL ".join(f"SELECT {pk} AS id" for pk in ids)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {sql} FROM ({values}) x ORDER BY x.id", params)
        found = [row[0] for row in cursor.fetchall()]
    key = hashlib.sha256(b"parrain.contest.entrant|" + _secret()).digest()
    expected = [
        hmac.new(key, f"contest:{contest.pk}:contact:{pk}".encode(), "sha256").hexdigest()[:20]
        for pk in ids
    ]
    assert found == expected


def _secret() -> bytes:
    from django.conf import settings

    return settings.SECRET_KEY.encode()


def test_the_validation_sweep_tells_a_winner_whose_task_was_lost(program, monkeypatch):
    from parrain.core.services import contest_prizes
    from parrain.core.services.validation import validate_due

    rule = _prize_rule(program)
    contest, people = _contest_with_entrants(program, [1], prizes=[("Voucher", 1, rule)])
    monkeypatch.setattr(contest_prizes, "award_after_commit", lambda winners: None)
    winner = _draw(contest).winners[0]
    monkeypatch.undo()
    validate_due(now=AFTER_DRAW + timedelta(minutes=5))
    assert not mail.outbox  # not yet: the task may still be running

    with TestCase.captureOnCommitCallbacks(execute=True):
        validate_due(now=AFTER_DRAW + timedelta(minutes=20))

    winner.refresh_from_db()
    assert winner.status == WinnerStatus.NOTIFIED
    assert Reward.objects.filter(prize_winner=winner).count() == 1 and len(mail.outbox) == 1


def test_deleting_a_program_deletes_its_drawn_contests_prizes_and_boosts(program):
    """A program with a drawn contest (a reward prize issued) and a boost can be deleted;
    a prize rule still used by a contest cannot be deleted on its own."""
    from django.db.models import RestrictedError

    from parrain.core.models import Boost, Contest, ContestWinner, Program

    from .boost_helpers import make_boost

    rule = _prize_rule(program)
    contest, _people = _contest_with_entrants(program, [2, 1], prizes=[("Voucher", 1, rule)])
    _draw(contest)
    assert Reward.objects.filter(side=Side.PRIZE).count() == 1
    now = datetime.now(tz=UTC)
    make_boost(program, now + timedelta(days=1), now + timedelta(days=2))
    with pytest.raises(RestrictedError):
        rule.delete()
    program.delete()
    assert not Program.objects.filter(pk=program.pk).exists()
    assert not Contest.objects.exists() and not ContestWinner.objects.exists()
    assert not Boost.objects.exists() and not Reward.objects.exists()


# --- entries frozen at the end of the entry period ---------------------------------------

END = START + timedelta(days=10)  # open_contest's entry period: 10 days from START


def test_entries_are_frozen_at_the_end_of_entries_before_the_public_value_exists(program):
    """The periodic task freezes and hashes the entries when the period ends; a referral
    cancelled afterwards (when the owner might already know the public value) changes
    neither the file nor the winners' chances: the draw uses what was frozen."""
    contest, people = _contest_with_entrants(program, [2, 1])
    with time_machine.travel(END - timedelta(seconds=1), tick=False):
        assert contests.freeze_due_entries() == []  # still open for entries
        with pytest.raises(Refused):
            contests.freeze_entries(contest)
    with time_machine.travel(END, tick=False):
        [frozen] = contests.freeze_due_entries()
    published = contests.entries_csv(frozen)
    assert frozen.entries_frozen_at == END and frozen.drawn_at is None
    assert frozen.entries_hash == hashlib.sha256(published).hexdigest()
    assert (frozen.entries_count, frozen.tickets_total) == (2, 3)
    assert AuditEvent.objects.filter(action="contest.entries_frozen").count() == 1

    people[0].referrals_made.update(status=ReferralStatus.CANCELLED)  # after the freeze
    with time_machine.travel(END + timedelta(hours=1), tick=False):
        assert contests.freeze_due_entries() == []  # frozen once
    result = _draw(frozen)

    assert result.contest.entries_hash == frozen.entries_hash
    assert contests.entries_csv(result.contest) == published
    assert result.contest.entries_frozen_at == END  # not moved by the draw


def test_a_draw_freezes_the_entries_itself_when_the_task_did_not_run(program):
    contest, _people = _contest_with_entrants(program, [1, 1])
    result = _draw(contest)
    assert result.contest.entries_frozen_at == AFTER_DRAW
    assert result.contest.entries_count == 2
