"""``make demo`` seeds what a visitor sees: two programs and 90 days of referral life."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db.models import Max, Min
from django.test.utils import override_settings
from django.utils import timezone
from PIL import Image

from parrain.core.models import (
    AuditEvent,
    Badge,
    BadgeHolding,
    Contact,
    Invitation,
    LoyaltyEntry,
    Order,
    Program,
    Referral,
)
from parrain.core.models.choices import ReferralStatus
from parrain.core.services.loyalty import balance

pytestmark = pytest.mark.django_db


def seed(*args: str) -> str:
    out = StringIO()
    call_command("parrain_demo", *args, stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    models = (
        Program,
        Contact,
        Invitation,
        Referral,
        Order,
        AuditEvent,
        Badge,
        BadgeHolding,
        LoyaltyEntry,
    )
    return {model.__name__: model.objects.count() for model in models}


@pytest.fixture(scope="module")
def seeded_output(
    django_db_setup: None, django_db_blocker: Any, tmp_path_factory: Any
) -> Iterator[str]:
    """Seed once for the module (it takes a few seconds); the tests only read. The badge
    images go to a temporary media folder."""
    media = tmp_path_factory.mktemp("media")
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=str(media)):
        yield seed()
        Referral.objects.all().delete()
        Program.objects.all().delete()
        get_user_model().objects.all().delete()


def test_two_programs_with_a_few_hundred_contacts(seeded_output: str) -> None:
    names = set(Program.objects.values_list("name", flat=True))
    assert names == {"Maison Lumière", "Atelier Vélo"}
    assert Contact.objects.filter(program__slug="maison-lumiere").count() >= 200
    assert Contact.objects.count() <= 1000


def test_main_program_has_the_announced_offers(seeded_output: str) -> None:
    program = Program.objects.get(slug="maison-lumiere")
    referrer, referee = program.rule("referrer"), program.rule("referee")
    assert (referrer.kind, referrer.value) == ("fixed_amount", 10)
    assert (referee.kind, referee.value, referee.minimum_order_amount) == ("percentage", 15, 30)
    assert program.allowed_origins == ["https://shop.example"]  # PARRAIN_BASE_URL in tests
    assert program.api_keys.count() == 1


def test_invitations_are_spread_over_about_ninety_days(seeded_output: str) -> None:
    span = Invitation.objects.aggregate(first=Min("issued_at"), last=Max("issued_at"))
    now = timezone.now()
    assert span["first"] >= now - timedelta(days=91)
    assert span["first"] <= now - timedelta(days=75)
    assert span["last"] >= now - timedelta(days=15)
    assert span["last"] <= now


def test_referrals_reach_every_outcome(seeded_output: str) -> None:
    for status in (ReferralStatus.REWARDED, ReferralStatus.REVIEW, ReferralStatus.CANCELLED):
        assert Referral.objects.filter(status=status).exists(), status
    assert Referral.objects.filter(review_reason="disposable_email").exists()
    assert Referral.objects.filter(cancel_reason="refunded").exists()


def test_orders_include_referred_and_direct_ones(seeded_output: str) -> None:
    assert Order.objects.filter(referral__isnull=False).exists()
    assert Order.objects.filter(referral__isnull=True).count() > 50
    assert Order.objects.filter(refunds__isnull=False).exists()


def test_history_is_in_the_audit_log_at_its_own_dates(seeded_output: str) -> None:
    rewarded = Referral.objects.filter(status=ReferralStatus.REWARDED).earliest("rewarded_at")
    event = AuditEvent.objects.get(referral=rewarded, action="referral.rewarded")
    assert event.at == rewarded.rewarded_at
    assert rewarded.invited_at <= rewarded.converted_at <= rewarded.rewarded_at
    assert rewarded.rewarded_at < timezone.now() - timedelta(days=1)


def test_admin_login_and_secret_key_are_printed_once(seeded_output: str) -> None:
    assert get_user_model().objects.get(username="admin").is_superuser
    assert "admin / admin" in seeded_output
    assert "sk_" in seeded_output


def test_three_badges_with_medals_drawn_at_seed_time(seeded_output: str) -> None:
    badges = list(Badge.objects.filter(program__slug="maison-lumiere").order_by("rank"))
    assert [badge.name("fr") for badge in badges] == [
        "Ambassadeur Bronze",
        "Ambassadeur Argent",
        "Ambassadeur Or",
    ]
    assert [badge.name("en") for badge in badges] == [
        "Bronze ambassador",
        "Silver ambassador",
        "Gold ambassador",
    ]
    assert len({badge.colour for badge in badges}) == 3
    for badge in badges:
        assert badge.description("fr") and badge.description("en")
        assert badge.conditions.exists()
        with badge.image.open("rb") as file, Image.open(file) as image:
            assert (image.format, image.size) == ("PNG", (256, 256))
            assert image.getpixel((128, 160))[3] == 255  # a medal, not an empty canvas
    assert not Badge.objects.filter(program__slug="atelier-velo").exists()


def test_gold_carries_its_own_referrer_reward_and_requires_silver(seeded_output: str) -> None:
    program = Program.objects.get(slug="maison-lumiere")
    gold = Badge.objects.get(program=program, rank=3)
    assert (gold.reward_rule.side, gold.reward_rule.value) == ("referrer", 20)
    assert gold.conditions.get(kind="holds_badge").required_badge.rank == 2
    assert gold.conditions.get(kind="referrals_validated").period_days == 90
    # Everyone else keeps the program's own referrer reward
    assert program.rule("referrer").value == 10


def test_alice_earned_bronze_with_her_review(seeded_output: str) -> None:
    alice = Contact.objects.get(program__slug="maison-lumiere", email="alice@example.com")
    lines = LoyaltyEntry.objects.filter(contact=alice)
    assert sorted(lines.values_list("kind", flat=True)) == [
        "newsletter_signup",
        "purchase",
        "review",
    ]
    assert balance(alice) == 124 + 50 + 20
    # Played on the timeline: recorded weeks ago, not at seeding time
    assert lines.get(kind="review").recorded_at < timezone.now() - timedelta(days=30)
    # The evaluation (not a hand-made row) awarded Bronze, and only Bronze
    holding = BadgeHolding.objects.get(contact=alice, lost_at__isnull=True)
    assert holding.badge.name("en") == "Bronze ambassador"
    assert holding.awarded_by == "system"
    assert holding.values["action_count.review"] == "1"
    assert AuditEvent.objects.filter(contact=alice, action="badge.awarded").count() == 1


def test_referrers_hold_badges_too(seeded_output: str) -> None:
    bronze = Badge.objects.get(program__slug="maison-lumiere", rank=1)
    holders = BadgeHolding.objects.filter(badge=bronze, lost_at__isnull=True)
    assert holders.exclude(contact__email="alice@example.com").count() >= 5
    assert "alice@example.com holds: Bronze ambassador" in seeded_output


def test_seeding_again_changes_nothing(seeded_output: str) -> None:
    before = counts()
    again = seed()
    assert "demo data already present" in again
    assert "sk_" not in again
    assert counts() == before
