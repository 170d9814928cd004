from django.urls import path
from django.utils.translation import gettext_lazy as _
from oscar.core.application import OscarDashboardConfig

VIEW_CONTESTS = ["is_staff", "parrain.view_contest"]
CHANGE_CONTESTS = ["is_staff", "parrain.view_contest", "parrain.change_contest"]
BOOST_PERMISSIONS = {
    "parrain-boost-list": ["is_staff", "parrain.view_boost"],
    "parrain-boost-detail": ["is_staff", "parrain.view_boost"],
    "parrain-boost-create": ["is_staff", "parrain.view_boost", "parrain.add_boost"],
    "parrain-boost-update": ["is_staff", "parrain.view_boost", "parrain.change_boost"],
    "parrain-boost-delete": ["is_staff", "parrain.view_boost", "parrain.delete_boost"],
}
CONTEST_PERMISSIONS = {
    "parrain-contest-list": VIEW_CONTESTS,
    "parrain-contest-detail": VIEW_CONTESTS,
    "parrain-contest-entries": VIEW_CONTESTS,
    "parrain-contest-entries-csv": VIEW_CONTESTS,
    "parrain-contest-create": ["is_staff", "parrain.add_contest"],
    "parrain-contest-update": CHANGE_CONTESTS,
    "parrain-contest-open": CHANGE_CONTESTS,
    "parrain-contest-draw": CHANGE_CONTESTS,
    "parrain-winner-redraw": CHANGE_CONTESTS,
    "parrain-winner-delivered": CHANGE_CONTESTS,
}
VIEW_TEMPLATES = ["is_staff", "parrain.view_messagetemplate"]
SCENARIO_PERMISSIONS = {
    "parrain-scenario": ["is_staff", "parrain.view_scenariostep"],
    "parrain-step-create": ["is_staff", "parrain.add_scenariostep"],
    "parrain-step-update": ["is_staff", "parrain.view_scenariostep", "parrain.change_scenariostep"],
    "parrain-step-delete": ["is_staff", "parrain.view_scenariostep", "parrain.delete_scenariostep"],
    # Changing a template, resetting it or sending a test: checked by the view on POST.
    "parrain-message-list": VIEW_TEMPLATES,
    "parrain-message-edit": VIEW_TEMPLATES,
    "parrain-message-preview": VIEW_TEMPLATES,
}
VIEW_IMPORTS = ["is_staff", "parrain.view_contactimport"]
IMPORT_PERMISSIONS = {
    # Uploading, mapping, confirming and cancelling also take add_contactimport (the view).
    "parrain-import-list": VIEW_IMPORTS,
    "parrain-import-upload": [*VIEW_IMPORTS, "parrain.add_contactimport"],
    "parrain-import-detail": VIEW_IMPORTS,
    "parrain-import-status": VIEW_IMPORTS,
    "parrain-import-errors": VIEW_IMPORTS,
    "parrain-import-cancel": [*VIEW_IMPORTS, "parrain.add_contactimport"],
    # Saving and "Run now" also take add_ or change_importschedule (checked by the view).
    "parrain-import-schedule": ["is_staff", "parrain.view_importschedule"],
}


