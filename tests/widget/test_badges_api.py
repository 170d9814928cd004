"""Issue 11, point 5: a signed-in customer's badges and loyalty points on the public API.

``/me`` carries the badge held, the badges earned, the way to the next one and the points;
``/loyalty`` is the loyalty space: balance, the ledger's last lines, every badge. Both need
the shop's identity token and pass the same door (origin, per-IP limit).
"""

from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image

from parrain.core.factories import ProgramFactory
from parrain.core.identity import sign_identity
from parrain.core.models import (
    Badge,
    BadgeCondition,
    BadgeHolding,
    Contact,
    LoyaltyEntry,
    LoyaltyKind,
    Program,
    RewardRule,
)
from parrain.core.models.badge import ConditionKind
from parrain.core.models.choices import RewardKind, Side
from parrain.core.services.badges import forget as forget_badges
from parrain.core.services.enrolment import enrol_referrer
from parrain.core.services.loyalty import record_action
from tests.api.conftest import assert_problem
from tests.widget.conftest import Widget

AWARDED = timezone.now() - timedelta(days=3)


def _png() -> ContentFile:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "#c0c0c0").save(buffer, "PNG")
    return ContentFile(buffer.getvalue(), name="silver.png")


def _badge(program: Program, rank: int, names: dict, kind: str, threshold: int, **extra: Any):
    badge = Badge.objects.create(program=program, rank=rank, names=names, **extra)
    BadgeCondition.objects.create(badge=badge, kind=kind, threshold=threshold)
    return badge


@pytest.fixture
def badges(program: Program, settings: Any, tmp_path: Any) -> dict[str, Badge]:
    settings.MEDIA_ROOT = tmp_path
    settings.PARRAIN_BASE_URL = "https://parrain.example"
    bronze = _badge(program, 1, {"en": "Bronze", "fr": "Bronze"}, "invitations_sent", 1)
    silver = _badge(
        program,
        2,
        {"en": "Silver", "fr": "Argent"},
        ConditionKind.POINTS_BALANCE,
        500,
        descriptions={"en": "Our best ambassadors", "fr": "Nos meilleurs ambassadeurs"},
        colour="#c0c0c0",
    )
    silver.image.save("silver.png", _png())
    gold = _badge(program, 3, {"en": "Gold"}, ConditionKind.POINTS_BALANCE, 5000, is_active=False)
    return {"bronze": bronze, "silver": silver, "gold": gold}


@pytest.fixture
def alice(program: Program, badges: dict[str, Badge]) -> Contact:
    """A referrer who holds Bronze and has 200 points (500 needed for Silver)."""
    contact = enrol_referrer(program, "alice@example.com", first_name="Alice", vouched=True).contact
    BadgeHolding.objects.create(badge=badges["bronze"], contact=contact, awarded_at=AWARDED)
    purchase, _ = record_action(program, contact, LoyaltyKind.PURCHASE, 150, source="api")
    record_action(
        program, contact, LoyaltyKind.CUSTOM, 30, source="api", custom_kind="Instagram story"
    )
    record_action(program, contact, LoyaltyKind.SOCIAL_FOLLOW, 40, source="api")
    record_action(
        program, contact, LoyaltyKind.REVERSAL, -20, source="refund", reversal_of=purchase
    )
    return contact


def _token(program: Program) -> str:
    return sign_identity(program, "alice@example.com", first_name="Alice")


def test_me_shows_the_badge_held_the_next_badge_with_progress_and_the_points(
    widget: Widget, program: Program, alice: Contact
) -> None:
    body = widget.post("/me?lang=en", {"identity": _token(program)}).json()
    assert body["current_badge"]["name"] == "Bronze"
    assert [(b["name"], b["awarded_at"][:10]) for b in body["earned"]] == [
        ("Bronze", AWARDED.isoformat()[:10])
    ]
    assert body["badges"] == ["Bronze"]  # the older widgets' list of names still holds
    assert body["points"] == 200
    following = body["next_badge"]
    assert following["name"] == "Silver" and following["held"] is False
    assert following["image_url"].startswith("https://parrain.example/")
    assert following["image_url"].endswith(".png")
    assert following["percent"] == 40
    [condition] = following["conditions"]
    assert condition["kind"] == "points_balance" and condition["met"] is False
    assert (condition["value"], condition["threshold"]) == (200, 500)
    assert condition["label"] == "200 / 500 points"
    assert condition["missing"] == following["missing"] == "300 more points"


def test_me_speaks_the_page_language(widget: Widget, program: Program, alice: Contact) -> None:
    body = widget.post("/me?lang=fr", {"identity": _token(program)}).json()
    assert body["next_badge"]["name"] == "Argent"
    assert body["next_badge"]["description"] == "Nos meilleurs ambassadeurs"


def test_me_without_badges_in_the_program_answers_empty_fields(
    widget: Widget, program: Program
) -> None:
    body = widget.post("/me", {"identity": _token(program)}).json()
    assert body["badges"] == [] and body["earned"] == []
    assert body["current_badge"] is None and body["next_badge"] is None
    assert body["points"] == 0


