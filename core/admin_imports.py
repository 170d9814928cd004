"""Contact imports in the Django admin.

The changelist is the list of past imports (status, counts, who, when, in the program's
time zone); "Import contacts" opens the upload, and each import's page is the screen of its
status (mapping, dry run, progress, report), all drawn by the core's
``contact_import_views.ContactImportView`` in the admin's own templates. Viewing takes
``view_contactimport`` (the invalid rows' download too), importing ``add_contactimport``.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .contact_import_views import ContactImportView, actor_label
from .models import ContactImport


class AdminImportView(ContactImportView):
    """The core import screens inside the Django admin's layout."""

    model_admin: Any = None
    templates = {
        name: f"admin/parrain/contactimport/{name}.html"
        for name in ("upload", "mapping", "dry_run", "progress", "report")
    }

    def import_url(self, name: str, contact_import: ContactImport | None = None) -> str:
        if name == "list":
            return reverse("admin:parrain_contactimport_changelist")
        if name == "upload":
            return reverse("admin:parrain_contactimport_upload")
        if name == "contacts":
            return reverse("admin:parrain_contact_changelist")
        if contact_import is None:
            raise ValueError(f"{name} needs an import")
        return reverse(f"admin:parrain_contactimport_{name}", args=[contact_import.pk])

    def may_view(self) -> bool:
        return bool(self.model_admin.has_view_permission(self.request))

    def may_import(self) -> bool:
        return bool(self.model_admin.has_add_permission(self.request))

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        site = self.model_admin.admin_site
        return {
            **site.each_context(self.request),
            "opts": ContactImport._meta,
            "has_view_permission": True,
            **context,
        }


@admin.register(ContactImport)
class ContactImportAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "program",
        "source",
        "status_badge",
        "new_count",
        "updated_count",
        "unchanged_count",
        "invalid_count",
        "who",
        "when",
    ]
    list_filter = ["status", "source", "program"]
    list_select_related = ["program"]
    ordering = ["-created_at", "-pk"]

    def get_urls(self) -> list[URLPattern]:
        def screen(name: str) -> Any:
            view = AdminImportView.as_view(model_admin=self, screen=name)
            return self.admin_site.admin_view(view)

        return [
            path("upload/", screen("upload"), name="parrain_contactimport_upload"),
            path("<int:pk>/flow/", screen("detail"), name="parrain_contactimport_detail"),
            path("<int:pk>/status/", screen("status"), name="parrain_contactimport_status"),
            path("<int:pk>/invalid-rows/", screen("errors"), name="parrain_contactimport_errors"),
            path("<int:pk>/cancel/", screen("cancel"), name="parrain_contactimport_cancel"),
            *super().get_urls(),
        ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[ContactImport]:
        return super().get_queryset(request).select_related("program")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # an import changes through its screens, never as a form

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context: Any = None) -> Any:
        return HttpResponseRedirect(reverse("admin:parrain_contactimport_upload"))

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        if not object_id.isdigit():
            raise Http404
        view = AdminImportView.as_view(model_admin=self, screen="detail")
        return view(request, pk=int(object_id))

    @admin.display(description=_("status"), ordering="status")
    def status_badge(self, obj: ContactImport) -> str:
        colour = {
            "done": "#1a7f37",
            "failed": "#cf222e",
            "cancelled": "#6e7781",
        }.get(obj.status, "#1f6feb")
        return format_html('<strong style="color:{}">{}</strong>', colour, obj.get_status_display())

    @admin.display(description=_("started by"))
    def who(self, obj: ContactImport) -> str:
        return actor_label(obj.actor)

    @admin.display(description=_("created"), ordering="created_at")
    def when(self, obj: ContactImport) -> str:
        local = timezone.localtime(obj.created_at, obj.program.tz())
        return date_format(local, "SHORT_DATETIME_FORMAT")
