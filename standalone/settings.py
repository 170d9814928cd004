"""Settings of the standalone service (``parrain.standalone``), read from the environment.

The core, the webhooks plugin, the server and public APIs and the Django admin; no Oscar,
no Wagtail. ``DEBUG`` is always off. docs/deploy.md lists every variable; a missing or
unfit one stops the process at start with ImproperlyConfigured saying which and why.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

from parrain.core.beat import BEAT_SCHEDULE as CORE_BEAT_SCHEDULE
from parrain.plugins.generic_webhook.beat import BEAT_SCHEDULE as WEBHOOKS_BEAT_SCHEDULE
from parrain.standalone import env

SECRET_KEY = env.secret_key(os.environ.get("SECRET_KEY", ""))
# Keys for the secrets stored encrypted (core/crypto.py), newest first; SECRET_KEY's
# derived key always decrypts too.
PARRAIN_ENCRYPTION_KEYS = [
    key.strip() for key in os.environ.get("PARRAIN_ENCRYPTION_KEYS", "").split(",") if key.strip()
]
DEBUG = False
ALLOWED_HOSTS = env.host_list("ALLOWED_HOSTS")
PARRAIN_BASE_URL = env.base_url()
_BASE = urlsplit(PARRAIN_BASE_URL)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "ninja",  # Swagger UI's files for /api/v1/docs
    "parrain.core",
    "parrain.plugins.generic_webhook",
    "parrain.standalone",  # health, readiness, metrics, JSON logs
]
MIDDLEWARE = [
    # first: every request, static files included, gets its id, its log line and its metrics
    "parrain.standalone.middleware.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
ROOT_URLCONF = "parrain.standalone.urls"
WSGI_APPLICATION = "parrain.standalone.wsgi.application"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]

DATABASES = {"default": env.database()}
# Behind PgBouncer in transaction mode before 1.21: PARRAIN_PREPARED_ORDERS=0 (docs/deploy.md).
PARRAIN_PREPARED_ORDERS = os.environ.get("PARRAIN_PREPARED_ORDERS", "1") != "0"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CELERY_BROKER_URL = env.broker()
REDIS_KEY_PREFIX = os.environ.get("REDIS_KEY_PREFIX", "")
if REDIS_KEY_PREFIX and urlsplit(CELERY_BROKER_URL).scheme in env.REDIS_SCHEMES:
    CELERY_BROKER_TRANSPORT_OPTIONS = {"global_keyprefix": REDIS_KEY_PREFIX}
CELERY_TASK_ALWAYS_EAGER = False
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Django's LOGGING (JSON lines, below) applies in the workers too.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BEAT_SCHEDULE = {**CORE_BEAT_SCHEDULE, **WEBHOOKS_BEAT_SCHEDULE}

# Rate limits and the widget's configuration are shared by every web process through Redis;
# without Redis (a RabbitMQ broker and no REDIS_URL) each process counts on its own.
if _redis := env.redis_url(CELERY_BROKER_URL):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": _redis,
            "KEY_PREFIX": REDIS_KEY_PREFIX,
        }
    }

_email = env.email()
EMAIL_BACKEND = _email.pop("EMAIL_BACKEND")
globals().update(_email)  # EMAIL_HOST, EMAIL_PORT… or ANYMAIL
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL") or f"noreply@{_BASE.hostname}"
SERVER_EMAIL = DEFAULT_FROM_EMAIL
if EMAIL_BACKEND.startswith("anymail."):
    INSTALLED_APPS.append("anymail")
PARRAIN_SMS = env.sms()
PARRAIN_CLIENT_IP_HEADER = os.environ.get("PARRAIN_CLIENT_IP_HEADER", "")
PARRAIN_SHARE_CLICK_BUFFER = os.environ.get("PARRAIN_SHARE_CLICK_BUFFER", "")
# 1: every inbound order webhook is accepted at once (202) and attributed by a worker.
PARRAIN_ORDERS_IN_BACKGROUND = os.environ.get("PARRAIN_ORDERS_IN_BACKGROUND", "0") == "1"
PARRAIN_ORDER_DRAINS = int(os.environ.get("PARRAIN_ORDER_DRAINS", "4"))

LANGUAGE_CODE = os.environ.get("LANGUAGE_CODE", "fr")
LANGUAGES = [("fr", "Français"), ("en", "English")]
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT") or Path.cwd() / "static")
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT") or Path.cwd() / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # hashed names (cached for a year) and gzip + brotli copies made by collectstatic
    "staticfiles": {"BACKEND": "parrain.standalone.storage.StaticFilesStorage"},
}

# Behind a TLS-terminating proxy that sets X-Forwarded-Proto.
if env.flag("USE_X_FORWARDED_PROTO"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = _BASE.scheme == "https"
CSRF_TRUSTED_ORIGINS = [f"{_BASE.scheme}://{_BASE.netloc}"]

# /metrics: off unless a token is set; Prometheus sends it as a bearer token.
PARRAIN_METRICS_TOKEN = os.environ.get("PARRAIN_METRICS_TOKEN", "")

LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO").upper()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "parrain.standalone.jsonlog.RequestIdFilter"}},
    "formatters": {"json": {"()": "parrain.standalone.jsonlog.JsonFormatter"}},
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": "json",
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["stdout"], "level": LOG_LEVEL},
    "loggers": {
        # Our request log says the same once per request, with the request id.
        "django.server": {"level": "WARNING"},
        "django.request": {"level": "ERROR"},
    },
}
