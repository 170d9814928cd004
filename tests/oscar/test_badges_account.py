"""The customer's account page: current badge, progress towards the next one, points
balance and last ledger lines, every badge earned or locked."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from oscar.test.factories import UserFactory
from PIL import Image

from parrain.core.models import Badge, BadgeCondition, LoyaltyKind, Program
from parrain.core.services.badges import evaluate
from parrain.core.services.contacts import find_contact
from parrain.core.services.enrolment import enrol_referrer
from parrain.core.services.loyalty import record_action

from .conftest import shopper_for

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]
PAGE = "/shop/accounts/referrals/"


def png() -> ContentFile:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "#c08a2d").save(buffer, "PNG")
    return ContentFile(buffer.getvalue())


def converted_friends_badge(program: Program, rank: int, en: str, fr: str, friends: int) -> Badge:
    badge = Badge.objects.create(program=program, rank=rank, names={"en": en, "fr": fr})
    BadgeCondition.objects.create(badge=badge, kind="friends_converted", threshold=Decimal(friends))
    return badge


@pytest.fixture
def badges(program: Program, settings: Any, tmp_path: Any) -> list[Badge]:
    settings.MEDIA_ROOT = tmp_path
    bronze = converted_friends_badge(program, 1, "Bronze", "Bronze", 1)
    bronze.image.save("bronze.png", png())
    silver = converted_friends_badge(program, 2, "Silver", "Argent", 2)
    return [bronze, silver]


def test_account_page_shows_badge_progress_points_and_every_badge(
    badges: list[Badge], referred_order: Any, program: Program
) -> None:
    bronze, silver = badges
    alice = find_contact(program, "alice@example.com")
    # Evaluated here rather than by the queued task: within one test, the fixture's two
    # on-commit captures leave the first flush registered, and the second one reuses it.
    evaluate(alice)
    record_action(program, alice, LoyaltyKind.BIRTHDAY, 30, source="api")

    page = shopper_for(referred_order.alice).client.get(PAGE).content.decode()

    # Bob's order converted Alice's first friend: Bronze, with its image
    assert "Your badge: Bronze" in page
    assert f"https://shop.example/media/parrain/badges/{program.pk}/bronze" in page
    # ... and Silver is one friend away, said per condition
    assert "Next badge: Silver" in page
    assert 'data-met="false"' in page and "1 / 2 friends converted" in page
    assert "1 more friend converted" in page
    # points and the ledger's last lines
    assert "Your balance: 30 points" in page
    assert "Birthday" in page and "+30" in page
    # every badge, earned or locked
    assert f'data-badge="{bronze.pk}" data-held="true"' in page
    assert f'data-badge="{silver.pk}" data-held="false"' in page
    assert "Locked" in page


def test_account_page_speaks_the_customers_language_for_badge_names(
    badges: list[Badge], program: Program
) -> None:
    user = UserFactory(email="zoe@example.com")
    enrol_referrer(program, user.email)
    client = Client(HTTP_ACCEPT_LANGUAGE="fr")
    client.force_login(user)

    page = client.get(PAGE).content.decode()

    assert "Argent" in page and "Silver" not in page


def test_account_page_without_badges_still_shows_points(
    program: Program, user_factory: Any
) -> None:
    user = user_factory(email="zoe@example.com")
    zoe = enrol_referrer(program, user.email).contact
    record_action(program, zoe, LoyaltyKind.NEWSLETTER_SIGNUP, 5, source="api")

    page = shopper_for(user).client.get(PAGE).content.decode()

    assert "Your balance: 5 points" in page
    assert "All badges" not in page and "No badge yet" not in page
