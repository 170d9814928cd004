"""System checks: where Parrain says it is served, and where its widgets may run.

``PARRAIN_BASE_URL`` is in every share link, email link and widget tag: a wrong one gives
dead links and widgets that cannot reach the API, so it is checked at start. The programs'
landing pages hold the referee widget: a landing URL whose origin the program does not
allow shows "not set up for this site" to every friend. Registered in ``ParrainConfig.ready``.
Programs are read when the database can be reached (not before the first ``migrate``).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from django.apps import apps
from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError
from django.http.request import validate_host
from django.utils.module_loading import import_string

from .addresses import is_loopback, origin_of
from .conf import parrain_settings
from .models import Program

BASE_URL_HINT = "Set PARRAIN_BASE_URL to the address visitors use, e.g. https://shop.example."


@register()
def check_base_url(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    base_url = parrain_settings.BASE_URL
    if not origin_of(base_url):
        return [
            Error(
                f"PARRAIN_BASE_URL {base_url!r} is not an absolute http(s) URL: share links, "
                "emails and widgets would point nowhere.",
                hint=BASE_URL_HINT,
                id="parrain.E001",
            )
        ]
    return _host_refused(base_url)


def _host_refused(base_url: str) -> list[CheckMessage]:
    host = urlsplit(base_url).hostname or ""
    host = f"[{host}]" if ":" in host else host
    allowed = settings.ALLOWED_HOSTS
    if settings.DEBUG and not allowed:
        allowed = [".localhost", "127.0.0.1", "[::1]"]  # what Django accepts then
    if validate_host(host, allowed):
        return []
    return [
        Warning(
            f"The host of PARRAIN_BASE_URL ({host}) is not in ALLOWED_HOSTS: Django would "
            "refuse the share links and the widgets' API calls (400 Bad Request).",
            hint=f"Add {host!r} to ALLOWED_HOSTS, or fix PARRAIN_BASE_URL. {BASE_URL_HINT}",
            id="parrain.W001",
        )
    ]


@register(deploy=True)
def check_base_url_not_loopback(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """``check --deploy`` only: a local demo or a test run may well use a loopback address."""
    base_url = parrain_settings.BASE_URL
    if settings.DEBUG or not is_loopback(base_url):
        return []
    return [
        Warning(
            f"PARRAIN_BASE_URL is {base_url} with DEBUG off: share links and emails would "
            "send every visitor to their own machine.",
            hint=BASE_URL_HINT,
            id="parrain.W002",
        )
    ]


@register()
def check_program_origins(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    try:
        programs = list(Program.objects.filter(is_active=True).order_by("slug"))
    except (DatabaseError, ImproperlyConfigured):
        return []  # not migrated yet, or no database: nothing to check
    return [message for program in programs for message in program_origin_problems(program)]


def program_origin_problems(program: Program) -> list[CheckMessage]:
    allowed = [o for o in program.allowed_origins or [] if isinstance(o, str)]
    problems: list[CheckMessage] = [
        Warning(
            f"Program {program.slug!r}: allowed widget origin {origin!r} is not an origin "
            "(scheme://host[:port]); no page will ever match it.",
            hint="Write it as the browser's address bar shows it, without a path, "
            "e.g. https://shop.example.",
            id="parrain.W003",
        )
        for origin in allowed
        if origin_of(origin) != origin.strip().rstrip("/").lower()
    ]
    landing = origin_of(program.landing_url)
    own = origin_of(parrain_settings.BASE_URL)
    if landing and landing not in {own, *(origin_of(o) for o in allowed)}:
        problems.append(
            Warning(
                f"Program {program.slug!r}: its landing page {program.landing_url} is on "
                f"{landing}, which is not among its allowed widget origins: the referee widget "
                "there would be refused.",
                hint=f"Add {landing} to the program's allowed widget origins (admin).",
                id="parrain.W004",
            )
        )
    return problems


@register()
def check_api_docs_assets(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Without the ``ninja`` app, django-ninja's docs page loads Swagger UI from a CDN: the
    API docs are blank offline or behind a strict Content-Security-Policy."""
    if apps.is_installed("ninja"):
        return []
    return [
        Warning(
            "/api/v1/docs loads Swagger UI from a CDN: it stays blank offline or under a strict "
            "Content-Security-Policy.",
            hint='Add "ninja" to INSTALLED_APPS (before "parrain.core") to serve its files '
            "from your static files.",
            id="parrain.W005",
        )
    ]


SMS_HINT = "See core/messaging/sms.py for the PARRAIN_SMS keys."


@register()
def check_sms_backend(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """``PARRAIN_SMS``: a backend that does not import, or an HTTP backend with nowhere to
    send, would fail every SMS of the scenarios at send time, one by one."""
    from .messaging.sms import HttpBackend, SmsBackend

    setting = parrain_settings.SMS
    try:
        backend = import_string(setting.BACKEND)
    except ImportError as exc:
        return [
            Error(
                f"PARRAIN_SMS BACKEND {setting.BACKEND!r} cannot be imported: {exc}",
                hint=SMS_HINT,
                id="parrain.E020",
            )
        ]
    if not (isinstance(backend, type) and issubclass(backend, SmsBackend)):
        return [
            Error(
                f"PARRAIN_SMS BACKEND {setting.BACKEND!r} is not an SmsBackend subclass.",
                hint=SMS_HINT,
                id="parrain.E021",
            )
        ]
    if issubclass(backend, HttpBackend):
        return _http_sms_problems(setting)
    return []


def _http_sms_problems(setting: Any) -> list[CheckMessage]:
    if not origin_of(setting.URL):
        return [
            Error(
                f"PARRAIN_SMS uses HttpBackend but its URL {setting.URL!r} is not an absolute "
                "http(s) URL: no SMS could be sent.",
                hint=SMS_HINT,
                id="parrain.E022",
            )
        ]
    try:
        body = json.loads(setting.BODY) if isinstance(setting.BODY, str) else setting.BODY
    except ValueError as exc:
        return [
            Error(f"PARRAIN_SMS BODY is not valid JSON: {exc}", hint=SMS_HINT, id="parrain.E023")
        ]
    if "{text}" not in json.dumps(body):
        return [
            Warning(
                "PARRAIN_SMS BODY has no {text} placeholder: every SMS would go out empty.",
                hint=SMS_HINT,
                id="parrain.W020",
            )
        ]
    return []


@register(Tags.security)
def check_private_targets(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    if not parrain_settings.ALLOW_PRIVATE_TARGETS or settings.DEBUG:
        return []
    return [
        Warning(
            "PARRAIN_ALLOW_PRIVATE_TARGETS is on outside DEBUG: regular imports may fetch "
            "files from this server's own network.",
            hint="Turn it off in production; it is meant for tests and local demos.",
            id="parrain.W030",
        )
    ]
