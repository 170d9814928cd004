"""The dashboard's scenario: the program's steps as a timeline (grouped by trigger, in order
of delay, with what each step sent, delayed, dropped, failed or still holds), the step form
and the program's pressure settings (weekly cap, quiet hours, minimum gap, legal footer).

The forms are the core's (``core/forms/messages.py``), every change goes through
``core.services.scenarios`` (audited; deleting or switching off a step drops what it still
had waiting).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from parrain.core.forms.messages import ScenarioSettingsForm, ScenarioStepForm
from parrain.core.models import Program, ScenarioStep
from parrain.core.models.choices import Trigger
from parrain.core.services import scenarios

from .views import ProgramMixin, actor_of


def scenario_url(program: Program) -> str:
    return f"{reverse('parrain_oscar_dashboard:parrain-scenario')}?program={program.slug}"


class ScenarioView(ProgramMixin, TemplateView):
    """The timeline, and the pressure settings form (POST saves the settings)."""

    template_name = "parrain_oscar/dashboard/scenario.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.setdefault("settings_form", ScenarioSettingsForm(instance=self.program))
        context["timeline"] = scenarios.timeline(self.program)
        context["can_change"] = self.request.user.has_perm("parrain.change_scenariostep")
        context["can_add"] = self.request.user.has_perm("parrain.add_scenariostep")
        context["can_delete"] = self.request.user.has_perm("parrain.delete_scenariostep")
        context["can_settings"] = self.request.user.has_perm("parrain.change_program")
        return context

    def post(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        if not request.user.has_perm("parrain.change_program"):
            return HttpResponse(_("You may not change the program's settings."), status=403)
        form = ScenarioSettingsForm(request.POST, instance=self.program)
        if not form.is_valid():
            messages.error(request, _("The sending rules were not saved: see the errors below."))
            return self.render_to_response(self.get_context_data(settings_form=form), status=400)
        form.save(actor=actor_of(request))
        messages.success(request, _("Sending rules saved."))
        return HttpResponseRedirect(scenario_url(self.program))


class StepMixin(ProgramMixin):
    """A view of one step (``pk`` in the URL): the step decides the program."""

    kwargs: dict[str, Any]

    @property
    def step(self) -> ScenarioStep:
        if not hasattr(self, "_step"):
            self._step = get_object_or_404(
                ScenarioStep.objects.select_related("program"), pk=self.kwargs["pk"]
            )
            self._program = self._step.program
        return self._step

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        step = self.step
        context = super().get_context_data(**kwargs)
        context.update(step=step, programs=[])
        return context


class StepFormView(ProgramMixin, TemplateView):
    """Add a step (no ``pk``; ``?trigger=`` preselects the trigger) or edit one."""

    template_name = "parrain_oscar/dashboard/scenario_step_form.html"

    def get_instance(self) -> ScenarioStep | None:
        return None

    def form(self, data: Any = None) -> ScenarioStepForm:
        instance = self.get_instance()
        initial = {}
        if instance is None and self.request.GET.get("trigger") in Trigger.values:
            initial["trigger"] = self.request.GET["trigger"]
        return ScenarioStepForm(data, program=self.program, instance=instance, initial=initial)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.setdefault("form", self.form())
        context.setdefault("step", self.get_instance())
        return context

    def post(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        form = self.form(request.POST)
        step = form.save(actor=actor_of(request)) if form.is_valid() else None
        if step is None:
            messages.error(request, _("The step was not saved: see the errors below."))
            return self.render_to_response(self.get_context_data(form=form), status=400)
        messages.success(request, _("Step “%(step)s” saved.") % {"step": step})
        return HttpResponseRedirect(scenario_url(step.program))


class StepUpdateView(StepMixin, StepFormView):
    def get_instance(self) -> ScenarioStep | None:
        return self.step


class StepDeleteView(StepMixin, TemplateView):
    """GET asks for confirmation (saying how many messages still wait); POST deletes."""

    template_name = "parrain_oscar/dashboard/scenario_step_delete.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        counts = scenarios.step_counts(self.program).get(self.step.pk)
        context["waiting"] = counts.waiting if counts else 0
        return context

    def post(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        step = self.step
        name = str(step)
        scenarios.delete_step(step, actor=actor_of(request))
        messages.success(request, _("Step “%(step)s” deleted.") % {"step": name})
        return HttpResponseRedirect(scenario_url(self.program))
