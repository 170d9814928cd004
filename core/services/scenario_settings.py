"""A program's message pressure settings: the weekly cap, quiet hours, minimum gap, and
what every email carries (legal footer per language, shop address, review page).

One door for the API and any admin that does not go through ``ScenarioSettingsForm``:
checked, saved together or not at all, audited ("scenario.settings_changed").
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils.translation import gettext as _

from .. import audit
from ..exceptions import InvalidInput
from ..models import Program
from .texts import per_language

FIELDS = (
    "messages_per_week",
    "quiet_hours_start",
    "quiet_hours_end",
    "min_gap_hours",
    "legal_footer",
    "shop_address",
    "review_url",
)
FOOTER_LENGTH = 1_000


def settings_of(program: Program) -> dict[str, Any]:
    return {field: getattr(program, field) for field in FIELDS}


def update_settings(program: Program, changes: dict[str, Any], *, actor: str) -> Program:
    """Apply ``changes`` (a subset of FIELDS); a refusal names the field and saves nothing."""
    unknown = set(changes) - set(FIELDS)
    if unknown:
        raise InvalidInput(_("This field is not allowed."), field=sorted(unknown)[0])
    values = {**settings_of(program), **changes}
    values["legal_footer"] = per_language(
        program, values["legal_footer"], "legal_footer", FOOTER_LENGTH
    )
    _check_quiet_hours(values["quiet_hours_start"], values["quiet_hours_end"])
    values["review_url"] = _checked_url(values["review_url"] or "")
    values["shop_address"] = (values["shop_address"] or "").strip()
    with transaction.atomic():
        for field, value in values.items():
            setattr(program, field, value)
        program.save(update_fields=list(FIELDS))
        audit.record(
            program,
            "scenario.settings_changed",
            actor=actor,
            message=", ".join(sorted(changes)),
        )
    return program


def _check_quiet_hours(start: Any, end: Any) -> None:
    if (start is None) != (end is None):
        field = "quiet_hours_end" if end is None else "quiet_hours_start"
        raise InvalidInput(
            _("Give both the start and the end of the quiet hours, or neither."), field=field
        )
    if start is not None and start == end:
        raise InvalidInput(
            _("The quiet hours must end at another time than they start."),
            field="quiet_hours_end",
        )


def _checked_url(url: str) -> str:
    url = url.strip()
    if not url:
        return ""
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        raise InvalidInput(
            _("Give a web address starting with https://."), field="review_url"
        ) from None
    return url
