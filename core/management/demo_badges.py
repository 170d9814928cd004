"""The demo's ambassador badges (Bronze, Silver, Gold) with medal images drawn by Pillow.

Used by ``parrain_demo`` once the 90 days are played: the badges are defined, then every
contact of the program is evaluated for real, so the holders are the ones the seeded
activity earns (Alice holds Bronze for her review).
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from decimal import Decimal

from PIL import Image, ImageDraw

from parrain.core.models import Badge, Contact, Program, RewardRule
from parrain.core.models.choices import RewardKind, Side
from parrain.core.services.badge_setup import create_badge, set_image
from parrain.core.services.badges import evaluate

#: The badges' images are drawn this many times larger, then scaled down (smooth edges).
SUPERSAMPLE = 4
THUMBNAIL = 256
RIBBON = ((31, 111, 235), (200, 40, 60))


@dataclass(frozen=True)
class DemoBadge:
    names: dict[str, str]
    descriptions: dict[str, str]
    colour: str
    match: str
    kept: bool


BRONZE = DemoBadge(
    {"fr": "Ambassadeur Bronze", "en": "Bronze ambassador"},
    {
        "fr": "Un premier ami converti, ou un premier avis laissé sur la boutique.",
        "en": "A first friend converted, or a first review left on the shop.",
    },
    "#b0703c",
    "any",
    True,
)
SILVER = DemoBadge(
    {"fr": "Ambassadeur Argent", "en": "Silver ambassador"},
    {
        "fr": "Trois amis convertis, ou 500 points de fidélité.",
        "en": "Three friends converted, or 500 loyalty points.",
    },
    "#9ea7b0",
    "any",
    True,
)
GOLD = DemoBadge(
    {"fr": "Ambassadeur Or", "en": "Gold ambassador"},
    {
        "fr": "Ambassadeur Argent et cinq parrainages validés en 90 jours : 20 € offerts "
        "par ami au lieu de 10 €, tant que le rythme tient.",
        "en": "Silver ambassador and five referrals validated within 90 days: €20 per "
        "friend instead of €10, while the pace holds.",
    },
    "#d4a72c",
    "all",
    False,
)


def seed_badges(program: Program) -> list[Badge]:
    """Bronze → Silver → Gold for ``program``, through the setup service (checked and
    audited like a shop owner's); Gold carries its own referrer reward."""
    bronze = _badge(
        program,
        BRONZE,
        [
            {"kind": "friends_converted", "threshold": 1},
            {"kind": "action_count", "threshold": 1, "action_kind": "review"},
        ],
    )
    silver = _badge(
        program,
        SILVER,
        [
            {"kind": "friends_converted", "threshold": 3},
            {"kind": "points_balance", "threshold": 500},
        ],
    )
    gold = _badge(
        program,
        GOLD,
        [
            {"kind": "holds_badge", "required_badge": silver.pk},
            {"kind": "referrals_validated", "threshold": 5, "period_days": 90},
        ],
        reward_rule=_gold_reward(program),
    )
    return [bronze, silver, gold]


def evaluate_everyone(program: Program) -> int:
    """Evaluate every contact of ``program`` now, as the queued recompute would (which then
    finds nothing left to do); returns the badges awarded."""
    awarded = 0
    for contact in Contact.objects.filter(program=program, erased_at__isnull=True).order_by("pk"):
        awarded += sum(change.awarded for change in evaluate(contact))
    return awarded


def _gold_reward(program: Program) -> RewardRule:
    return RewardRule.objects.create(
        program=program,
        side=Side.REFERRER,
        kind=RewardKind.FIXED_AMOUNT,
        value=Decimal("20"),
        labels={"fr": "20 € offerts (ambassadeur Or)", "en": "€20 off (Gold ambassador)"},
    )


def _badge(program: Program, spec: DemoBadge, conditions: list[dict], **extra: object) -> Badge:
    badge = create_badge(
        program,
        names=spec.names,
        descriptions=spec.descriptions,
        colour=spec.colour,
        match=spec.match,
        keep_once_earned=spec.kept,
        conditions=conditions,
        actor="demo",
        **extra,
    )
    medal = io.BytesIO(medal_png(spec.colour, badge.rank))
    return set_image(badge, medal, actor="demo")


# Drawing --------------------------------------------------------------------------------


def medal_png(colour: str, stars: int) -> bytes:
    """A medal of ``colour`` on a two-tone ribbon with ``stars`` stars, 256 px PNG."""
    size = THUMBNAIL * SUPERSAMPLE
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    _ribbon(draw, size)
    centre, radius = (size / 2, size * 0.62), size * 0.34
    face = _rgb(colour)
    draw.ellipse(_box(centre, radius), fill=_shade(face, 0.7))
    draw.ellipse(_box(centre, radius * 0.86), fill=face)
    draw.ellipse(_box(centre, radius * 0.72), outline=_shade(face, 1.25), width=size // 64)
    star = radius * (0.3 if stars < 3 else 0.22)
    for n in range(stars):
        offset = (n - (stars - 1) / 2) * star * 1.9
        draw.polygon(_star((centre[0] + offset, centre[1]), star), fill=_shade(face, 1.3))
    out = io.BytesIO()
    image.resize((THUMBNAIL, THUMBNAIL), Image.Resampling.LANCZOS).save(out, format="PNG")
    return out.getvalue()


def _ribbon(draw: ImageDraw.ImageDraw, size: int) -> None:
    left, right = RIBBON
    bottom = size * 0.45
    draw.polygon(
        [(size * 0.28, 0), (size * 0.46, 0), (size * 0.60, bottom), (size * 0.42, bottom)],
        fill=left,
    )
    draw.polygon(
        [(size * 0.54, 0), (size * 0.72, 0), (size * 0.58, bottom), (size * 0.40, bottom)],
        fill=right,
    )


def _star(centre: tuple[float, float], radius: float) -> list[tuple[float, float]]:
    points = []
    for n in range(10):
        r = radius if n % 2 == 0 else radius * 0.45
        angle = -math.pi / 2 + n * math.pi / 5
        points.append((centre[0] + r * math.cos(angle), centre[1] + r * math.sin(angle)))
    return points


def _box(centre: tuple[float, float], radius: float) -> tuple[float, float, float, float]:
    return (centre[0] - radius, centre[1] - radius, centre[0] + radius, centre[1] + radius)


def _rgb(colour: str) -> tuple[int, int, int]:
    return (int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16))


def _shade(rgb: tuple[int, int, int], factor: float) -> tuple[int, int, int]:
    r, g, b = (min(255, int(channel * factor)) for channel in rgb)
    return (r, g, b)
