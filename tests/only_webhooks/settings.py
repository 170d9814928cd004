"""An install with Django, the core and the webhooks plugin only: no Oscar, no Wagtail."""

from tests.minimal_settings import *  # noqa: F403
from tests.services import test_databases

INSTALLED_APPS += ["parrain.plugins.generic_webhook"]  # noqa: F405
ROOT_URLCONF = "tests.only_webhooks.urls"
DATABASES = test_databases("_only_webhooks")
LANGUAGE_CODE = "fr"
# The receiver in these tests listens on loopback.
PARRAIN_WEBHOOKS = {"ALLOW_PRIVATE_TARGETS": True}