class ParrainOscarDashboardConfig(OscarDashboardConfig):
    """The "Referral" section of Oscar's dashboard; every view checks its permission."""

    default = True
    name = "parrain.plugins.oscar.dashboard"
    label = "parrain_oscar_dashboard"
    namespace = "parrain_oscar_dashboard"
    verbose_name = _("Referral dashboard")
    default_auto_field = "django.db.models.BigAutoField"
    default_permissions = ["is_staff"]

    def configure_permissions(self) -> None:
        view_referrals = ["is_staff", "parrain.view_referral"]
        self.permissions_map = {
            "parrain-index": view_referrals,
            "parrain-referral-list": view_referrals,
            "parrain-review-queue": view_referrals,
            "parrain-referral-review": ["is_staff", "parrain.change_referral"],
            "parrain-referral-detail": view_referrals,
            "parrain-contact-list-export": ["is_staff", "parrain.view_contact"],
            "parrain-contact-list": ["is_staff", "parrain.view_contact"],
            "parrain-contact-detail": [
                "is_staff",
                "parrain.view_contact",
                "parrain.view_scheduledmessage",
            ],
            "parrain-contact-export": ["is_staff", "parrain.view_contact"],
            "parrain-contact-erase": ["is_staff", "parrain.view_contact", "parrain.delete_contact"],
            "parrain-program": ["is_staff", "parrain.change_program", "parrain.change_rewardrule"],
            "parrain-snippet": ["is_staff", "parrain.view_program"],
            "parrain-messages-reviewed": ["is_staff", "parrain.change_messagetemplate"],
            "parrain-program-create": [
                "is_staff",
                "parrain.add_program",
                "parrain.add_rewardrule",
            ],
            "parrain-badge-list": ["is_staff", "parrain.view_badge"],
            "parrain-badge-detail": ["is_staff", "parrain.view_badge", "parrain.view_badgeholding"],
            "parrain-badge-holders": [
                "is_staff",
                "parrain.view_badge",
                "parrain.add_badgeholding",
                "parrain.change_badgeholding",
            ],
            **BOOST_PERMISSIONS,
            **CONTEST_PERMISSIONS,
            **SCENARIO_PERMISSIONS,
            **IMPORT_PERMISSIONS,
        }

    def ready(self) -> None:
        self.configure_permissions()

    def get_urls(self):  # type: ignore[no-untyped-def]
        from . import (
            badges,
            boosts,
            contests,
            imports,
            messages,
            referrals,
            scenarios,
            setup,
            views,
        )

        urls = [
            path("", views.FiguresView.as_view(), name="parrain-index"),
            path("referrals/", views.ReferralListView.as_view(), name="parrain-referral-list"),
            path(
                "referrals/<int:pk>/",
                referrals.ReferralDetailView.as_view(),
                name="parrain-referral-detail",
            ),
            path("review/", views.ReviewQueueView.as_view(), name="parrain-review-queue"),
            path(
                "referrals/<int:pk>/review/",
                views.ReviewActionView.as_view(),
                name="parrain-referral-review",
            ),
            path("contacts/", views.ContactListView.as_view(), name="parrain-contact-list"),
            path(
                "contacts/export/",
                views.ContactListExportView.as_view(),
                name="parrain-contact-list-export",
            ),
            path(
                "contacts/<int:pk>/",
                views.ContactDetailView.as_view(),
                name="parrain-contact-detail",
            ),
            path(
                "contacts/<int:pk>/export/",
                views.ContactExportView.as_view(),
                name="parrain-contact-export",
            ),
            path(
                "contacts/<int:pk>/erase/",
                views.ContactEraseView.as_view(),
                name="parrain-contact-erase",
            ),
            path("program/", views.ProgramSettingsView.as_view(), name="parrain-program"),
            path("widget-code/", setup.SnippetDashboardView.as_view(), name="parrain-snippet"),
            path(
                "messages/reviewed/",
                setup.MessagesReviewedDashboardView.as_view(),
                name="parrain-messages-reviewed",
            ),
            path("program/new/", views.ProgramCreateView.as_view(), name="parrain-program-create"),
            path("badges/", badges.BadgeListView.as_view(), name="parrain-badge-list"),
            path("badges/<int:pk>/", badges.BadgeDetailView.as_view(), name="parrain-badge-detail"),
            path(
                "badges/<int:pk>/holders/",
                badges.BadgeHolderChangeView.as_view(),
                name="parrain-badge-holders",
            ),
            *boost_urls(boosts),
            *contest_urls(contests),
            *scenario_urls(scenarios),
            *message_urls(messages),
            *import_urls(imports),
        ]
        return self.post_process_urls(urls)


