"""Test settings: PostgreSQL when reachable (always under CI=true), SQLite otherwise."""

import os

# A key of the tests' own, so that they never make or read the demo's (.demo/secret_key);
# processes the tests start (a Celery worker) inherit it.
os.environ.setdefault("DJANGO_SECRET_KEY", "parrain-tests-only-" + "0123456789abcdef" * 3)

from sandbox.settings import *  # noqa: E402,F403
from tests.services import test_databases  # noqa: E402

DATABASES = test_databases()

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# SMS kept in memory (LocmemBackend.outbox), like the emails; tests/sms_provider.py plays a
# real HTTP provider where the HTTP backend is under test.
PARRAIN_SMS = {"BACKEND": "parrain.core.messaging.sms.LocmemBackend", "INBOUND_TOKEN": ""}
CELERY_BROKER_URL = "memory://"
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
PARRAIN_BASE_URL = "https://shop.example"
# The SSRF guard is on in tests whatever the demo says; tests that talk to a loopback
# server opt out explicitly (tests/webhooks/conftest.py: allow_loopback).
PARRAIN_WEBHOOKS = {"ALLOW_PRIVATE_TARGETS": False}
PARRAIN_ALLOW_PRIVATE_TARGETS = False
# The Oscar shop runs the demo's program, which the demo and browser tests create; the
# tests/oscar fixture names its own ("boutique"). Other tests' programs are the install's
# other programs: their rewards are plain codes, not Oscar vouchers.
PARRAIN_OSCAR = {"PROGRAM": "maison-lumiere", "CANCEL_STATUSES": ["Cancelled", "Refunded"]}

# Uploaded files (badge images) go to a throw-away folder, never into the demo's .media/.
MEDIA_ROOT = __import__("tempfile").mkdtemp(prefix="parrain-test-media-")
