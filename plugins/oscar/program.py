"""Which Parrain program this Oscar shop runs: the one ``PARRAIN_OSCAR["PROGRAM"]`` names.

There is no default. An install can hold several programs (one per brand, per language),
and a shop that picked "the first one" would accept the vouchers and record the orders of
whichever program happens to be first. The system check (``checks.py``) refuses to start
without a known slug; if checks are skipped, the first use raises the same message.
"""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

from parrain.core.models import Program

from .conf import oscar_settings

SETTING_HINT = 'PARRAIN_OSCAR = {"PROGRAM": "<slug>"}'
FIX_UNKNOWN = "Set it to the slug of an existing program (Django admin, Referral program)."


def shop_program_slug() -> str:
    """The configured slug; raises ``ImproperlyConfigured`` when it is not set."""
    slug = oscar_settings.PROGRAM.strip()
    if not slug:
        raise ImproperlyConfigured(f"{missing_program_message()} Add {SETTING_HINT}.")
    return slug


def is_shop_program(program: Program) -> bool:
    return program.slug == shop_program_slug()


def shop_program() -> Program | None:
    """The shop's program, or ``None`` while it is paused (not active).

    Raises ``ImproperlyConfigured`` when the setting is missing or names no program.
    """
    slug = shop_program_slug()
    program = Program.objects.filter(slug=slug).first()
    if program is None:
        raise ImproperlyConfigured(f"{unknown_program_message(slug)} {FIX_UNKNOWN}")
    return program if program.is_active else None


def missing_program_message() -> str:
    return (
        "PARRAIN_OSCAR['PROGRAM'] is not set: the Oscar shop must name the referral program "
        "it runs."
    )


def unknown_program_message(slug: str) -> str:
    return f"PARRAIN_OSCAR['PROGRAM'] names {slug!r}, but no referral program has that slug."
