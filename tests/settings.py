"""Test settings: PostgreSQL when reachable (always under CI=true), SQLite otherwise."""

from sandbox.settings import *  # noqa: F403
from tests.services import test_databases

DATABASES = test_databases()

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_BROKER_URL = "memory://"
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
PARRAIN_BASE_URL = "https://shop.example"
# The SSRF guard is on in tests whatever the demo says; tests that talk to a loopback
# server opt out explicitly (tests/webhooks/conftest.py: allow_loopback).
PARRAIN_WEBHOOKS = {"ALLOW_PRIVATE_TARGETS": False}
# The Oscar shop runs the demo's program, which the demo and browser tests create; the
# tests/oscar fixture names its own ("boutique"). Other tests' programs are the install's
# other programs: their rewards are plain codes, not Oscar vouchers.
PARRAIN_OSCAR = {"PROGRAM": "maison-lumiere", "CANCEL_STATUSES": ["Cancelled", "Refunded"]}
