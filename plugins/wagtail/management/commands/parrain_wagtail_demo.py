"""Publish the demo referral landing page at /parrainage/, linked to a demo program.

Run after ``parrain_demo``: ``python manage.py parrain_wagtail_demo [--program SLUG]``.
Publishing the page sets the program's landing URL, so the demo share links lead to it.
Running it again republishes the same page with the current blocks.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils.html import escape
from wagtail.models import Site

from parrain.core.conf import parrain_settings
from parrain.core.models import Contest, Program
from parrain.core.models.contest import ContestStatus

from ...factories import create_landing_page, landing_body
from ...models import ReferralLandingPage

DEFAULT_PROGRAM = "maison-lumiere"
SLUG = "parrainage"


class Command(BaseCommand):
    help = "Publish the demo referral landing page (/parrainage/) linked to a demo program."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--program", default=DEFAULT_PROGRAM, help="program slug")
        parser.add_argument(
            "--shop-url",
            default="",
            help="where the friend shops with the welcome code (a link under the widget)",
        )

    @transaction.atomic
    def handle(self, *args: Any, program: str, shop_url: str = "", **options: Any) -> None:
        found = Program.objects.filter(slug=program).first()
        if found is None:
            raise CommandError(f"No program {program!r}: run `manage.py parrain_demo` first.")
        site = self._site()
        page = ReferralLandingPage.objects.filter(slug=SLUG).first()
        if page is None:
            page = create_landing_page(site.root_page, found, slug=SLUG, publish=False)
        page.program, page.body = found, demo_body(found, shop_url)
        page.save_revision().publish()
        found.refresh_from_db()
        self.stdout.write(f"Landing page of {found.name}: {found.landing_url}")

    def _site(self) -> Site:
        """The default site, served where the demo runs (PARRAIN_BASE_URL)."""
        from urllib.parse import urlsplit

        base = urlsplit(parrain_settings.BASE_URL)
        site = Site.objects.get(is_default_site=True)
        site.hostname = base.hostname or "localhost"
        site.port = base.port or (443 if base.scheme == "https" else 80)
        site.site_name = "Parrain demo"
        site.save()
        return site


def demo_body(program: Program, shop_url: str) -> list[dict[str, Any]]:
    """The landing page's blocks; with a shop URL, the next step right under the widget;
    the program's latest public contest (the demo's open one) before the rules."""
    body = landing_body(program)
    contest = latest_public_contest(program)
    if contest is not None:
        rules = next(i for i, block in enumerate(body) if block["type"] == "rules")
        block = {"type": "contest", "value": {"contest": contest.pk, "heading": ""}}
        body = [*body[:rules], block, *body[rules:]]
    if not shop_url:
        return body
    next_step = {
        "type": "rich_text",
        "value": f'<p>Votre code en main ? <a href="{escape(shop_url)}">Rendez-vous dans la '
        "boutique</a>, créez votre compte avec la même adresse e-mail (le code est à votre "
        "nom) et saisissez-le dans votre panier.</p>",
    }
    after = next(i for i, block in enumerate(body) if block["type"] == "widget") + 1
    return [*body[:after], next_step, *body[after:]]


def latest_public_contest(program: Program) -> Contest | None:
    """The contest a visitor can read about (open or drawn), the latest period first."""
    shown = (ContestStatus.OPEN, ContestStatus.DRAWN)
    found = Contest.objects.filter(program=program, status__in=shown)
    return found.order_by("-entries_start", "-pk").first()
