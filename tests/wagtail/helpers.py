"""Shared set-up for the Wagtail plugin tests: a site served at https://shop.example/."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from wagtail.models import Locale, Page, Site

from parrain.core.models import Program, RewardRule
from parrain.core.models.choices import RewardKind, Side

SITE_ROOT_URL = "https://shop.example"


def default_site() -> Site:
    """Wagtail's default site; rebuilt when a transactional test flushed the migration's."""
    site = Site.objects.filter(is_default_site=True).first()
    if site is not None:
        return site
    Locale.objects.get_or_create(language_code=settings.LANGUAGE_CODE)
    root = Page.get_first_root_node() or Page.add_root(instance=Page(title="Root"))
    home = root.add_child(instance=Page(title="Home", slug="home"))
    return Site.objects.create(hostname="localhost", root_page=home, is_default_site=True)


def site_home() -> Page:
    """Wagtail's default site, moved to https://shop.example; its root page is the home."""
    site = Site.objects.get(is_default_site=True)
    site.hostname, site.port = "shop.example", 443
    site.save()
    return site.root_page.specific


def make_program(slug: str = "maison", name: str = "Maison Lumière") -> Program:
    program = Program.objects.create(
        name=name,
        slug=slug,
        landing_url="",
        allowed_origins=[SITE_ROOT_URL],
    )
    RewardRule.objects.create(
        program=program,
        side=Side.REFERRER,
        kind=RewardKind.FIXED_AMOUNT,
        value=Decimal("10"),
        labels={"fr": "10 € offerts", "en": "€10 off"},
    )
    RewardRule.objects.create(
        program=program,
        side=Side.REFEREE,
        kind=RewardKind.PERCENTAGE,
        value=Decimal("15"),
        labels={"fr": "-15 % sur votre première commande", "en": "15% off your first order"},
    )
    return program


def make_boost(program: Program, starts_at, ends_at, **fields):  # type: ignore[no-untyped-def]
    """A boost doubling the referrer reward, written directly (the block only reads it)."""
    from parrain.core.models import Boost

    rule = RewardRule.objects.create(
        program=program,
        side=Side.REFERRER,
        kind=RewardKind.FIXED_AMOUNT,
        value=Decimal("20"),
        labels={"fr": "20 € offerts", "en": "€20 off"},
    )
    fields.setdefault("labels", {"fr": "Double récompense", "en": "Double reward until Sunday"})
    return Boost.objects.create(
        program=program,
        name=fields.pop("name", "Double"),
        starts_at=starts_at,
        ends_at=ends_at,
        referrer_rule=rule,
        **fields,
    )


def opened_contest(program: Program, **fields):  # type: ignore[no-untyped-def]
    """A contest set up and opened through ``contest_setup`` (commitment published)."""
    from parrain.core.services import contest_setup
    from tests.core.contest_helpers import make_contest

    return contest_setup.open_contest(make_contest(program, **fields), actor="tests")
