"""Badges in the life of a program: evaluation queued after commit by the events, the
badge's own referrer reward frozen into invitations, erasure, the background recompute."""

from __future__ import annotations

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.utils import timezone

from parrain.core.factories import ContactFactory, ProgramFactory
from parrain.core.models import BadgeHolding, BadgeRecompute, LoyaltyKind, RewardRule
from parrain.core.models.choices import Channel, RewardKind, Side
from parrain.core.services import badge_recompute, badges
from parrain.core.services.enrolment import enrol_referrer
from parrain.core.services.erasure import erase_contact
from parrain.core.services.invitations import issue_invitation
from parrain.core.services.registration import register_referee

from .badge_helpers import act, make_badge

pytestmark = pytest.mark.django_db


def holds(contact, badge) -> bool:
    return BadgeHolding.objects.filter(contact=contact, badge=badge, lost_at__isnull=True).exists()


@pytest.fixture
def program():
    return ProgramFactory()


@pytest.fixture
def queued(monkeypatch) -> list[int]:
    """The contact ids whose evaluation is queued (the task itself is not run)."""
    calls: list[int] = []
    monkeypatch.setattr("parrain.core.tasks.evaluate_badges.delay", calls.append)
    return calls


# -- incremental evaluation ---------------------------------------------------------------


def test_a_loyalty_action_is_evaluated_after_commit_not_inside_the_request(
    program, django_capture_on_commit_callbacks
) -> None:
    contact = ContactFactory(program=program)
    badge = make_badge(
        program, "Critic", {"kind": "action_count", "action_kind": "review", "threshold": 1}
    )
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        act(contact, LoyaltyKind.REVIEW)
        assert not holds(contact, badge)  # nothing decided inside the transaction

    for callback in callbacks:  # the commit: the (eager) task runs
        callback()
    assert holds(contact, badge)


def test_many_events_of_one_transaction_queue_one_evaluation_per_contact(
    program, queued, django_capture_on_commit_callbacks
) -> None:
    make_badge(program, "Any", {"kind": "points_balance", "threshold": 1000})
    alice, bob = ContactFactory(program=program), ContactFactory(program=program)
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            for _ in range(3):
                act(alice)
            act(bob)

    assert sorted(queued) == sorted([alice.pk, bob.pk])


def test_a_rolled_back_transaction_queues_nothing_and_the_next_one_still_does(
    program, queued, django_capture_on_commit_callbacks
) -> None:
    make_badge(program, "Any", {"kind": "points_balance", "threshold": 1000})
    alice = ContactFactory(program=program)
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            act(alice)
            raise RuntimeError("checkout failed")
        act(alice)

    assert queued == [alice.pk]


