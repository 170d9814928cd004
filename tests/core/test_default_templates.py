"""The shipped templates: one per kind, language and part, each one the sender can use.

A missing or broken default would fail a message the shop never wrote, so every file is
checked here: it exists, its MJML renders, its SMS fits one segment with typical values.
"""

from __future__ import annotations

import re
from pathlib import Path

import mrml
import pytest
from jinja2 import StrictUndefined
from jinja2.sandbox import SandboxedEnvironment

import parrain.core.messaging
from parrain.core.models.choices import MessageKind
from parrain.core.services.confirmation import CONFIRM_VALID

DEFAULTS = Path(parrain.core.messaging.__file__).parent / "defaults"
LANGUAGES = ("fr", "en")
PARTS = ("subject.txt", "email.mjml", "sms.txt")
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
    "points_balance": "120",
    "contest_name": "Printemps",
    "contest_prize": "un panier garni",
    "contest_rules_link": "https://maison-lumiere.fr/parrain/contests/printemps/",
    "boost_label": "Récompense doublée",
    "boost_ends": "2026-06-30",
    "personal_message": "Tu vas adorer leurs lampes !",
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
    "contest_rules_link",
)


def source(kind: str, lang: str, part: str) -> str:
    return (DEFAULTS / f"{kind}.{lang}.{part}").read_text(encoding="utf-8")


def fill(template: str, **values: str) -> str:
    """Rendered as the sandbox does: a name the template uses but the values lack fails."""
    env = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False)
    return env.from_string(template).render({**TYPICAL, **values}).strip()


def septets(text: str) -> int:
    return sum(2 if char in GSM7_EXTENSION else 1 for char in text)


@pytest.mark.parametrize("part", PARTS)
@pytest.mark.parametrize(("kind", "lang"), CASES)
def test_every_kind_has_each_part_in_french_and_english(kind: str, lang: str, part: str) -> None:
    assert source(kind, lang, part).strip(), f"{kind}.{lang}.{part} is empty"


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
