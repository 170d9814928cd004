"""The scenario in the Wagtail admin's Referral menu: the timeline of a program's steps
grouped by trigger with what each step did (sent, delayed, dropped, failed, waiting), the
steps' add / edit / delete, and the program's pressure settings.

Every change goes through ``core.services.scenarios`` (via the core's ``ScenarioStepForm``
and ``ScenarioSettingsForm``); a refusal is shown as the core words it and stores nothing.
Permissions are Django's on scenario steps (view, add, change, delete), and on programs
(change) for the pressure settings.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin
from wagtail.permission_policies import ModelPermissionPolicy

from parrain.core.exceptions import ParrainError
from parrain.core.forms.messages import ScenarioSettingsForm, ScenarioStepForm
from parrain.core.models import Program, ScenarioStep
from parrain.core.models.choices import Audience
from parrain.core.services import scenarios

from .core_form_views import CoreFormView
from .permissions import actor

SCENARIO_URL = "parrain_wagtail:scenario"
STEPS = ModelPermissionPolicy(ScenarioStep)
PROGRAMS = ModelPermissionPolicy(Program)

#: The counts of a step, in the order shown, with their label and Wagtail status colour.
COUNTS = (
    ("sent", _("sent"), "success"),
    ("delayed", _("delayed"), "info"),
    ("dropped", _("dropped"), "warning"),
    ("failed", _("failed"), "critical"),
    ("waiting", _("waiting"), ""),
)


def scenario_url(program: Program) -> str:
    return f"{reverse(SCENARIO_URL)}?program={program.pk}"


def chosen_program(request: HttpRequest) -> Program | None:
    """``?program=``, else the only (or first) program."""
    wanted = request.GET.get("program", "")
    if wanted.isdigit():
        return get_object_or_404(Program, pk=wanted)
    return Program.objects.order_by("name").first()


def step_row(entry_step: Any, user: Any) -> dict[str, Any]:
    step = entry_step.step
    return {
        "step": step,
        "delay": delay_text(step),
        "audience": [Audience(value).label for value in step.audience if value in Audience],
        "counts": [
            {"key": key, "label": label, "colour": colour, "value": getattr(entry_step.counts, key)}
            for key, label, colour in COUNTS
        ],
        "edit_url": reverse("parrain_wagtail:scenario_step_edit", args=[step.pk])
        if STEPS.user_has_permission(user, "change")
        else "",
        "delete_url": reverse("parrain_wagtail:scenario_step_delete", args=[step.pk])
        if STEPS.user_has_permission(user, "delete")
        else "",
    }


def delay_text(step: ScenarioStep) -> str:
    if not step.delay_amount:
        return str(_("at once"))
    return str(
        _("after %(amount)s %(unit)s")
        % {"amount": step.delay_amount, "unit": step.get_delay_unit_display()}
    )


class ScenarioView(PermissionCheckedMixin, WagtailAdminTemplateMixin, TemplateView):
    """A program's scenario as a timeline: by trigger, each trigger's steps by delay."""

    permission_policy = STEPS
    permission_required = "view"
    template_name = "parrain_wagtail/admin/scenario.html"
    page_title = _("Scenario")
    header_icon = "resubmit"

    def get_breadcrumbs_items(self) -> list[dict[str, Any]]:
        return [*self.breadcrumbs_items, {"url": "", "label": self.get_page_title()}]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        program = chosen_program(self.request)
        user = self.request.user
        entries = scenarios.timeline(program) if program is not None else []
        context.update(
            program=program,
            programs=Program.objects.order_by("name"),
            entries=[
                {"entry": entry, "steps": [step_row(s, user) for s in entry.steps]}
                for entry in entries
            ],
            add_url=f"{reverse('parrain_wagtail:scenario_step_add')}?program={program.pk}"
            if program is not None and STEPS.user_has_permission(user, "add")
            else "",
            settings_url=f"{reverse('parrain_wagtail:scenario_settings')}?program={program.pk}"
            if program is not None and PROGRAMS.user_has_permission(user, "change")
            else "",
        )
        return context


class StepFormView(CoreFormView):
    """Add a step to a program's scenario (``ScenarioStepForm`` → ``scenarios``)."""

    model = ScenarioStep
    permission_policy = STEPS
    index_url_name = SCENARIO_URL
    edit_url_name = "parrain_wagtail:scenario_step_edit"
    header_icon = "resubmit"

    def make_form(self, program: Program, data: Any = None) -> ScenarioStepForm:
        return ScenarioStepForm(data, program=program, instance=self.object)

    def success_url(self, saved: Any) -> str:
        return scenario_url(saved.program)

    def get_breadcrumbs_items(self) -> list[dict[str, Any]]:
        program = self.get_program()
        back = scenario_url(program) if program is not None else reverse(SCENARIO_URL)
        return [
            *self.breadcrumbs_items,
            {"url": back, "label": _("Scenario")},
            {"url": "", "label": self.get_page_title()},
        ]


class StepEditView(StepFormView):
    permission_required = "change"


class StepDeleteView(PermissionCheckedMixin, WagtailAdminTemplateMixin, TemplateView):
    """Delete a step after a confirmation; its waiting messages are dropped, the sent ones
    stay in the contacts' history."""

    permission_policy = STEPS
    permission_required = "delete"
    template_name = "parrain_wagtail/admin/scenario_step_delete.html"
    page_title = _("Delete the step")
    header_icon = "bin"

    def setup(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        super().setup(request, *args, **kwargs)
        steps = ScenarioStep.objects.select_related("program")
        self.step = get_object_or_404(steps, pk=kwargs["pk"])

    def get_page_subtitle(self) -> str:
        return str(self.step)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(
            step=self.step,
            waiting=self.step.messages.filter(status="pending").count(),
            back_url=scenario_url(self.step.program),
        )
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            scenarios.delete_step(self.step, actor=actor(request.user))
        except ParrainError as error:
            messages.error(request, error.message)
            return self.render_to_response(self.get_context_data(), status=error.status)
        messages.success(request, _("The step “%(step)s” was deleted.") % {"step": self.step})
        return HttpResponseRedirect(scenario_url(self.step.program))


class ScenarioSettingsView(CoreFormView):
    """The program's pressure settings: messages per week, quiet hours, minimum gap, legal
    footer, shop address, review link."""

    model = Program
    permission_policy = PROGRAMS
    permission_required = "change"
    index_url_name = SCENARIO_URL
    header_icon = "cog"

    def setup(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        super().setup(request, *args, **kwargs)
        self.object = chosen_program(request)

    def get_page_title(self) -> str:
        return str(_("Message settings"))

    def get_page_subtitle(self) -> str:
        return str(self.object) if self.object is not None else ""

    def action_url(self) -> str:
        return self.request.get_full_path()

    def get_program(self) -> Program | None:
        return self.object

    def make_form(self, program: Program, data: Any = None) -> ScenarioSettingsForm:
        return ScenarioSettingsForm(data, instance=program)

    def success_url(self, saved: Any) -> str:
        return scenario_url(saved)

    def get_breadcrumbs_items(self) -> list[dict[str, Any]]:
        back = scenario_url(self.object) if self.object is not None else reverse(SCENARIO_URL)
        return [
            *self.breadcrumbs_items,
            {"url": back, "label": _("Scenario")},
            {"url": "", "label": self.get_page_title()},
        ]
