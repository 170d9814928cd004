"""An install with Django, Oscar, Parrain's core and Oscar plugin only (see settings.py)."""

from celery import Celery

# The host project's Celery app, configured from Django settings (as a shop would have).
celery_app = Celery("only_oscar")
celery_app.config_from_object("django.conf:settings", namespace="CELERY")
