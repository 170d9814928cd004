"""The demo project (core, Oscar shop, Wagtail site, webhooks) with production settings.

The standalone service (other shops talk to it over HTTP) is ``parrain.standalone``, set
up from the environment alone: docs/deploy.md. This module is for serving the demo
project itself with ``DEBUG`` off:

    DJANGO_SETTINGS_MODULE=sandbox.settings_production
    DJANGO_SECRET_KEY=...          # required: 50+ random characters, never the demo's key
    DJANGO_ALLOWED_HOSTS=parrain.example.com,www.example.com
    PARRAIN_DB=postgres PGHOST=... PGDATABASE=... CELERY_BROKER_URL=redis://...
    PARRAIN_BASE_URL=https://parrain.example.com

Everything else is the demo project's (``sandbox/settings.py``), with ``DEBUG`` off whatever
``DJANGO_DEBUG`` says. A missing or unfit key stops the process at start with
ImproperlyConfigured, before the demo settings would make a key of their own; so do empty
host names or a missing ``PARRAIN_BASE_URL`` (the demo would guess a loopback address).
The system checks (``parrain.W001``) then say whether that URL's host is among them.
"""

import os

from django.core.exceptions import ImproperlyConfigured

from sandbox.demo_key import production_secret_key

_SECRET_KEY = production_secret_key(os.environ.get("DJANGO_SECRET_KEY", ""))

from sandbox.settings import *  # noqa: E402,F403

SECRET_KEY = _SECRET_KEY
DEBUG = False
ALLOWED_HOSTS = [
    host.strip() for host in os.environ.get("DJANGO_ALLOWED_HOSTS", "").split(",") if host.strip()
]
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured(
        "DJANGO_ALLOWED_HOSTS is empty: name the host names this service answers to, "
        "comma-separated (e.g. parrain.example.com)."
    )
if not os.environ.get("PARRAIN_BASE_URL"):
    raise ImproperlyConfigured(
        "PARRAIN_BASE_URL is not set: name the address visitors use to reach this service "
        "(e.g. https://parrain.example.com); share links, emails and widgets point there."
    )
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
