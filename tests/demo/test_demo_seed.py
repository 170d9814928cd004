"""``make demo`` seeds what a visitor sees: two programs and 90 days of referral life."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import time, timedelta
from decimal import Decimal
from io import StringIO
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db.models import Max, Min
from django.test.utils import override_settings
from django.utils import timezone
from PIL import Image

from parrain.core.management.commands.parrain_demo import delete_demo
from parrain.core.models import (
    AuditEvent,
    Badge,
    BadgeHolding,
    Boost,
    Contact,
    Contest,
    Invitation,
    LoyaltyEntry,
    Order,
    Program,
    Referral,
)
from parrain.core.models.choices import ReferralStatus
from parrain.core.models.contest import ContestStatus
from parrain.core.services import contests
from parrain.core.services.boosts import offer_view, running_boost
from parrain.core.services.loyalty import balance

# The demo runs on SQLite: make test seeds it there too (pytest -m sqlite).
pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]


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
        delete_demo()
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


def test_alice_earned_bronze_with_her_reviews(seeded_output: str) -> None:
    alice = Contact.objects.get(program__slug="maison-lumiere", email="alice@example.com")
    lines = LoyaltyEntry.objects.filter(contact=alice)
    assert sorted(lines.values_list("kind", flat=True)) == [
        "newsletter_signup",
        "purchase",
        "review",
        "review",  # the contest's week: her ticket
    ]
    assert balance(alice) == 124 + 50 + 50 + 20
    # Played on the timeline: recorded weeks ago, and days ago, not at seeding time
    first, second = lines.filter(kind="review").order_by("occurred_at")
    assert first.recorded_at < timezone.now() - timedelta(days=30)
    assert (
        timezone.now() - timedelta(days=7) < second.recorded_at < timezone.now() - timedelta(days=1)
    )
    # The evaluation (not a hand-made row) awarded Bronze, and only Bronze
    holding = BadgeHolding.objects.get(contact=alice, lost_at__isnull=True)
    assert holding.badge.name("en") == "Bronze ambassador"
    assert holding.awarded_by == "system"
    assert holding.values["action_count.review"] == "2"
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


def test_a_double_reward_boost_runs_since_yesterday_in_paris(seeded_output: str) -> None:
    program = Program.objects.get(slug="maison-lumiere")
    boost = running_boost(program)
    assert boost is not None and boost.is_running()
    paris = ZoneInfo("Europe/Paris")
    starts, ends = (timezone.localtime(d, paris) for d in (boost.starts_at, boost.ends_at))
    today = timezone.localtime(timezone.now(), paris).date()
    assert (starts.date(), starts.time()) == (today - timedelta(days=1), time(0))
    assert (ends.date(), ends.time()) == (today + timedelta(days=6), time(0))
    assert (boost.referrer_rule.kind, boost.referrer_rule.value) == ("fixed_amount", 20)
    assert boost.labels["fr"].startswith("Récompense doublée")
    assert boost.labels["en"].startswith("Double reward")
    # What the widgets show: the boosted reward now, the normal one at the end
    view = offer_view(program, "en")
    assert view.boost == boost and view.ends_at == boost.ends_at
    assert "20" in view.referrer_reward and "10" in view.normal_referrer_reward
    # The program's own offer is untouched
    assert program.rule("referrer").value == 10
    assert "Boosted offer: Double reward" in seeded_output


def test_invitations_of_the_boost_window_carry_the_boosted_reward(seeded_output: str) -> None:
    boost = Boost.objects.get(program__slug="maison-lumiere")
    inside = Invitation.objects.filter(program=boost.program, issued_at__gte=boost.starts_at)
    before = Invitation.objects.filter(program=boost.program, issued_at__lt=boost.starts_at)
    assert {Decimal(str(i.referrer_terms["value"])) for i in inside} <= {Decimal(20)}
    assert Decimal(str(before.latest("issued_at").referrer_terms["value"])) in (10, 20)  # 20: Gold


def test_an_open_contest_with_three_prizes_and_fair_draw_commitment(seeded_output: str) -> None:
    contest = Contest.objects.get(program__slug="maison-lumiere")
    assert contest.status == ContestStatus.OPEN
    now = timezone.now()
    assert now - timedelta(days=8) < contest.entries_start < now - timedelta(days=6)
    assert now + timedelta(days=20) < contest.entries_end < contest.draw_at
    assert contest.rules_texts["fr"] and contest.rules_texts["en"]
    assert "drand" in contest.public_value_source
    # The commitment published at opening is the seed's SHA-256 (docs/fair-draw.md)
    assert len(contest.server_seed) == 64
    assert hashlib.sha256(contest.server_seed.encode()).hexdigest() == contest.commitment
    prizes = list(contest.prizes.order_by("position"))
    assert [p.quantity for p in prizes] == [1, 1, 2]
    assert prizes[0].reward_rule is not None and prizes[0].reward_rule.side == "prize"
    assert prizes[0].reward_rule.value == 50
    assert prizes[1].reward_rule is None  # the physical prize, sent by hand
    assert AuditEvent.objects.filter(action="contest.opened").count() == 1
    assert f"/contest/{contest.public_id}/" in seeded_output


def test_alice_and_a_few_referrers_hold_tickets(seeded_output: str) -> None:
    contest = Contest.objects.get(program__slug="maison-lumiere")
    alice = Contact.objects.get(program=contest.program, email="alice@example.com")
    assert contests.tickets_of(contest, alice).tickets == 1
    standings = [
        contests.tickets_of(contest, contact)
        for contact in Contact.objects.filter(
            program=contest.program, loyalty_entries__kind="review"
        )
        .distinct()
        .order_by("pk")
    ]
    holders = [standing for standing in standings if standing.tickets]
    assert len(holders) == 5
    capped = [s for s in holders if s.uncapped > s.tickets]
    assert [(s.tickets, s.uncapped, s.cap) for s in capped] == [(3, 4, 3)]
    csv_lines = contests.entries_csv(contest).decode().splitlines()
    assert csv_lines[0] == "entrant,tickets" and len(csv_lines) == 6


def test_friends_consents_are_recorded_with_the_sentence_the_widget_shows(
    seeded_output: str,
) -> None:
    from parrain.core.models import ConsentRecord
    from parrain.core.models.choices import ConsentSource
    from parrain.core.services import consents

    program = Program.objects.get(slug="maison-lumiere")
    records = ConsentRecord.objects.filter(program=program, source=ConsentSource.WIDGET)
    assert records.exists()
    text = consents.consent_text(program, program.default_language)
    assert set(records.values_list("text", "text_version")) == {(text, consents.text_version(text))}
