"""The program editor's form layer (core/forms/program.py), the one every admin wraps: each
widget's valid and invalid input, a clear error beside the field, nothing stored lost."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.http import QueryDict
from django.utils import translation

from parrain.core.factories import ProgramFactory
from parrain.core.forms.program import SECTIONS, ProgramForm
from parrain.core.models import AuditEvent, Program
from parrain.core.services import program_setup

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def posted(**values: Any) -> QueryDict:
    """A complete new-program POST; lists as lists, like a browser sends them."""
    data: dict[str, Any] = {
        "name": "Maison Test",
        "slug": "maison-test",
        "is_active": "on",
        "currency": "EUR",
        "time_zone": "Europe/Paris",
        "languages": ["fr", "en"],
        "default_language": "fr",
        "brand_colour": "#aa3300",
        "share_channels": ["whatsapp", "email", "link"],
        "allowed_origins": ["https://shop.example", ""],
        "consent_texts_fr": "J'accepte d'être recontacté.",
        "consent_texts_en": "I agree to be contacted again.",
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
        "referrer_value": "10",
        "referrer_validity_days": "90",
        "referrer_labels_fr": "10 € offerts",
        "referee_kind": "percentage",
        "referee_value": "15",
        "referee_minimum_order_amount": "30",
        "referee_validity_days": "60",
        "referee_labels_fr": "-15 % sur votre première commande",
        "referee_labels_en": "15% off your first order",
    }
    data.update(values)
    query = QueryDict(mutable=True)
    for key, value in data.items():
        if value is None:
            continue
        query.setlist(key, value if isinstance(value, list) else [value])
    return query


def errors_of(form: ProgramForm) -> dict[str, list[str]]:
    return {name: [str(m) for m in messages] for name, messages in form.errors.items()}


def test_new_program_with_both_offers_is_created_and_audited() -> None:
    form = ProgramForm(posted())
    assert form.is_valid(), errors_of(form)

    program = form.save(actor="owner")

    program.refresh_from_db()
    assert program.share_channels == ["whatsapp", "email", "link"]  # the order posted
    assert program.allowed_origins == ["https://shop.example"]
    assert program.consent_texts == {
        "fr": "J'accepte d'être recontacté.",
        "en": "I agree to be contacted again.",
    }
    assert program.brand_colour == "#aa3300"
    referrer, referee = program.rule("referrer"), program.rule("referee")
    assert (referrer.kind, referrer.value, referrer.labels) == (
        "fixed_amount",
        Decimal("10"),
        {"fr": "10 € offerts"},
    )
    assert (referee.minimum_order_amount, referee.validity_days) == (Decimal("30"), 60)
    assert referee.labels["en"] == "15% off your first order"
    actions = set(AuditEvent.objects.filter(program=program).values_list("action", "actor"))
    assert actions == {
        ("program.created", "owner"),
        ("reward_rule.created", "owner"),
    }


def test_edit_form_shows_the_stored_program_without_json() -> None:
    program = ProgramFactory(
        share_channels=["sms", "email"], consent_texts={"fr": "Oui", "en": "Yes"}
    )
    with translation.override("en"):
        page = ProgramForm(instance=program).as_div()

    assert "{" not in page.split("consent_texts")[1][:2000]  # no JSON in the consent inputs
    # the checked channels first, in the stored order, then the others
    assert page.index('value="sms"') < page.index('value="email"') < page.index('value="qr"')
    assert (
        'name="consent_texts_en" id="id_consent_texts_en" rows="2" lang="en" '
        'data-language="en">Yes<' in page
    )
    assert 'type="color"' in page
    assert 'name="referrer_value"' in page and 'value="10.00"' in page


def test_channel_order_is_kept_and_an_unknown_channel_is_refused() -> None:
    program = ProgramFactory()
    form = ProgramForm(posted(slug=program.slug, share_channels=["qr", "sms"]), instance=program)
    assert form.is_valid(), errors_of(form)
    form.save(actor="owner")
    program.refresh_from_db()
    assert program.share_channels == ["qr", "sms"]

    with translation.override("en"):
        bad = ProgramForm(
            posted(slug=program.slug, share_channels=["sms", "pigeon"]), instance=program
        )
        assert not bad.is_valid()
        assert "Select a valid choice. pigeon is not one of the available choices." in str(
            bad.errors["share_channels"]
        )
    program.refresh_from_db()
    assert program.share_channels == ["qr", "sms"]


@pytest.mark.parametrize(
    ("origin", "saved"),
    [
        ("https://Shop.Example/", "https://shop.example"),
        ("http://localhost:8201", "http://localhost:8201"),
        ("https://shop.example:443", "https://shop.example"),
    ],
)
def test_origins_are_written_the_canonical_way(origin: str, saved: str) -> None:
    form = ProgramForm(posted(allowed_origins=[origin, "", origin]))
    assert form.is_valid(), errors_of(form)
    assert form.save(actor="owner").allowed_origins == [saved]


@pytest.mark.parametrize(
    "origin", ["https://shop.example/parrainage", "shop.example", "ftp://shop.example", "https://"]
)
def test_an_origin_with_a_path_or_no_scheme_is_refused_with_its_value(origin: str) -> None:
    program = ProgramFactory()
    with translation.override("en"):
        form = ProgramForm(
            posted(slug=program.slug, allowed_origins=["https://ok.example", origin]),
            instance=program,
        )
        assert not form.is_valid()
        message = " ".join(form.errors["allowed_origins"])
    assert f"{origin} is not an origin" in message and "(no path)" in message
    program.refresh_from_db()
    assert program.allowed_origins == ["https://shop.example"]  # nothing stored lost


def test_languages_must_be_known_and_hold_the_default() -> None:
    with translation.override("en"):
        unknown = ProgramForm(posted(languages=["fr", "xx"]))
        assert not unknown.is_valid()
        assert "xx" in str(unknown.errors["languages"])

        without_default = ProgramForm(posted(languages=["en"], default_language="fr"))
        assert not without_default.is_valid()
        assert errors_of(without_default)["default_language"] == [
            "The default language must be one of the program's languages (en)."
        ]
        assert not Program.objects.filter(slug="maison-test").exists()


def test_per_language_inputs_follow_the_chosen_languages() -> None:
    program = ProgramFactory(languages=["fr"], default_language="fr", consent_texts={"fr": "Oui"})
    page = ProgramForm(instance=program).as_div()
    # every known language has its input; the ones the program does not speak are hidden
    assert 'data-parrain-language="fr">' in page
    assert 'data-parrain-language="en" hidden' in page
    # a language taken off takes its texts with it; the other language's text is a hint
    form = ProgramForm(posted(slug=program.slug, languages=["fr"]), instance=program)
    assert form.is_valid(), errors_of(form)
    form.save(actor="owner")
    program.refresh_from_db()
    assert program.consent_texts == {"fr": "J'accepte d'être recontacté."}
    assert program.rule("referee").labels == {"fr": "-15 % sur votre première commande"}
    hinted = ProgramForm(instance=ProgramFactory(consent_texts={"fr": "Oui", "en": "Yes"})).as_div()
    assert '<span data-hint-text lang="en">Yes</span>' in hinted


def test_too_long_text_and_bad_colour_are_refused_beside_their_field() -> None:
    with translation.override("en"):
        form = ProgramForm(
            posted(consent_texts_en="x" * 501, brand_colour="blue", referrer_labels_fr="y" * 121)
        )
        assert not form.is_valid()
        errors = errors_of(form)
    assert errors["consent_texts"] == ["en: at most 500 characters."]
    assert errors["brand_colour"] == ["A colour like #1f6feb."]
    assert errors["referrer_labels"] == ["fr: at most 120 characters."]


def test_offer_checks_are_the_models_and_show_in_their_block() -> None:
    program = ProgramFactory()
    with translation.override("en"):
        form = ProgramForm(
            posted(
                slug=program.slug,
                name="Renamed",
                referee_value="150",
                referrer_kind="free_product",
                referrer_product_ref="",
            ),
            instance=program,
        )
        assert not form.is_valid()
        errors = errors_of(form)
    assert errors["referee_value"] == ["A percentage is at most 100."]
    assert errors["referrer_product_ref"] == ["Give the free product's reference."]
    program.refresh_from_db()
    assert program.name != "Renamed"
    assert program.rule("referee").value == Decimal("15")


def test_no_offer_switches_the_current_rule_off_and_edits_in_place() -> None:
    program = ProgramFactory()
    referee = program.rule("referee")
    form = ProgramForm(
        posted(slug=program.slug, referrer_kind="", referee_value="20"), instance=program
    )
    assert form.is_valid(), errors_of(form)
    form.save(actor="owner")

    assert program.rule("referrer") is None
    assert program.rule("referee").pk == referee.pk
    assert program.rule("referee").value == Decimal("20")
    updated = AuditEvent.objects.filter(program=program, action="program.updated").get()
    assert "share_channels" in updated.data["fields"]


def test_the_management_api_door_applies_the_same_rules() -> None:
    program = ProgramFactory()
    with pytest.raises(Exception) as refused:
        program_setup.update_program(
            program, {"allowed_origins": ["https://shop.example/page"]}, actor="api:mk_x"
        )
    assert "allowed_origins" in refused.value.message_dict
    program.refresh_from_db()
    assert program.allowed_origins == ["https://shop.example"]


def test_a_new_program_starts_from_the_models_defaults() -> None:
    form = ProgramForm()
    assert form["share_channels"].value() == Program().share_channels
    assert form["languages"].value() == ["fr", "en"]
    assert 'value="email" id="id_share_channels_email" checked' in str(form["share_channels"])
    assert form["brand_colour"].value() == "#1f6feb"


def test_taking_a_language_off_keeps_the_email_footer_in_step() -> None:
    program = ProgramFactory(legal_footer={"fr": "SAS Lune, Paris", "en": "Lune Ltd, Paris"})
    form = ProgramForm(posted(slug=program.slug, languages=["fr"]), instance=program)
    assert form.is_valid(), errors_of(form)
    form.save(actor="owner")
    program.refresh_from_db()
    assert (program.languages, program.legal_footer) == (["fr"], {"fr": "SAS Lune, Paris"})


def test_the_owner_email_is_edited_with_the_program_and_checked() -> None:
    form = ProgramForm(posted(owner_email="owner@maison.example"))
    assert form.is_valid(), errors_of(form)
    program = form.save(actor="owner")
    program.refresh_from_db()
    assert program.owner_email == "owner@maison.example"

    with translation.override("en"):
        refused = ProgramForm(posted(slug="other", owner_email="not an address"))
        assert "owner_email" in errors_of(refused)
    assert any("owner_email" in names for _heading, names in SECTIONS)  # Oscar, Wagtail
