"""Issue 10 points 3 and 4 as a shop's server sees them over HTTP."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from parrain.core.models.choices import Channel, ReferralStatus
from parrain.core.services.contacts import get_or_create_contact
from parrain.core.services.enrolment import enrol_referrer
from parrain.core.services.invitations import issue_invitation

from .conftest import ApiClient, assert_problem

pytestmark = pytest.mark.django_db


def squat(api: ApiClient, email: str) -> None:
    """An anonymous widget referrer, never verified, "invites" a stranger."""
    squatter = enrol_referrer(api.program, "anon@example.net").contact
    friend, _ = get_or_create_contact(api.program, email)
    issue_invitation(squatter, friend, Channel.EMAIL, timezone.now())


def code_of(api: ApiClient, email: str) -> str:
    return api.call("post", "/referrers", {"email": email}).json()["code"]


def test_genuine_claim_after_a_squatter_is_created_not_409(api: ApiClient) -> None:
    squat(api, "bob@example.org")
    code = code_of(api, "alice@example.com")

    response = api.call("post", "/registrations", {"code": code, "email": "bob@example.org"})

    assert response.status_code == 201, response.content
    assert response.json()["referral"]["status"] == ReferralStatus.REGISTERED
    assert response.json()["welcome"]["code"]


def test_organic_order_of_a_squatted_email_has_no_attribution(api: ApiClient) -> None:
    squat(api, "bob@example.org")
    order = {"external_id": "o-1", "email": "bob@example.org", "amount": "40", "currency": "EUR"}

    response = api.call("post", "/orders", order)

    assert response.status_code == 201 and response.json()["attribution"] is None


def test_existing_customer_claiming_under_an_alias_gets_409(api: ApiClient) -> None:
    first = (timezone.now() - timedelta(days=30)).isoformat()
    created = api.call("put", "/contacts", {"email": "alice@gmail.com", "first_order_at": first})
    assert created.status_code == 201, created.content
    code = code_of(api, "bruno@example.com")

    response = api.call(
        "post", "/registrations", {"code": code, "email": "a.l.i.c.e+promo@googlemail.com"}
    )

    assert assert_problem(response, 409)["reason"] == "existing_customer"
