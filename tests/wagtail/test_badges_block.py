"""The "badges" block of a landing page: the program's active badges, in the page language."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.test import override_settings

from parrain.core.models import Badge, BadgeCondition
from parrain.core.models.badge import BadgeMatch, ConditionKind
from parrain.plugins.wagtail.blocks import BadgesBlock, LandingPageBlocks

from .helpers import make_program
from .test_blocks import FakePage

pytestmark = pytest.mark.django_db


def make_badges(program):
    bronze = Badge.objects.create(
        program=program,
        rank=1,
        names={"fr": "Bronze", "en": "Bronze"},
        descriptions={"fr": "Vos premiers pas", "en": "Your first steps"},
        colour="#cd7f32",
    )
    BadgeCondition.objects.create(
        badge=bronze, kind=ConditionKind.INVITATIONS_SENT, threshold=Decimal("3")
    )
    gold = Badge.objects.create(
        program=program,
        rank=3,
        names={"fr": "Or", "en": "Gold"},
        match=BadgeMatch.ANY,
    )
    BadgeCondition.objects.create(
        badge=gold, kind=ConditionKind.FRIENDS_CONVERTED, threshold=Decimal("5"), period_days=30
    )
    BadgeCondition.objects.create(
        badge=gold, kind=ConditionKind.HOLDS_BADGE, threshold=Decimal("1"), required_badge=bronze
    )
    silver = Badge.objects.create(program=program, rank=2, names={"fr": "Argent", "en": "Silver"})
    hidden = Badge.objects.create(program=program, rank=4, names={"en": "Retired"}, is_active=False)
    return bronze, silver, gold, hidden


def render(program, language: str, value: dict | None = None) -> str:
    block = BadgesBlock()
    return block.render(block.to_python(value or {}), context={"page": FakePage(program, language)})


def test_badges_block_lists_active_badges_by_rank_in_english() -> None:
    program = make_program()
    make_badges(program)

    html = render(program, "en")

    assert html.index("Bronze") < html.index("Silver") < html.index("Gold")
    assert "Retired" not in html
    assert "Ambassador badges" in html
    assert "Your first steps" in html
    assert "Send 3 invitations" in html
    assert "Any one of these:" in html
    assert "Have 5 friends place their first order within 30 days" in html
    assert "Hold the badge “Bronze”" in html


def test_badges_block_shows_french_names_on_a_french_page() -> None:
    program = make_program()
    make_badges(program)

    html = render(program, "fr")

    assert "<h3>Or</h3>" in html and "<h3>Argent</h3>" in html
    assert "Vos premiers pas" in html and "Your first steps" not in html


def test_badges_block_shows_the_badge_thumbnail(tmp_path) -> None:
    program = make_program()
    bronze, *_ = make_badges(program)
    with override_settings(MEDIA_ROOT=tmp_path):
        bronze.image.save("bronze.png", ContentFile(b"not read here"), save=True)
        html = render(program, "en")
    assert f'src="{bronze.image.url}"' in html


def test_badges_block_of_a_program_without_badges_renders_nothing() -> None:
    program = make_program()
    assert render(program, "en").strip() == ""


def test_badges_block_is_offered_on_the_landing_page() -> None:
    assert "badges" in LandingPageBlocks.base_blocks
