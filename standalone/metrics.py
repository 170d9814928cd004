"""Prometheus metrics of the standalone service, served at ``/metrics``.

Web requests (by route, method, status), Celery tasks (by name and outcome, through
Celery's signals), outbound webhook deliveries (through the webhooks plugin's
``delivery_attempted`` signal) and the broker's queue depth (Redis, read at each scrape).

Several processes (gunicorn workers, Celery's pool) each count in files under
``PROMETHEUS_MULTIPROC_DIR`` when it is set (prometheus-client's multiprocess mode): the
scrape sums them, so any web process of the machine answers for all of its processes.
"""

from __future__ import annotations

import hmac
import os
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

HTTP_REQUESTS = Counter(
    "parrain_http_requests",
    "HTTP requests answered, by route (the URL pattern), method and status code.",
    ["route", "method", "status"],
)
HTTP_DURATION = Histogram(
    "parrain_http_request_duration_seconds",
    "Time to answer an HTTP request, by route and method.",
    ["route", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
TASKS = Counter(
    "parrain_celery_tasks",
    "Celery tasks run, by task name and state (succeeded, failed, retried).",
    ["task", "state"],
)
TASK_DURATION = Histogram(
    "parrain_celery_task_duration_seconds",
    "Time a Celery task ran, by task name.",
    ["task"],
    buckets=(0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300),
)
WEBHOOK_DELIVERIES = Counter(
    "parrain_webhook_deliveries",
    "Outbound webhook delivery attempts, by result (delivered, retrying, failed).",
    ["result"],
)

# Kombu's Redis transport keeps one list per queue and priority step (0 is the bare name).
_PRIORITY_STEPS = (0, 3, 6, 9)
_PRIORITY_SEPARATOR = "\x06\x16"


class QueueDepthCollector(Collector):
    """``parrain_celery_queue_length``: tasks waiting in the Redis broker, per queue."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        broker = settings.CELERY_BROKER_URL
        if urlsplit(broker).scheme not in ("redis", "rediss"):
            return
        import redis

        gauge = GaugeMetricFamily(
            "parrain_celery_queue_length",
            "Tasks waiting in the broker, per queue.",
            labels=["queue"],
        )
        prefix = getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", {}).get(
            "global_keyprefix", ""
        )
        client = redis.Redis.from_url(broker, socket_timeout=2, socket_connect_timeout=2)
        try:
            for queue in queue_names():
                keys = [queue_key(prefix, queue, step) for step in _PRIORITY_STEPS]
                pipe = client.pipeline(transaction=False)
                for key in keys:
                    pipe.llen(key)
                gauge.add_metric([queue], sum(pipe.execute()))
        except redis.RedisError:
            return
        finally:
            client.close()
        yield gauge


def queue_names() -> list[str]:
    names = {getattr(settings, "CELERY_TASK_DEFAULT_QUEUE", "celery")}
    names.update(getattr(settings, "PARRAIN_METRICS_QUEUES", []))
    return sorted(names)


def queue_key(prefix: str, queue: str, step: int) -> str:
    return f"{prefix}{queue}" if step == 0 else f"{prefix}{queue}{_PRIORITY_SEPARATOR}{step}"


def scrape_registry() -> CollectorRegistry:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = CollectorRegistry()
        registry.register(_Forward(REGISTRY))
    registry.register(QueueDepthCollector())
    return registry


class _Forward(Collector):
    """This process's own metrics (no multiprocess directory: one process)."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry

    def collect(self) -> Iterator[Any]:
        yield from self.registry.collect()


def metrics_view(request: HttpRequest) -> HttpResponse:
    """The metrics, for a ``Authorization: Bearer <PARRAIN_METRICS_TOKEN>`` only.

    Without the setting the page does not exist (404): metrics name routes and volumes.
    """
    token = settings.PARRAIN_METRICS_TOKEN
    if not token:
        raise Http404
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if not hmac.compare_digest(given.encode(), token.encode()):
        response = HttpResponse("unauthorized\n", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(generate_latest(scrape_registry()), content_type=CONTENT_TYPE_LATEST)


def count_delivery(sender: Any, result: str, **kwargs: Any) -> None:
    """Receiver of the webhooks plugin's ``delivery_attempted`` signal."""
    WEBHOOK_DELIVERIES.labels(result).inc()
