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
from django.utils import timezone

from parrain.core.models import AuditEvent, Contact, Invitation, Order, Program, Referral
from parrain.core.models.choices import ReferralStatus

pytestmark = pytest.mark.django_db


def seed(*args: str) -> str:
    out = StringIO()
    call_command("parrain_demo", *args, stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    models = (Program, Contact, Invitation, Referral, Order, AuditEvent)
    return {model.__name__: model.objects.count() for model in models}


@pytest.fixture(scope="module")
def seeded_output(django_db_setup: None, django_db_blocker: Any) -> Iterator[str]:
    """Seed once for the module (it takes a few seconds); the tests only read."""
    with django_db_blocker.unblock():
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


def test_seeding_again_changes_nothing(seeded_output: str) -> None:
    before = counts()
    again = seed()
    assert "demo data already present" in again
    assert "sk_" not in again
    assert counts() == before
