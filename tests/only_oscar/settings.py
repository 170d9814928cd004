"""An Oscar shop with Parrain's core and Oscar plugin only: no Wagtail, no other adapter."""

from django.urls import reverse_lazy
from oscar import INSTALLED_APPS as OSCAR_APPS
from oscar.defaults import *  # noqa: F403

from parrain.plugins.oscar.dashboard.navigation import REFERRAL_NAVIGATION
from tests.minimal_settings import *  # noqa: F403
from tests.services import test_databases

ROOT_URLCONF = "tests.only_oscar.urls"
INSTALLED_APPS += ["parrain.plugins.oscar", "parrain.plugins.oscar.dashboard"]  # noqa: F405
INSTALLED_APPS += [app for app in OSCAR_APPS if app not in INSTALLED_APPS] + ["sorl.thumbnail"]
MIDDLEWARE += [  # noqa: F405
    "parrain.plugins.oscar.middleware.ReferralCodeMiddleware",
    "oscar.apps.basket.middleware.BasketMiddleware",
]
TEMPLATES[0]["OPTIONS"]["context_processors"] += [  # noqa: F405
    # Oscar's search form on Oscar's pages only (Oscar's own processor shows it in Wagtail's
    # admin headers): parrain.plugins.oscar.context_processors
    "parrain.plugins.oscar.context_processors.search_form",
    "oscar.apps.checkout.context_processors.checkout",
    "oscar.apps.communication.notifications.context_processors.notifications",
    "oscar.core.context_processors.metadata",
]
DATABASES = test_databases("_only_oscar")
AUTHENTICATION_BACKENDS = [
    "oscar.apps.customer.auth_backends.EmailBackend",
    "django.contrib.auth.backends.ModelBackend",
]
HAYSTACK_CONNECTIONS = {"default": {"ENGINE": "haystack.backends.simple_backend.SimpleEngine"}}
SITE_ID = 1
LOGIN_REDIRECT_URL = reverse_lazy("customer:summary")
OSCAR_DEFAULT_CURRENCY = "EUR"
OSCAR_DASHBOARD_NAVIGATION = [*OSCAR_DASHBOARD_NAVIGATION, REFERRAL_NAVIGATION]  # noqa: F405
PARRAIN_FULFILMENT = {"BACKEND": "parrain.plugins.oscar.fulfilment.OscarVoucherBackend"}
PARRAIN_OSCAR = {"PROGRAM": "boutique"}  # the program tests.oscar.conftest creates
