"""Loyalty actions from the Oscar shop: a placed order earns purchase points, an approved
product review is one ``review`` action (once), an anonymous review earns nothing."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from oscar.core.loading import get_model
from oscar.test.factories import UserFactory

from parrain.core.models import (
    Badge,
    BadgeCondition,
    BadgeHolding,
    LoyaltyEntry,
    LoyaltyKind,
    Program,
)
from parrain.core.services.loyalty import balance

from .conftest import shopper_for

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]
ProductReview = get_model("reviews", "ProductReview")


def review_url(product: Any) -> str:
    return f"/shop/catalogue/{product.slug}_{product.pk}/reviews/add/"


def post_review(client: Client, product: Any, **extra: str) -> Any:
    data = {"title": "Très belle lampe", "score": 5, "body": "Lumière douce.", **extra}
    return client.post(review_url(product), data, follow=True)


def reviews_of(program: Program) -> list[LoyaltyEntry]:
    return list(LoyaltyEntry.objects.filter(program=program, kind=LoyaltyKind.REVIEW))


@pytest.fixture
def reviewer() -> Any:
    return UserFactory(email="zoe@example.com", first_name="Zoé")


def test_placed_order_earns_purchase_points_at_the_programs_rate(
    program: Program, product: Any, django_capture_on_commit_callbacks: Any
) -> None:
    program.loyalty_points_per_unit = Decimal("2")
    program.save()
    shopper = shopper_for(UserFactory(email="zoe@example.com"))
    shopper.add_to_basket(product)
    with django_capture_on_commit_callbacks(execute=True):
        order, _ = shopper.checkout()

    line = LoyaltyEntry.objects.get(program=program, kind=LoyaltyKind.PURCHASE)
    assert line.contact.email == "zoe@example.com"
    assert line.points == int(order.total_incl_tax * 2)
    assert line.order.external_id == order.number


def test_approved_review_is_one_review_action_with_the_configured_points(
    program: Program,
    product: Any,
    reviewer: Any,
    settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.PARRAIN_OSCAR = {**settings.PARRAIN_OSCAR, "REVIEW_POINTS": 20}
    client = shopper_for(reviewer).client
    with django_capture_on_commit_callbacks(execute=True):
        response = post_review(client, product)
    assert response.status_code == 200

    [line] = reviews_of(program)
    review = ProductReview.objects.get()
    assert line.contact.email == "zoe@example.com"  # the account became a contact
    assert line.points == 20
    assert line.external_id == f"oscar-review:{review.pk}"
    assert balance(line.contact) == 20

    # a vote re-saves the review: still one line
    voter = shopper_for(UserFactory(email="max@example.com")).client
    with django_capture_on_commit_callbacks(execute=True):
        voter.post(f"{review_url(product)[:-4]}{review.pk}/vote/", {"delta": 1}, follow=True)
    review.refresh_from_db()
    assert review.total_votes == 1
    assert len(reviews_of(program)) == 1


def test_review_waiting_for_moderation_counts_only_once_approved(
    program: Program,
    product: Any,
    reviewer: Any,
    settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.OSCAR_MODERATE_REVIEWS = True
    with django_capture_on_commit_callbacks(execute=True):
        post_review(shopper_for(reviewer).client, product)
    review = ProductReview.objects.get()
    assert review.status == ProductReview.FOR_MODERATION
    assert reviews_of(program) == []  # a moderator may still reject it as spam

    moderator = Client(HTTP_ACCEPT_LANGUAGE="en")
    moderator.force_login(UserFactory(is_staff=True, is_superuser=True))
    approve = {
        "action": "update_selected_review_status",
        "selected_review": [review.pk],
        "status": ProductReview.APPROVED,
    }
    with django_capture_on_commit_callbacks(execute=True):
        moderator.post("/shop/dashboard/reviews/", approve, follow=True)
    review.refresh_from_db()
    assert review.is_approved
    [line] = reviews_of(program)
    assert line.points == 0  # the default: the action counts for badges, no points
    assert line.contact.email == "zoe@example.com"

    # approved again (or rejected, then approved): still one action
    with django_capture_on_commit_callbacks(execute=True):
        moderator.post("/shop/dashboard/reviews/", {**approve, "status": 2}, follow=True)
        moderator.post("/shop/dashboard/reviews/", approve, follow=True)
    assert len(reviews_of(program)) == 1


def test_review_with_zero_points_still_counts_for_a_reviews_badge(
    program: Program,
    product: Any,
    reviewer: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    critic = Badge.objects.create(program=program, names={"en": "Critic", "fr": "Critique"})
    BadgeCondition.objects.create(
        badge=critic, kind="action_count", action_kind="review", threshold=Decimal(1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        post_review(shopper_for(reviewer).client, product)

    [line] = reviews_of(program)
    assert line.points == 0
    assert BadgeHolding.objects.get(badge=critic, lost_at=None).contact == line.contact


def test_anonymous_review_earns_nothing(
    program: Program, product: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        post_review(Client(), product, name="Zoé", email="zoe@example.com")
    assert ProductReview.objects.get().is_approved
    assert reviews_of(program) == []
