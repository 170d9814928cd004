"""The Celery app: ``celery -A parrain.standalone worker`` and ``celery -A parrain.standalone
beat`` (exactly one beat)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "parrain.standalone.settings")

app = Celery("parrain")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
