"""``/healthz`` (can this process serve: database and broker reachable) and ``/readyz``
(is the install ready: migrations applied, static files collected) for load balancers.

Both answer JSON, 200 when every check passes, else 503 with the failing checks named.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.contrib.staticfiles.storage import staticfiles_storage
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache

logger = logging.getLogger("parrain.health")
BROKER_TIMEOUT = 2  # seconds

Check = Callable[[], str | None]  # None when fine, else what is wrong


def database() -> str | None:
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT 1")
    return None


def broker() -> str | None:
    from kombu import Connection

    options = getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", {})
    with Connection(
        settings.CELERY_BROKER_URL, connect_timeout=BROKER_TIMEOUT, transport_options=options
    ) as connection:
        connection.ensure_connection(max_retries=1, timeout=BROKER_TIMEOUT)
    return None


def migrations() -> str | None:
    connection = connections[DEFAULT_DB_ALIAS]
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return f"{len(plan)} migration(s) not applied: run manage.py migrate" if plan else None


def static_manifest() -> str | None:
    manifest = getattr(staticfiles_storage, "manifest_name", None)
    if manifest and not staticfiles_storage.exists(manifest):
        return f"{manifest} not found in STATIC_ROOT: run manage.py collectstatic"
    return None


def run(checks: dict[str, Check]) -> JsonResponse:
    results: dict[str, str] = {}
    for name, check in checks.items():
        try:
            problem = check()
        except Exception as exc:  # a check that cannot run is a failed check
            logger.warning("health check %s failed: %s", name, exc, extra={"check": name})
            problem = type(exc).__name__
        results[name] = problem or "ok"
    healthy = all(value == "ok" for value in results.values())
    status = "ok" if healthy else "unavailable"
    return JsonResponse({"status": status, "checks": results}, status=200 if healthy else 503)


_ready = False


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    return run({"database": database, "broker": broker})


@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    """Once ready, a process stays ready (an upgrade restarts it): later calls are cheap."""
    global _ready
    if _ready:
        return run({"database": database})
    response = run({"database": database, "migrations": migrations, "static": static_manifest})
    _ready = response.status_code == 200
    return response
