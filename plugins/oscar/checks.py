"""System checks: the shop names the program it runs, and that program exists.

Registered in ``ParrainOscarConfig.ready()``. The program's existence is looked up in the
database when it can be reached: before the first ``migrate`` (no table) or with no
program at all yet (a fresh install, before the admin or ``parrain_demo`` creates one)
it is only a warning, so the commands that create the program still run.
"""

from __future__ import annotations

from typing import Any

from django.core.checks import CheckMessage, Error, Warning
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError
from pydantic import ValidationError

from parrain.core.models import Program

from .conf import oscar_settings
from .program import SETTING_HINT, missing_program_message, unknown_program_message


def check_shop_program(**kwargs: Any) -> list[CheckMessage]:
    try:
        slug = oscar_settings.PROGRAM.strip()
    except ValidationError as exc:
        return [Error(f"PARRAIN_OSCAR is not valid: {exc}", id="parrain_oscar.E003")]
    if not slug:
        return [Error(missing_program_message(), hint=hint(), id="parrain_oscar.E001")]
    try:
        known = list(Program.objects.order_by("slug").values_list("slug", flat=True))
    except (DatabaseError, ImproperlyConfigured):
        return []  # not migrated yet or unreachable: shop_program() says it at first use
    if slug in known:
        return []
    if not known:
        return [
            Warning(
                f"No referral program exists yet; the shop runs {slug!r} once it is created.",
                hint="Create it in the Django admin (Referral program, Programs).",
                id="parrain_oscar.W001",
            )
        ]
    return [Error(unknown_program_message(slug), hint=hint(known), id="parrain_oscar.E002")]


def hint(known: list[str] | None = None) -> str:
    text = f"Set {SETTING_HINT} in your settings"
    return f"{text}, one of: {', '.join(known)}." if known else f"{text}."


def check_search_form_scope(**kwargs: Any) -> list[CheckMessage]:
    """Oscar's own search-form processor leaks its form into other admins' pages."""
    from django.conf import settings

    from .context_processors import OSCAR_SEARCH_FORM

    processors = [
        name
        for engine in settings.TEMPLATES
        for name in engine.get("OPTIONS", {}).get("context_processors", [])
    ]
    if OSCAR_SEARCH_FORM not in processors:
        return []
    return [
        Warning(
            f"{OSCAR_SEARCH_FORM} puts Oscar's search form and its 'Sort by' menu in every "
            "page's context: the Wagtail admin (and any template reading 'search_form') "
            "shows it in its headers.",
            hint=(
                "Replace it in TEMPLATES' context_processors with "
                "'parrain.plugins.oscar.context_processors.search_form' (Oscar's pages only)."
            ),
            id="parrain_oscar.W002",
        )
    ]
