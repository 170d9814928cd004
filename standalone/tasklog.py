"""Celery task events as JSON log lines and metrics, through Celery's signals.

Each task logs ``task started`` and ``task succeeded`` / ``failed`` / ``retried`` with its
``task`` name, ``task_id`` and ``duration_ms``; every line a task logs carries its id as
``request_id``. The counters are ``parrain_celery_tasks_total`` and the duration histogram.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from celery import signals

from . import metrics
from .jsonlog import request_id

logger = logging.getLogger("parrain.task")
STATES = {"SUCCESS": "succeeded", "FAILURE": "failed", "RETRY": "retried"}
_started: dict[str, tuple[float, Any]] = {}


def task_started(task_id: str, task: Any, **kwargs: Any) -> None:
    _started[task_id] = (time.perf_counter(), request_id.set(task_id))
    logger.info("task started", extra={"task": task.name, "task_id": task_id})


def task_ended(task_id: str, task: Any, state: str | None = None, **kwargs: Any) -> None:
    started, token = _started.pop(task_id, (None, None))
    seconds = time.perf_counter() - started if started is not None else 0.0
    outcome = STATES.get(state or "", (state or "unknown").lower())
    metrics.TASKS.labels(task.name, outcome).inc()
    metrics.TASK_DURATION.labels(task.name).observe(seconds)
    log = logger.warning if outcome == "failed" else logger.info
    log(
        "task %s",
        outcome,
        extra={
            "task": task.name,
            "task_id": task_id,
            "state": outcome,
            "duration_ms": round(seconds * 1000, 1),
        },
    )
    if token is not None:
        request_id.reset(token)


def connect() -> None:
    signals.task_prerun.connect(task_started, weak=False, dispatch_uid="parrain-task-started")
    signals.task_postrun.connect(task_ended, weak=False, dispatch_uid="parrain-task-ended")
