"""The loyalty ledger in the admin: read-only lines, adjustments through the service."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from pytest_django.asserts import assertContains

from parrain.core.factories import ContactFactory
from parrain.core.models import AuditEvent, LoyaltyEntry, LoyaltyKind
from parrain.core.services.loyalty import balance, record_action

pytestmark = pytest.mark.django_db

ADJUST = "admin:parrain_loyaltyentry_adjust"


@pytest.fixture
def eve():
    contact = ContactFactory(email="eve@example.com")
    record_action(contact.program, contact, LoyaltyKind.REVIEW, 30, source="api")
    return contact


def _adjust(client: Client, eve, points: int, reason: str = "goodwill") -> object:
    body = {"program": eve.program.pk, "email": eve.email, "points": points, "reason": reason}
    return client.post(reverse(ADJUST), body, HTTP_ACCEPT_LANGUAGE="en")


def test_an_adjustment_goes_through_the_service_with_its_reason(admin_client, admin_user, eve):
    response = _adjust(admin_client, eve, -20)

    assert response.status_code == 302
    line = LoyaltyEntry.objects.get(kind=LoyaltyKind.ADJUSTMENT)
    assert (line.points, line.source, line.reason) == (-20, "admin", "goodwill")
    event = AuditEvent.objects.get(action="loyalty.recorded", reason="goodwill")
    assert event.actor == admin_user.get_username()
    assert balance(eve) == 10


def test_an_adjustment_past_the_balance_or_without_reason_stores_nothing(admin_client, eve):
    overdrawn = _adjust(admin_client, eve, -31)
    no_reason = _adjust(admin_client, eve, 5, reason="")

    assertContains(overdrawn, "cannot go below zero")
    assertContains(no_reason, "This field is required")
    assert LoyaltyEntry.objects.count() == 1


def test_the_ledger_is_listed_read_only_and_the_balance_shown_on_the_contact(admin_client, eve):
    listing = admin_client.get(reverse("admin:parrain_loyaltyentry_changelist") + "?q=eve@")
    line = LoyaltyEntry.objects.get()
    page = admin_client.get(reverse("admin:parrain_loyaltyentry_change", args=[line.pk]))
    contact_url = reverse("admin:parrain_contact_change", args=[eve.pk])
    contact = admin_client.get(contact_url, HTTP_ACCEPT_LANGUAGE="en")

    assertContains(listing, "eve@example.com")
    assertContains(listing, reverse(ADJUST))
    assert page.status_code == 200 and b'name="points"' not in page.content
    assertContains(contact, "Loyalty points balance")
    assertContains(contact, '<div class="readonly">30</div>', html=False)
