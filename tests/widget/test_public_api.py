"""The public widget API as the browser widget uses it."""

from __future__ import annotations

from typing import Any
from xml.etree import ElementTree

import pytest
from django.core import mail

from parrain.core.models import Contact, Invitation, Program, Referral, RewardRule
from parrain.core.models.choices import ReferralStatus, Side
from parrain.core.services.enrolment import enrol_referrer
from tests.api.conftest import assert_problem
from tests.widget.conftest import Widget


def test_config_speaks_the_page_language_and_lists_the_enabled_channels(
    widget: Widget, program: Program
) -> None:
    program.share_channels = ["whatsapp", "bogus", "email"]
    program.consent_texts = {"fr": "J'accepte d'être recontacté."}
    program.rules_url = "https://shop.example/reglement"
    program.save()

    french = widget.get("/config?lang=fr-FR").json()
    english = widget.get("/config?lang=en").json()
    german = widget.get("/config?lang=de").json()

    assert french["language"] == "fr" and french["welcome_offer"] == "15 % de remise"
    assert french["consent_text"] == "J'accepte d'être recontacté."
    assert english["welcome_offer"] == "15% off" and english["referrer_reward"] == "€10 off"
    assert english["consent_text"].startswith("I agree that")
    assert german["language"] == program.default_language
    assert french["channels"] == ["whatsapp", "email"]
    assert french["rules_url"] == "https://shop.example/reglement"
    assert french["brand_colour"] == "#1f6feb" and french["privacy_mode"] is False


def test_config_follows_an_offer_change_at_once(widget: Widget, program: Program) -> None:
    assert widget.get("/config?lang=en").json()["welcome_offer"] == "15% off"
    rule = RewardRule.objects.get(program=program, side=Side.REFEREE)
    rule.labels = {"en": "20% off your first order"}
    rule.save()
    assert widget.get("/config?lang=en").json()["welcome_offer"] == "20% off your first order"


def test_enrol_gives_a_share_link_and_nothing_else(widget: Widget, program: Program) -> None:
    response = widget.post("/referrers", {"email": "Alice@Example.com"})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"delivery", "code", "share_url"} and body["delivery"] == "screen"
    assert body["share_url"] == f"https://shop.example/r/{body['code']}"
    assert Contact.objects.get(program=program, email_normalized="alice@example.com").referrer_code


def test_invitations_are_mailed_once_per_friend(
    widget: Widget, program: Program, django_capture_on_commit_callbacks: Any
) -> None:
    program.anonymous_invitations = True
    program.save()
    code = enrol_referrer(program, "alice@example.com", first_name="Alice", vouched=True).code
    payload = {"code": code, "email": "alice@example.com", "emails": ["bob@example.com"]}
    with django_capture_on_commit_callbacks(execute=True):
        first = widget.post("/invitations", payload)
        again = widget.post("/invitations", payload)
    assert first.status_code == again.status_code == 200
    assert first.json() == again.json() == {"received": 1, "delivery": "sent"}
    assert [m.to for m in mail.outbox] == [["bob@example.com"]]
    # the name is in the body only, never in the subject
    assert "Alice" in mail.outbox[0].body and "Alice" not in mail.outbox[0].subject


def test_code_lookup_gives_the_first_name_only(widget: Widget, program: Program) -> None:
    code = widget.post(
        "/referrers", {"email": "alice.secret@example.com", "first_name": "Alice"}
    ).json()["code"]
    response = widget.get(f"/codes/{code.lower()}?lang=en")
    assert response.status_code == 200
    assert response.json() == {
        "code": code,
        "first_name": "Alice",
        "welcome_offer": "15% off",
        "boost": None,  # the program's offer, the same for everyone
        "normal_welcome_offer": "15% off",
    }
    assert "alice.secret" not in response.content.decode()


def test_claim_shows_the_welcome_code_and_stores_the_consent(
    widget: Widget, program: Program
) -> None:
    code = enrol_referrer(program, "alice@example.com").code
    response = widget.post(
        "/claims?lang=en", {"code": code, "email": "bob@example.com", "consent": False}
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["delivery"] == "screen" and body["welcome"]["offer"] == "15% off"
    bob = Contact.objects.get(program=program, email="bob@example.com")
    assert bob.consent_recontact is False and bob.consent_source == "widget"
    referral = Referral.objects.get(referee=bob)
    assert referral.status == ReferralStatus.REGISTERED
    assert referral.rewards.get().code == body["welcome"]["code"]


def test_claim_refused_for_a_customer_says_why_and_keeps_their_data(
    widget: Widget, program: Program
) -> None:
    code = enrol_referrer(program, "alice@example.com").code
    Contact.objects.create(program=program, email="carol@example.com", is_customer=True)
    response = widget.post("/claims", {"code": code, "email": "carol@example.com", "consent": True})
    body = assert_problem(response, 409)
    assert body["reason"] == "existing_customer" and body["detail"]
    carol = Contact.objects.get(program=program, email="carol@example.com")
    assert carol.is_customer and not Referral.objects.filter(referee=carol).exists()


def test_claim_in_privacy_mode_emails_the_code_and_never_shows_it(
    widget: Widget, program: Program, django_capture_on_commit_callbacks: Any
) -> None:
    program.privacy_mode = True
    program.save()
    code = enrol_referrer(program, "alice@example.com").code
    with django_capture_on_commit_callbacks(execute=True):
        response = widget.post(
            "/claims", {"code": code, "email": "bob@example.com", "consent": True}
        )
    assert response.json() == {"delivery": "email", "welcome": None}
    reward = Referral.objects.get(referee__email="bob@example.com").rewards.get()
    assert reward.code not in response.content.decode()
    assert [m.to for m in mail.outbox] == [["bob@example.com"]] and reward.code in mail.outbox[
        0
    ].body


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"code": "ABCD1234", "email": "not-an-email", "consent": True}, "email"),
        ({"code": "ABCD1234", "email": "bob@example.com"}, "consent"),
        ({"code": "<script>", "email": "bob@example.com", "consent": True}, "code"),
        ({"code": "ABCD1234", "email": "bob@example.com", "consent": True, "x": 1}, "x"),
    ],
)
def test_bad_claims_get_a_422_and_store_nothing(
    widget: Widget, program: Program, body: dict, field: str
) -> None:
    enrol_referrer(program, "alice@example.com")
    assert_problem(widget.post("/claims", body), 422, field)
    assert Contact.objects.filter(program=program).count() == 1


def test_unknown_code_claim_is_a_404(widget: Widget, program: Program) -> None:
    response = widget.post(
        "/claims", {"code": "NOPE1234", "email": "b@example.com", "consent": True}
    )
    assert_problem(response, 404, "code")
    assert not Contact.objects.filter(program=program).exists()


def test_qr_code_of_the_share_link_is_an_svg(widget: Widget, program: Program) -> None:
    code = enrol_referrer(program, "alice@example.com").code
    response = widget.get(f"/codes/{code}/qr.svg", origin=None)
    assert response.status_code == 200 and response["Content-Type"] == "image/svg+xml"
    # An <img> shows only a standalone SVG document: the root must carry the SVG namespace.
    root = ElementTree.fromstring(response.content)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.find("{http://www.w3.org/2000/svg}path") is not None
    assert widget.get("/codes/NOPE1234/qr.svg", origin=None).status_code == 404


def test_unknown_or_inactive_key_is_refused(widget: Widget, program: Program) -> None:
    program.is_active = False
    program.save()
    assert_problem(widget.get("/config"), 401)
    assert_problem(widget.client.get("/api/v1/public/pk_nothing/config"), 401)
    assert not Invitation.objects.exists()
