"""Texts given per language ({"fr": "…", "en": "…"}), as badges, boosts and contests take
them: checked against the program's languages and a length, blanks dropped."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _

from ..exceptions import InvalidInput
from ..models import Program


def per_language(
    program: Program, value: Any, field: str, length: int, *, required: bool = False
) -> dict[str, str]:
    """The non-blank texts of ``value`` by language; ``required`` asks for the program's
    default language. Refusals name ``field`` or ``field.<language>``."""
    if value is None:
        value = {}
    if not isinstance(value, Mapping):
        raise InvalidInput(_('Give one text per language, e.g. {"fr": …}.'), field=field)
    texts = {str(k): str(v or "").strip() for k, v in value.items()}
    for language, text in texts.items():
        if language not in program.languages:
            raise InvalidInput(
                _("%(language)s is not a language of this program (%(languages)s).")
                % {"language": language, "languages": ", ".join(program.languages)},
                field=f"{field}.{language}",
            )
        if len(text) > length:
            raise InvalidInput(
                _("At most %(length)s characters.") % {"length": length},
                field=f"{field}.{language}",
            )
    if required and not texts.get(program.default_language):
        raise InvalidInput(
            _("Give the name in %(language)s, the program's default language.")
            % {"language": program.default_language},
            field=f"{field}.{program.default_language}",
        )
    return {language: text for language, text in texts.items() if text}
