"""Badges in the Wagtail admin's Referral menu: the viewset, the holders, holders over time.

Every change goes through ``core.services.badge_setup`` (see :mod:`.badge_forms`); a
refusal of the service shows on the form and leaves nothing stored. The reports take the
badge permissions of Django (``view`` on badges) through Wagtail's permission policies.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.contrib import messages
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.panels import ObjectList
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.reports import ReportView
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.snippets.views import snippets

from parrain.core.charts import line_chart
from parrain.core.exceptions import InvalidInput
from parrain.core.exports import safe_value_preprocess
from parrain.core.models import Badge, BadgeHolding, BadgeRecompute, Program
from parrain.core.services import badge_setup, stats

from .badge_forms import BadgeForm, badge_panels
from .columns import ProgramDateColumn, YesNoColumn
from .exports import ExportButtonsMixin
from .last_program import remember_program, with_last_program
from .permissions import actor
from .views import DashboardForm

HOLDERS_URL = "parrain_wagtail:badge_holders"


def latest_recompute(program: Program | None) -> BadgeRecompute | None:
    if program is None:
        return None
    return BadgeRecompute.objects.filter(program=program).order_by("-created_at", "-pk").first()


class ServiceErrorsMixin:
    """A refusal of ``badge_setup`` while saving: shown on the form, the save rolled back
    (the generic view saves inside ``transaction.atomic``)."""

    def form_valid(self, form: Any) -> HttpResponse:
        try:
            response = super().form_valid(form)  # type: ignore[misc]
        except InvalidInput as error:
            form.add_service_error(error)
            self.produced_error_code = "validation_error"
            self.produced_error_message = self.get_error_message()  # type: ignore[attr-defined]
            return self.form_invalid(form)  # type: ignore[attr-defined]
        self._tell_recompute(form.instance)
        return response

    def _tell_recompute(self, badge: Badge) -> None:
        recompute = latest_recompute(badge.program)
        if recompute is None or recompute.state not in ("queued", "running"):
            return
        messages.info(
            self.request,  # type: ignore[attr-defined]
            format_html(
                '{} <a href="{}?program={}">{}</a>',
                _("The program's contacts are being re-evaluated in the background."),
                reverse(HOLDERS_URL),
                badge.program_id,
                _("Follow the progress"),
            ),
        )


class BadgeCreateView(ServiceErrorsMixin, snippets.CreateView):
    pass


class BadgeEditView(ServiceErrorsMixin, snippets.EditView):
    pass


class BadgeDeleteView(snippets.DeleteView):
    """Deleting goes through the service, which refuses while another badge requires it."""

    def delete_action(self) -> None:
        badge_setup.delete_badge(self.object, actor=actor(self.request.user))

    def form_valid(self, form: Any) -> HttpResponse:
        try:
            return super().form_valid(form)
        except InvalidInput as error:
            messages.error(self.request, error.message)
            return HttpResponseRedirect(self.get_success_url())


class HoldersColumn(Column):
    """The number of current holders, linked to their list."""

    cell_template_name = "parrain_wagtail/admin/holders_cell.html"

    def get_cell_context_data(self, instance: Badge, parent_context: dict) -> dict:
        context = super().get_cell_context_data(instance, parent_context)
        context["url"] = f"{reverse(HOLDERS_URL)}?badge={instance.pk}"
        return context


class BadgeViewSet(snippets.SnippetViewSet):
    model = Badge
    icon = "pick"
    menu_label = _("Badges")
    add_view_class = BadgeCreateView
    edit_view_class = BadgeEditView
    delete_view_class = BadgeDeleteView
    copy_view_enabled = False
    list_display = [
        "__str__",
        "program",
        "rank",
        YesNoColumn("is_active", label=_("Active"), sort_key="is_active"),
        YesNoColumn("keep_once_earned", label=_("Kept once earned"), sort_key="keep_once_earned"),
        HoldersColumn("holders", label=_("Holders"), sort_key="holders"),
    ]
    list_filter = ["program", "is_active"]
    ordering = ["program", "rank", "pk"]

    def get_edit_handler(self) -> ObjectList:
        return ObjectList(badge_panels(), base_form_class=BadgeForm).bind_to_model(Badge)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Badge]:
        return Badge.objects.select_related("program").annotate(
            holders=Count("holdings", filter=Q(holdings__lost_at=None))
        )


# Reports


class HolderFilterSet(WagtailFilterSet):
    program = django_filters.ModelChoiceFilter(
        queryset=Program.objects.all(), field_name="badge__program", label=_("Program")
    )
    badge = django_filters.ModelChoiceFilter(
        queryset=Badge.objects.select_related("program"), label=_("Badge")
    )
    held = django_filters.BooleanFilter(
        field_name="lost_at", lookup_expr="isnull", label=_("Held now")
    )

    class Meta:
        model = BadgeHolding
        fields = ["program", "badge", "held"]


class BadgeHoldersView(ExportButtonsMixin, ReportView):
    """Who holds (or held) which badge, and the progress of the program's re-evaluation."""

    page_title = _("Badge holders")
    header_icon = "pick"
    results_template_name = "parrain_wagtail/admin/badge_holders_results.html"
    index_url_name = HOLDERS_URL
    index_results_url_name = "parrain_wagtail:badge_holders_results"
    model = BadgeHolding
    permission_policy = ModelPermissionPolicy(Badge)  # holders are seen with the badges
    permission_required = "view"
    filterset_class = HolderFilterSet
    default_ordering = "-awarded_at"
    columns = [
        Column("contact", label=_("Contact"), accessor="contact.email"),
        Column("badge", label=_("Badge")),
        Column("program", label=_("Program"), accessor="badge.program"),
        ProgramDateColumn("awarded_at", label=_("Awarded"), sort_key="awarded_at"),
        Column("awarded_by", label=_("Awarded by")),
        ProgramDateColumn("lost_at", label=_("Lost"), sort_key="lost_at"),
    ]
    list_export = [
        "contact.email",
        "badge.program.name",
        "badge",
        "awarded_at",
        "awarded_by",
        "lost_at",
        "lost_by",
        "reason",
    ]
    export_headings = {
        "contact.email": _("Contact"),
        "badge.program.name": _("Program"),
        "badge": _("Badge"),
    }
    custom_value_preprocess = safe_value_preprocess(ReportView.custom_value_preprocess, ("csv",))

    def get_base_queryset(self) -> QuerySet[BadgeHolding]:
        return BadgeHolding.objects.select_related("contact", "badge__program")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        filters = self.filters
        data = filters.form.cleaned_data if filters is not None and filters.form.is_valid() else {}
        badge = data.get("badge")
        context["recompute"] = latest_recompute(badge.program if badge else data.get("program"))
        return context


