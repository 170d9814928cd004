"""The full recompute writes a batch's awards and losses together: the same holdings, audit
events, outbound events, signals and messages as the evaluation contact by contact, and
never a second live holding when an evaluation got there first."""

from __future__ import annotations

import pytest
from django.core import mail
from django.utils import timezone

from parrain.core import signals
from parrain.core.factories import ContactFactory, ProgramFactory
from parrain.core.models import AuditEvent, BadgeHolding, BadgeRecompute, Program
from parrain.core.services import badge_batch, badge_recompute, badges
from parrain.core.services.erasure import erase_contact

from .badge_helpers import act, make_badge
from .test_concurrency import in_parallel

pytestmark = pytest.mark.django_db

PEOPLE = {"alice": 25, "bob": 12, "carol": 3, "dave": 4}


def _program_with_people() -> tuple[Program, dict]:
    """Bronze (balance ≥ 10, re-evaluated), Silver (holds Bronze and balance ≥ 20), an
    endpoint that wants every event; dave holds Bronze by hand but has too few points."""
    from parrain.plugins.generic_webhook.models import OutboundEndpoint

    program = ProgramFactory()
    OutboundEndpoint.objects.create(program=program, url="https://shop.example/hook")
    bronze = make_badge(program, "Bronze", {"kind": "points_balance", "threshold": 10}, keep=False)
    make_badge(
        program,
        "Silver",
        {"kind": "holds_badge", "threshold": 1, "required_badge": bronze},
        {"kind": "points_balance", "threshold": 20},
        rank=2,
    )
    people = {}
    for name, points in PEOPLE.items():
        people[name] = ContactFactory(program=program, email=f"{name}@example.com")
        act(people[name], points=points)
    badges.award(bronze, people["dave"], actor="admin:ops", reason="event winner")
    return program, people


def _plain(values: dict) -> dict:
    """The figures without the ids of the program's own rows (``holds_badge.<id>``)."""
    return {k.split(".")[0] if k.startswith("holds_badge") else k: v for k, v in values.items()}


def _written(program: Program) -> dict:
    """What a reader of the data sees, without ids and clocks."""
    from parrain.plugins.generic_webhook.models import OutboundMessage

    holdings = BadgeHolding.objects.filter(badge__program=program).order_by("pk")
    events = AuditEvent.objects.filter(program=program, action__startswith="badge.")
    sent = OutboundMessage.objects.filter(endpoint__program=program).order_by("pk")
    return {
        "holdings": [
            (
                h.contact.email,
                h.badge.name("en"),
                h.awarded_by,
                h.reason,
                _plain(h.values),
                h.lost_by,
            )
            for h in holdings
        ],
        "audit": [
            (e.action, e.actor, e.reason, e.contact.email, _plain({**e.data, "badge_id": None}))
            for e in events.order_by("pk")
        ],
        "outbound": [
            (
                m.event_type,
                m.payload["data"]["contact"]["email"],
                m.payload["data"]["badge"]["names"],
                _plain(m.payload["data"]["values"]),
                m.payload["data"]["by"],
                m.payload["data"]["lost_at"] is None,
            )
            for m in sent
        ],
    }


def _recompute(program: Program) -> BadgeRecompute:
    return badge_recompute.run(badges.start_recompute(program, reason="test").pk)


def test_a_recompute_writes_what_the_evaluation_contact_by_contact_writes() -> None:
    one_by_one, people = _program_with_people()
    for contact in people.values():
        badges.evaluate(contact)
    batched, _people = _program_with_people()

    row = _recompute(batched)

    assert (row.awarded, row.lost) == (3, 1)  # alice Bronze + Silver, bob Bronze; dave loses
    expected = _written(one_by_one)
    assert _written(batched) == expected
    assert [h[:2] for h in expected["holdings"]] == [
        ("dave@example.com", "Bronze"),
        ("alice@example.com", "Bronze"),
        ("alice@example.com", "Silver"),
        ("bob@example.com", "Bronze"),
    ]
    assert [(a[0], a[3], a[4]) for a in expected["audit"][1:]] == [
        ("badge.awarded", "alice@example.com", {"badge_id": None, "badge": "Bronze FR",
                                                "points_balance": "25"}),
        ("badge.awarded", "alice@example.com", {"badge_id": None, "badge": "Silver FR",
                                                "holds_badge": "1", "points_balance": "25"}),
        ("badge.awarded", "bob@example.com", {"badge_id": None, "badge": "Bronze FR",
                                              "points_balance": "12"}),
        ("badge.lost", "dave@example.com", {"badge_id": None, "badge": "Bronze FR",
                                            "points_balance": "4"}),
    ]  # fmt: skip


