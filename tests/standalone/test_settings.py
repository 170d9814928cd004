"""The standalone settings read the environment and stop at start on a missing or unfit
value, saying which variable and why."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from parrain.standalone import env

GOOD_KEY = "k3J9-q_x7LmZ2vR8tYw4NbH6cF1sDgA5eUoPiQzXa0WjVnMrKlTy"
ENVIRONMENT = {
    "DJANGO_SETTINGS_MODULE": "parrain.standalone.settings",
    "SECRET_KEY": GOOD_KEY,
    "ALLOWED_HOSTS": "parrain.example.com",
    "PARRAIN_BASE_URL": "https://parrain.example.com",
    "DATABASE_URL": "postgres://parrain:secret@db.internal:5432/parrain",
    "REDIS_URL": "redis://redis.internal:6379/0",
    "EMAIL_URL": "smtp+tls://mailer:p%40ss@smtp.example.com:587",
}


def settings_with(**changes: str) -> subprocess.CompletedProcess:
    environment = {**ENVIRONMENT, **changes}
    environment = {k: v for k, v in environment.items() if v}
    code = (
        "from django.conf import settings as s; "
        "print(s.DEBUG, s.DATABASES['default']['HOST'], s.CELERY_BROKER_URL, s.EMAIL_HOST, "
        "s.EMAIL_PORT, s.EMAIL_USE_TLS, s.EMAIL_HOST_PASSWORD, s.SESSION_COOKIE_SECURE, "
        "s.CACHES['default']['LOCATION'])"
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        env={"PATH": os.environ.get("PATH", ""), **environment},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_full_environment_makes_production_settings() -> None:
    run = settings_with()
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == [
        "False",
        "db.internal",
        "redis://redis.internal:6379/0",
        "smtp.example.com",
        "587",
        "True",
        "p@ss",
        "True",
        "redis://redis.internal:6379/0",
    ]


@pytest.mark.parametrize(
    ("changes", "says"),
    [
        ({"SECRET_KEY": ""}, "SECRET_KEY is empty"),
        ({"SECRET_KEY": "short"}, "SECRET_KEY is too short or too simple"),
        ({"ALLOWED_HOSTS": " , "}, "ALLOWED_HOSTS is empty"),
        ({"PARRAIN_BASE_URL": ""}, "PARRAIN_BASE_URL is not set"),
        ({"PARRAIN_BASE_URL": "parrain.example.com"}, "is not an absolute http(s) URL"),
        ({"DATABASE_URL": ""}, "DATABASE_URL is not set"),
        ({"DATABASE_URL": "sqlite:///db.sqlite3"}, "DATABASE_URL must name a PostgreSQL"),
        ({"REDIS_URL": ""}, "Neither CELERY_BROKER_URL nor REDIS_URL is set"),
        ({"CELERY_BROKER_URL": "sqs://queue"}, "must be Redis or RabbitMQ"),
        ({"EMAIL_URL": ""}, "EMAIL_URL is not set"),
        ({"EMAIL_URL": "imap://mail.example.com"}, "is not an SMTP URL"),
        ({"PARRAIN_SMS": "{not json"}, "PARRAIN_SMS is not valid JSON"),
        ({"PARRAIN_SMS": '{"BACKEND": "x", "TIMEOUT": -1}'}, "PARRAIN_SMS does not fit"),
    ],
)
def test_a_missing_or_unfit_value_stops_the_start_with_the_reason(
    changes: dict[str, str], says: str
) -> None:
    run = settings_with(**changes)
    assert run.returncode != 0
    assert "ImproperlyConfigured" in run.stderr
    assert says in run.stderr


def test_rabbitmq_is_a_broker_and_redis_then_only_the_cache() -> None:
    environ = {"CELERY_BROKER_URL": "amqp://u:p@rabbit:5672/v", "REDIS_URL": "redis://r:6379/1"}
    assert env.broker(environ) == "amqp://u:p@rabbit:5672/v"
    assert env.redis_url(env.broker(environ), environ) == "redis://r:6379/1"
    assert env.redis_url("amqp://u:p@rabbit:5672/v", {}) == ""


def test_email_urls() -> None:
    assert env.smtp("smtps://u:p@smtp.example.com")["EMAIL_PORT"] == 465
    assert env.smtp("smtp://localhost")["EMAIL_USE_TLS"] is False
    anymail = env.email(
        {
            "EMAIL_BACKEND": "anymail.backends.brevo.EmailBackend",
            "ANYMAIL": '{"BREVO_API_KEY": "k"}',
        }
    )
    assert anymail["ANYMAIL"] == {"BREVO_API_KEY": "k"}
    with pytest.raises(ImproperlyConfigured, match="not both"):
        env.email({"EMAIL_BACKEND": "x", "EMAIL_URL": "smtp://localhost"})
