"""CSV and XLSX downloads shown as header buttons on the referral reports.

Wagtail's ``ReportView`` puts its "Download CSV" and "Download XLSX" links in the header's
"…" menu, where editors do not find them; the referral reports show them as buttons beside
the title, with the page's current filters.
"""

from __future__ import annotations

from typing import Any

from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from wagtail.admin.widgets import HeaderButton


class ExportButtonsMixin:
    """For a ``ReportView`` (or any view with Wagtail's ``SpreadsheetExportMixin``)."""

    show_export_buttons: bool
    csv_export_url: str
    xlsx_export_url: str

    @cached_property
    def header_buttons(self) -> list[Any]:
        buttons = list(super().header_buttons)  # type: ignore[misc]
        if self.show_export_buttons:
            buttons += [
                HeaderButton(
                    _("Download CSV"), url=self.csv_export_url, icon_name="download", priority=90
                ),
                HeaderButton(
                    _("Download XLSX"), url=self.xlsx_export_url, icon_name="download", priority=100
                ),
            ]
        return buttons

    @cached_property
    def header_more_buttons(self) -> list[Any]:
        exports = {self.csv_export_url, self.xlsx_export_url}
        return [
            button
            for button in super().header_more_buttons  # type: ignore[misc]
            if button.url not in exports
        ]
