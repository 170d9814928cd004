"""Settings of the demo project: the core and every adapter together.

Environment: ``DATABASE_URL`` is not read; ``PARRAIN_DB=postgres`` switches to the local
PostgreSQL, otherwise an embedded SQLite file is used. Celery runs eagerly unless
``CELERY_BROKER_URL`` is set. ``DJANGO_SECRET_KEY`` if set, else a key made once and kept in
``.demo/secret_key`` (ignored by git). ``DEBUG`` is off unless ``DJANGO_DEBUG=1`` (``make
demo`` sets it). A deployment uses ``sandbox.settings_production`` instead.
"""

import os
from pathlib import Path

from parrain.core.beat import BEAT_SCHEDULE as CORE_BEAT_SCHEDULE
from parrain.plugins.generic_webhook.beat import BEAT_SCHEDULE as WEBHOOKS_BEAT_SCHEDULE
from sandbox.demo_address import demo_base_url, demo_host
from sandbox.demo_key import demo_secret_key

BASE_DIR = Path(__file__).resolve().parent
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY") or demo_secret_key()
DEBUG = os.environ.get("DJANGO_DEBUG") == "1"
# Where the demo is served: PARRAIN_BASE_URL, else derived from ``make demo ADDRESS=…``
# (PARRAIN_DEMO_ADDRESS); share links, the widget and the demo seed use it.
PARRAIN_BASE_URL = demo_base_url()
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
if (_base_host := demo_host(PARRAIN_BASE_URL)) and _base_host not in ALLOWED_HOSTS:
    ALLOWED_HOSTS.append(_base_host)  # e.g. make demo ADDRESS=192.168.1.5:8000, or [::1]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "ninja",  # serves Swagger UI's files for /api/v1/docs from static files (works offline)
    "parrain.core",
    # -- webhooks plugin (issue 6) --
    "parrain.plugins.generic_webhook",
    # -- end webhooks plugin --
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "sandbox.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
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
WSGI_APPLICATION = "sandbox.wsgi.application"

if os.environ.get("PARRAIN_DB") == "postgres":
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": os.environ.get("PGDATABASE", "test"),
            "USER": os.environ.get("PGUSER", "postgres"),
            "HOST": os.environ.get("PGHOST", "127.0.0.1"),
            "PORT": os.environ.get("PGPORT", "5432"),
            # Persistent connections (issue 16 §5): opening one per request cost more than
            # recording an order's rows; checked before reuse, so a restarted server is
            # reconnected to instead of failing the request.
            "CONN_MAX_AGE": int(os.environ.get("PARRAIN_CONN_MAX_AGE", "600")),
            "CONN_HEALTH_CHECKS": True,
        }
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("PARRAIN_SQLITE", BASE_DIR.parent / "demo.sqlite3"),
        }
    }
    # SQLite ignores the covering columns of a few indexes (a PostgreSQL speed-up only): the
    # demo needn't print four warnings before every command.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", "Français"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]  # the demo home page's own catalogue
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR.parent / ".static"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# issue 13: the demo keeps every email it sends in .demo/outbox/, shown at /demo/outbox/
# (sandbox/outbox.py); its SMS are printed on the console.
EMAIL_BACKEND = "sandbox.outbox.OutboxBackend"
DEMO_OUTBOX_DIR = BASE_DIR.parent / ".demo" / "outbox"
DEFAULT_FROM_EMAIL = "Parrain demo <parrainage@example.com>"
PARRAIN_SMS = {"BACKEND": "parrain.core.messaging.sms.ConsoleBackend"}
# Regular imports may fetch a customer file from this machine's network in the demo only.
PARRAIN_ALLOW_PRIVATE_TARGETS = DEBUG

CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "memory://")
CELERY_TASK_ALWAYS_EAGER = "CELERY_BROKER_URL" not in os.environ
CELERY_TASK_EAGER_PROPAGATES = True
# The core's periodic tasks (core/beat.py; docs/deploy.md says what each does).
CELERY_BEAT_SCHEDULE = dict(CORE_BEAT_SCHEDULE)

