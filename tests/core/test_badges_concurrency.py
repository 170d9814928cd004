"""Simultaneous actions of one contact, each evaluating the badges after its commit."""

from __future__ import annotations

import pytest

from parrain.core.factories import ContactFactory, ProgramFactory
from parrain.core.models import AuditEvent, BadgeHolding
from parrain.core.services.loyalty import balance

from .badge_helpers import act, make_badge
from .test_concurrency import in_parallel

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_20_simultaneous_actions_end_with_the_right_balance_and_one_award() -> None:
    program = ProgramFactory()
    badge = make_badge(program, "Hundred", {"kind": "points_earned", "threshold": 100})
    contact = ContactFactory(program=program)

    # Each thread commits its action, then (eager task on commit) evaluates the badges
    in_parallel(lambda: act(contact, points=10), count=20)

    assert balance(contact) == 200
    assert BadgeHolding.objects.filter(badge=badge, contact=contact).count() == 1
    assert AuditEvent.objects.filter(action="badge.awarded").count() == 1
