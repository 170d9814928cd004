"""Badge evaluation: each condition kind with and without a rolling period, all/any,
prerequisites, kept and re-evaluated badges, manual awards, progress texts, messages.

These tests run in one transaction each (fast), so nothing runs "after commit" unless a
test captures the callbacks; they call ``badges.evaluate`` as the task would.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from parrain.core.exceptions import InvalidInput
from parrain.core.factories import ContactFactory, ProgramFactory
from parrain.core.models import AuditEvent, BadgeHolding, LoyaltyKind, ScheduledMessage
from parrain.core.models.choices import ReferralStatus
from parrain.core.services import badges
from parrain.core.services.orders import RefundData, record_refund

from .badge_helpers import act, invite, make_badge, referral

pytestmark = pytest.mark.django_db


def holds(contact, badge) -> bool:
    return BadgeHolding.objects.filter(contact=contact, badge=badge, lost_at__isnull=True).exists()


@pytest.fixture
def program():
    return ProgramFactory(languages=["fr", "en"], default_language="fr")


@pytest.fixture
def alice(program):
    return ContactFactory(program=program, email="alice@example.com", language="en")


# One unit of each figure, made now; the threshold needs two units.
UNITS: dict[str, tuple[dict, Callable]] = {
    "invitations_sent": ({"kind": "invitations_sent", "threshold": 2}, invite),
    "friends_registered": (
        {"kind": "friends_registered", "threshold": 2},
        lambda c: referral(c, ReferralStatus.REGISTERED),
    ),
    "friends_converted": (
        {"kind": "friends_converted", "threshold": 2},
        lambda c: referral(c, ReferralStatus.CONVERTED),
    ),
    "referrals_validated": (
        {"kind": "referrals_validated", "threshold": 2},
        lambda c: referral(c, ReferralStatus.REWARDED),
    ),
    "referred_revenue": (
        {"kind": "referred_revenue", "threshold": "99.50"},
        lambda c: referral(c, ReferralStatus.VALIDATED, amount="50"),
    ),
    "points_earned": ({"kind": "points_earned", "threshold": 100}, lambda c: act(c, points=50)),
    "action_count": (
        {"kind": "action_count", "action_kind": "review", "threshold": 2},
        lambda c: act(c, LoyaltyKind.REVIEW, points=0),
    ),
    "action_count_custom": (
        {"kind": "action_count", "action_kind": "custom", "custom_kind": "story", "threshold": 2},
        lambda c: act(c, LoyaltyKind.CUSTOM, points=1, custom_kind="story"),
    ),
}


@pytest.mark.parametrize("kind", UNITS)
def test_each_condition_counts_everything_ever_without_a_period(program, alice, kind) -> None:
    condition, unit = UNITS[kind]
    badge = make_badge(program, "Ever", condition)
    with time_machine.travel(timezone.now() - timedelta(days=400)):
        unit(alice)
    badges.evaluate(alice)
    assert not holds(alice, badge)  # one unit: below the threshold

    unit(alice)
    changes = badges.evaluate(alice)

    assert holds(alice, badge)
    assert [c.awarded for c in changes] == [True]


@pytest.mark.parametrize("kind", UNITS)
def test_a_rolling_period_counts_only_its_last_days(program, alice, kind) -> None:
    condition, unit = UNITS[kind]
    badge = make_badge(program, "Recent", {**condition, "period_days": 30})
    # Given two units 31 days ago and one today
    with time_machine.travel(timezone.now() - timedelta(days=31)):
        unit(alice)
        unit(alice)
    unit(alice)
    # Then the 30-day window sees one: not earned
    assert badges.evaluate(alice) == []
    assert not holds(alice, badge)
    # And a second unit inside the window earns it
    unit(alice)
    badges.evaluate(alice)
    assert holds(alice, badge)


def test_cancelled_referrals_never_count(program, alice) -> None:
    badge = make_badge(program, "Converter", {"kind": "friends_converted", "threshold": 1})
    referral(alice, ReferralStatus.CANCELLED)
    referral(alice, ReferralStatus.INVITED)

    assert badges.evaluate(alice) == []
    assert not holds(alice, badge)


def test_referred_revenue_is_net_of_refunds(program, alice) -> None:
    badge = make_badge(
        program, "Seller", {"kind": "referred_revenue", "threshold": 100}, keep=False
    )
    # Validated referrals: a refund now keeps them, and only lowers the revenue
    first = referral(alice, ReferralStatus.VALIDATED, amount="60")
    referral(alice, ReferralStatus.VALIDATED, amount="40")
    badges.evaluate(alice)
    assert holds(alice, badge)

    refund = RefundData(external_id="R-1", amount=Decimal("0.01"))
    record_refund(program, first.order.external_id, refund)
    first.refresh_from_db()
    assert first.status == ReferralStatus.VALIDATED
    badges.evaluate(alice)

    assert not holds(alice, badge)


def test_points_balance_follows_spending_but_points_earned_does_not(program, alice) -> None:
    rich = make_badge(program, "Rich", {"kind": "points_balance", "threshold": 100}, keep=False)
    earner = make_badge(
        program, "Earner", {"kind": "points_earned", "threshold": 100}, keep=False, rank=2
    )
    act(alice, points=120)
    badges.evaluate(alice)
    assert holds(alice, rich) and holds(alice, earner)

    act(alice, LoyaltyKind.ADJUSTMENT, points=-50, reason="spent on a gift")
    badges.evaluate(alice)

    assert not holds(alice, rich)  # balance 70
    assert holds(alice, earner)  # spending is not un-earning


def test_a_reversal_takes_earned_points_back(program, alice) -> None:
    earner = make_badge(program, "Earner", {"kind": "points_earned", "threshold": 100}, keep=False)
    act(alice, points=100)
    badges.evaluate(alice)
    entry = alice.loyalty_entries.get()
    act(alice, LoyaltyKind.REVERSAL, points=-30, reversal_of=entry)

    badges.evaluate(alice)

    assert not holds(alice, earner)


def test_all_needs_every_condition_any_needs_one(program, alice) -> None:
    conditions = (
        {"kind": "action_count", "action_kind": "review", "threshold": 1},
        {"kind": "points_balance", "threshold": 500},
    )
    both = make_badge(program, "Both", *conditions, match="all")
    either = make_badge(program, "Either", *conditions, match="any", rank=2)
    act(alice, LoyaltyKind.REVIEW, points=10)

    badges.evaluate(alice)

    assert holds(alice, either) and not holds(alice, both)
    summary = badges.contact_badges(alice, "en")
    progress = {p.badge.pk: p for p in summary.all}
    assert progress[both.pk].missing == "490 more points"
    assert progress[either.pk].missing == ""


def test_a_prerequisite_is_earned_first_in_the_same_pass(program, alice) -> None:
    # The requiring badge ranks first: the evaluation still decides its prerequisite first.
    reviewer = make_badge(
        program,
        "Reviewer",
        {"kind": "action_count", "action_kind": "review", "threshold": 1},
        rank=5,
    )
    ambassador = make_badge(
        program,
        "Ambassador",
        {"kind": "holds_badge", "required_badge": reviewer, "threshold": 1},
        {"kind": "points_balance", "threshold": 10},
        rank=1,
    )
    act(alice, points=10)

    changes = badges.evaluate(alice)

    assert [c.badge for c in changes] == [reviewer, ambassador]
    assert changes[1].values == {f"holds_badge.{reviewer.pk}": "1", "points_balance": "10"}


def test_a_kept_badge_stays_and_a_reevaluated_one_is_lost_when_the_period_moves_on(
    program, alice
) -> None:
    condition = {"kind": "action_count", "action_kind": "review", "threshold": 1, "period_days": 7}
    kept = make_badge(program, "Kept", condition, keep=True)
    monthly = make_badge(program, "Active", condition, keep=False, rank=2)
    act(alice)
    badges.evaluate(alice)
    assert holds(alice, kept) and holds(alice, monthly)

    with time_machine.travel(timezone.now() + timedelta(days=8)):
        changes = badges.evaluate(alice)

    assert [(c.badge, c.awarded) for c in changes] == [(monthly, False)]
    assert holds(alice, kept) and not holds(alice, monthly)
    lost = BadgeHolding.objects.get(badge=monthly)
    assert lost.lost_at is not None and lost.lost_by == "system"
    event = AuditEvent.objects.get(action="badge.lost")
    assert event.data["action_count.review_7d"] == "0"
    # Earning it again opens a new period; the old one stays as history
    act(alice)
    badges.evaluate(alice)
    assert BadgeHolding.objects.filter(badge=monthly).count() == 2 and holds(alice, monthly)


def test_inactive_badges_and_other_programs_badges_are_not_evaluated(program, alice) -> None:
    make_badge(program, "Off", {"kind": "points_balance", "threshold": 1}, is_active=False)
    elsewhere = ContactFactory()
    make_badge(elsewhere.program, "Other", {"kind": "points_balance", "threshold": 1})
    act(alice)

    assert badges.evaluate(alice) == []
    assert not badges.has_badges(program)


def test_evaluating_again_changes_nothing(program, alice) -> None:
    make_badge(program, "Once", {"kind": "points_balance", "threshold": 1})
    act(alice)

    assert len(badges.evaluate(alice)) == 1
    assert badges.evaluate(alice) == []
    assert BadgeHolding.objects.count() == 1
    assert AuditEvent.objects.filter(action="badge.awarded").count() == 1


def test_manual_award_and_revoke_are_idempotent_and_need_a_reason(program, alice) -> None:
    badge = make_badge(program, "Honour")  # no condition: only given by hand
    with pytest.raises(InvalidInput) as refused:
        badges.award(badge, alice, actor="admin:ops", reason=" ")
    assert refused.value.field == "reason" and not BadgeHolding.objects.exists()

    holding, created = badges.award(badge, alice, actor="admin:ops", reason="event host")
    again, created_again = badges.award(badge, alice, actor="admin:ops", reason="again")
    assert (created, created_again) == (True, False) and again.pk == holding.pk
    assert badges.evaluate(alice) == []  # a manual badge is not taken back by evaluation

    closed = badges.revoke(badge, alice, actor="admin:ops", reason="mistake")
    assert closed.pk == holding.pk and closed.lost_by == "admin:ops"
    assert badges.revoke(badge, alice, actor="admin:ops", reason="mistake") is None
    actions = AuditEvent.objects.filter(action__startswith="badge.").values_list(
        "action", "actor", "reason"
    )
    assert sorted(actions) == [
        ("badge.awarded", "admin:ops", "event host"),
        ("badge.lost", "admin:ops", "mistake"),
    ]


def test_a_badge_of_another_program_is_refused(program, alice) -> None:
    other = make_badge(ProgramFactory(), "Elsewhere")
    with pytest.raises(InvalidInput):
        badges.award(other, alice, actor="admin:ops", reason="why not")
    assert not BadgeHolding.objects.exists()


def test_progress_texts_say_what_is_missing(program, alice) -> None:
    bronze = make_badge(program, "Bronze", {"kind": "points_balance", "threshold": 10})
    silver = make_badge(
        program,
        "Silver",
        {"kind": "friends_converted", "threshold": 5, "period_days": 30},
        {"kind": "referred_revenue", "threshold": "200"},
        rank=2,
    )
    act(alice, points=15)
    referral(alice, ReferralStatus.CONVERTED, amount="49.50")
    badges.evaluate(alice)

    summary = badges.contact_badges(alice, "en")

    assert summary.current == bronze and [h.badge for h in summary.earned] == [bronze]
    assert summary.balance == 15
    assert summary.next.badge == silver and not summary.next.held
    labels = [c.label for c in summary.next.conditions]
    assert labels == [
        "1 / 5 friends converted in the last 30 days",
        "49.50 / 200 EUR of referred revenue",
    ]
    assert summary.next.missing == (
        "4 more friends converted in the last 30 days, 150.50 EUR more of referred revenue"
    )


def test_award_message_carries_the_badge_the_next_one_and_the_balance(program, alice) -> None:
    make_badge(program, "Bronze", {"kind": "points_balance", "threshold": 10})
    make_badge(program, "Silver", {"kind": "points_balance", "threshold": 50}, rank=2)
    act(alice, points=12)

    badges.evaluate(alice)

    # The scenario's badge_earned step schedules the message about the holding; its
    # variables are computed when it is sent.
    holding = alice.badges.get(lost_at__isnull=True)
    [message] = ScheduledMessage.objects.filter(contact=alice)
    assert (message.kind, message.subject_type, message.subject_id) == (
        "badge_awarded",
        "badgeholding",
        holding.pk,
    )
    context = badges.message_context(holding)
    assert context["badge"]["name"] == "Bronze"
    assert context["next_badge"] == {"name": "Silver", "missing": "38 more points"}
    assert context["points"] == {"balance": 12}


@pytest.mark.parametrize(
    ("language", "subject", "lines"),
    [
        (
            "en",
            "New badge at {program}: Bronze",
            ["you earned the Bronze badge", "Next badge: Silver. Still to go: 38 more points."],
        ),
        (
            "fr",
            "Nouveau badge chez {program} : Bronze FR",
            [
                "vous avez obtenu le badge Bronze FR",
                "Prochain badge : Silver FR.",
                "Vos points de fidélité : 12.",
            ],
        ),
    ],
)
def test_award_email_is_rendered_in_the_contacts_language(
    program, language, subject, lines, django_capture_on_commit_callbacks
) -> None:
    contact = ContactFactory(program=program, language=language, first_name="Jeanne")
    bronze = make_badge(program, "Bronze", {"kind": "points_balance", "threshold": 10})
    make_badge(program, "Silver", {"kind": "points_balance", "threshold": 50}, rank=2)
    act(contact, points=12)

    with django_capture_on_commit_callbacks(execute=True):
        badges.award(bronze, contact, actor="system")

    [message] = mail.outbox
    assert message.to == [contact.email]
    assert message.subject == subject.format(program=program.name)
    assert "Jeanne" not in message.subject
    for line in lines:
        assert line in message.body


def test_a_badge_taken_back_before_its_email_leaves_is_not_announced(
    program, django_capture_on_commit_callbacks
) -> None:
    contact = ContactFactory(program=program)
    bronze = make_badge(program, "Bronze")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        badges.award(bronze, contact, actor="admin:ops", reason="event winner")
        badges.revoke(bronze, contact, actor="admin:ops", reason="wrong person")
    for callback in callbacks:
        callback()

    assert mail.outbox == []


def test_image_url_is_absolute(program, settings) -> None:
    badge = make_badge(program, "Pictured")
    assert badges.image_url(badge) == ""
    badge.image.name = f"parrain/badges/{program.pk}/gold.png"
    assert (
        badges.image_url(badge)
        == f"https://shop.example/media/parrain/badges/{program.pk}/gold.png"
    )


def test_an_unsubscribed_contact_earns_the_badge_without_an_email(
    program, django_capture_on_commit_callbacks
) -> None:
    contact = ContactFactory(program=program, unsubscribed_at=timezone.now())
    badge = make_badge(program, "Quiet", {"kind": "points_balance", "threshold": 1})
    act(contact, points=1)

    with django_capture_on_commit_callbacks(execute=True):
        badges.evaluate(contact)

    assert holds(contact, badge)
    assert mail.outbox == []
