"""``manage.py parrain_wagtail_demo``: the demo landing page, published and linked."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from parrain.core.services.contest_setup import create_contest, open_contest
from parrain.plugins.wagtail.models import ReferralLandingPage

from .helpers import make_program

pytestmark = pytest.mark.django_db


def test_demo_publishes_one_landing_page_linked_to_the_program(client, settings) -> None:
    settings.PARRAIN_BASE_URL = "http://127.0.0.1:8000"
    program = make_program(slug="maison-lumiere")

    call_command("parrain_wagtail_demo")
    call_command("parrain_wagtail_demo")  # again: republished, not duplicated

    page = ReferralLandingPage.objects.get()
    assert page.live and page.program == program
    program.refresh_from_db()
    assert program.landing_url == "http://127.0.0.1:8000/parrainage/"
    html = client.get("/parrainage/", HTTP_HOST="127.0.0.1:8000").content.decode()
    assert 'data-parrain-widget="referee"' in html


def test_demo_without_the_program_says_what_to_run_first() -> None:
    with pytest.raises(CommandError, match="parrain_demo"):
        call_command("parrain_wagtail_demo", program="nope")
    assert not ReferralLandingPage.objects.exists()


def test_demo_landing_page_tells_the_friend_where_to_use_the_code(client, settings) -> None:
    settings.PARRAIN_BASE_URL = "http://127.0.0.1:8000"
    make_program(slug="maison-lumiere")

    call_command("parrain_wagtail_demo", shop_url="/shop/")

    html = client.get("/parrainage/", HTTP_HOST="127.0.0.1:8000").content.decode()
    link = html.index('<a href="/shop/">Rendez-vous dans la boutique</a>')
    assert html.index('data-parrain-widget="referee"') < link  # right under the widget
    assert "même adresse e-mail" in html


def test_demo_landing_page_shows_the_open_contest_before_the_rules(client, settings) -> None:
    settings.PARRAIN_BASE_URL = "http://127.0.0.1:8000"
    program = make_program(slug="maison-lumiere")
    now = timezone.now()
    contest = create_contest(
        program,
        prizes=[{"label": "Lampe Atelier", "quantity": 1}],
        name="Winter draw",
        names={"fr": "Le grand tirage de l'hiver", "en": "The great winter draw"},
        rules_texts={"fr": "Un ticket par avis laissé pendant le jeu."},
        entries_start=now - timedelta(days=7),
        entries_end=now + timedelta(days=21),
        draw_at=now + timedelta(days=22),
        public_value_source="drand mainnet",
    )
    open_contest(contest)

    call_command("parrain_wagtail_demo", shop_url="/shop/")

    html = client.get("/parrainage/", HTTP_HOST="127.0.0.1:8000").content.decode()
    block = html.index('class="parrain-contest parrain-contest--open"')
    assert html.index('data-parrain-widget="referee"') < block < html.index("parrain-rules")
    assert "Lampe Atelier" in html
    assert f"/contest/{contest.public_id}/" in html  # the full rules and the draw's data


def test_demo_landing_page_without_a_contest_has_no_contest_block(settings) -> None:
    settings.PARRAIN_BASE_URL = "http://127.0.0.1:8000"
    make_program(slug="maison-lumiere")
    call_command("parrain_wagtail_demo")
    page = ReferralLandingPage.objects.get()
    assert "contest" not in [block.block_type for block in page.body]
