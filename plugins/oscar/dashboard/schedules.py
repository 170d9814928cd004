"""The program's regular import in the dashboard's Referral section: the core's screen
(``core.import_schedule_views``) in the dashboard's look, for the selected program.

Viewing takes ``is_staff`` and ``view_importschedule`` (the app's permissions map); saving
and "Run now" ``add_importschedule`` or ``change_importschedule`` too (checked by the view).
"""

from __future__ import annotations

from django.urls import reverse

from parrain.core.import_schedule_views import ImportScheduleView
from parrain.core.models import ContactImport, Program

from .views import ProgramMixin, actor_of


class ImportScheduleDashboardView(ProgramMixin, ImportScheduleView):
    template_name = "parrain_oscar/dashboard/import_schedule.html"

    def get_program(self) -> Program:
        return self.program

    def schedule_url(self, program: Program | None = None) -> str:
        url = reverse("parrain_oscar_dashboard:parrain-import-schedule")
        return f"{url}?program={(program or self.program).slug}"

    def import_url(self, contact_import: ContactImport) -> str:
        url = reverse("parrain_oscar_dashboard:parrain-import-detail", args=[contact_import.pk])
        return f"{url}?program={contact_import.program.slug}"

    def actor(self) -> str:
        return actor_of(self.request)

    def may_view(self) -> bool:
        user = self.request.user
        return bool(user.is_staff and user.has_perm("parrain.view_importschedule"))
