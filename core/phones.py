"""Phone numbers already in E.164 form, validated without phonenumbers' parser.

Imports and the server API mostly receive numbers as ``+336…``: ``phonenumbers.parse``
then ``is_valid_number`` cost about 50 µs a number, most of it in ``is_valid_number``
trying each number type's pattern in turn (eleven regular expressions, each looked up in
a cache by its text). :func:`known_valid_e164` answers the same question from the same
metadata with each region's patterns compiled once and the number types' patterns joined
into one expression per number length: a few µs.

It only ever says "valid, and ``parse`` would give this very number back": any doubt (a
national number starting with 0, as Italy's; one that starts like the country's national
prefix, which ``parse`` may strip; a country code without metadata) answers ``False`` and
the caller asks phonenumbers. tests/core/test_phones.py checks with Hypothesis that the
answers are phonenumbers' own.
"""

from __future__ import annotations

import re
from functools import cache

from phonenumbers import PhoneMetadata
from phonenumbers.phonenumberutil import (
    COUNTRY_CODE_TO_REGION_CODE,
    REGION_CODE_FOR_NON_GEO_ENTITY,
)

#: ``+``, a country code and the national number: 7 to 15 digits, no leading 0.
E164 = re.compile(r"\+[1-9]\d{6,14}")

#: The number types ``phonenumbers._number_type_helper`` tries, besides fixed line and
#: mobile (a number is valid when it fits the general description and one of them).
_TYPES = (
    "premium_rate",
    "toll_free",
    "shared_cost",
    "voip",
    "personal_number",
    "pager",
    "uan",
    "voicemail",
    "fixed_line",
)


class _Checker:
    """``_number_type_helper(nsn, metadata) != UNKNOWN`` for one region's metadata."""

    __slots__ = ("by_length", "general", "general_lengths", "types")

    def __init__(self, metadata: PhoneMetadata) -> None:
        general = metadata.general_desc
        self.general = _pattern(general)
        self.general_lengths = frozenset(general.possible_length) if general else frozenset()
        descs = [getattr(metadata, name) for name in _TYPES]
        if not metadata.same_mobile_and_fixed_line_pattern:
            descs.append(metadata.mobile)  # else only ever tried through fixed_line
        # (lengths or None for any, pattern text) of every type with a pattern
        self.types = [
            (frozenset(d.possible_length) or None, d.national_number_pattern)
            for d in descs
            if d is not None and d.national_number_pattern
        ]
        self.by_length: dict[int, re.Pattern[str] | None] = {}

    def union(self, length: int) -> re.Pattern[str] | None:
        """One expression matching what any type of that length matches."""
        if length not in self.by_length:
            texts = [text for lengths, text in self.types if lengths is None or length in lengths]
            self.by_length[length] = (
                re.compile("|".join(f"(?:{text})" for text in texts)) if texts else None
            )
        return self.by_length[length]

    def valid(self, nsn: str) -> bool:
        if self.general is None:
            return False
        length = len(nsn)
        if self.general_lengths and length not in self.general_lengths:
            return False
        if self.general.fullmatch(nsn) is None:
            return False
        union = self.union(length)
        return union is not None and union.fullmatch(nsn) is not None


def _pattern(desc: object) -> re.Pattern[str] | None:
    text = getattr(desc, "national_number_pattern", None)
    return re.compile(text) if text else None


class _Country:
    """What ``parse`` and ``is_valid_number`` read for one country calling code."""

    __slots__ = ("prefix", "regions", "single", "sure")

    def __init__(self, code: int) -> None:
        regions = COUNTRY_CODE_TO_REGION_CODE[code]
        main = PhoneMetadata.metadata_for_region_or_calling_code(code, regions[0])
        # parse() strips a national prefix with the main region's metadata
        self.sure = main is not None
        prefix = main.national_prefix_for_parsing if main is not None else None
        self.prefix = re.compile(prefix) if prefix else None
        # One region: is_valid_number_for_region with it (None: never valid).
        self.single: _Checker | None = None
        if len(regions) == 1 and main is not None:
            if regions[0] == REGION_CODE_FOR_NON_GEO_ENTITY or main.country_code == code:
                self.single = _Checker(main)
        # Several: region_code_for_number tries them in order, by their leading digits
        # when they have some, else by the full check; the region found is then checked.
        self.regions: list[tuple[re.Pattern[str] | None, _Checker]] = []
        if len(regions) > 1:
            for region in regions:
                metadata = PhoneMetadata.metadata_for_region(region.upper(), None)
                if metadata is None:
                    continue
                if metadata.country_code != code:
                    self.sure = False  # never seen; let phonenumbers decide
                leading = re.compile(metadata.leading_digits) if metadata.leading_digits else None
                self.regions.append((leading, _Checker(metadata)))

    def valid(self, nsn: str) -> bool:
        if not self.sure:
            return False
        if self.prefix is not None:
            found = self.prefix.match(nsn)
            if found and (found.end() or any(g is not None for g in found.groups())):
                return False  # parse() might strip it: ask phonenumbers
        if not self.regions:
            return self.single is not None and self.single.valid(nsn)
        for leading, checker in self.regions:
            if leading is not None:
                if leading.match(nsn):
                    return checker.valid(nsn)
            elif checker.valid(nsn):
                return True
        return False


@cache
def _country(code: int) -> _Country:
    return _Country(code)


def known_valid_e164(text: str) -> bool:
    """True when ``text`` (matching :data:`E164`) is a valid number that
    ``phonenumbers.parse`` would read back as the same E.164 text; False when it is not
    valid or when only phonenumbers can tell (the caller then asks it)."""
    for length in (1, 2, 3):
        code = int(text[1 : 1 + length])
        if code in COUNTRY_CODE_TO_REGION_CODE:
            nsn = text[1 + length :]
            if nsn.startswith("0"):
                return False  # Italy's leading zeros, and the like
            return _country(code).valid(nsn)
    return False