class BadgeStatsForm(DashboardForm):
    interval = forms.ChoiceField(
        label=_("Every"),
        choices=[("day", _("day")), ("week", _("week"))],
        required=False,
    )


class BadgeStatsView(ExportButtonsMixin, ReportView):
    """How many contacts held each badge of a program, day by day (or week by week)."""

    page_title = _("Badges over time")
    header_icon = "pick"
    template_name = "parrain_wagtail/admin/dashboard.html"  # its form and chart styles
    results_template_name = "parrain_wagtail/admin/badge_stats_results.html"
    index_url_name = "parrain_wagtail:badge_stats"
    index_results_url_name = "parrain_wagtail:badge_stats_results"
    model = Badge
    permission_required = "view"
    paginate_by = None

    @cached_property
    def form(self) -> BadgeStatsForm:
        return BadgeStatsForm(with_last_program(self.request))

    @cached_property
    def figure(self) -> stats.BadgeHoldersOverTime | None:
        if not self.form.is_valid() or self.form.cleaned_data["program"] is None:
            return None
        data = self.form.cleaned_data
        remember_program(self.request, data["program"])
        interval = data.get("interval") or "day"
        return stats.badge_holders_over_time(data["program"], data["start"], data["end"], interval)

    def get_base_queryset(self) -> list[dict[str, Any]]:
        if self.figure is None:
            return []
        lines = self.figure.badges
        return [
            {"day": day, **{f"badge_{line.badge_id}": line.counts[i] for line in lines}}
            for i, day in enumerate(self.figure.days)
        ]

    def order_queryset(self, queryset: list) -> list:
        return queryset

    def filter_queryset(self, queryset: list) -> list:
        return queryset

    @cached_property
    def columns(self) -> list[Column]:  # type: ignore[override]
        lines = self.figure.badges if self.figure else []
        return [
            ProgramDateColumn("day", label=_("Day")),
            *(Column(f"badge_{line.badge_id}", label=line.name) for line in lines),
        ]

    @property
    def list_export(self) -> list[str]:  # type: ignore[override]
        return [column.name for column in self.columns]

    def get_heading(self, queryset: Any, field: str) -> str:
        return str(next(column.label for column in self.columns if column.name == field))

    def to_row_dict(self, item: dict[str, Any]) -> dict[str, Any]:
        return {field: item.get(field) for field in self.list_export}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["stats_form"] = self.form
        context["media"] = context.get("media", forms.Media()) + self.form.media  # date inputs
        if self.figure is not None:
            program = self.form.cleaned_data["program"]
            context.update(
                program=program,
                recompute=latest_recompute(program),
                chart=line_chart(
                    str(_("Holders per badge")),
                    self.figure.days,
                    [(line.name, line.counts) for line in self.figure.badges],
                    [line.colour for line in self.figure.badges] or ["#007d7e"],
                ),
            )
        return context
