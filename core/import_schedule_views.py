"""The regular import screen, one view layer that every admin wraps in its own look.

One page per program: the shared ``ImportScheduleForm`` (URL, basic auth with the password
never shown back, frequency, a select per known column, report address, active), a "Run
now" button, and the last run, last error, next run and recent imports. Without a program
chosen (several programs, none in the address) the page lists the programs to choose from.

``ImportScheduleView`` does the work; an admin subclasses it and says which program the
page is for (``get_program``), how to name its addresses (``schedule_url``), who acts
(``actor``), who may do what (``may_view``, ``may_change``) and which template draws it.
Saves go through ``services.import_schedules`` (audited); "Run now" queues the fetch.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView

from .forms.import_schedule import ImportScheduleForm
from .models import ContactImport, ImportSchedule, Program
from .services import import_schedules

#: Imports of the schedule shown under it.
RECENT = 10
TITLE = _("Regular import")


def recent_imports(schedule: ImportSchedule | None) -> list[ContactImport]:
    if schedule is None or schedule.pk is None:
        return []
    return list(schedule.imports.order_by("-created_at", "-pk")[:RECENT])


def schedule_of(program: Program) -> ImportSchedule | None:
    return ImportSchedule.objects.filter(program=program).select_related("program").first()


class ImportScheduleView(TemplateView):
    """GET: the form and the status; POST: save the form, or ``run`` (the "Run now")."""

    http_method_names = ["get", "post"]
    request: HttpRequest

    # What an admin says

    def get_program(self) -> Program | None:
        raise NotImplementedError

    def schedule_url(self, program: Program | None = None) -> str:
        """This page's address (for ``program``, or the program chooser when None)."""
        raise NotImplementedError

    def import_url(self, contact_import: ContactImport) -> str:
        """The address of one import's screen in this admin ("" if there is none)."""
        return ""

    def actor(self) -> str:
        return self.request.user.get_username()

    def may_view(self) -> bool:
        return bool(self.request.user.has_perm("parrain.view_importschedule"))

    def may_change(self, schedule: ImportSchedule | None) -> bool:
        action = "change" if schedule is not None else "add"
        return bool(self.request.user.has_perm(f"parrain.{action}_importschedule"))

    def programs(self) -> QuerySet[Program]:
        return Program.objects.order_by("name")

    # The work

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not self.may_view():
            raise PermissionDenied
        return self.render_to_response(self.get_context_data())

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        program = self.get_program()
        if program is None:
            return self.get(request, *args, **kwargs)
        schedule = schedule_of(program)
        if not self.may_view() or not self.may_change(schedule):
            raise PermissionDenied
        if "run" in request.POST:
            return self._run(program, schedule)
        form = ImportScheduleForm(request.POST, program=program, instance=schedule)
        if form.save(actor=self.actor()) is None:
            messages.error(request, _("The regular import was not saved: see the errors below."))
            return self.render_to_response(self.get_context_data(form=form), status=400)
        messages.success(request, _("Regular import saved."))
        return HttpResponseRedirect(self.schedule_url(program))

    def _run(self, program: Program, schedule: ImportSchedule | None) -> HttpResponse:
        if schedule is None:
            messages.error(self.request, _("Save the regular import first."))
        else:
            import_schedules.queue_run(schedule, actor=self.actor())
            messages.success(
                self.request,
                _("The file is being fetched; the report follows when the import ends."),
            )
        return HttpResponseRedirect(self.schedule_url(program))

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        program = self.get_program()
        context.update(title=TITLE, page_title=TITLE, program=program)
        if program is None:
            choices = [(p, self.schedule_url(p), schedule_of(p)) for p in self.programs()]
            context.update(choose=choices)
            return context
        schedule = schedule_of(program)
        context.setdefault("form", ImportScheduleForm(program=program, instance=schedule))
        imports = recent_imports(schedule)
        context.update(
            schedule=schedule,
            imports=imports,
            import_links=[(item, self.import_url(item)) for item in imports],
            may_change=self.may_change(schedule),
            action_url=self.schedule_url(program),
        )
        return context