def test_each_change_sends_its_signal_and_the_batch_is_announced_once(monkeypatch) -> None:
    program, people = _program_with_people()
    monkeypatch.setattr(badge_recompute, "BATCH_SIZE", 2)
    each, batches = [], []

    def on_change(sender, holding, values, **kwargs):
        each.append((holding.contact.email, holding.badge.name("en"), kwargs.get("batched")))

    def on_batch(sender, program, changes, **kwargs):
        batches.append([(c.holding.contact.email, c.awarded) for c in changes])

    signals.badge_awarded.connect(on_change, dispatch_uid="test-each-won")
    signals.badge_lost.connect(on_change, dispatch_uid="test-each-lost")
    signals.badges_changed.connect(on_batch, dispatch_uid="test-batch")
    try:
        _recompute(program)
    finally:
        signals.badge_awarded.disconnect(dispatch_uid="test-each-won")
        signals.badge_lost.disconnect(dispatch_uid="test-each-lost")
        signals.badges_changed.disconnect(dispatch_uid="test-batch")

    assert each == [
        ("alice@example.com", "Bronze", True),
        ("alice@example.com", "Silver", True),
        ("bob@example.com", "Bronze", True),
        ("dave@example.com", "Bronze", True),
    ]
    # alice and bob are the first batch of two, carol and dave the second
    assert batches == [
        [("alice@example.com", True), ("alice@example.com", True), ("bob@example.com", True)],
        [("dave@example.com", False)],
    ]


def test_the_award_emails_of_a_batch_leave_after_commit(
    django_capture_on_commit_callbacks,
) -> None:
    program = ProgramFactory()
    make_badge(program, "Bronze", {"kind": "points_balance", "threshold": 10})
    alice = ContactFactory(program=program, email="alice@example.com", language="en")
    bob = ContactFactory(program=program, email="bob@example.com", unsubscribed_at=timezone.now())
    carol = ContactFactory(program=program, email="carol@example.com", language="en")
    for contact in (alice, bob, carol):
        act(contact, points=12)

    with django_capture_on_commit_callbacks(execute=True):
        row = _recompute(program)

    assert row.awarded == 3
    assert sorted(m.to[0] for m in mail.outbox) == ["alice@example.com", "carol@example.com"]
    assert all("Bronze" in m.subject for m in mail.outbox)


def test_a_failing_award_email_is_retried_alone_and_the_others_leave(
    monkeypatch, django_capture_on_commit_callbacks
) -> None:
    from parrain.core.messaging import engine
    from parrain.core.models import ScheduledMessage

    program = ProgramFactory()
    make_badge(program, "Bronze", {"kind": "points_balance", "threshold": 10})
    alice = ContactFactory(program=program, email="alice@example.com", language="en")
    bob = ContactFactory(program=program, email="bob@example.com", language="en")
    for contact in (alice, bob):
        act(contact, points=12)
    real = engine.Batch._transmit

    def transmit(self, message, composed):
        if message.contact_id == alice.pk:
            raise OSError("mail server away")
        return real(self, message, composed)

    monkeypatch.setattr(engine.Batch, "_transmit", transmit)
    with django_capture_on_commit_callbacks(execute=True):
        _recompute(program)

    assert [m.to for m in mail.outbox] == [["bob@example.com"]]
    waiting = ScheduledMessage.objects.get(contact=alice)
    assert (waiting.status, waiting.attempts) == ("pending", 1)
    assert "mail server away" in waiting.error


def test_a_badge_awarded_while_the_batch_waited_for_its_locks_is_not_given_twice(
    monkeypatch,
) -> None:
    program = ProgramFactory()
    badge = make_badge(program, "Any", {"kind": "points_balance", "threshold": 1})
    alice, bob = (ContactFactory(program=program) for _ in range(2))
    act(alice)
    act(bob)
    real_lock = badge_batch.contacts_for_update

    def meanwhile(pks):
        badges.evaluate(alice)  # the incremental evaluation got there first
        erase_contact(bob, actor="admin:dpo")  # and bob asked to be forgotten
        return real_lock(pks)

    monkeypatch.setattr(badge_batch, "contacts_for_update", meanwhile)
    definitions = badges.definitions(program.pk, fresh=True)

    assert badge_recompute.recompute_batch(definitions, [alice.pk, bob.pk]) == (0, 0)
    assert BadgeHolding.objects.filter(badge=badge).count() == 1
    assert AuditEvent.objects.filter(action="badge.awarded").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_recomputes_of_one_batch_in_parallel_award_each_badge_once() -> None:
    program = ProgramFactory()
    contacts = [ContactFactory(program=program) for _ in range(5)]
    for contact in contacts:
        act(contact)  # before the badge exists: no evaluation after these commits
    badge = make_badge(program, "Any", {"kind": "points_balance", "threshold": 1})
    ids = [c.pk for c in contacts]
    definitions = badges.definitions(program.pk, fresh=True)

    outcomes = in_parallel(lambda: badge_recompute.recompute_batch(definitions, ids), count=6)

    assert sum(awarded for awarded, _lost in outcomes) == 5
    assert BadgeHolding.objects.filter(badge=badge, lost_at__isnull=True).count() == 5
    assert AuditEvent.objects.filter(action="badge.awarded").count() == 5
