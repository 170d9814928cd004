"""The one program editor in each admin: create a program from scratch and change it, in the
Django admin, the Oscar dashboard and the Wagtail admin (issue 15 §2)."""

from __future__ import annotations

import html
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from oscar.test.factories import UserFactory

from parrain.core.factories import ProgramFactory
from parrain.core.models import AuditEvent, Program
from tests.program_editor import editor_post_data

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]
OSCAR = "/shop/dashboard/referral/"


def new_program(**values: Any) -> dict[str, Any]:
    """What an owner types for a new program (everything else left as the form offers it)."""
    return {
        "name": "Café Lune",
        "slug": "cafe-lune",
        "is_active": "on",
        "currency": "EUR",
        "time_zone": "Europe/Paris",
        "languages": ["fr", "en"],
        "default_language": "fr",
        "brand_colour": "#7a2e8e",
        "share_channels": ["whatsapp", "email", "link", "qr"],
        "allowed_origins": ["https://cafe-lune.example", ""],
        "consent_texts_fr": "J'accepte de recevoir les offres de Café Lune.",
        "consent_texts_en": "I agree to receive Café Lune's offers.",
        "attribution_window_days": "30",
        "validation_delay_days": "14",
        "anonymous_invitation_budget": "100",
        "loyalty_points_per_unit": "0",
        "fraud_self_referral": "block",
        "fraud_existing_customer": "block",
        "fraud_already_referred": "block",
        "fraud_disposable_email": "review",
        "daily_invitation_cap": "50",
        "monthly_reward_cap": "10",
        "referrer_kind": "fixed_amount",
        "referrer_value": "8",
        "referrer_validity_days": "90",
        "referrer_labels_fr": "8 € offerts",
        "referrer_labels_en": "€8 off",
        "referee_kind": "percentage",
        "referee_value": "20",
        "referee_validity_days": "30",
        "referee_labels_fr": "-20 % sur votre première commande",
        **values,
    }


def assert_created(actor_prefix: str) -> Program:
    program = Program.objects.get(slug="cafe-lune")
    assert program.share_channels == ["whatsapp", "email", "link", "qr"]
    assert program.allowed_origins == ["https://cafe-lune.example"]
    assert program.consent_texts["en"] == "I agree to receive Café Lune's offers."
    assert program.brand_colour == "#7a2e8e"
    assert program.rule("referrer").labels == {"fr": "8 € offerts", "en": "€8 off"}
    assert program.rule("referee").value == Decimal("20")
    created = AuditEvent.objects.get(program=program, action="program.created")
    assert created.actor.startswith(actor_prefix)
    return program


def text(response: Any) -> str:
    return html.unescape(response.content.decode())


# Django admin


def with_inlines(response: Any, data: dict[str, Any]) -> dict[str, Any]:
    """The read-only inlines' (API keys, refused origins) management forms, as posted."""
    for inline in response.context["inline_admin_formsets"]:
        management = inline.formset.management_form
        data.update({bound.html_name: bound.value() for bound in management})
    return data


def test_django_admin_creates_a_program_with_the_editor(admin_client: Client) -> None:
    add = reverse("admin:parrain_program_add")
    get = admin_client.get(add, HTTP_ACCEPT_LANGUAGE="en")
    page = text(get)
    assert 'type="color"' in page and 'data-parrain-channels="share_channels"' in page
    assert "Referrer reward" in page and "Friend's welcome offer" in page
    assert "parrain/program_form.js" in page

    response = admin_client.post(add, with_inlines(get, new_program()))

    assert response.status_code == 302, response.context["adminform"].form.errors
    program = assert_created("admin")
    assert response["Location"] == reverse("admin:parrain_program_changelist")
    change = text(admin_client.get(reverse("admin:parrain_program_change", args=[program.pk])))
    assert program.public_key in change  # the keys stay read-only beside the editor


