from django.urls import path
from django.utils.translation import gettext_lazy as _
from oscar.core.application import OscarDashboardConfig


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
            "parrain-contact-list": ["is_staff", "parrain.view_contact"],
            "parrain-program": ["is_staff", "parrain.change_program", "parrain.change_rewardrule"],
            "parrain-badge-list": ["is_staff", "parrain.view_badge"],
            "parrain-badge-detail": ["is_staff", "parrain.view_badge", "parrain.view_badgeholding"],
            "parrain-badge-holders": [
                "is_staff",
                "parrain.view_badge",
                "parrain.add_badgeholding",
                "parrain.change_badgeholding",
            ],
        }

    def ready(self) -> None:
        self.configure_permissions()

    def get_urls(self):  # type: ignore[no-untyped-def]
        from . import badges, views

        urls = [
            path("", views.FiguresView.as_view(), name="parrain-index"),
            path("referrals/", views.ReferralListView.as_view(), name="parrain-referral-list"),
            path("review/", views.ReviewQueueView.as_view(), name="parrain-review-queue"),
            path(
                "referrals/<int:pk>/review/",
                views.ReviewActionView.as_view(),
                name="parrain-referral-review",
            ),
            path("contacts/", views.ContactListView.as_view(), name="parrain-contact-list"),
            path("program/", views.ProgramSettingsView.as_view(), name="parrain-program"),
            path("badges/", badges.BadgeListView.as_view(), name="parrain-badge-list"),
            path("badges/<int:pk>/", badges.BadgeDetailView.as_view(), name="parrain-badge-detail"),
            path(
                "badges/<int:pk>/holders/",
                badges.BadgeHolderChangeView.as_view(),
                name="parrain-badge-holders",
            ),
        ]
        return self.post_process_urls(urls)
