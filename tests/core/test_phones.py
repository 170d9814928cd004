"""The E.164 fast path (core/phones.py) answers as phonenumbers does, for any text.

The slow path is phonenumbers itself: ``parse`` then ``is_valid_number`` then the E.164
form. The fast path may only say "valid, unchanged"; everything else goes the slow way,
so the import's and the API's answers must be the slow path's, number for number.
"""

from __future__ import annotations

import phonenumbers
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from phonenumbers import PhoneNumberType
from phonenumbers.phonenumberutil import (
    COUNTRY_CODE_TO_REGION_CODE,
    COUNTRY_CODES_FOR_NON_GEO_REGIONS,
    SUPPORTED_REGIONS,
)

from parrain.core.emails import normalize_phone
from parrain.core.importing import rows
from parrain.core.phones import E164, known_valid_e164

E164_FORMAT = phonenumbers.PhoneNumberFormat.E164
PROPERTIES = settings(
    max_examples=600,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TYPES = [
    PhoneNumberType.MOBILE,
    PhoneNumberType.FIXED_LINE,
    PhoneNumberType.TOLL_FREE,
    PhoneNumberType.PREMIUM_RATE,
    PhoneNumberType.SHARED_COST,
    PhoneNumberType.VOIP,
    PhoneNumberType.PERSONAL_NUMBER,
    PhoneNumberType.PAGER,
    PhoneNumberType.UAN,
    PhoneNumberType.VOICEMAIL,
]


def _examples() -> list[str]:
    """Every region's example number of every type, and the non-geographic ones."""
    found = []
    for region in sorted(SUPPORTED_REGIONS):
        for kind in TYPES:
            number = phonenumbers.example_number_for_type(region, kind)
            if number is not None:
                found.append(phonenumbers.format_number(number, E164_FORMAT))
    for code in sorted(COUNTRY_CODES_FOR_NON_GEO_REGIONS):
        number = phonenumbers.example_number_for_non_geo_entity(code)
        if number is not None:
            found.append(phonenumbers.format_number(number, E164_FORMAT))
    return found


EXAMPLES = _examples()
CODES = sorted(COUNTRY_CODE_TO_REGION_CODE)


def slow(text: str, region: str | None = "FR") -> str | None:
    """phonenumbers' own answer: the E.164 form of a valid number, else None."""
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, E164_FORMAT)


def fast(text: str) -> str | None:
    """The fast path's answer where it gives one, else phonenumbers' (as the callers do)."""
    if E164.fullmatch(text) and known_valid_e164(text):
        return text
    return slow(text)


def rows_slow(text: str) -> str | None:
    """The import's phone converter without its fast path."""
    compact = text.translate(rows._PHONE_JUNK)
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    return slow(compact)


def assert_same(text: str) -> None:
    expected = slow(text)
    assert fast(text) == expected, text
    assert rows._phone_e164.__wrapped__(text, "FR") == rows_slow(text), text
    if E164.fullmatch(text):
        try:
            answer: str | None = normalize_phone.__wrapped__(text, "FR")
        except ValueError:
            answer = None
        assert answer == expected, text


def test_every_region_example_number_agrees() -> None:
    assert len(EXAMPLES) > 1000
    taken = 0
    for text in EXAMPLES:
        assert_same(text)
        taken += known_valid_e164(text)
    # the fast path does serve most real numbers (not only says "ask phonenumbers")
    assert taken > 0.8 * len(EXAMPLES)


@pytest.mark.parametrize(
    "region",
    # France; +1 (US, Canada, Jamaica); +44 (UK, Isle of Man, Jersey); +7 (Russia,
    # Kazakhstan); Germany; Italy (its fixed lines keep a leading zero); Argentina, Mexico
    ["FR", "US", "CA", "JM", "GB", "IM", "JE", "RU", "KZ", "DE", "IT", "AR", "MX", "BR"],
)
def test_real_numbers_of_many_regions_agree(region: str) -> None:
    for kind in (PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE):
        number = phonenumbers.example_number_for_type(region, kind)
        text = phonenumbers.format_number(number, E164_FORMAT)
        assert slow(text) == text
        assert fast(text) == text
        for other in (text[:-1], text + "5", text[:-3] + "000", text[:-3] + "999"):
            assert_same(other)


def test_french_mobiles_take_the_fast_path_and_italian_zeros_the_slow_one() -> None:
    assert known_valid_e164("+33612345678")
    assert fast("+33612345678") == "+33612345678"
    assert not known_valid_e164("+390612345678")  # Italy's leading zero: the long way
    assert fast("+390612345678") == slow("+390612345678") == "+390612345678"
    assert not known_valid_e164("+3361234567")  # one digit short: invalid
    assert fast("+3361234567") is None


@PROPERTIES
@given(
    st.sampled_from(EXAMPLES),
    st.lists(
        st.tuples(st.integers(min_value=0, max_value=20), st.sampled_from("0123456789x")),
        max_size=3,
    ),
)
def test_mutated_real_numbers_agree(text: str, edits: list[tuple[int, str]]) -> None:
    """A digit changed, added or dropped: lengths and patterns just off a valid number."""
    for position, digit in edits:
        position = 1 + position % len(text)
        if digit == "x":
            text = text[:position] + text[position + 1 :]
        elif position % 2:
            text = text[:position] + digit + text[position:]
        else:
            text = text[:position] + digit + text[position + 1 :]
    assert_same(text)


@PROPERTIES
@given(
    st.sampled_from(CODES),
    st.text(alphabet="0123456789", min_size=0, max_size=16),
)
@example(39, "0612345678")  # Italy's leading zero
@example(39, "06123456789012")
@example(1, "2015550123")
@example(1, "201555012")  # one digit short
@example(1, "1201555012")  # the national prefix
@example(7, "8001234567")  # Russia's national prefix 8 in front of a toll-free number
@example(7, "71234567890")
@example(44, "07400123456")
@example(370, "80012345")  # Lithuania: national prefix 8
@example(54, "91123456789")  # Argentina: a prefix parse() transforms
@example(52, "15512345678")  # Mexico
@example(800, "12345678")  # non-geographic
@example(979, "123456789")
def test_any_country_code_and_digits_agree(code: int, digits: str) -> None:
    assert_same(f"+{code}{digits}")


@PROPERTIES
@given(st.text(alphabet="+0123456789 .-()", max_size=20))
def test_arbitrary_phone_like_text_agrees(text: str) -> None:
    assert_same(text)


@PROPERTIES
@given(st.text(max_size=20))
def test_arbitrary_text_agrees(text: str) -> None:
    assert_same(text)


@pytest.mark.parametrize("text", ["+1", "+33", "+999123456789", "+0612345678", "+", ""])
def test_no_country_or_no_number_is_no_fast_answer(text: str) -> None:
    assert not (E164.fullmatch(text) and known_valid_e164(text))
    assert_same(text)
