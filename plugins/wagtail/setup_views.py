"""The setup checklist and the widget code in the Wagtail admin (issue 15 §2): the core's
views (``core.setup_views``) in Wagtail's look. The checklist heads the program's inspect
view (Referral → Programs → the program); its links lead to Wagtail's own pages: the
program's landing page in the page editor, the reward rules, the scenario, the messages,
the contact imports.

Permissions are Django's: ``view`` on programs for the widget code page, ``change`` on
message templates for "Mark as reviewed".
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import URLPattern, path, reverse
from django.utils.safestring import SafeString
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin
from wagtail.permission_policies import ModelPermissionPolicy

from parrain.core.models import MessageTemplate, Program
from parrain.core.services.setup_checklist import field_anchor
from parrain.core.setup_views import (
    SNIPPET_TITLE,
    MessagesReviewedView,
    SnippetGeneratorView,
    render_checklist,
)

from .models import ReferralLandingPageMixin
from .permissions import actor
from .scenario_views import chosen_program

PROGRAMS = ModelPermissionPolicy(Program)
TEMPLATES = ModelPermissionPolicy(MessageTemplate)


def landing_page_url(program: Program) -> str:
    """The editor of the program's landing page (live first, else a draft), else the page
    explorer where one is created."""
    from wagtail.models import get_page_models

    pages = []
    for model in get_page_models():
        if issubclass(model, ReferralLandingPageMixin) and not model._meta.abstract:
            found = model.objects.filter(program=program).order_by("-live", "pk").first()
            if found is not None:
                pages.append(found)
    if pages:
        page = sorted(pages, key=lambda p: (not p.live, p.pk))[0]
        return reverse("wagtailadmin_pages:edit", args=[page.pk])
    return reverse("wagtailadmin_explore_root")


def wagtail_links(program: Program) -> dict[str, str]:
    chosen = f"?program={program.pk}"
    edit = reverse("wagtailsnippets_parrain_program:edit", args=[program.pk])
    return {
        "offer": edit + field_anchor("offer"),
        "landing": landing_page_url(program),
        "widget": reverse("parrain_wagtail:snippet") + chosen,
        "channels": edit + field_anchor("channels"),
        "scenario": reverse("parrain_wagtail:scenario") + chosen,
        "messages": reverse("parrain_wagtail:messages") + chosen,
        "contacts": reverse("parrain_wagtail:import_list"),
    }


def wagtail_checklist(request: HttpRequest, program: Program) -> SafeString:
    review = f"{reverse('parrain_wagtail:messages_reviewed')}?program={program.pk}"
    return render_checklist(request, program, wagtail_links(program), review_url=review)


class SnippetWagtailView(PermissionCheckedMixin, WagtailAdminTemplateMixin, SnippetGeneratorView):
    permission_policy = PROGRAMS
    permission_required = "view"
    header_icon = "code"
    page_title = SNIPPET_TITLE
    template_name = "parrain_wagtail/admin/snippet.html"

    def get_program(self) -> Program | None:
        if not hasattr(self, "_program"):
            self._program = chosen_program(self.request)
        return self._program

    def may_view(self) -> bool:
        return PROGRAMS.user_has_permission(self.request.user, "view")

    def get_page_subtitle(self) -> str:
        program = self.get_program()
        return program.name if program is not None else ""

    def get_breadcrumbs_items(self) -> list[dict[str, Any]]:
        return [*self.breadcrumbs_items, {"url": "", "label": self.get_page_title()}]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        url = reverse("parrain_wagtail:snippet")
        context["programs"] = [
            (p, f"{url}?program={p.pk}") for p in Program.objects.order_by("name")
        ]
        return context


class MessagesReviewedWagtailView(MessagesReviewedView):
    def get_program(self) -> Program | None:
        return chosen_program(self.request)

    def may_change(self) -> bool:
        return TEMPLATES.user_has_permission(self.request.user, "change")

    def actor(self) -> str:
        return actor(self.request.user)

    def fallback_url(self, program: Program) -> str:
        return reverse("wagtailsnippets_parrain_program:inspect", args=[program.pk])


def setup_urls() -> list[URLPattern]:
    return [
        path("widget-code/", SnippetWagtailView.as_view(), name="snippet"),
        path("messages/reviewed/", MessagesReviewedWagtailView.as_view(), name="messages_reviewed"),
    ]
