"""The program's regular import in the Wagtail admin (reached from Referral → Contact
imports): the core's screen (``core.import_schedule_views``) in Wagtail's look.

Permissions are Django's on regular imports: ``view`` to see the page, ``add`` or
``change`` to save it and to "Run now".
"""

from __future__ import annotations

from typing import Any

from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin
from wagtail.permission_policies import ModelPermissionPolicy

from parrain.core.import_schedule_views import TITLE, ImportScheduleView
from parrain.core.models import ContactImport, ImportSchedule, Program

from .permissions import actor
from .scenario_views import chosen_program

SCHEDULES = ModelPermissionPolicy(ImportSchedule)


class ImportScheduleWagtailView(
    PermissionCheckedMixin, WagtailAdminTemplateMixin, ImportScheduleView
):
    permission_policy = SCHEDULES
    permission_required = "view"
    header_icon = "time"
    page_title = TITLE
    template_name = "parrain_wagtail/admin/import_schedule.html"

    def get_program(self) -> Program | None:
        if not hasattr(self, "_program"):
            self._program = chosen_program(self.request)
        return self._program

    def schedule_url(self, program: Program | None = None) -> str:
        url = reverse("parrain_wagtail:import_schedule")
        chosen = program or self.get_program()
        return f"{url}?program={chosen.pk}" if chosen is not None else url

    def import_url(self, contact_import: ContactImport) -> str:
        return reverse("parrain_wagtail:import_detail", args=[contact_import.pk])

    def actor(self) -> str:
        return actor(self.request.user)

    def may_view(self) -> bool:
        return SCHEDULES.user_has_permission(self.request.user, "view")

    def may_change(self, schedule: ImportSchedule | None) -> bool:
        action = "change" if schedule is not None else "add"
        return SCHEDULES.user_has_permission(self.request.user, action)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["programs"] = [(p, self.schedule_url(p)) for p in self.programs()]
        return context

    def get_breadcrumbs_items(self) -> list[dict[str, Any]]:
        return [
            *self.breadcrumbs_items,
            {"url": reverse("parrain_wagtail:import_list"), "label": _("Contact imports")},
            {"url": "", "label": self.get_page_title()},
        ]


def schedule_urls() -> list[URLPattern]:
    return [
        path(
            "imports/regular/",
            ImportScheduleWagtailView.as_view(),
            name="import_schedule",
        )
    ]
