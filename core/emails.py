"""Email and phone normalisation shared by contacts and fraud rules."""

from __future__ import annotations

from functools import cache, lru_cache
from importlib.resources import files

import phonenumbers

from .phones import E164, known_valid_e164

GMAIL_DOMAINS = {"gmail.com", "googlemail.com"}


def normalize_email(email: str) -> str:
    """The form two addresses must share to be the same mailbox for us: trimmed, lower case."""
    return email.strip().lower()


def canonical_email(email: str) -> str:
    """The form used to catch self-referral: ``+tags`` dropped, Gmail dots removed."""
    local, _, domain = normalize_email(email).rpartition("@")
    local = local.split("+", 1)[0]
    if domain in GMAIL_DOMAINS:
        local = local.replace(".", "")
        domain = "gmail.com"
    return f"{local}@{domain}"


def email_domain(email: str) -> str:
    return normalize_email(email).rpartition("@")[2]


@cache
def disposable_domains() -> frozenset[str]:
    text = files("parrain.core").joinpath("data/disposable_domains.txt").read_text()
    return frozenset(
        line.strip().lower() for line in text.splitlines() if line.strip() and line[0] != "#"
    )


def is_disposable(email: str, extra: list[str] | tuple[str, ...] = ()) -> bool:
    domain = email_domain(email)
    return domain in disposable_domains() or domain in {d.lower() for d in extra}


@lru_cache(maxsize=100_000)
def normalize_phone(raw: str, region: str | None = "FR") -> str:
    """E.164 form of a phone number; raises ValueError when it is not a valid number.
    Cached (a valid number's answer): the server API's nightly sync sends the same numbers
    again, 10,000 a request, and phonenumbers takes 50 µs for one; a number already in
    E.164 form is checked against its metadata without its parser (``phones``)."""
    if E164.fullmatch(raw) and known_valid_e164(raw):
        return raw
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as exc:
        raise ValueError(f"not a phone number: {raw!r}") from exc
    if not phonenumbers.is_valid_number(number):
        raise ValueError(f"not a valid phone number: {raw!r}")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
