"""Contact imports in the dashboard's Referral section: the core's import screens
(``core.contact_import_views``) in the dashboard's look, for the selected program.

Viewing takes ``is_staff`` and ``view_contactimport`` (the app's permissions map), an
upload, mapping, confirmation or cancellation ``add_contactimport`` too (checked here).
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.urls import reverse

from parrain.core.contact_import_views import ContactImportView
from parrain.core.models import ContactImport, Program

from .views import ProgramMixin, actor_of

SCREENS = ("list", "upload", "mapping", "dry_run", "progress", "report")


class ImportView(ProgramMixin, ContactImportView):
    templates = {name: f"parrain_oscar/dashboard/import_{name}.html" for name in SCREENS}

    def import_url(self, name: str, contact_import: ContactImport | None = None) -> str:
        query = f"?program={self.program.slug}"
        if name == "contacts":
            return reverse("parrain_oscar_dashboard:parrain-contact-list") + query
        args = [contact_import.pk] if contact_import is not None else []
        return reverse(f"parrain_oscar_dashboard:parrain-import-{name}", args=args) + query

    def actor(self) -> str:
        return actor_of(self.request)

    def may_view(self) -> bool:
        user = self.request.user
        return bool(user.is_staff and user.has_perm("parrain.view_contactimport"))

    def may_import(self) -> bool:
        return self.may_view() and bool(self.request.user.has_perm("parrain.add_contactimport"))

    def programs(self) -> QuerySet[Program]:
        return Program.objects.filter(pk=self.program.pk)

    def upload_program(self) -> Program | None:
        return self.program
