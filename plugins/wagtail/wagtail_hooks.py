"""Wagtail admin: the "Referral" menu (programs, reward rules, dashboard, referrals) and the
warnings shown when a landing page stops being live."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest
from django.urls import URLPattern, include, path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.menu import MenuItem
from wagtail.admin.panels import FieldPanel, FieldRowPanel, ObjectList
from wagtail.permissions import policy_registry
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from parrain.core.forms.program import RewardRuleForm
from parrain.core.models import (
    Badge,
    Contact,
    ContactImport,
    MessageTemplate,
    Program,
    Referral,
    RewardRule,
    ScenarioStep,
    ScheduledMessage,
)

from . import landing
from .badge_views import BadgeHoldersView, BadgeStatsView, BadgeViewSet
from .boost_views import BoostViewSet
from .columns import YesNoColumn
from .contact_views import contact_urls
from .contest_views import ContestViewSet
from .core_form_views import ProgramEditView, ProgramFormView
from .email_views import EmailDesignViewSet
from .import_views import import_urls
from .message_views import MessageHistoryView, MessagesView, SmsTemplateView
from .models import ReferralLandingPageMixin
from .permissions import may_change_programs
from .rule_actions import ProgramDeleteBulkAction, RuleDeleteBulkAction, register_rule_actions
from .scenario_views import (
    ScenarioSettingsView,
    ScenarioView,
    StepDeleteView,
    StepEditView,
    StepFormView,
)
from .schedule_views import schedule_urls
from .secret_views import IdentitySecretView, ProgramInspectView
from .setup_views import setup_urls
from .views import DashboardView, ReferralReportView

MENU_HOOK = "register_parrain_menu_item"


class ProgramViewSet(SnippetViewSet):
    model = Program
    icon = "pick"
    menu_label = _("Programs")
    list_display = [
        "name",
        "slug",
        "currency",
        YesNoColumn("is_active", label=_("Active"), sort_key="is_active"),
        "landing_url",
    ]
    list_filter = ["is_active", "currency"]
    search_fields = ["name", "slug"]
    search_backend_name = None
    inspect_view_enabled = True
    inspect_view_class = ProgramInspectView
    # The core's program editor (no JSON to type), widget settings and offers included.
    add_view_class = ProgramFormView
    edit_view_class = ProgramEditView
    copy_view_enabled = False
    create_template_name = edit_template_name = "parrain_wagtail/admin/program_form.html"

    def get_inspect_view_kwargs(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_inspect_view_kwargs(
            reveal_url_name=self.get_url_name("reveal_secret"),
            rotate_url_name=self.get_url_name("rotate_secret"),
            **kwargs,
        )

    def get_urlpatterns(self) -> list[URLPattern]:
        policy = self.permission_policy
        reveal = IdentitySecretView.as_view(permission_policy=policy, action="reveal")
        rotate = IdentitySecretView.as_view(permission_policy=policy, action="rotate")
        return [
            *super().get_urlpatterns(),
            path("secret/<str:pk>/reveal/", reveal, name="reveal_secret"),
            path("secret/<str:pk>/rotate/", rotate, name="rotate_secret"),
        ]


class RewardRuleAdminForm(RewardRuleForm, WagtailAdminModelForm):
    """The core's rule form (labels one input per language) in Wagtail's panels."""


class RewardRuleViewSet(SnippetViewSet):
    model = RewardRule
    icon = "tag"
    menu_label = _("Reward rules")
    list_display = [
        "__str__",
        "program",
        "side",
        "kind",
        "value",
        YesNoColumn("is_active", label=_("Active"), sort_key="is_active"),
    ]
    list_filter = ["program", "side", "is_active"]
    edit_handler = ObjectList(
        [
            FieldPanel("program"),
            FieldRowPanel([FieldPanel("side"), FieldPanel("kind")]),
            FieldRowPanel([FieldPanel("value"), FieldPanel("minimum_order_amount")]),
            FieldPanel("product_ref"),
            FieldPanel("validity_days"),
            FieldPanel("labels"),
            FieldPanel("is_active"),
        ],
        base_form_class=RewardRuleAdminForm,
    )


class ReferralMenu(SnippetViewSetGroup):
    menu_label = _("Referral")
    menu_icon = "group"
    menu_order = 250
    items = (
        ProgramViewSet,
        RewardRuleViewSet,
        BadgeViewSet,
        BoostViewSet,
        ContestViewSet,
        EmailDesignViewSet,
    )
    submenu_hook = MENU_HOOK


register_snippet(ReferralMenu)

# Reward rules are saved and deleted, programs deleted, through core.services.program_setup.
hooks.register("register_actions", register_rule_actions)
hooks.register("register_bulk_action", RuleDeleteBulkAction, order=100)
hooks.register("register_bulk_action", ProgramDeleteBulkAction, order=100)


@hooks.register("register_admin_urls")
def register_admin_urls() -> list:
    urls = [
        path("", DashboardView.as_view(), name="dashboard"),
        path("results/", DashboardView.as_view(results_only=True), name="dashboard_results"),
        path("referrals/", ReferralReportView.as_view(), name="referrals"),
        path(
            "referrals/results/",
            ReferralReportView.as_view(results_only=True),
            name="referrals_results",
        ),
        path("badges/holders/", BadgeHoldersView.as_view(), name="badge_holders"),
        path(
            "badges/holders/results/",
            BadgeHoldersView.as_view(results_only=True),
            name="badge_holders_results",
        ),
        path("badges/over-time/", BadgeStatsView.as_view(), name="badge_stats"),
        path(
            "badges/over-time/results/",
            BadgeStatsView.as_view(results_only=True),
            name="badge_stats_results",
        ),
        *message_urls(),
        *contact_urls(),
        *import_urls(),
        *schedule_urls(),
        *setup_urls(),
    ]
    return [path("parrain/", include((urls, "parrain_wagtail"), namespace="parrain_wagtail"))]


def message_urls() -> list[URLPattern]:
    """Scenario, messages and history (issue 13)."""
    return [
        path("scenario/", ScenarioView.as_view(), name="scenario"),
        path("scenario/steps/add/", StepFormView.as_view(), name="scenario_step_add"),
        path("scenario/steps/<int:pk>/", StepEditView.as_view(), name="scenario_step_edit"),
        path(
            "scenario/steps/<int:pk>/delete/", StepDeleteView.as_view(), name="scenario_step_delete"
        ),
        path("scenario/settings/", ScenarioSettingsView.as_view(), name="scenario_settings"),
        path("messages/", MessagesView.as_view(), name="messages"),
        path(
            "messages/sms/<int:program>/<str:kind>/<str:language>/",
            SmsTemplateView.as_view(),
            name="sms_template",
        ),
        path("messages/history/", MessageHistoryView.as_view(), name="message_history"),
        path(
            "messages/history/results/",
            MessageHistoryView.as_view(results_only=True),
            name="message_history_results",
        ),
    ]


class ReferralsMenuItem(MenuItem):
    """Shown to users allowed to view referrals (the same check as the views)."""

    def is_shown(self, request: HttpRequest) -> bool:
        return policy_registry.get_by_type(Referral).user_has_permission(request.user, "view")


@hooks.register(MENU_HOOK)
def register_dashboard_menu_item() -> MenuItem:
    return ReferralsMenuItem(
        _("Dashboard"), reverse("parrain_wagtail:dashboard"), icon_name="pick", order=10
    )


@hooks.register(MENU_HOOK)
def register_referrals_menu_item() -> MenuItem:
    return ReferralsMenuItem(
        _("Referrals"), reverse("parrain_wagtail:referrals"), icon_name="list-ul", order=20
    )


class BadgeReportMenuItem(MenuItem):
    """Shown to users allowed to view badges (the same check as the report views)."""

    def is_shown(self, request: HttpRequest) -> bool:
        return policy_registry.get_by_type(Badge).user_has_permission(request.user, "view")


@hooks.register(MENU_HOOK)
def register_badge_holders_menu_item() -> MenuItem:
    return BadgeReportMenuItem(
        _("Badge holders"), reverse("parrain_wagtail:badge_holders"), icon_name="user", order=400
    )


@hooks.register(MENU_HOOK)
def register_badge_stats_menu_item() -> MenuItem:
    return BadgeReportMenuItem(
        _("Badges over time"), reverse("parrain_wagtail:badge_stats"), icon_name="pick", order=410
    )


class ModelMenuItem(MenuItem):
    """Shown to users allowed to view ``model`` (the same check as its views)."""

    def __init__(self, *args: Any, model: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.model = model

    def is_shown(self, request: HttpRequest) -> bool:
        return policy_registry.get_by_type(self.model).user_has_permission(request.user, "view")


@hooks.register(MENU_HOOK)
def register_widget_code_menu_item() -> MenuItem:
    url = reverse("parrain_wagtail:snippet")
    return ModelMenuItem(_("Widget code"), url, icon_name="code", order=490, model=Program)


@hooks.register(MENU_HOOK)
def register_scenario_menu_item() -> MenuItem:
    url = reverse("parrain_wagtail:scenario")
    return ModelMenuItem(_("Scenario"), url, icon_name="resubmit", order=500, model=ScenarioStep)


@hooks.register(MENU_HOOK)
def register_messages_menu_item() -> MenuItem:
    url = reverse("parrain_wagtail:messages")
    return ModelMenuItem(_("Messages"), url, icon_name="mail", order=510, model=MessageTemplate)


@hooks.register(MENU_HOOK)
def register_contacts_menu_item() -> MenuItem:
    url = reverse("parrain_wagtail:contact_list")
    return ModelMenuItem(_("Contacts"), url, icon_name="user", order=30, model=Contact)


@hooks.register(MENU_HOOK)
def register_contact_imports_menu_item() -> MenuItem:
    url = reverse("parrain_wagtail:import_list")
    return ModelMenuItem(
        _("Contact imports"), url, icon_name="upload", order=530, model=ContactImport
    )


@hooks.register(MENU_HOOK)
def register_message_history_menu_item() -> MenuItem:
    url = reverse("parrain_wagtail:message_history")
    return ModelMenuItem(
        _("Message history"), url, icon_name="history", order=520, model=ScheduledMessage
    )


# Landing pages that stop being live


def _warn_landing_change(request: HttpRequest, page: Any, url: str) -> None:
    if not may_change_programs(request.user):
        _warn_left_unchanged(request, page, landing.programs_changed_by_removing(url))
        return
    program = page.program
    if program is None:
        return
    program.refresh_from_db(fields=["landing_url"])
    if program.landing_url:
        text = _(
            "“%(page)s” was the landing page of the program “%(program)s”. Its share links "
            "now lead to %(url)s."
        )
    else:
        text = _(
            "“%(page)s” was the landing page of the program “%(program)s”. Its share links "
            "now lead to the home page of the site until another landing page is published."
        )
    messages.warning(
        request,
        text % {"page": page.title, "program": program.name, "url": program.landing_url},
    )


def _warn_left_unchanged(request: HttpRequest, page: Any, programs: list[Program]) -> None:
    """The user may not change programs: say that the share links were left as they were."""
    for program in programs:
        messages.warning(
            request,
            _(
                "The share links of the program “%(program)s” were left unchanged and still "
                "lead to %(url)s: only users allowed to change referral programs can point "
                "them at “%(page)s” or elsewhere."
            )
            % {"program": program.name, "url": program.landing_url, "page": page.title},
        )


@hooks.register("after_publish_page")
def confirm_landing_link(request: HttpRequest, page: Any) -> None:
    if not isinstance(page, ReferralLandingPageMixin) or not page.live:
        return
    if not may_change_programs(request.user):
        _warn_left_unchanged(request, page, landing.programs_changed_by_publishing(page))
        return
    if page.program is None:
        return
    url = landing.page_url(page)
    if not url:
        messages.warning(
            request,
            _(
                "No site serves this page, so it could not become the landing page of the "
                "program “%(program)s”."
            )
            % {"program": page.program.name},
        )
        return
    messages.info(
        request,
        _("Share links of the program “%(program)s” now lead to %(url)s.")
        % {"program": page.program.name, "url": url},
    )


@hooks.register("before_delete_page")
def warn_before_delete(request: HttpRequest, page: Any) -> None:
    if request.method == "GET" and isinstance(page, ReferralLandingPageMixin) and page.live:
        if page.program is not None and page.program.landing_url == landing.page_url(page):
            messages.warning(
                request,
                _(
                    "This page is the landing page of the program “%(program)s”: once it is "
                    "deleted, share links will no longer lead here."
                )
                % {"program": page.program.name},
            )


@hooks.register("after_delete_page")
def warn_after_delete(request: HttpRequest, page: Any) -> None:
    if isinstance(page, ReferralLandingPageMixin) and page.live:
        _warn_landing_change(request, page, landing.page_url(page))


@hooks.register("after_unpublish_page")
def warn_after_unpublish(request: HttpRequest, page: Any) -> None:
    if isinstance(page, ReferralLandingPageMixin):
        _warn_landing_change(request, page, landing.page_url(page))
