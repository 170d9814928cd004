"""Both widgets in a real browser: the referrer's link, the friend's claim, the database."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache

from parrain.core.factories import ProgramFactory
from parrain.core.models import Contact, HeldInvitation, Program, Referral, Reward, ShareClick
from parrain.core.models.choices import ReferralStatus, Side

pytestmark = pytest.mark.django_db(transaction=True)
XSS_NAME = '<img src=x onerror="window.__xss=1">Alice'


@pytest.fixture
def site(live_server: Any, settings: Any) -> dict[str, Any]:
    cache.clear()
    settings.PARRAIN_BASE_URL = live_server.url
    program = ProgramFactory(
        slug="demo-widgets",
        landing_url=f"{live_server.url}/widgets/?program=demo-widgets",
        allowed_origins=[live_server.url],
        consent_texts={"fr": "J'accepte de recevoir les offres de la boutique."},
    )
    return {"url": live_server.url, "program": program}


def widgets_page(site: dict[str, Any]) -> str:
    return f"{site['url']}/widgets/?program={site['program'].slug}"


def test_referrer_shares_a_link_and_the_friend_claims_with_consent(
    browser: Any, site: dict[str, Any], artifacts: Path
) -> None:
    program: Program = site["program"]
    # Given the demo page with both widgets, in English
    referrer_context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
    page = referrer_context.new_page()
    config_requests: list[str] = []
    page.on("request", lambda r: config_requests.append(r.url) if "/config" in r.url else None)
    page.goto(widgets_page(site))
    referrer = page.locator("#referrer parrain-widget")
    referee = page.locator("#referee parrain-widget")
    # When the referrer types their email
    referrer.get_by_label("Your email").fill("alice@example.com")
    referrer.get_by_role("button", name="Get my link").click()
    # Then they get a share link on the Parrain host, and both widgets made one config request
    link = referrer.get_by_label("Your referral link")
    page.wait_for_function(
        "() => document.querySelector('#referrer parrain-widget')"
        ".shadowRoot.querySelector('input[readonly]')"
    )
    share_url = link.input_value()
    assert share_url.startswith(f"{site['url']}/r/")
    assert referee.get_by_label("Your referral code").is_visible()
    assert len(config_requests) == 1, config_requests
    assert (
        referrer.get_by_role("link", name="WhatsApp")
        .get_attribute("href")
        .startswith("https://wa.me/?text=")
    )
    # anonymous email invitations are off by default: no invite form, sharing still works
    assert referrer.get_by_label("Your friends' emails, separated by commas").count() == 0
    page.screenshot(path=artifacts / "widgets-referrer-1280.png", full_page=True)
    page.set_viewport_size({"width": 375, "height": 800})
    page.screenshot(path=artifacts / "widgets-referrer-375.png", full_page=True)
    referrer_context.close()

    # The name the referrer gave for sharing holds markup: it must show as text, never run
    Contact.objects.filter(program=program, email="alice@example.com").update(share_name=XSS_NAME)

    # When a friend opens the link in a fresh browser, in French, on a phone-sized screen
    friend_context = browser.new_context(locale="fr-FR", viewport={"width": 375, "height": 800})
    friend = friend_context.new_page()
    friend.goto(share_url)
    assert f"parrain={share_url.rsplit('/', 1)[1]}" in friend.url
    assert any(c["name"] == "parrain_ref" for c in friend_context.cookies())
    box = friend.locator("#referee parrain-widget")
    heading = box.get_by_role("heading", level=2)
    heading.wait_for()
    assert heading.inner_text() == f"{XSS_NAME} vous offre 15 % de remise"
    consent = box.get_by_label("J'accepte de recevoir les offres de la boutique.")
    assert not consent.is_checked()
    box.get_by_label("Votre e-mail").fill("bob@example.com")
    consent.check()
    box.get_by_role("button", name="Recevoir mon offre").click()
    # Then the welcome code is shown, and announced
    box.get_by_role("heading", name="Votre code de bienvenue").wait_for()
    shown = box.locator(".code").inner_text()
    assert friend.evaluate("() => window.__xss") is None
    friend.screenshot(path=artifacts / "widgets-referee-375.png", full_page=True)
    friend.set_viewport_size({"width": 1280, "height": 900})
    friend.screenshot(path=artifacts / "widgets-referee-1280.png", full_page=True)
    friend_context.close()

    # And the database holds the referral, the click and the consent
    bob = Contact.objects.get(program=program, email="bob@example.com")
    referral = Referral.objects.get(program=program, referee=bob)
    assert referral.referrer.email == "alice@example.com"
    assert referral.status == ReferralStatus.REGISTERED
    assert bob.consent_recontact is True and bob.consent_source == "widget"
    assert Reward.objects.get(referral=referral, side=Side.REFEREE).code == shown
    assert ShareClick.objects.filter(referrer=referral.referrer).count() == 1


def test_unconfirmed_referrer_is_asked_to_confirm_and_a_known_address_gets_its_link_by_mail(
    browser: Any, site: dict[str, Any]
) -> None:
    program: Program = site["program"]
    program.anonymous_invitations = True
    program.save()
    Contact.objects.create(program=program, email="carol@example.com", is_customer=True)
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    page.goto(widgets_page(site))
    referrer = page.locator("#referrer parrain-widget")
    # A new address gets its link on screen; its email invitations wait for a confirmation
    referrer.get_by_label("Your email").fill("alice@example.com")
    referrer.get_by_role("button", name="Get my link").click()
    friends = referrer.get_by_label("Your friends' emails, separated by commas")
    friends.fill("bob@example.com")
    referrer.get_by_role("button", name="Send").click()
    referrer.get_by_role("status").filter(has_text="Check your inbox to confirm").wait_for()
    assert HeldInvitation.objects.filter(email="bob@example.com").exists()
    assert not Referral.objects.filter(referee__email="bob@example.com").exists()
    # An address the shop already knows never sees its code on screen
    page.reload()
    referrer.get_by_label("Your email").fill("carol@example.com")
    referrer.get_by_role("button", name="Get my link").click()
    referrer.get_by_text("we have just emailed your link to carol@example.com").wait_for()
    assert referrer.locator("input[readonly]").count() == 0
    context.close()


def test_network_failure_shows_a_message_and_a_retry_button(
    browser: Any, site: dict[str, Any]
) -> None:
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    page.route("**/config*", lambda route: route.abort())
    page.goto(widgets_page(site))
    for widget in ("#referrer", "#referee"):
        box = page.locator(f"{widget} parrain-widget")
        box.get_by_role("alert").filter(has_text="could not reach the server").wait_for()
        assert box.get_by_role("button", name="Try again").is_visible()
    # When the network is back, "Try again" draws the widget
    page.unroute("**/config*")
    page.locator("#referrer parrain-widget").get_by_role("button", name="Try again").click()
    page.locator("#referrer parrain-widget").get_by_label("Your email").wait_for()
    context.close()


def test_unknown_code_and_bad_email_get_friendly_messages(
    browser: Any, site: dict[str, Any]
) -> None:
    context = browser.new_context(locale="en-US", viewport={"width": 320, "height": 700})
    page = context.new_page()
    page.goto(widgets_page(site) + "&parrain=NOPE1234")
    referee = page.locator("#referee parrain-widget")
    referee.get_by_role("alert").filter(has_text="This referral code does not exist.").wait_for()
    referrer = page.locator("#referrer parrain-widget")
    referrer.get_by_label("Your email").fill("not-an-email")
    referrer.get_by_role("button", name="Get my link").click()
    referrer.get_by_role("alert").filter(has_text="check the email address").wait_for()
    # 320 px wide: nothing overflows the screen
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 320
    context.close()


def test_signed_in_customer_sees_link_stats_and_may_add_a_message(
    browser: Any, site: dict[str, Any], live_server: Any, django_user_model: Any
) -> None:
    from django.test import Client

    # Given a customer signed in on the shop: the page signs an identity token for them
    user = django_user_model.objects.create_user(
        "alice", "alice@example.com", "pw", first_name="Alice"
    )
    client = Client()
    client.force_login(user)
    session = client.cookies["sessionid"].value
    context = browser.new_context(locale="en-US", viewport={"width": 375, "height": 800})
    context.add_cookies([{"name": "sessionid", "value": session, "url": live_server.url}])
    page = context.new_page()
    page.goto(widgets_page(site))
    referrer = page.locator("#referrer parrain-widget")
    # Then the widget opens on the share link, with the statistics and a message field
    link = referrer.get_by_label("Your referral link")
    link.wait_for()
    code = Contact.objects.get(email="alice@example.com").referrer_code
    assert link.input_value() == f"{live_server.url}/r/{code}"
    assert "Invited: 0" in referrer.locator(".muted").inner_text()
    referrer.get_by_label("Your friends' emails, separated by commas").fill("bob@example.com")
    referrer.get_by_label("Personal message (optional)").fill("<b>Tu vas adorer</b>")
    referrer.get_by_role("button", name="Send").click()
    referrer.get_by_role("status").filter(has_text="Invitation sent").wait_for()
    assert Referral.objects.filter(referrer__email="alice@example.com").count() == 1
    context.close()


@pytest.mark.parametrize(
    ("status", "problem", "headers", "shown"),
    [
        (429, {"type": "urn:parrain:problem:rate-limited"}, {"Retry-After": "90"}, "in 2 min"),
        (
            409,
            {
                "type": "urn:parrain:problem:refused",
                "detail": "The welcome offer is for new customers.",
            },
            {},
            "The welcome offer is for new customers.",
        ),
        (500, {"type": "urn:parrain:problem:internal"}, {}, "Something went wrong"),
    ],
)
def test_claim_failures_show_a_friendly_message(
    browser: Any, site: dict[str, Any], status: int, problem: dict, headers: dict, shown: str
) -> None:
    from parrain.core.services.enrolment import enrol_referrer

    code = enrol_referrer(site["program"], "alice@example.com", first_name="Alice").code
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    body = json.dumps({"status": status, "title": "x", "errors": [], **problem})
    page.route(
        "**/claims*",
        lambda route: route.fulfill(
            status=status, body=body, headers=headers, content_type="application/problem+json"
        ),
    )
    page.goto(widgets_page(site) + f"&parrain={code}")
    box = page.locator("#referee parrain-widget")
    box.get_by_label("Your email").fill("bob@example.com")
    box.get_by_role("button", name="Get my offer").click()
    box.get_by_role("alert").filter(has_text=shown).wait_for()
    # the form stays, ready for another try
    assert box.get_by_role("button", name="Get my offer").is_enabled()
    context.close()


def _png(colour: str) -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), colour).save(buffer, "PNG")
    return buffer.getvalue()


def _badges_for_alice(program: Program, alice: Contact) -> None:
    """Bronze (held), Silver (200 of 500 points) and Gold (locked) with pictures; a ledger."""
    from django.core.files.base import ContentFile

    from parrain.core.models import Badge, BadgeCondition, BadgeHolding, LoyaltyKind
    from parrain.core.services.loyalty import record_action

    for rank, name, colour, threshold in [
        (1, "Bronze", "#cd7f32", 1),
        (2, "Silver", "#c0c0c0", 500),
        (3, "Gold", "#d4af37", 2000),
    ]:
        badge = Badge.objects.create(program=program, rank=rank, names={"en": name}, colour=colour)
        kind = "invitations_sent" if rank == 1 else "points_balance"
        BadgeCondition.objects.create(badge=badge, kind=kind, threshold=threshold)
        badge.image.save(f"{name.lower()}.png", ContentFile(_png(colour)))
        if rank == 1:
            BadgeHolding.objects.create(badge=badge, contact=alice)
    record_action(program, alice, LoyaltyKind.PURCHASE, 150, source="api")
    record_action(program, alice, LoyaltyKind.REVIEW, 50, source="api")


def test_signed_in_customer_sees_badge_progress_and_the_loyalty_space(
    browser: Any,
    site: dict[str, Any],
    live_server: Any,
    django_user_model: Any,
    settings: Any,
    tmp_path: Path,
    artifacts: Path,
) -> None:
    from django.test import Client

    from parrain.core.services.enrolment import enrol_referrer

    settings.MEDIA_ROOT = tmp_path
    program: Program = site["program"]
    # Given a signed-in customer who holds Bronze and has 200 of the 500 points Silver needs
    user = django_user_model.objects.create_user(
        "alice", "alice@example.com", "pw", first_name="Alice"
    )
    alice = enrol_referrer(program, "alice@example.com", first_name="Alice", vouched=True).contact
    _badges_for_alice(program, alice)
    client = Client()
    client.force_login(user)
    context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 1000})
    context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    page = context.new_page()
    # the demo server does not serve media files: answer the thumbnails here, and count them
    pictures: list[str] = []
    colours = {"bronze": "#cd7f32", "silver": "#c0c0c0", "gold": "#d4af37"}

    def picture(route: Any) -> None:
        url = route.request.url
        pictures.append(url)
        colour = next((c for name, c in colours.items() if name in url), "#888888")
        route.fulfill(status=200, body=_png(colour), content_type="image/png")

    page.route("**/media/**", picture)
    page.goto(widgets_page(site))
    # Then the referrer widget shows the badge held and a bar towards the next one
    referrer = page.locator("#referrer parrain-widget")
    referrer.get_by_text("Your badge:").wait_for()
    assert referrer.get_by_role("img", name="Bronze badge").is_visible()
    bar = referrer.get_by_role("progressbar", name="Progress towards the Silver badge")
    assert bar.get_attribute("value") == "40"
    assert "200 / 500" in referrer.locator(".cd li").first.inner_text()
    # And the loyalty widget shows the balance, the ledger in words and every badge
    loyalty = page.locator("#loyalty parrain-widget")
    loyalty.get_by_role("heading", name="Your loyalty space").wait_for()
    assert loyalty.locator(".pts").inner_text() == "200 points"
    rows = loyalty.get_by_role("row")
    assert rows.count() == 3  # the header and two lines, newest first
    assert rows.nth(1).inner_text().split("\t")[1:] == ["Review", "+50"]
    items = loyalty.locator(".bl li")
    assert items.count() == 3
    assert "Earned on" in items.nth(0).inner_text()
    assert items.nth(2).get_attribute("class") == "off" and "Locked" in items.nth(2).inner_text()
    for image in loyalty.get_by_role("img").all():
        assert image.get_attribute("loading") == "lazy" and image.get_attribute("alt")
    assert pictures and all(url.startswith(f"{live_server.url}/media/") for url in pictures)
    page.screenshot(path=artifacts / "widgets-badges-1280.png", full_page=True)
    page.set_viewport_size({"width": 375, "height": 800})
    page.screenshot(path=artifacts / "widgets-badges-375.png", full_page=True)
    context.close()
