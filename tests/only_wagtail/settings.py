"""A Wagtail site with Parrain and no shop framework: Django + Wagtail + core + plugin.

As a site whose shop runs elsewhere (connected through the API and webhooks) would install
it. No ``sandbox`` import, so nothing that another adapter adds there leaks in.
"""

from tests.minimal_settings import *  # noqa: F403
from tests.services import test_databases

INSTALLED_APPS += [  # noqa: F405
    "parrain.plugins.wagtail",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
]
ROOT_URLCONF = "tests.only_wagtail.urls"
DATABASES = test_databases("_only_wagtail")
WAGTAIL_SITE_NAME = "Only Wagtail"
WAGTAILADMIN_BASE_URL = "https://shop.example"