def test_programs_without_badges_queue_nothing(
    program, queued, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        act(ContactFactory(program=program))
    assert queued == []


def test_a_friend_registering_evaluates_the_referrer(
    program, django_capture_on_commit_callbacks
) -> None:
    badge = make_badge(program, "Host", {"kind": "friends_registered", "threshold": 1})
    with django_capture_on_commit_callbacks(execute=True):
        alice = enrol_referrer(program, "alice@example.com")
        register_referee(program, alice.code, "bob@example.org")

    assert holds(alice.contact, badge)
    assert not BadgeHolding.objects.exclude(contact=alice.contact).exists()


def test_a_badge_won_evaluates_the_badges_that_require_it(
    program, django_capture_on_commit_callbacks
) -> None:
    contact = ContactFactory(program=program)
    honour = make_badge(program, "Honour")  # given by hand only
    fan = make_badge(
        program, "Fan", {"kind": "holds_badge", "required_badge": honour, "threshold": 1}, rank=2
    )
    with django_capture_on_commit_callbacks(execute=True):
        badges.award(honour, contact, actor="admin:ops", reason="jury")

    assert holds(contact, fan)


# -- the badge's own referrer reward ------------------------------------------------------


def test_a_badge_reward_is_frozen_into_invitations_issued_while_held(program) -> None:
    # Given a Gold badge whose holders earn 25 instead of the program's 10
    gold_rule = RewardRule.objects.create(
        program=program, side=Side.REFERRER, kind=RewardKind.FIXED_AMOUNT, value=Decimal("25")
    )
    gold = make_badge(program, "Gold", reward_rule=gold_rule)
    assert program.rule(Side.REFERRER).value == Decimal("10")  # never the badge's rule
    alice = ContactFactory(program=program)
    badges.award(gold, alice, actor="admin:ops", reason="top ambassador")

    # When Alice invites while Gold, then after losing it
    during, _ = issue_invitation(
        alice, ContactFactory(program=program), Channel.EMAIL, timezone.now()
    )
    badges.revoke(gold, alice, actor="admin:ops", reason="season over")
    after, _ = issue_invitation(
        alice, ContactFactory(program=program), Channel.EMAIL, timezone.now()
    )

    # Then the first invitation keeps the Gold reward, the second has the program's
    during.refresh_from_db()
    assert (during.referrer_terms["source"], during.referrer_terms["value"]) == ("badge", "25.00")
    assert during.referrer_terms["rule_id"] == gold_rule.pk
    assert (after.referrer_terms["source"], after.referrer_terms["value"]) == ("rule", "10.00")


def test_the_highest_ranked_held_badge_with_a_reward_wins(program) -> None:
    rules = [
        RewardRule.objects.create(
            program=program, side=Side.REFERRER, kind=RewardKind.FIXED_AMOUNT, value=Decimal(v)
        )
        for v in ("15", "20")
    ]
    silver = make_badge(program, "Silver", rank=2, reward_rule=rules[0])
    gold = make_badge(program, "Gold", rank=3, reward_rule=rules[1])
    plain = make_badge(program, "Platinum", rank=4)  # no reward of its own
    alice = ContactFactory(program=program)
    for badge in (silver, gold, plain):
        badges.award(badge, alice, actor="admin:ops", reason="test")

    assert badges.referrer_rule_for(alice) == rules[1]
    assert badges.referrer_rule_for(ContactFactory(program=program)) is None


# -- erasure --------------------------------------------------------------------------------


def test_erasure_removes_the_badges_and_evaluation_skips_the_tombstone(program) -> None:
    badge = make_badge(program, "Friend", {"kind": "friends_registered", "threshold": 1})
    alice = ContactFactory(program=program)
    badges.award(badge, alice, actor="admin:ops", reason="test")
    keep = ContactFactory(program=program)
    badges.award(badge, keep, actor="admin:ops", reason="test")

    assert erase_contact(alice, actor="admin:dpo")

    assert not BadgeHolding.objects.filter(contact=alice).exists()
    assert holds(keep, badge)
    assert badges.evaluate(alice) == []


# -- recompute ------------------------------------------------------------------------------


def _contacts_with_points(program, how_many: int, points: int = 10) -> list:
    contacts = [ContactFactory(program=program) for _ in range(how_many)]
    for contact in contacts:
        act(contact, points=points)
    return contacts


def test_recompute_awards_and_takes_back_across_batches(program, monkeypatch) -> None:
    monkeypatch.setattr(badge_recompute, "BATCH_SIZE", 2)
    rich = _contacts_with_points(program, 3, points=50)
    poor = _contacts_with_points(program, 2, points=5)
    badge = make_badge(program, "Rich", {"kind": "points_balance", "threshold": 20}, keep=False)
    badges.award(badge, poor[0], actor="admin:ops", reason="mistake")

    row = badges.start_recompute(program, reason="conditions edited")
    assert (row.state, row.total) == ("queued", 5)
    row = badge_recompute.run(row.pk)

    assert (row.state, row.done, row.awarded, row.lost) == ("done", 5, 3, 1)
    assert row.last_contact_id == max(c.pk for c in rich + poor) and row.percent == 100
    assert all(holds(c, badge) for c in rich) and not any(holds(c, badge) for c in poor)


def test_a_second_start_reuses_the_live_recompute(program) -> None:
    make_badge(program, "Any", {"kind": "points_balance", "threshold": 1})
    first = badges.start_recompute(program, reason="one")
    second = badges.start_recompute(program, reason="two")
    assert second.pk == first.pk and second.reason == "two"
    assert BadgeRecompute.objects.count() == 1


def test_recompute_resumes_after_the_last_finished_batch(program) -> None:
    contacts = _contacts_with_points(program, 4)
    badge = make_badge(program, "Any", {"kind": "points_balance", "threshold": 1})
    row = badges.start_recompute(program)
    # A worker died after the first two contacts
    BadgeRecompute.objects.filter(pk=row.pk).update(
        state="running", last_contact_id=contacts[1].pk, done=2
    )

    row = badge_recompute.run(row.pk)

    assert (row.state, row.done, row.awarded) == ("done", 4, 2)
    assert [holds(c, badge) for c in contacts] == [False, False, True, True]


def test_a_failing_recompute_is_marked_failed(program, monkeypatch) -> None:
    ContactFactory(program=program)
    make_badge(program, "Any", {"kind": "points_balance", "threshold": 1})
    row = badges.start_recompute(program)

    def broken(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(badge_recompute, "recompute_batch", broken)
    with pytest.raises(RuntimeError):
        badge_recompute.run(row.pk)
    row.refresh_from_db()
    assert row.state == "failed" and "database went away" in row.error


def test_the_command_recomputes_with_a_progress_bar(program) -> None:
    contacts = _contacts_with_points(program, 3)
    badge = make_badge(program, "Any", {"kind": "points_balance", "threshold": 1})
    out, err = StringIO(), StringIO()

    call_command("parrain_badges", "--recompute", "--program", program.slug, stdout=out, stderr=err)

    assert all(holds(c, badge) for c in contacts)
    assert "100% 3/3" in err.getvalue()
    assert f"{program.slug}: 3 contacts, 3 badges awarded, 0 lost" in out.getvalue()
    with pytest.raises(CommandError):
        call_command("parrain_badges", "--recompute", "--program", "nope")


# -- outbound webhooks ----------------------------------------------------------------------


def test_awarded_and_lost_badges_are_stored_for_the_shops_endpoint(program) -> None:
    from parrain.plugins.generic_webhook.models import OutboundEndpoint, OutboundMessage

    OutboundEndpoint.objects.create(
        program=program, url="https://shop.example/hook", event_types=["badge.lost"]
    )
    everything = OutboundEndpoint.objects.create(program=program, url="https://shop.example/all")
    badge = make_badge(program, "Active", {"kind": "points_balance", "threshold": 5}, keep=False)
    alice = ContactFactory(program=program, email="alice@example.com")
    act(alice, points=5)
    badges.evaluate(alice)
    act(alice, LoyaltyKind.ADJUSTMENT, points=-1, reason="spent")
    badges.evaluate(alice)

    sent = OutboundMessage.objects.order_by("pk")
    assert [(m.endpoint_id == everything.pk, m.event_type) for m in sent] == [
        (True, "badge.awarded"),
        (False, "badge.lost"),
        (True, "badge.lost"),
    ]
    awarded, lost = sent[0].payload["data"], sent[2].payload["data"]
    assert awarded["badge"]["id"] == badge.pk and awarded["contact"]["email"] == "alice@example.com"
    assert awarded["values"] == {"points_balance": "5"} and awarded["lost_at"] is None
    assert lost["values"] == {"points_balance": "4"} and lost["lost_at"] and lost["by"] == "system"


def test_the_daily_recompute_covers_only_programs_whose_badges_can_fade(program) -> None:
    from parrain.core.tasks import recompute_fading_badges

    ContactFactory(program=program)
    condition = {"kind": "points_earned", "threshold": 10, "period_days": 30}
    make_badge(program, "Active", condition, keep=False)
    kept_only = ProgramFactory()
    make_badge(kept_only, "Kept", condition, keep=True)

    assert recompute_fading_badges() == 1
    assert list(BadgeRecompute.objects.values_list("program", flat=True)) == [program.pk]
