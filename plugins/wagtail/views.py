"""Wagtail admin report views: the referral dashboard and the referrals list.

Both are Wagtail ``ReportView``s: native look, CSV/XLSX export, and a permission check
through the permission policy registry (``view`` on referrals).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import django_filters
from django import forms
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.reports import ReportView
from wagtail.admin.widgets import AdminDateInput

from parrain.core.dashboard import DashboardRangeForm, dashboard_context, in_program_zone
from parrain.core.exports import neutralise_formula, safe_value_preprocess
from parrain.core.labels import reason_label
from parrain.core.models import Program, Referral
from parrain.core.models.choices import ReferralStatus
from parrain.core.services import stats

from .columns import ContactColumn, ProgramDateColumn
from .exports import ExportButtonsMixin
from .last_program import remember_program, with_last_program


def _referral_reason(referral: Referral) -> str:
    """Why it waits for review or was cancelled, in words."""
    return reason_label(referral.review_reason or referral.cancel_reason) or ""


CENT = Decimal("0.01")


#: Wagtail admin palette: teal, then a contrasting orange.
WAGTAIL_COLOURS = ("#007d7e", "#e9622e")


class DashboardForm(DashboardRangeForm):
    """The core's range picker (30 days by default, at most 366), with Wagtail's widgets."""

    program = forms.ModelChoiceField(
        Program.objects.all(), label=_("Program"), required=False, empty_label=None
    )
    start = forms.DateField(
        label=pgettext_lazy("date range", "From"), required=False, widget=AdminDateInput
    )
    end = forms.DateField(
        label=pgettext_lazy("date range", "To"), required=False, widget=AdminDateInput
    )

    field_order = ("program", "start", "end")


class DashboardView(ExportButtonsMixin, ReportView):
    """The figures of one program over a date range, daily charts, and the daily table."""

    page_title = _("Referral dashboard")
    header_icon = "pick"
    template_name = "parrain_wagtail/admin/dashboard.html"
    results_template_name = "parrain_wagtail/admin/dashboard_results.html"
    index_url_name = "parrain_wagtail:dashboard"
    index_results_url_name = "parrain_wagtail:dashboard_results"
    model = Referral
    permission_required = "view"
    paginate_by = None
    columns = [
        ProgramDateColumn("day", label=_("Day")),
        Column("invitations", label=_("Invitations")),
        Column("invited_referees", label=_("Invited referees")),
        Column("converted_referees", label=_("Converted referees")),
        Column("revenue", label=_("Revenue")),
        Column("referred_revenue", label=_("Referred revenue")),
    ]
    list_export = [
        "day",
        "invitations",
        "invited_referees",
        "converted_referees",
        "revenue",
        "referred_revenue",
    ]
    export_headings = {column.name: column.label for column in columns}
    custom_value_preprocess = safe_value_preprocess(ReportView.custom_value_preprocess, ("csv",))

    @cached_property
    def form(self) -> DashboardForm:
        return DashboardForm(with_last_program(self.request))

    @cached_property
    def selection(self) -> tuple[Program, date, date] | None:
        if not self.form.is_valid() or self.form.cleaned_data["program"] is None:
            return None
        data = self.form.cleaned_data
        remember_program(self.request, data["program"])
        return data["program"], data["start"], data["end"]

    @cached_property
    def dashboard(self) -> dict[str, Any] | None:
        """The shared dashboard (core/dashboard.py) of the selected program and range."""
        if not self.selection:
            return None
        return dashboard_context(*self.selection, colours=WAGTAIL_COLOURS)

    def get_base_queryset(self) -> list[stats.SeriesPoint]:
        if not self.selection:
            return []
        if self.is_export:  # the daily rows alone
            with in_program_zone(self.selection[0]):  # its days, as the page's
                return stats.series(*self.selection)
        return self.dashboard["series"] if self.dashboard else []

    def order_queryset(self, queryset: list) -> list:
        return queryset

    def filter_queryset(self, queryset: list) -> list:
        return queryset

    def to_row_dict(self, item: stats.SeriesPoint) -> dict[str, Any]:
        row = super().to_row_dict(item)
        return {
            field: value.quantize(CENT) if isinstance(value, Decimal) else value
            for field, value in row.items()
        }

    def get_heading(self, queryset: Any, field: str) -> str:
        return str(self.export_headings[field])

    def get_filename(self) -> str:
        if not self.selection:
            return "referral-dashboard"
        program, start, end = self.selection
        return f"referral-dashboard-{program.slug}-{start:%Y%m%d}-{end:%Y%m%d}"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["dashboard_form"] = self.form
        # AdminDateInput's script (initDateChooser) loads with the page's media, in <head>
        # order, before the form's inline calls run.
        context["media"] = context.get("media", forms.Media()) + self.form.media
        if self.dashboard:
            context.update(self.dashboard)
        return context


class ReferralFilterSet(WagtailFilterSet):
    program = django_filters.ModelChoiceFilter(queryset=Program.objects.all(), label=_("Program"))
    status = django_filters.ChoiceFilter(choices=ReferralStatus.choices, label=_("Status"))

    class Meta:
        model = Referral
        fields = ["program", "status"]


class ReferralReportView(ExportButtonsMixin, ReportView):
    """Every referral, newest first, filtered by program and status."""

    page_title = _("Referrals")
    header_icon = "group"
    index_url_name = "parrain_wagtail:referrals"
    index_results_url_name = "parrain_wagtail:referrals_results"
    model = Referral
    permission_required = "view"
    filterset_class = ReferralFilterSet
    default_ordering = "-invited_at"
    columns = [
        ContactColumn("referee", label=_("Referee"), accessor="referee"),
        ContactColumn("referrer", label=_("Referrer"), accessor="referrer"),
        Column("program", label=_("Program")),
        Column("status", label=_("Status"), accessor="get_status_display"),
        ProgramDateColumn("invited_at", label=_("Invited"), sort_key="invited_at"),
        ProgramDateColumn("converted_at", label=_("Converted"), sort_key="converted_at"),
        Column("reason", label=_("Reason"), accessor=_referral_reason),
    ]
    list_export = [
        "referee.email",
        "referrer.email",
        "program.name",
        "get_status_display",
        "invited_at",
        "registered_at",
        "converted_at",
        "validated_at",
        "rewarded_at",
        "cancelled_at",
        "cancel_reason",
    ]
    custom_value_preprocess = safe_value_preprocess(ReportView.custom_value_preprocess, ("csv",))
    # the reason in words in the exported file too (a code is for the API)
    custom_field_preprocess = {
        "cancel_reason": {
            "csv": lambda value: neutralise_formula(reason_label(value)),
            "xlsx": reason_label,
        },
    }
    export_headings = {
        "referee.email": _("Referee"),
        "referrer.email": _("Referrer"),
        "program.name": _("Program"),
        "get_status_display": _("Status"),
    }

    def get_base_queryset(self) -> Any:
        return Referral.objects.select_related("referee", "referrer", "program")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        if self.filters is not None and self.filters.form.is_valid():
            remember_program(self.request, self.filters.form.cleaned_data.get("program"))
        return context
