"""Regular imports in the Django admin: the list, and one page per program's schedule that
wraps ``core.forms.import_schedule.ImportScheduleForm`` (the form every admin shares) with
its last run, last error, next run, its recent imports and a "Run now" button.

Saves go through ``core.services.import_schedules`` (audited); "Run now" queues the
``run_import_schedule`` task (fetch, then the import task), so the page answers at once.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext_lazy as _

from .forms.import_schedule import EVERY_LABELS, ImportScheduleForm
from .import_schedule_views import recent_imports
from .models import ImportSchedule, Program
from .services import import_schedules


@admin.register(ImportSchedule)
class ImportScheduleAdmin(admin.ModelAdmin):
    list_display = (
        "program",
        "address",
        "frequency",
        "is_active",
        "last_run_at",
        "next_run_at",
        "failing",
    )
    list_filter = ("is_active",)
    list_select_related = ("program",)
    search_fields = ("program__name", "url")

    @admin.display(description=_("file URL"))
    def address(self, obj: ImportSchedule) -> str:
        return import_schedules.redacted_url(obj.url)

    @admin.display(description=_("frequency"), ordering="every_hours")
    def frequency(self, obj: ImportSchedule) -> str:
        return str(EVERY_LABELS.get(obj.every_hours, obj.every_hours))

    @admin.display(description=_("last error"), boolean=False)
    def failing(self, obj: ImportSchedule) -> str:
        return obj.last_error[:80]

    def get_urls(self) -> list[URLPattern]:
        run = path(
            "<path:object_id>/run/",
            self.admin_site.admin_view(self.run_view),
            name="parrain_importschedule_run",
        )
        return [run, *super().get_urls()]

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context: Any = None) -> Any:
        if not self.has_add_permission(request):
            raise PermissionDenied
        programs = Program.objects.filter(import_schedule__isnull=True).order_by("name")
        chosen = request.GET.get("program", "")
        program = programs.filter(pk=chosen).first() if chosen.isdigit() else None
        if program is None and programs.count() == 1:
            program = programs.first()
        if program is None:
            context = {**self._context(request, _("Add a regular import")), "programs": programs}
            return TemplateResponse(
                request, "admin/parrain/importschedule/choose_program.html", context
            )
        return self._form_view(request, program, None)

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> Any:
        schedule = self._schedule(request, object_id)
        if request.method == "POST" and not self.has_change_permission(request, schedule):
            raise PermissionDenied
        return self._form_view(request, schedule.program, schedule)

    def run_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        schedule = self._schedule(request, object_id)
        if request.method != "POST" or not self.has_change_permission(request, schedule):
            raise PermissionDenied
        import_schedules.queue_run(schedule, actor=request.user.get_username())
        self.message_user(
            request, _("The file is being fetched; the report follows when the import ends.")
        )
        return HttpResponseRedirect(
            reverse("admin:parrain_importschedule_change", args=[schedule.pk])
        )

    def _schedule(self, request: HttpRequest, object_id: str) -> ImportSchedule:
        schedule = self.get_object(request, unquote(object_id))
        if schedule is None:
            raise Http404
        if not self.has_view_or_change_permission(request, schedule):
            raise PermissionDenied
        return schedule

    def _form_view(
        self, request: HttpRequest, program: Program, schedule: ImportSchedule | None
    ) -> Any:
        data = request.POST if request.method == "POST" else None
        form = ImportScheduleForm(data, program=program, instance=schedule)
        if data is not None and (saved := form.save(actor=request.user.get_username())):
            self.message_user(request, _("Regular import saved."))
            return HttpResponseRedirect(
                reverse("admin:parrain_importschedule_change", args=[saved.pk])
            )
        title = _("Change the regular import") if schedule else _("Add a regular import")
        context = {
            **self._context(request, title),
            "form": form,
            "program": program,
            "original": schedule,
            "import_links": [
                (item, reverse("admin:parrain_contactimport_change", args=[item.pk]))
                for item in recent_imports(schedule)
            ],
            "can_change": schedule is None or self.has_change_permission(request, schedule),
            "can_delete": schedule is not None and self.has_delete_permission(request, schedule),
        }
        return TemplateResponse(
            request, "admin/parrain/importschedule/form.html", context, status=400 if data else 200
        )

    def _context(self, request: HttpRequest, title: Any) -> dict[str, Any]:
        return {**self.admin_site.each_context(request), "opts": self.model._meta, "title": title}

    def delete_model(self, request: HttpRequest, obj: ImportSchedule) -> None:
        import_schedules.delete(obj, actor=request.user.get_username())

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[ImportSchedule]) -> None:
        for schedule in queryset:
            import_schedules.delete(schedule, actor=request.user.get_username())
