"""The shipped templates: one per kind, language and part, each one the sender can use.

A missing or broken default would fail a message the shop never wrote, so every file is
checked here: it exists, its MJML renders, its SMS fits one segment with typical values.
"""

from __future__ import annotations

import re
from pathlib import Path

import mrml
import pytest

import parrain.core.messaging
from parrain.core.factories import ProgramFactory
from parrain.core.messaging import mjml, render, templates
from parrain.core.models.choices import MessageChannel, MessageKind
from parrain.core.services.confirmation import CONFIRM_VALID

DEFAULTS = Path(parrain.core.messaging.__file__).parent / "defaults"
LANGUAGES = ("fr", "en")
PARTS = ("subject.txt", "email.mjml", "sms.txt")
# The part each file is for ``render.check``.
CHECKED_AS = {"subject.txt": "subject", "email.mjml": "html", "sms.txt": "sms"}
CASES = [(kind.value, lang) for kind in MessageKind for lang in LANGUAGES]

# GSM 03.38 basic set (extension characters, which count two, listed apart).
GSM7 = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = set("^{}\\[~]|€")

# Values of typical length: what a real message carries (a shop's share link, a code…).
TYPICAL = {
    "contact_first_name": "Camille",
    "referrer_first_name": "Alice",
    "friend_first_name": "Hugo",
    "offer_referrer": "15 € de remise",
    "offer_referee": "10 € de remise",
    "welcome_code": "BIENV-7Q2K",
    "welcome_expiry": "2026-12-31",
    "share_link": "https://maison-lumiere.fr/r/alice-7q2k",
    "reward_code": "MERCI-9XW4",
    "reward_label": "15 € de remise",
    "reward_expiry": "2026-12-31",
    "badge_name": "Ambassadeur",
    "next_badge_name": "Grand ambassadeur",
    "next_badge_missing": "encore 30 points",
    "points_balance": "120",
    "contest_name": "Printemps",
    "contest_prize": "un panier garni",
    "contest_rules_link": "https://maison-lumiere.fr/parrain/contests/printemps/",
    "boost_label": "Récompense doublée",
    "boost_ends": "2026-06-30",
    "personal_message": "Tu vas adorer leurs lampes !",
    "held_invitations": "4",
    "confirm_link": "https://maison-lumiere.fr/parrain/confirm/AbCdEf123456/",
    "review_link": "https://maison-lumiere.fr/avis/1234",
    "unsubscribe_link": "https://maison-lumiere.fr/parrain/unsubscribe/AbCdEf123456/",
    "shop_name": "Maison Lumière",
    "shop_address": "12 rue des Lilas, 75011 Paris",
    "program_name": "Maison Lumière",
}
NAMES = ("contact_first_name", "referrer_first_name", "friend_first_name")
# Values a message may lack: a friend who has not claimed yet has no welcome code, a prize
# handed over in person no code, a boost may have no end, a referrer no points.
OPTIONAL = (
    "welcome_code",
    "welcome_expiry",
    "reward_code",
    "reward_expiry",
    "boost_ends",
    "points_balance",
    "next_badge_name",
    "next_badge_missing",
    "contest_rules_link",
    "held_invitations",
)


def source(kind: str, lang: str, part: str) -> str:
    return (DEFAULTS / f"{kind}.{lang}.{part}").read_text(encoding="utf-8")


def fill(template: str, **values: str) -> str:
    """Rendered by the sender's sandbox: a name the template uses but the values lack fails."""
    return render.render(template, {**TYPICAL, **values}, html=False).strip()


def septets(text: str) -> int:
    return sum(2 if char in GSM7_EXTENSION else 1 for char in text)


@pytest.mark.parametrize("part", PARTS)
@pytest.mark.parametrize(("kind", "lang"), CASES)
def test_every_kind_has_each_part_in_french_and_english(kind: str, lang: str, part: str) -> None:
    assert source(kind, lang, part).strip(), f"{kind}.{lang}.{part} is empty"


@pytest.mark.parametrize("part", PARTS)
@pytest.mark.parametrize(("kind", "lang"), CASES)
def test_passes_the_check_an_owners_template_must_pass(kind: str, lang: str, part: str) -> None:
    """Only the variables its kind offers, no refused construct: an owner who starts from
    the default and saves it unchanged is never refused."""
    assert render.check(source(kind, lang, part), kind=kind, part=CHECKED_AS[part]) == []


@pytest.mark.django_db
@pytest.mark.parametrize(("kind", "lang"), CASES)
def test_email_composes_in_the_layout_with_example_values(kind: str, lang: str) -> None:
    program = ProgramFactory(name="Maison Lumière", languages=["fr", "en"])

    email = templates.preview(program, kind, MessageChannel.EMAIL, lang)
    sms = templates.preview(program, kind, MessageChannel.SMS, lang)

    assert email.subject and "{" not in email.subject
    for text in (email.html, email.text, sms.text):
        assert "{{" not in text and "{%" not in text
    assert "Maison Lumière" in email.html and "Maison Lumière" in email.text
    assert email.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


@pytest.mark.parametrize(("kind", "lang"), CASES)
def test_subject_is_one_line_without_a_persons_name(kind: str, lang: str) -> None:
    subject = source(kind, lang, "subject.txt").strip()
    assert "\n" not in subject
    assert not re.search(r"\w+_first_name", subject), "no person's name ever in a subject"
    assert len(fill(subject)) <= 78


