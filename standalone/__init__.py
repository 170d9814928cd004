"""Parrain as a standalone service: settings read from the environment, URLs, WSGI, the
Celery app, health and readiness endpoints, JSON logs and Prometheus metrics.

``DJANGO_SETTINGS_MODULE=parrain.standalone.settings``; docs/deploy.md is the guide.
"""
