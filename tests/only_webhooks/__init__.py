"""Loaded with its settings: the Celery app of this install, wired the usual Django way."""

from celery import Celery

celery_app = Celery("only_webhooks")
celery_app.config_from_object("django.conf:settings", namespace="CELERY")
