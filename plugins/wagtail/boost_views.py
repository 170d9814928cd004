"""Boosted offers in the Wagtail admin's Referral menu: list, create and edit with the
core's ``BoostForm`` (a started boost may only change its end and labels), delete a boost
that has not started, and a boost's page with its figures against the same length of time
just before it (``boosts.comparison``)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _
from wagtail.admin.ui.tables import Column
from wagtail.snippets.views import snippets

from parrain.core.exceptions import ParrainError
from parrain.core.forms.boost import BoostForm
from parrain.core.models import Boost, Program
from parrain.core.services import boosts

from .columns import ProgramDateColumn
from .core_form_views import CoreFormView
from .permissions import actor

#: The figures of ``boosts.comparison``, in the order shown, with their label.
FIGURES = (
    ("invitations", _("Invitations")),
    ("conversions", _("Conversions")),
    ("conversion_rate", _("Conversion rate")),
    ("referred_revenue", _("Referred revenue")),
)


class BoostFormView(CoreFormView):
    model = Boost

    def make_form(self, program: Program, data: Any = None) -> BoostForm:
        return BoostForm(data, program=program, instance=self.object)


class BoostEditView(BoostFormView):
    permission_required = "change"


STATES = {"scheduled": _("Scheduled"), "running": _("Running"), "ended": _("Ended")}


def boost_state(boost: Boost) -> str:
    now = timezone.now()
    if boost.ends_at <= now:
        return "ended"
    return "running" if boost.starts_at <= now else "scheduled"


def shown(key: str, value: Any, currency: str) -> str:
    """A figure as the dashboard shows it: rates in per cent, revenue with its currency."""
    if value is None:
        return "—"
    if key == "conversion_rate":
        return f"{number_format(Decimal(value) * 100, 1)} %"
    if key == "referred_revenue":
        return f"{number_format(value, 2)} {currency}"
    return str(number_format(value))


def comparison_rows(boost: Boost, figures: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per figure: during the boost and during the same length just before."""
    during, before = figures.get("boost", {}), figures.get("before", {})
    currency = boost.program.currency
    return [
        {
            "key": key,
            "label": label,
            "boost": shown(key, during.get(key), currency),
            "before": shown(key, before.get(key), currency),
        }
        for key, label in FIGURES
    ]


class BoostInspectView(snippets.InspectView):
    template_name = "parrain_wagtail/admin/boost_inspect.html"

    def get_fields(self) -> list[str]:
        return ["program", "starts_at", "ends_at", "referrer_rule", "referee_rule", "contest"]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        boost: Boost = self.object
        figures = boosts.comparison(boost) if boost.has_started() else None
        state = boost_state(boost)
        context.update(
            boost=boost,
            state=state,
            state_label=STATES[state],
            labels=sorted(boost.labels.items()),
            figures=figures,
            rows=comparison_rows(boost, figures) if figures is not None else [],
            may_change=self.permission_policy.user_has_permission(self.request.user, "change"),
        )
        return context


class BoostDeleteView(snippets.DeleteView):
    """Only a boost that has not started (invitations already carry a started one's reward)."""

    def delete_action(self) -> None:
        boosts.delete_boost(self.object, actor=actor(self.request.user))

    def form_valid(self, form: Any) -> HttpResponse:
        try:
            return super().form_valid(form)
        except ParrainError as error:
            messages.error(self.request, error.message)
            return HttpResponseRedirect(self.get_success_url())


class StateColumn(Column):
    def get_value(self, instance: Boost) -> str:
        return str(STATES[boost_state(instance)])


class BoostViewSet(snippets.SnippetViewSet):
    model = Boost
    icon = "time"
    menu_label = _("Boosted offers")
    add_view_class = BoostFormView
    edit_view_class = BoostEditView
    delete_view_class = BoostDeleteView
    inspect_view_class = BoostInspectView
    inspect_view_enabled = True
    copy_view_enabled = False
    create_template_name = edit_template_name = "parrain_wagtail/admin/core_form.html"
    list_display = [
        "name",
        "program",
        ProgramDateColumn("starts_at", label=_("Starts"), sort_key="starts_at"),
        ProgramDateColumn("ends_at", label=_("Ends"), sort_key="ends_at"),
        StateColumn("state", label=_("State")),
    ]
    list_filter = ["program"]
    ordering = ["-starts_at"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Boost]:
        return Boost.objects.select_related("program")
