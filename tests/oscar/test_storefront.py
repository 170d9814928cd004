"""What the customer sees: the widget after the order, the account page, the link's code."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from oscar.test.factories import UserFactory

from parrain.core.identity import verify_identity
from parrain.core.models import Referral
from parrain.plugins.oscar.conf import SESSION_KEY

from .conftest import shopper_for
from .shop import ADDRESS

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def test_thank_you_page_shows_the_referrer_widget_identified_for_the_customer(
    program: Any, product: Any, django_capture_on_commit_callbacks: Any
) -> None:
    shopper = shopper_for(UserFactory(email="zoe@example.com", first_name="Zoé"))
    shopper.add_to_basket(product)
    with django_capture_on_commit_callbacks(execute=True):
        _, thank_you = shopper.checkout()

    page = thank_you.content.decode()
    assert 'data-parrain-widget="referrer"' in page
    assert f'data-parrain-key="{program.public_key}"' in page
    token = re.search(r'data-parrain-identity="([^"]+)"', page).group(1)
    assert verify_identity(program, token).email == "zoe@example.com"


def test_account_page_lists_my_referrals_and_rewards(referred_order: Any, program: Any) -> None:
    alice = shopper_for(referred_order.alice)
    page = alice.client.get("/shop/accounts/referrals/").content.decode()
    # Bob gave no first name: "A friend", never his email nor its local part
    assert "A friend" in page
    assert "bob@example.org" not in page and ">bob<" not in page
    assert "Converted" in page
    assert f"/r/{Referral.objects.get().referrer.referrer_code}" in page  # the share link

    bob_page = referred_order.bob.client.get("/shop/accounts/referrals/").content.decode()
    assert referred_order.welcome.code in bob_page
    assert "Redeemed" in bob_page
    # and the account area links to it
    profile = alice.client.get("/shop/accounts/profile/").content.decode()
    assert 'href="/shop/accounts/referrals/"' in profile


def test_account_page_needs_a_signed_in_customer(program: Any) -> None:
    response = Client().get("/shop/accounts/referrals/")
    assert response.status_code == 302
    assert "login" in response["Location"]


@pytest.mark.parametrize(
    ("query", "cookie", "expected"),
    [
        ("abcd2345", "", "ABCD2345"),
        ("", "ZXCV2345", "ZXCV2345"),
        ("LINK2345", "COOK2345", "LINK2345"),
        ("<script>", "", None),
        ("", "x" * 200, None),
    ],
)
def test_share_link_code_reaches_the_session_from_query_or_cookie(
    program: Any, query: str, cookie: str, expected: str | None
) -> None:
    client = Client()
    if cookie:
        client.cookies["parrain_ref"] = cookie
    client.get("/shop/catalogue/", {"parrain": query} if query else {})
    assert client.session.get(SESSION_KEY) == expected


def test_the_share_link_itself_leaves_the_session_alone(program: Any) -> None:
    """A returning visitor's click carries an older code's cookie: the link answers without
    reading or writing a session; the landing page it leads to takes the new code."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from parrain.core.services.enrolment import enrol_referrer

    code = enrol_referrer(program, "ref@example.com").code
    client = Client()
    client.cookies["parrain_ref"] = "OLDCODE1"
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/r/{code}")
    assert response.status_code == 302
    assert not [q for q in queries.captured_queries if "django_session" in q["sql"]]
    assert "sessionid" not in response.cookies
    client.get("/shop/catalogue/", {"parrain": code})
    assert client.session.get(SESSION_KEY) == code


def test_demo_checkout_has_a_dummy_payment_step(program: Any, product: Any) -> None:
    shopper = shopper_for(UserFactory(email="zoe@example.com"))
    shopper.add_to_basket(product)
    # address → the only shipping method → payment method → payment details
    response = shopper.client.post("/shop/checkout/shipping-address/", ADDRESS, follow=True)
    assert response.redirect_chain[-1][0] == "/shop/checkout/payment-details/"
    page = response.content.decode()
    assert "nothing is charged" in page
    assert 'href="/shop/checkout/preview/"' in page


def test_new_account_becomes_a_contact_without_any_offer(
    program: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from parrain.core.models import Contact, Reward

    with django_capture_on_commit_callbacks(execute=True):
        shopper_for().register("nouvelle@example.com")

    contact = Contact.objects.get(program=program, email_normalized="nouvelle@example.com")
    assert contact.external_id.startswith("oscar-user-")
    assert not contact.is_customer
    assert not Reward.objects.filter(recipient=contact).exists()


@pytest.mark.parametrize(("accept", "lang"), [("fr", "fr"), ("en", "en")])
def test_shop_pages_declare_the_visitors_language_for_the_widget(
    program: Any, accept: str, lang: str
) -> None:
    # The widget speaks the language of the page's <html lang>: a French visitor must not
    # get an English widget because Oscar's layout fell back to "en-gb".
    shopper = shopper_for(UserFactory(email="zoe@example.com"))
    page = shopper.client.get("/shop/accounts/referrals/", HTTP_ACCEPT_LANGUAGE=accept)
    html = page.content.decode()
    assert f'<html lang="{lang}"' in html
    assert 'data-parrain-widget="referrer"' in html
