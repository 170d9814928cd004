"""Storefront URLs: ``path("shop/", include("parrain.plugins.oscar.urls"))``.

The dashboard section is mounted on its own (see docs/howto-oscar.md)::

    path("shop/dashboard/referral/", apps.get_app_config("parrain_oscar_dashboard").urls)
"""

from django.urls import path

from . import views

app_name = "parrain_oscar"

urlpatterns = [
    path("accounts/referrals/", views.AccountReferralsView.as_view(), name="account-referrals"),
]