def test_a_lost_badge_is_no_longer_shown_as_earned(
    widget: Widget, program: Program, alice: Contact, badges: dict[str, Badge]
) -> None:
    BadgeHolding.objects.filter(contact=alice).update(lost_at=timezone.now())
    body = widget.post("/me?lang=en", {"identity": _token(program)}).json()
    assert body["current_badge"] is None and body["earned"] == [] and body["badges"] == []


def test_loyalty_space_shows_balance_ledger_in_words_and_every_active_badge(
    widget: Widget, program: Program, alice: Contact
) -> None:
    response = widget.post("/loyalty?lang=en", {"identity": _token(program)})
    assert response.status_code == 200
    body = response.json()
    assert body["points"] == 200 and body["first_name"] == "Alice"
    assert [(e["label"], e["points"]) for e in body["entries"]] == [
        ("Reversal: Purchase", -20),
        ("Social follow", 40),
        ("Instagram story", 30),
        ("Purchase", 150),
    ]
    assert [(b["name"], b["held"]) for b in body["badges"]] == [
        ("Bronze", True),
        ("Silver", False),
    ]
    assert body["badges"][0]["percent"] == 100 and body["badges"][0]["awarded_at"]
    assert body["badges"][1]["conditions"][0]["value"] == 200
    assert body["current_badge"]["name"] == "Bronze"


def test_loyalty_space_in_french_names_actions_in_french(
    widget: Widget, program: Program, alice: Contact
) -> None:
    body = widget.post("/loyalty?lang=fr", {"identity": _token(program)}).json()
    reversal, *labels = [e["label"] for e in body["entries"]]
    assert labels == ["Abonnement sur un réseau social", "Instagram story", "Achat"]
    assert reversal.endswith("Achat")  # what the reversal takes back, in French too


def test_loyalty_space_shows_only_the_last_ten_lines_newest_first(
    widget: Widget, program: Program, alice: Contact
) -> None:
    start = timezone.now() - timedelta(days=30)
    for day in range(12):
        record_action(
            program,
            alice,
            LoyaltyKind.REVIEW,
            day + 1,
            source="api",
            occurred_at=start + timedelta(days=day),
        )
    body = widget.post("/loyalty?lang=en", {"identity": _token(program)}).json()
    assert len(body["entries"]) == 10
    dates = [e["occurred_at"] for e in body["entries"]]
    assert dates == sorted(dates, reverse=True)
    assert body["points"] == 200 + sum(range(1, 13))


@pytest.mark.parametrize("case", ["forged", "expired", "other_program"])
def test_loyalty_space_refuses_a_bad_identity_token_like_me(
    widget: Widget, program: Program, case: str
) -> None:
    tokens = {
        "forged": _token(program)[:-4] + "AAAA",
        "expired": sign_identity(program, "alice@example.com", ttl=timedelta(seconds=-1)),
        "other_program": sign_identity(ProgramFactory(), "alice@example.com"),
    }
    for path in ("/loyalty", "/me"):
        problem = assert_problem(widget.post(path, {"identity": tokens[case]}), 401)
        assert problem["type"].endswith("identity-invalid")
    assert not Contact.objects.filter(email="alice@example.com").exists()


def test_loyalty_space_needs_a_token_at_all(widget: Widget, program: Program) -> None:
    assert_problem(widget.post("/loyalty", {}), 422, field="identity")
    assert_problem(widget.post("/loyalty", {"identity": "x", "email": "a@b.c"}), 422)


def test_loyalty_space_keeps_to_the_program_s_origins_and_the_ip_limit(
    widget: Widget, program: Program, alice: Contact, settings: Any
) -> None:
    token = _token(program)
    assert_problem(widget.post("/loyalty", {"identity": token}, origin="https://evil.example"), 403)
    settings.PARRAIN_PUBLIC_RATE_LIMITS = {"ip": (2, 60)}
    assert widget.post("/loyalty", {"identity": token}).status_code == 200
    assert widget.post("/me", {"identity": token}).status_code == 200
    response = widget.post("/loyalty", {"identity": token})
    assert_problem(response, 429)
    assert int(response["Retry-After"]) >= 1
    assert LoyaltyEntry.objects.filter(contact=alice).count() == 4  # nothing written or lost


def test_me_shows_the_reward_of_the_badge_held_when_it_carries_one(
    widget: Widget, program: Program, alice: Contact, badges: dict[str, Badge]
) -> None:
    # Given Bronze, which Alice holds, gives its holders 25 EUR instead of the program's 10
    rule = RewardRule.objects.create(
        program=program, side=Side.REFERRER, kind=RewardKind.FIXED_AMOUNT, value=Decimal("25")
    )
    Badge.objects.filter(pk=badges["bronze"].pk).update(reward_rule=rule)
    forget_badges(program.pk)
    body = widget.post("/me?lang=en", {"identity": _token(program)}).json()
    assert "25" in body["referrer_reward"] and "10" not in body["referrer_reward"]
    # and a referrer without the badge still sees the program's reward
    other = sign_identity(program, "bob@example.com")
    assert "10" in widget.post("/me?lang=en", {"identity": other}).json()["referrer_reward"]
