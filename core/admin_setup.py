"""The program's setup checklist and widget code in the Django admin (issue 15 §2).

``ProgramSetupAdminMixin`` adds to ``ProgramAdmin``: the checklist above the program's
change form (``admin/parrain/program/change_form.html``), the "Widget code" page (the
core's snippet generator) and the "Mark as reviewed" POST of the messages step. The links
of the checklist point at this admin's pages.
"""

from __future__ import annotations

from typing import Any

from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import URLPattern, path, reverse

from .models import Program
from .services.setup_checklist import field_anchor
from .setup_views import MessagesReviewedView, SnippetGeneratorView, checklist_context


def admin_links(program: Program) -> dict[str, str]:
    change = reverse("admin:parrain_program_change", args=[program.pk])
    imports = reverse("admin:parrain_contactimport_changelist")
    return {
        "offer": change + field_anchor("offer"),
        "landing": change + field_anchor("landing"),
        "widget": reverse("admin:parrain_program_snippet", args=[program.pk]),
        "channels": change + field_anchor("channels"),
        "scenario": reverse("admin:parrain_scenariostep_scenario", args=[program.pk]),
        "messages": reverse("admin:parrain_messagetemplate_program", args=[program.pk]),
        "contacts": f"{imports}?program__id__exact={program.pk}",
    }


class ProgramSetupAdminMixin:
    """For ``ProgramAdmin`` (a ``ModelAdmin`` of ``Program``)."""

    admin_site: Any
    model: type[Program]

    def get_urls(self) -> list[URLPattern]:
        wrap = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/widget-code/",
                wrap(self.snippet_view),
                name="parrain_program_snippet",
            ),
            path(
                "<path:object_id>/messages-reviewed/",
                wrap(self.messages_reviewed_view),
                name="parrain_program_messages_reviewed",
            ),
            *super().get_urls(),  # type: ignore[misc]
        ]

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        program = self.get_object(request, unquote(object_id))  # type: ignore[attr-defined]
        if program is not None:
            review = reverse("admin:parrain_program_messages_reviewed", args=[program.pk])
            setup = checklist_context(program, admin_links(program), review_url=review)
            extra_context = {**(extra_context or {}), "setup": setup}
        return super().change_view(request, object_id, form_url, extra_context)  # type: ignore[misc]

    def _program(self, request: HttpRequest, object_id: str) -> Program:
        program = self.get_object(request, unquote(object_id))  # type: ignore[attr-defined]
        if program is None:
            raise Http404
        if not self.has_view_or_change_permission(request, program):  # type: ignore[attr-defined]
            raise PermissionDenied
        return program

    def snippet_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        program = self._program(request, object_id)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": program,
        }
        return AdminSnippetView.as_view(program=program, admin_context=context)(request)

    def messages_reviewed_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        program = self._program(request, object_id)
        return AdminMessagesReviewedView.as_view(program=program)(request)


class AdminSnippetView(SnippetGeneratorView):
    template_name = "admin/parrain/program/snippet.html"
    program: Program | None = None
    admin_context: dict[str, Any] = {}  # replaced per request by as_view

    def get_program(self) -> Program | None:
        return self.program

    def may_view(self) -> bool:
        return True  # the admin checked the program's view permission

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {**self.admin_context, **super().get_context_data(**kwargs)}


class AdminMessagesReviewedView(MessagesReviewedView):
    program: Program | None = None

    def get_program(self) -> Program | None:
        return self.program

    def fallback_url(self, program: Program) -> str:
        return reverse("admin:parrain_program_change", args=[program.pk])
