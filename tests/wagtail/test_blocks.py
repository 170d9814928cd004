"""The offer and widget blocks on their own, as in any StreamField of the site."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import RequestFactory
from django.utils import translation
from django.utils.translation import gettext
from wagtail.models import Locale

from parrain.plugins.wagtail.blocks import OfferBlock, ReferralWidgetBlock

from .helpers import make_program

#: Both sides of the offer, labelled for whoever reads the page (a friend or a referrer).
FRIEND_GETS = "The invited friend gets"
REFERRER_GETS = "The referrer gets, for each friend who becomes a customer"

pytestmark = pytest.mark.django_db


class FakePage:
    def __init__(self, program, language: str) -> None:
        self.program = program
        self.locale = Locale(language_code=language)


def test_widget_block_renders_its_program_outside_a_landing_page() -> None:
    program = make_program()
    block = ReferralWidgetBlock()
    value = block.to_python({"kind": "referrer", "program": program.pk, "colour": "#abc"})
    request = RequestFactory().get("/blog/")

    html = block.render(value, context={"request": request})

    assert 'data-parrain-widget="referrer"' in html
    assert f'data-parrain-key="{program.public_key}"' in html
    assert 'data-parrain-colour="#abc"' in html
    assert "parrain/widget.js" in html
    # a second widget in the same request does not repeat the script tag
    again = block.render(value, context={"request": request})
    assert "parrain/widget.js" not in again and "data-parrain-widget" in again


def test_widget_block_without_any_program_renders_nothing() -> None:
    block = ReferralWidgetBlock()
    assert block.render(block.to_python({"kind": "referee"}), context={}).strip() == ""


def test_widget_block_of_an_inactive_program_renders_nothing() -> None:
    program = make_program()
    program.is_active = False
    program.save()
    block = ReferralWidgetBlock()
    value = block.to_python({"kind": "referee", "program": program.pk})
    assert "data-parrain-widget" not in block.render(value, context={})


def test_widget_block_refuses_a_colour_that_is_not_hex() -> None:
    block = ReferralWidgetBlock()
    with pytest.raises(ValidationError):
        block.clean(block.to_python({"kind": "referee", "colour": "red;background:url(x)"}))


def test_widget_block_identifies_a_logged_in_customer_on_the_referrer_widget() -> None:
    from django.contrib.auth import get_user_model

    program = make_program()
    user = get_user_model().objects.create(username="claire", email="claire@example.com")
    request = RequestFactory().get("/")
    request.user = user
    block = ReferralWidgetBlock()

    referrer = block.render(
        block.to_python({"kind": "referrer", "program": program.pk}), {"request": request}
    )
    referee = block.render(
        block.to_python({"kind": "referee", "program": program.pk}), {"request": request}
    )

    loyalty = block.render(
        block.to_python({"kind": "loyalty", "program": program.pk}), {"request": request}
    )

    assert "data-parrain-identity=" in referrer
    assert "data-parrain-identity=" not in referee
    assert 'data-parrain-widget="loyalty"' in loyalty
    assert "data-parrain-identity=" in loyalty


@pytest.mark.parametrize(
    ("language", "welcome", "reward"),
    [
        ("fr", "-15 % sur votre première commande", "10 € offerts"),
        ("en", "15% off your first order", "€10 off"),
    ],
)
def test_offer_block_speaks_the_page_language(language: str, welcome: str, reward: str) -> None:
    program = make_program()
    block = OfferBlock()
    html = block.render(
        block.to_python({"side": "both"}), context={"page": FakePage(program, language)}
    )
    assert welcome in html and reward in html


def test_offer_block_without_labels_describes_the_offer_in_the_page_language() -> None:
    program = make_program()
    program.reward_rules.update(labels={})
    block = OfferBlock()
    html = block.render(
        block.to_python({"side": "referee"}), context={"page": FakePage(program, "en")}
    )
    assert "15% off" in html
    assert "parrain-offer-referrer" not in html  # only the welcome offer was asked for


def test_offer_and_rules_captions_follow_the_page_language() -> None:
    from parrain.plugins.wagtail.blocks import RulesBlock

    program = make_program()
    offer, rules = OfferBlock(), RulesBlock()
    french = {"page": FakePage(program, "fr")}
    english = {"page": FakePage(program, "en")}

    friend, referrer = FRIEND_GETS, REFERRER_GETS
    with translation.override("fr"):  # the French catalog's words (filled at integration)
        french_friend, french_referrer = gettext(friend), gettext(referrer)
    assert french_friend in offer.render(offer.to_python({}), context=french)
    assert french_referrer in offer.render(offer.to_python({}), context=french)
    assert friend in offer.render(offer.to_python({}), context=english)
    assert referrer in offer.render(offer.to_python({}), context=english)
    body = {"body": "<p>r</p>"}
    assert "Règlement du programme" in rules.render(rules.to_python(body), context=french)
    assert "Program rules" in rules.render(rules.to_python(body), context=english)