def test_django_admin_change_refuses_bad_input_and_keeps_the_program(admin_client: Client) -> None:
    program = ProgramFactory(name="Avant")
    url = reverse("admin:parrain_program_change", args=[program.pk])
    get = admin_client.get(url)
    data = with_inlines(get, editor_post_data(get.context["adminform"].form))
    data.update(name="Après", allowed_origins=["https://shop.example/parrainage"])

    refused = admin_client.post(url, data, HTTP_ACCEPT_LANGUAGE="en")

    assert refused.status_code == 200
    assert "https://shop.example/parrainage is not an origin" in text(refused)
    program.refresh_from_db()
    assert (program.name, program.allowed_origins) == ("Avant", ["https://shop.example"])

    data.update(allowed_origins=["https://shop.example", "http://localhost:8201"])
    data.update(share_channels=["link", "email"], referrer_value="12")
    assert admin_client.post(url, data).status_code == 302
    program.refresh_from_db()
    assert program.name == "Après"
    assert program.allowed_origins == ["https://shop.example", "http://localhost:8201"]
    assert program.share_channels == ["link", "email"]
    assert program.rule("referrer").value == Decimal("12")
    updated = AuditEvent.objects.get(program=program, action="program.updated")
    assert updated.data["fields"] == "['allowed_origins', 'name', 'share_channels']"
    assert updated.actor == "admin"


# Oscar dashboard


def oscar_staff() -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_oscar_dashboard_creates_then_edits_a_program() -> None:
    staff = oscar_staff()
    page = text(staff.get(OSCAR + "program/new/"))
    assert "New program" in page and 'class="form-control"' in page
    assert 'data-parrain-origins="allowed_origins"' in page

    created = staff.post(OSCAR + "program/new/", new_program())

    assert created.status_code == 302, created.context["form"].errors
    program = assert_created("oscar-dashboard:")
    assert created["Location"].endswith(f"program/?program={program.slug}")
    edit = staff.get(created["Location"])
    data = editor_post_data(edit.context["form"])
    data.update(referee_kind="", brand_colour="#000000")
    assert staff.post(created["Location"], data).status_code == 302
    program.refresh_from_db()
    assert program.brand_colour == "#000000"
    assert program.rule("referee") is None  # "No offer": the friend's offer switched off


def test_oscar_new_program_with_bad_input_says_so_and_creates_nothing() -> None:
    staff = oscar_staff()
    response = staff.post(
        OSCAR + "program/new/", new_program(languages=["en"], consent_texts_fr="")
    )
    assert response.status_code == 400
    page = text(response)
    assert "The program was not created: see the errors below." in page
    assert "The default language must be one of the program's languages (en)." in page
    assert not Program.objects.filter(slug="cafe-lune").exists()


# Wagtail admin


def wagtail_owner() -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(User.objects.create_superuser("owner", "owner@example.com", "x"))
    return client


def test_wagtail_admin_creates_then_edits_a_program_with_its_offers() -> None:
    owner = wagtail_owner()
    add = reverse("wagtailsnippets_parrain_program:add")
    page = text(owner.get(add))
    assert "Widget" in page and "Referrer reward" in page and 'type="color"' in page

    created = owner.post(add, new_program())

    assert created.status_code == 302, created.context["form"].errors
    program = assert_created("wagtail:")
    edit_url = reverse("wagtailsnippets_parrain_program:edit", args=[program.pk])
    edit = owner.get(edit_url)
    assert program.public_key in text(edit)
    data = editor_post_data(edit.context["form"])
    data.update(referee_value="150")
    refused = owner.post(edit_url, data)
    assert refused.status_code == 400
    assert "A percentage is at most 100." in text(refused)
    data.update(referee_value="25", referee_labels_en="25% off your first order")
    assert owner.post(edit_url, data).status_code == 302
    referee = Program.objects.get(pk=program.pk).rule("referee")
    assert referee.value == Decimal("25")
    assert referee.labels["en"] == "25% off your first order"


def test_django_admin_reward_rule_page_has_one_label_input_per_language(
    admin_client: Client,
) -> None:
    program = ProgramFactory(languages=["fr"], default_language="fr")
    rule = program.rule("referee")
    url = reverse("admin:parrain_rewardrule_change", args=[rule.pk])
    page = text(admin_client.get(url))
    assert 'name="labels_fr"' in page and 'data-parrain-language="en" hidden' in page
    data = {
        "program": program.pk,
        "side": "referee",
        "kind": "percentage",
        "value": "18",
        "minimum_order_amount": "0",
        "product_ref": "",
        "validity_days": "60",
        "labels_fr": "-18 % pour vous",
        "labels_en": "",
        "is_active": "on",
    }

    assert admin_client.post(url, data).status_code == 302

    rule.refresh_from_db()
    assert (rule.value, rule.labels) == (Decimal("18"), {"fr": "-18 % pour vous"})
    event = AuditEvent.objects.get(program=program, action="reward_rule.updated")
    assert event.actor == "admin"
    refused = admin_client.post(url, {**data, "labels_en": "18% off"}, HTTP_ACCEPT_LANGUAGE="en")
    assert "en is not a language of this program (fr)." in text(refused)
