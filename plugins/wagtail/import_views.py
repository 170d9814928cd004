"""Contact imports in the Wagtail admin's Referral menu: the core's import screens
(``core.contact_import_views``) in Wagtail's look.

Permissions are Django's on contact imports: ``view`` to see the list, an import's screens,
its progress and its invalid rows; ``add`` to upload, map, confirm or cancel.
"""

from __future__ import annotations

from typing import Any

from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin
from wagtail.permission_policies import ModelPermissionPolicy

from parrain.core.contact_import_views import ContactImportView
from parrain.core.models import ContactImport, Program

from .last_program import last_program, remember_program
from .permissions import actor

IMPORTS = ModelPermissionPolicy(ContactImport)
SCREENS = ("list", "upload", "mapping", "dry_run", "progress", "report")


class ImportView(PermissionCheckedMixin, WagtailAdminTemplateMixin, ContactImportView):
    permission_policy = IMPORTS
    permission_required = "view"
    header_icon = "upload"
    templates = {name: f"parrain_wagtail/admin/import_{name}.html" for name in SCREENS}

    def import_url(self, name: str, contact_import: ContactImport | None = None) -> str:
        if name == "contacts":
            return reverse("parrain_wagtail:contact_list")
        args = [contact_import.pk] if contact_import is not None else []
        return reverse(f"parrain_wagtail:import_{name}", args=args)

    def actor(self) -> str:
        return actor(self.request.user)

    def suggested_program(self) -> Program | None:
        return last_program(self.request)

    def uploaded(self, contact_import: ContactImport) -> None:
        remember_program(self.request, contact_import.program)

    def may_view(self) -> bool:
        return IMPORTS.user_has_permission(self.request.user, "view")

    def may_import(self) -> bool:
        return IMPORTS.user_has_permission(self.request.user, "add")

    def get_breadcrumbs_items(self) -> list[dict[str, Any]]:
        items = [*self.breadcrumbs_items]
        if self.screen != "list":
            items.append(
                {"url": reverse("parrain_wagtail:import_list"), "label": _("Contact imports")}
            )
        return [*items, {"url": "", "label": self.get_page_title()}]


def import_urls() -> list[URLPattern]:
    def screen(name: str) -> Any:
        return ImportView.as_view(screen=name)

    return [
        path("imports/", screen("list"), name="import_list"),
        path("imports/upload/", screen("upload"), name="import_upload"),
        path("imports/<int:pk>/", screen("detail"), name="import_detail"),
        path("imports/<int:pk>/status/", screen("status"), name="import_status"),
        path("imports/<int:pk>/invalid-rows/", screen("errors"), name="import_errors"),
        path("imports/<int:pk>/cancel/", screen("cancel"), name="import_cancel"),
    ]
