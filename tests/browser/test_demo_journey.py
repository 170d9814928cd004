"""Issue 4, end to end in Chromium: the demo as `make demo` seeds it, used as a person would.

Alice (the demo shop's referrer) signs in and copies her share link; a friend opens it in
another browser, claims the welcome offer on the landing page, opens a shop account with
the same email, buys with the welcome code; the shop owner sees the converted referral in
Oscar's Referral dashboard. Screenshots of each step go to tests/artifacts/.
No PostgreSQL marker: it passes on SQLite too, the database `make demo` uses by default.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from django.core.management import call_command

from parrain.core.api.origins import forget_programs
from parrain.core.models import Contact, Referral, Reward
from parrain.core.models.choices import ReferralStatus, RewardStatus, Side
from tests.wagtail.helpers import default_site

pytestmark = [pytest.mark.django_db(transaction=True)]

ALICE = ("alice@example.com", "alice-demo-2026")
FRIEND = ("chloe.friend@example.org", "un-mot-de-passe-Solide-42")
PRODUCT = "Lampe de chevet Opaline"  # 39 EUR: above the welcome offer's 30 EUR minimum
TIMEOUT_MS = 15_000


@pytest.fixture
def demo(live_server: Any, settings: Any) -> str:
    """What `make demo` runs after `migrate`, served by the live server."""
    settings.PARRAIN_BASE_URL = live_server.url
    settings.WAGTAILADMIN_BASE_URL = live_server.url
    cache.clear()
    forget_programs()
    default_site()  # made by Wagtail's migration; gone if a transactional test flushed it
    with open(os.devnull, "w") as quiet:  # the same commands and options as the Makefile
        call_command("parrain_demo", stdout=quiet)
        call_command("parrain_oscar_demo", stdout=quiet)
        call_command("parrain_wagtail_demo", shop_url="/shop/", stdout=quiet)
    return live_server.url


def sign_in_to_shop(page: Any, url: str, email: str, password: str) -> None:
    page.goto(f"{url}/shop/accounts/login/")
    page.locator("#id_login-username").fill(email)
    page.locator("#id_login-password").fill(password)
    page.locator("button[name=login_submit]").click()
    page.wait_for_load_state()


def test_refer_a_friend_who_buys_with_the_welcome_code(
    browser: Any, demo: str, artifacts: Path
) -> None:
    url = demo

    # 1. Alice signs in to the shop and finds her link on her account's Referrals page
    alice_context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
    alice_context.set_default_timeout(TIMEOUT_MS)
    alice = alice_context.new_page()
    sign_in_to_shop(alice, url, *ALICE)
    alice.goto(f"{url}/shop/accounts/referrals/")
    share_url = alice.locator("#parrain-share-url").inner_text()
    code = Contact.objects.get(email=ALICE[0], program__slug="maison-lumiere").referrer_code
    assert share_url == f"{url}/r/{code}"
    # the referrer widget, signed in through the shop's identity token, shows the same link
    widget = alice.locator("parrain-widget")
    link = widget.get_by_label("Your referral link")
    link.wait_for()
    assert link.input_value() == share_url
    alice.screenshot(path=artifacts / "journey-1-alice-referrals.png", full_page=True)
    alice_context.close()

    # 2. A friend opens the link in a fresh browser (in French, like the demo landing page)
    friend_context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    friend_context.set_default_timeout(TIMEOUT_MS)
    friend = friend_context.new_page()
    friend.goto(share_url)
    assert friend.url == f"{url}/parrainage/?parrain={code}"
    box = friend.locator("parrain-widget").first
    heading = box.get_by_role("heading", level=2)
    heading.wait_for()
    assert "Alice" in heading.inner_text()
    friend.screenshot(path=artifacts / "journey-2-landing.png", full_page=True)

    # 3. ... claims the welcome offer with consent, and gets the welcome code
    box.get_by_label("Votre e-mail").fill(FRIEND[0])
    consent = box.locator("input[type=checkbox]")
    assert consent.count() == 1 and not consent.is_checked()
    consent.check()
    box.get_by_role("button", name="Recevoir mon offre").click()
    box.get_by_role("heading", name="Votre code de bienvenue").wait_for()
    welcome_code = box.locator(".code").inner_text().strip()
    assert welcome_code.startswith("BIENVENUE-")
    friend.screenshot(path=artifacts / "journey-3-welcome-code.png", full_page=True)
    referral = Referral.objects.get(referee__email=FRIEND[0])
    assert referral.referrer.email == ALICE[0]
    assert referral.status == ReferralStatus.REGISTERED
    assert referral.referee.consent_recontact is True

    # 4. ... follows the page's link to the shop, and opens an account there with the same
    # email (the code is theirs only)
    friend.get_by_role("link", name="Rendez-vous dans la boutique").click()
    friend.wait_for_load_state()
    assert friend.url == f"{url}/shop/"
    friend.locator("a[href^='/shop/accounts/login/']").first.click()
    friend.locator("#id_registration-email").fill(FRIEND[0])
    friend.locator("#id_registration-password1").fill(FRIEND[1])
    friend.locator("#id_registration-password2").fill(FRIEND[1])
    friend.locator("button[name=registration_submit]").click()
    friend.wait_for_load_state()
    assert "/shop/accounts/" in friend.url

    # 5. ... puts the lamp in the basket and applies the welcome code
    friend.get_by_role("link", name="Maison Lumière").first.click()
    product = friend.locator("article, li, .product_pod, tr").filter(has_text=PRODUCT).last
    product.get_by_role("button").first.click()
    friend.wait_for_load_state()
    friend.goto(f"{url}/shop/basket/")
    friend.locator("#voucher_form_link a").click()  # "J'ai un code promo..."
    friend.locator("#id_code").fill(welcome_code)
    friend.locator("#voucher_form button[type=submit]").click()
    friend.wait_for_load_state()
    basket = friend.locator("#content_inner, body").first.inner_text()
    assert welcome_code in basket, basket[:2000]
    assert "33,15" in basket, basket[:2000]  # 39.00 less 15 %
    friend.screenshot(path=artifacts / "journey-4-basket-with-voucher.png", full_page=True)

    # 6. ... checks out with the demo payment
    friend.goto(f"{url}/shop/checkout/")
    friend.locator("#id_first_name").fill("Chloé")
    friend.locator("#id_last_name").fill("Martin")
    friend.locator("#id_line1").fill("1 rue de la Paix")
    friend.locator("#id_line4").fill("Paris")
    friend.locator("#id_postcode").fill("75002")
    friend.locator(
        "#new_shipping_address button[type=submit], form button[type=submit]"
    ).last.click()
    friend.wait_for_load_state()
    if "payment-details" in friend.url:
        friend.locator("#view_preview").click()
        friend.wait_for_load_state()
    assert "/checkout/preview/" in friend.url, friend.url
    friend.locator("#place-order, #place_order").first.click()
    friend.wait_for_load_state()
    assert "/checkout/thank-you/" in friend.url, friend.url
    thanks = friend.locator("body").inner_text()
    assert "33,15" in thanks, thanks[:2000]
    assert "-15 % sur votre première commande dès 30 €" in thanks  # the offer, in French
    # the referrer widget invites the new customer in the page's language
    share = friend.locator("parrain-widget").get_by_label("Votre lien de parrainage")
    share.wait_for()
    assert "/r/" in share.input_value()
    friend.screenshot(path=artifacts / "journey-5-thank-you.png", full_page=True)
    friend_context.close()

    referral.refresh_from_db()
    assert referral.status == ReferralStatus.CONVERTED
    welcome = Reward.objects.get(referral=referral, side=Side.REFEREE)
    assert welcome.code == welcome_code and welcome.status == RewardStatus.REDEEMED

    # 7. The shop owner sees the referral as converted in Oscar's Referral dashboard
    owner_context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
    owner_context.set_default_timeout(TIMEOUT_MS)
    owner = owner_context.new_page()
    owner.goto(f"{url}/admin/login/?next=/shop/dashboard/referral/")
    owner.locator("#id_username").fill("admin")
    owner.locator("#id_password").fill("admin")
    owner.locator("input[type=submit]").click()
    owner.wait_for_load_state()
    owner.goto(f"{url}/shop/dashboard/referral/referrals/?q={FRIEND[0]}")
    row = owner.locator("#parrain-referrals tbody tr").filter(has_text=FRIEND[0])
    assert row.count() == 1
    cells = row.locator("td").all_inner_texts()
    assert cells[0] == ALICE[0]
    assert cells[2] == "Converted"
    assert "33.15" in cells[5]
    owner.screenshot(path=artifacts / "journey-6-dashboard.png", full_page=True)
    owner_context.close()

    # 8. And Alice, back on her Referrals page, sees her friend's order counted
    alice_context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
    alice_context.set_default_timeout(TIMEOUT_MS)
    alice = alice_context.new_page()
    sign_in_to_shop(alice, url, *ALICE)
    alice.goto(f"{url}/shop/accounts/referrals/")
    rows = alice.locator("#parrain-my-referrals tbody tr").all_inner_texts()
    assert len(rows) == 1 and "Converted" in rows[0], rows
    assert FRIEND[0] not in rows[0]  # a first name or a masked address, never the email
    alice.screenshot(path=artifacts / "journey-7-alice-converted.png", full_page=True)
    alice_context.close()


def test_the_landing_page_counts_down_the_boost_then_shows_the_normal_offer(
    browser: Any, demo: str, artifacts: Path
) -> None:
    """The demo's running boost on the Wagtail landing page: its label, both sides and a
    live countdown in the offer block; the referee widget shows the friend's welcome offer
    only (the demo boosts the referrer's reward: « 20 € par ami » is not the friend's
    business); when the page's clock passes the end, the block gives way to the normal
    offer without a reload."""
    context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.clock.install()  # the page's own clock, moved forward below
    page.goto(f"{demo}/parrainage/")
    block = page.locator("section.parrain-offer").first
    boosted = block.locator(".parrain-offer__boosted")
    assert "Récompense doublée" in boosted.inner_text()
    assert "20" in boosted.locator(".parrain-offer-referrer").inner_text()
    countdown = boosted.locator("[data-parrain-countdown]")
    page.clock.run_for(2_000)
    assert "jours" in countdown.inner_text()  # "5 jours 21 heures", kept up to date
    widget = page.locator("parrain-widget").first
    widget.get_by_text("-15 %").first.wait_for()
    shown = widget.evaluate("w => w.shadowRoot.querySelector('section').textContent")
    assert "Récompense doublée" not in shown and "20 €" not in shown, shown
    page.screenshot(path=artifacts / "landing-boost-countdown.png", full_page=True)

    page.clock.fast_forward(7 * 24 * 3600 * 1000)  # a week later: the boost has ended
    page.clock.run_for(2_000)
    assert boosted.is_hidden()
    normal = block.locator(".parrain-offer__normal")
    assert normal.is_visible() and "10" in normal.locator(".parrain-offer-referrer").inner_text()
    assert "Récompense doublée" not in page.locator("parrain-widget").first.evaluate(
        "w => w.shadowRoot.textContent"
    )
    page.screenshot(path=artifacts / "landing-boost-ended.png", full_page=True)
    context.close()
