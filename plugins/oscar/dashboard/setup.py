"""The setup checklist and the widget code in the dashboard's Referral section (issue 15
§2): the core's views (``core.setup_views``) in the dashboard's look, for the selected
program; the checklist's links lead to the dashboard's own pages.

The widget code page takes ``is_staff`` and ``view_program`` (the app's permissions map);
"Mark as reviewed" takes ``change_messagetemplate`` too (checked by the view).
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from parrain.core.models import Program
from parrain.core.services.setup_checklist import field_anchor
from parrain.core.setup_views import MessagesReviewedView, SnippetGeneratorView, checklist_context

from .views import ProgramMixin, actor_of

NAMESPACE = "parrain_oscar_dashboard"


def dashboard_url(name: str, program: Program, anchor: str = "") -> str:
    return f"{reverse(f'{NAMESPACE}:{name}')}?program={program.slug}{anchor}"


def dashboard_links(program: Program) -> dict[str, str]:
    return {
        "offer": dashboard_url("parrain-program", program, field_anchor("offer")),
        "landing": dashboard_url("parrain-program", program, field_anchor("landing")),
        "widget": dashboard_url("parrain-snippet", program),
        "channels": dashboard_url("parrain-program", program, field_anchor("channels")),
        "scenario": dashboard_url("parrain-scenario", program),
        "messages": dashboard_url("parrain-message-list", program),
        "contacts": dashboard_url("parrain-import-list", program),
    }


def dashboard_checklist(program: Program) -> dict[str, Any]:
    review = dashboard_url("parrain-messages-reviewed", program)
    return checklist_context(program, dashboard_links(program), review_url=review)


class SnippetDashboardView(ProgramMixin, SnippetGeneratorView):
    template_name = "parrain_oscar/dashboard/snippet.html"

    def get_program(self) -> Program:
        return self.program

    def may_view(self) -> bool:
        user = self.request.user
        return bool(user.is_staff and user.has_perm("parrain.view_program"))


class MessagesReviewedDashboardView(ProgramMixin, MessagesReviewedView):
    def get_program(self) -> Program:
        return self.program

    def actor(self) -> str:
        return actor_of(self.request)

    def fallback_url(self, program: Program) -> str:
        return dashboard_url("parrain-program", program)
