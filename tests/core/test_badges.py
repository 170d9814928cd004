"""Badge evaluation: each condition kind, periods, all/any, prerequisites, keeping and
losing, manual awards, messages. Tasks run eagerly on commit (tests/settings.py)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from parrain.core.exceptions import InvalidInput
from parrain.core.factories import ContactFactory, ProgramFactory, verified_referrer, welcome_order
from parrain.core.models import AuditEvent, BadgeHolding, LoyaltyKind
from parrain.core.models.choices import Channel, ReferralStatus
from parrain.core.services import badges
from parrain.core.services.contacts import get_or_create_contact
from parrain.core.services.invitations import issue_invitation
from parrain.core.services.orders import OrderData, RefundData, record_order, record_refund
from parrain.core.services.validation import validate_due

from .badge_helpers import act, make_badge

pytestmark = pytest.mark.django_db(transaction=True)


def holds(contact, badge) -> bool:
    return BadgeHolding.objects.filter(contact=contact, badge=badge, lost_at__isnull=True).exists()


@pytest.fixture
def program():
    return ProgramFactory(languages=["fr", "en"], default_language="fr")


def test_three_reviews_earn_the_badge_on_the_third(program) -> None:
    # Given a badge for three reviews
    contact = ContactFactory(program=program, language="en")
    badge = make_badge(
        program, "Critic", {"kind": "action_count", "action_kind": "review", "threshold": 3}
    )
    # When the contact posts two reviews, then a third
    act(contact)
    act(contact)
    assert not holds(contact, badge)
    act(contact)
    # Then the badge is held, audited with the figure that decided
    assert holds(contact, badge)
    event = AuditEvent.objects.get(action="badge.awarded")
    assert event.data["action_count.review"] == "3"
    assert event.contact_id == contact.pk
