"""The "Referral" entry for ``OSCAR_DASHBOARD_NAVIGATION`` (safe to import from settings)."""

from django.utils.translation import gettext_lazy as _

REFERRAL_NAVIGATION = {
    "label": _("Referral"),
    "icon": "fas fa-handshake",
    "children": [
        {"label": _("Figures"), "url_name": "parrain_oscar_dashboard:parrain-index"},
        {"label": _("Referrals"), "url_name": "parrain_oscar_dashboard:parrain-referral-list"},
        {"label": _("Review queue"), "url_name": "parrain_oscar_dashboard:parrain-review-queue"},
        {"label": _("Contacts"), "url_name": "parrain_oscar_dashboard:parrain-contact-list"},
        {
            "label": _("Contact imports"),
            "url_name": "parrain_oscar_dashboard:parrain-import-list",
        },
        {"label": _("Badges"), "url_name": "parrain_oscar_dashboard:parrain-badge-list"},
        {"label": _("Boosted offers"), "url_name": "parrain_oscar_dashboard:parrain-boost-list"},
        {"label": _("Contests"), "url_name": "parrain_oscar_dashboard:parrain-contest-list"},
        {"label": _("Scenario"), "url_name": "parrain_oscar_dashboard:parrain-scenario"},
        {"label": _("Messages"), "url_name": "parrain_oscar_dashboard:parrain-message-list"},
        {"label": _("Program settings"), "url_name": "parrain_oscar_dashboard:parrain-program"},
        {"label": _("Widget code"), "url_name": "parrain_oscar_dashboard:parrain-snippet"},
        {
            "label": _("New program"),
            "url_name": "parrain_oscar_dashboard:parrain-program-create",
        },
    ],
}
