"""Reading the standalone service's environment: each value checked, or ImproperlyConfigured.

Every reader names the variable and says what a fit value looks like, so a deployment
with a missing or unfit value stops at start with the reason, never later with a 500.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

MIN_KEY_LENGTH = 50  # as Django's own deployment check (security.W009)
MIN_KEY_DISTINCT = 5
HOW_TO_MAKE_A_KEY = "make one with: python -c 'import secrets; print(secrets.token_urlsafe(50))'"
BROKER_SCHEMES = ("redis", "rediss", "amqp", "amqps", "pyamqp")
REDIS_SCHEMES = ("redis", "rediss")


def required(name: str, example: str, environ: Mapping[str, str] = os.environ) -> str:
    value = environ.get(name, "").strip()
    if not value:
        raise ImproperlyConfigured(f"{name} is not set: {example}")
    return value


def secret_key(
    value: str, *, name: str = "SECRET_KEY", refused: Iterable[str] = (), refused_why: str = ""
) -> str:
    """``value`` if fit to sign sessions and tokens in production, else ImproperlyConfigured.

    ``refused``: keys anyone could know (a demo's), refused with ``refused_why``.
    """
    if not value:
        raise ImproperlyConfigured(
            f"{name} is empty: production settings need a secret key of "
            f"{MIN_KEY_LENGTH} or more random characters; {HOW_TO_MAKE_A_KEY}"
        )
    if value in set(refused):
        raise ImproperlyConfigured(f"{name} is {refused_why}; {HOW_TO_MAKE_A_KEY}")
    if (
        len(value) < MIN_KEY_LENGTH
        or len(set(value)) < MIN_KEY_DISTINCT
        or value.startswith("django-insecure-")
    ):
        raise ImproperlyConfigured(
            f"{name} is too short or too simple: production settings need "
            f"{MIN_KEY_LENGTH} or more random characters; {HOW_TO_MAKE_A_KEY}"
        )
    return value


def host_list(name: str, environ: Mapping[str, str] = os.environ) -> list[str]:
    hosts = [host.strip() for host in environ.get(name, "").split(",") if host.strip()]
    if not hosts:
        raise ImproperlyConfigured(
            f"{name} is empty: name the host names this service answers to, "
            "comma-separated (e.g. parrain.example.com)."
        )
    return hosts


def base_url(environ: Mapping[str, str] = os.environ) -> str:
    value = required(
        "PARRAIN_BASE_URL",
        "name the address visitors use to reach this service (e.g. "
        "https://parrain.example.com); share links, emails and widgets point there.",
        environ,
    ).rstrip("/")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ImproperlyConfigured(
            f"PARRAIN_BASE_URL {value!r} is not an absolute http(s) URL "
            "(e.g. https://parrain.example.com)."
        )
    return value


def database(environ: Mapping[str, str] = os.environ) -> dict[str, Any]:
    """``DATABASE_URL`` as Django's ``DATABASES["default"]``: PostgreSQL only."""
    import dj_database_url

    url = required(
        "DATABASE_URL",
        "the PostgreSQL database, e.g. postgres://parrain:password@db.internal:5432/parrain",
        environ,
    )
    try:
        config = dj_database_url.parse(
            url,
            conn_max_age=int(environ.get("DATABASE_CONN_MAX_AGE", "60")),
            conn_health_checks=True,
        )
    except ValueError as exc:
        raise ImproperlyConfigured(f"DATABASE_URL cannot be read: {exc}") from exc
    if config.get("ENGINE") != "django.db.backends.postgresql":
        raise ImproperlyConfigured(
            "DATABASE_URL must name a PostgreSQL database (postgres://…): the service "
            "relies on its row locks (SELECT … FOR UPDATE SKIP LOCKED); SQLite is for the demo."
        )
    return config


def broker(environ: Mapping[str, str] = os.environ) -> str:
    """``CELERY_BROKER_URL``, else ``REDIS_URL``: Redis or RabbitMQ."""
    url = environ.get("CELERY_BROKER_URL", "").strip() or environ.get("REDIS_URL", "").strip()
    if not url:
        raise ImproperlyConfigured(
            "Neither CELERY_BROKER_URL nor REDIS_URL is set: name the Celery broker, "
            "redis://redis.internal:6379/0 or amqp://user:password@rabbitmq.internal:5672/vhost."
        )
    if urlsplit(url).scheme not in BROKER_SCHEMES:
        raise ImproperlyConfigured(
            f"The Celery broker must be Redis or RabbitMQ ({', '.join(BROKER_SCHEMES)}://…), "
            f"not {urlsplit(url).scheme or url!r}."
        )
    return url


def redis_url(broker_url: str, environ: Mapping[str, str] = os.environ) -> str:
    """Redis for the shared cache (rate limits): ``REDIS_URL``, else a Redis broker's URL."""
    url = environ.get("REDIS_URL", "").strip()
    if url and urlsplit(url).scheme not in REDIS_SCHEMES:
        raise ImproperlyConfigured(f"REDIS_URL must be a redis:// or rediss:// URL, not {url!r}.")
    if not url and urlsplit(broker_url).scheme in REDIS_SCHEMES:
        return broker_url
    return url


def email(environ: Mapping[str, str] = os.environ) -> dict[str, Any]:
    """Django's email settings from ``EMAIL_URL`` (SMTP) or ``EMAIL_BACKEND`` (anymail…)."""
    backend = environ.get("EMAIL_BACKEND", "").strip()
    url = environ.get("EMAIL_URL", "").strip()
    if backend and url:
        raise ImproperlyConfigured("Set EMAIL_URL (SMTP) or EMAIL_BACKEND, not both.")
    if backend:
        return {"EMAIL_BACKEND": backend, **_anymail(environ)}
    if not url:
        raise ImproperlyConfigured(
            "EMAIL_URL is not set: invitations and rewards are sent by email. Give the SMTP "
            "server, e.g. smtp+tls://user:password@smtp.example.com:587 (STARTTLS), "
            "smtps://…:465 (TLS), smtp://localhost:25, or set EMAIL_BACKEND (e.g. an "
            "anymail backend with ANYMAIL as JSON)."
        )
    return smtp(url)


def smtp(url: str) -> dict[str, Any]:
    parts = urlsplit(url)
    if parts.scheme == "console":
        return {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}
    tls = {"smtp": (False, False), "smtp+tls": (True, False), "smtps": (False, True)}
    if parts.scheme not in tls or not parts.hostname:
        raise ImproperlyConfigured(
            f"EMAIL_URL {parts.scheme}://… is not an SMTP URL: use smtp://, smtp+tls:// "
            "(STARTTLS) or smtps:// (TLS) with a host, or console:// to print emails."
        )
    use_tls, use_ssl = tls[parts.scheme]
    timeout = parse_qs(parts.query).get("timeout", ["30"])[0]
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": parts.hostname,
        "EMAIL_PORT": parts.port or (465 if use_ssl else 587 if use_tls else 25),
        "EMAIL_HOST_USER": unquote(parts.username or ""),
        "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
        "EMAIL_USE_TLS": use_tls,
        "EMAIL_USE_SSL": use_ssl,
        "EMAIL_TIMEOUT": int(timeout),
    }


def _anymail(environ: Mapping[str, str]) -> dict[str, Any]:
    raw = environ.get("ANYMAIL", "").strip()
    return {"ANYMAIL": json_object("ANYMAIL", raw)} if raw else {}


def json_object(name: str, raw: str) -> dict[str, Any]:
    try:
        value = json.loads(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} is not valid JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise ImproperlyConfigured(f"{name} must be a JSON object ({{…}}).")
    return value


def sms(environ: Mapping[str, str] = os.environ) -> dict[str, Any]:
    """``PARRAIN_SMS`` as JSON (the keys of core/messaging/sms.py); the console by default."""
    from parrain.core.conf import SmsSettings

    raw = environ.get("PARRAIN_SMS", "").strip()
    if not raw:
        return {"BACKEND": "parrain.core.messaging.sms.ConsoleBackend"}
    value = json_object("PARRAIN_SMS", raw)
    try:
        SmsSettings(**value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"PARRAIN_SMS does not fit: {exc}") from exc
    return value


def flag(name: str, environ: Mapping[str, str] = os.environ) -> bool:
    return environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")