def boost_urls(boosts):  # type: ignore[no-untyped-def]
    return [
        path("boosts/", boosts.BoostListView.as_view(), name="parrain-boost-list"),
        path("boosts/new/", boosts.BoostFormView.as_view(), name="parrain-boost-create"),
        path("boosts/<int:pk>/", boosts.BoostDetailView.as_view(), name="parrain-boost-detail"),
        path(
            "boosts/<int:pk>/edit/", boosts.BoostUpdateView.as_view(), name="parrain-boost-update"
        ),
        path(
            "boosts/<int:pk>/delete/",
            boosts.BoostDeleteView.as_view(),
            name="parrain-boost-delete",
        ),
    ]


def contest_urls(contests):  # type: ignore[no-untyped-def]
    return [
        path("contests/", contests.ContestListView.as_view(), name="parrain-contest-list"),
        path("contests/new/", contests.ContestFormView.as_view(), name="parrain-contest-create"),
        path(
            "contests/<int:pk>/",
            contests.ContestDetailView.as_view(),
            name="parrain-contest-detail",
        ),
        path(
            "contests/<int:pk>/edit/",
            contests.ContestUpdateView.as_view(),
            name="parrain-contest-update",
        ),
        path(
            "contests/<int:pk>/open/",
            contests.ContestOpenView.as_view(),
            name="parrain-contest-open",
        ),
        path(
            "contests/<int:pk>/entries/",
            contests.ContestEntriesView.as_view(),
            name="parrain-contest-entries",
        ),
        path(
            "contests/<int:pk>/entries.csv",
            contests.ContestEntriesCsvView.as_view(),
            name="parrain-contest-entries-csv",
        ),
        path(
            "contests/<int:pk>/draw/",
            contests.ContestDrawView.as_view(),
            name="parrain-contest-draw",
        ),
        path(
            "contests/winners/<int:pk>/redraw/",
            contests.WinnerRedrawView.as_view(),
            name="parrain-winner-redraw",
        ),
        path(
            "contests/winners/<int:pk>/delivered/",
            contests.WinnerDeliveredView.as_view(),
            name="parrain-winner-delivered",
        ),
    ]


def scenario_urls(scenarios):  # type: ignore[no-untyped-def]
    return [
        path("scenario/", scenarios.ScenarioView.as_view(), name="parrain-scenario"),
        path("scenario/steps/new/", scenarios.StepFormView.as_view(), name="parrain-step-create"),
        path(
            "scenario/steps/<int:pk>/",
            scenarios.StepUpdateView.as_view(),
            name="parrain-step-update",
        ),
        path(
            "scenario/steps/<int:pk>/delete/",
            scenarios.StepDeleteView.as_view(),
            name="parrain-step-delete",
        ),
    ]


def message_urls(messages):  # type: ignore[no-untyped-def]
    one = "messages/<slug:kind>/<slug:channel>/<slug:language>/"
    return [
        path("messages/", messages.MessageListView.as_view(), name="parrain-message-list"),
        path(one, messages.TemplateEditView.as_view(), name="parrain-message-edit"),
        path(
            f"{one}preview/",
            messages.TemplatePreviewView.as_view(),
            name="parrain-message-preview",
        ),
    ]


def import_urls(imports):  # type: ignore[no-untyped-def]
    from . import schedules

    def screen(name: str):  # type: ignore[no-untyped-def]
        return imports.ImportView.as_view(screen=name)

    return [
        path("imports/", screen("list"), name="parrain-import-list"),
        path("imports/upload/", screen("upload"), name="parrain-import-upload"),
        path("imports/<int:pk>/", screen("detail"), name="parrain-import-detail"),
        path("imports/<int:pk>/status/", screen("status"), name="parrain-import-status"),
        path("imports/<int:pk>/invalid-rows/", screen("errors"), name="parrain-import-errors"),
        path("imports/<int:pk>/cancel/", screen("cancel"), name="parrain-import-cancel"),
        path(
            "imports/regular/",
            schedules.ImportScheduleDashboardView.as_view(),
            name="parrain-import-schedule",
        ),
    ]
