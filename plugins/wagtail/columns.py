"""Table columns for the referral snippets."""

from __future__ import annotations

from typing import Any

from django.utils import formats, timezone
from wagtail.admin.ui.tables import Column


class ProgramDateColumn(Column):
    """A date and time in the row's program time zone, e.g. "10/12/2026 00:00".

    Wagtail's ``DateColumn`` says "3 weeks ago", which reads wrong for a boost or a draw in
    the future ("0 minutes ago") and hides the day the shop owner chose."""

    def get_value(self, instance: Any) -> str:
        value = super().get_value(instance)
        if not value:
            return ""
        program = getattr(instance, "program", None)
        zone = program.tz() if program is not None else None
        return formats.date_format(timezone.localtime(value, zone), "SHORT_DATETIME_FORMAT")
