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
# The Oscar shop runs the program tests/oscar creates ("boutique"); other tests' programs are
# the install's other programs, whose rewards are plain codes, not Oscar vouchers.
PARRAIN_OSCAR = {"PROGRAM": "boutique", "CANCEL_STATUSES": ["Cancelled", "Refunded"]}
