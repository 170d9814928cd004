"""Settings of the separate ``celery worker`` process started by tests/core/test_celery_worker.py.

The same as the tests', pointed at the test database pytest-django created (its name comes
in ``PARRAIN_WORKER_DB``), at this checkout's Redis database, and at a mail folder the test
reads (``PARRAIN_WORKER_MAIL_DIR``).
"""

import os

from tests.services import REDIS_TEST_URL, TEST_DB_NAME
from tests.settings import *  # noqa: F403
from tests.settings import DATABASES

DATABASES["default"]["NAME"] = os.environ.get("PARRAIN_WORKER_DB", TEST_DB_NAME)
CELERY_BROKER_URL = REDIS_TEST_URL
CELERY_TASK_ALWAYS_EAGER = False
EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
EMAIL_FILE_PATH = os.environ.get("PARRAIN_WORKER_MAIL_DIR", "")

# tests/core/test_scenario_workers.py: several workers deliver to one loopback SMTP server
# (``PARRAIN_WORKER_SMTP_PORT``), each greeting it with its own name (``PARRAIN_WORKER_NAME``,
# the EHLO and Message-ID domain), so the test tells which worker sent what.
if os.environ.get("PARRAIN_WORKER_SMTP_PORT"):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = "127.0.0.1"
    EMAIL_PORT = int(os.environ["PARRAIN_WORKER_SMTP_PORT"])
if os.environ.get("PARRAIN_WORKER_NAME"):
    from django.core.mail.utils import DNS_NAME

    DNS_NAME._fqdn = os.environ["PARRAIN_WORKER_NAME"]

# tests/core/test_import_worker.py: the worker reads the uploads this test process stored
# (``PARRAIN_WORKER_MEDIA_ROOT``), imports in small batches (``PARRAIN_WORKER_IMPORT_BATCH``),
# and takes back, on start, a task its killed predecessor had not acknowledged
# (``PARRAIN_WORKER_VISIBILITY_TIMEOUT`` seconds; Redis keeps it an hour by default).
if os.environ.get("PARRAIN_WORKER_MEDIA_ROOT"):
    MEDIA_ROOT = os.environ["PARRAIN_WORKER_MEDIA_ROOT"]
if os.environ.get("PARRAIN_WORKER_IMPORT_BATCH"):
    PARRAIN_IMPORT_BATCH = int(os.environ["PARRAIN_WORKER_IMPORT_BATCH"])
if os.environ.get("PARRAIN_WORKER_VISIBILITY_TIMEOUT"):
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": int(os.environ["PARRAIN_WORKER_VISIBILITY_TIMEOUT"])
    }