@pytest.mark.parametrize(("kind", "lang"), CASES)
def test_email_body_is_sections_that_mrml_renders_with_variables_intact(
    kind: str, lang: str
) -> None:
    body = source(kind, lang, "email.mjml")
    outside_sections = re.sub(r"<mj-section\b.*?</mj-section>", "", body, flags=re.DOTALL)
    outside_sections = re.sub(r"\{%-?.*?-?%\}", "", outside_sections)
    assert outside_sections.strip() == "", "a fragment holds mj-section elements only"

    html = mrml.to_html(f"<mjml><mj-body>{body}</mj-body></mjml>").content

    assert "<table" in html
    for name in set(re.findall(r"\{\{\s*(\w+)\s*\}\}", body)):
        assert re.search(r"\{\{\s*" + name + r"\s*\}\}", html), f"{name} lost by mrml"
    filled = fill(html)
    assert TYPICAL["shop_name"] in filled


@pytest.mark.parametrize("lacking", ((), OPTIONAL), ids=("all values", "optional ones empty"))
@pytest.mark.parametrize(("kind", "lang"), CASES)
def test_sms_fits_one_gsm7_segment_with_typical_values(
    kind: str, lang: str, lacking: tuple[str, ...]
) -> None:
    template = source(kind, lang, "sms.txt").strip()
    text = fill(template, **dict.fromkeys(lacking, ""))

    assert "\n" not in text
    assert set(text) <= GSM7 | GSM7_EXTENSION, set(text) - GSM7 - GSM7_EXTENSION
    assert septets(text) <= 160, f"{septets(text)} septets: {text}"


@pytest.mark.parametrize("part", ("email.mjml", "sms.txt"))
@pytest.mark.parametrize(("kind", "lang"), CASES)
def test_names_left_empty_read_as_neutral_wording(kind: str, lang: str, part: str) -> None:
    """The sender blanks a "name" that is not one: the sentence still reads."""
    text = fill(source(kind, lang, part), **dict.fromkeys(NAMES, ""))

    assert not re.search(r"\s[,.:!?]", text.replace(" :", "").replace(" !", "").replace(" ?", ""))
    assert "  " not in re.sub(r"\s+\n|\n\s+", "\n", text)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_confirmation_states_how_long_the_link_is_valid(lang: str) -> None:
    days = f"{CONFIRM_VALID.days} "
    assert days in source("confirmation", lang, "email.mjml")
    assert days in source("confirmation", lang, "sms.txt")


def test_no_default_file_for_a_kind_that_does_not_exist() -> None:
    kinds = {path.name.split(".")[0] for path in DEFAULTS.iterdir()}
    assert kinds - {"_layout"} <= {kind.value for kind in MessageKind}


# Values that HTML escapes, spaces and lines the text tidies, braces Jinja would read.
AWKWARD = {
    "contact_first_name": "  Zoé & <Léa> ",
    "personal_message": "Ligne 1\n\n\n  Ligne {{ 2 }} {% raw %}",
    "offer_referee": '10 € "offerts" & plus',
    "shop_name": "A&B {shop}",
}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "values",
    [{}, dict.fromkeys(OPTIONAL, ""), AWKWARD],
    ids=("typical", "optional ones empty", "awkward"),
)
@pytest.mark.parametrize(("kind", "lang"), CASES)
def test_text_part_is_the_text_of_the_html_for_every_message(
    kind: str, lang: str, values: dict[str, str]
) -> None:
    """The text part is made from a text template derived once from the email (fast); for
    every message it is the text of that message's HTML, and the defaults all use it."""
    program = ProgramFactory(
        name="Maison Lumière",
        legal_footer={"fr": "Maison Lumière SAS\nRCS Paris 123", "en": "Maison Lumière Ltd"},
        shop_address="12 rue des Lilas\n75011 Paris",
    )
    resolved = templates.template_for(program, kind, MessageChannel.EMAIL, lang)
    templates._TEXT.clear()
    for variables in (TYPICAL, {**TYPICAL, **values}):
        email = templates.build(
            program,
            MessageChannel.EMAIL,
            lang,
            resolved,
            variables,
            to="camille@example.org",
            unsubscribe_link=variables["unsubscribe_link"],
        )
        assert email.text == mjml.html_to_text(email.html)
    assert templates._TEXT[(lang, resolved.html)] is not None


@pytest.mark.django_db
def test_an_owners_html_with_braces_and_self_labelled_links_keeps_its_text() -> None:
    program = ProgramFactory(name="Maison Lumière")
    html = (
        "<h1>Bonjour {{ contact_first_name }} {curly}</h1><p>&#123;&#123; not a tag }}</p>"
        '<p><a href="{{ share_link }}">{{ share_link }}</a> <a href="#top">haut</a></p>'
        "{% if welcome_code %}<p>Code : {{ welcome_code }}</p>{% else %}<p>Sans code</p>"
        "{% endif %}"
    )
    resolved = templates.Resolved("Sujet", html, "", is_default=False)
    templates._TEXT.clear()
    for code in ("", "BIENV-1", ""):
        variables = {**TYPICAL, "welcome_code": code}
        email = templates.build(
            program,
            MessageChannel.EMAIL,
            "fr",
            resolved,
            variables,
            to="camille@example.org",
            unsubscribe_link=TYPICAL["unsubscribe_link"],
        )
        assert email.text == mjml.html_to_text(email.html)
        assert "{{ not a tag }}" in email.text and ("BIENV-1" in email.text) == bool(code)
    assert templates._TEXT[("fr", html)] is not None