# -- webhooks plugin (issue 6): retry sweep and log purge of outbound webhooks --
CELERY_BEAT_SCHEDULE.update(WEBHOOKS_BEAT_SCHEDULE)
# Outbound webhooks and shop API calls to this machine (a local receiver, a local shop) are
# allowed only in the local demo; never turn this on in production (a system check warns).
PARRAIN_WEBHOOKS = {"ALLOW_PRIVATE_TARGETS": DEBUG}
# -- end webhooks plugin --

# --- Wagtail: referral landing pages and the Wagtail admin at /cms/ (issue 5) ---
INSTALLED_APPS += [
    "parrain.plugins.wagtail",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
]
WAGTAIL_SITE_NAME = "Parrain demo"
WAGTAILADMIN_BASE_URL = PARRAIN_BASE_URL
MEDIA_ROOT = BASE_DIR.parent / ".media"
MEDIA_URL = "media/"
# --- end Wagtail ---

# --- Django Oscar shop with the Parrain Oscar plugin (issue 4) --------------------------
# The shop lives under /shop/ (sandbox/urls.py). Everything Oscar needs is in this block.
from django.urls import reverse_lazy  # noqa: E402
from oscar import INSTALLED_APPS as OSCAR_APPS  # noqa: E402
from oscar.defaults import *  # noqa: E402,F403

from parrain.plugins.oscar.dashboard.navigation import REFERRAL_NAVIGATION  # noqa: E402

INSTALLED_APPS += [
    # Before Oscar's apps: the plugin's templates add the widget to the thank-you page
    # and a "Referrals" tab to the account area.
    "parrain.plugins.oscar",
    "parrain.plugins.oscar.dashboard",
    *[app for app in OSCAR_APPS if app not in INSTALLED_APPS],
    "sorl.thumbnail",
]
MIDDLEWARE += [
    "parrain.plugins.oscar.middleware.ReferralCodeMiddleware",
    "oscar.apps.basket.middleware.BasketMiddleware",
    "django.contrib.flatpages.middleware.FlatpageFallbackMiddleware",
]
TEMPLATES[0]["OPTIONS"]["context_processors"] += [
    # LANGUAGE_CODE for Oscar's <html lang>: the widget speaks the page's language
    "django.template.context_processors.i18n",
    # Oscar's search form on Oscar's pages only (Oscar's own processor shows it in Wagtail's
    # admin headers): parrain.plugins.oscar.context_processors
    "parrain.plugins.oscar.context_processors.search_form",
    "oscar.apps.checkout.context_processors.checkout",
    "oscar.apps.communication.notifications.context_processors.notifications",
    "oscar.core.context_processors.metadata",
]
AUTHENTICATION_BACKENDS = [
    "oscar.apps.customer.auth_backends.EmailBackend",
    "django.contrib.auth.backends.ModelBackend",
]
HAYSTACK_CONNECTIONS = {"default": {"ENGINE": "haystack.backends.simple_backend.SimpleEngine"}}
SITE_ID = 1
MEDIA_URL = "media/"
MEDIA_ROOT = BASE_DIR.parent / ".media"
LOGIN_REDIRECT_URL = reverse_lazy("customer:summary")
OSCAR_HOMEPAGE = reverse_lazy("shop-home")  # Oscar's catalogue needs a real search backend
OSCAR_SHOP_NAME = "Maison Lumière"
OSCAR_DEFAULT_CURRENCY = "EUR"
OSCAR_FROM_EMAIL = DEFAULT_FROM_EMAIL
OSCAR_ALLOW_ANON_CHECKOUT = True
OSCAR_INITIAL_ORDER_STATUS = "Pending"
OSCAR_INITIAL_LINE_STATUS = "Pending"
OSCAR_ORDER_STATUS_PIPELINE = {
    "Pending": ("Being processed", "Cancelled"),
    "Being processed": ("Complete", "Cancelled"),
    "Complete": ("Refunded",),
    "Cancelled": (),
    "Refunded": (),
}
OSCAR_DASHBOARD_NAVIGATION = [*OSCAR_DASHBOARD_NAVIGATION, REFERRAL_NAVIGATION]  # noqa: F405
PARRAIN_FULFILMENT = {"BACKEND": "parrain.plugins.oscar.fulfilment.OscarVoucherBackend"}
PARRAIN_OSCAR = {"PROGRAM": "maison-lumiere", "CANCEL_STATUSES": ["Cancelled", "Refunded"]}
# --- end of the Oscar block ---------------------------------------------------------------
