"""Structured logs: one JSON object per line on stdout, with the request id when there is one.

Each record has ``time`` (UTC, ISO 8601), ``level``, ``logger`` and ``message``, the
``request_id`` of the request being served (``-`` outside one), the fields passed with
``extra=`` (the request log's ``method``, ``path``, ``status``, ``duration_ms``; the task
log's ``task``, ``task_id``, ``state``…), and ``exc_info`` as text.
"""

from __future__ import annotations

import json
import logging
from contextvars import ContextVar
from datetime import UTC, datetime

request_id: ContextVar[str] = ContextVar("parrain_request_id", default="-")

# Attributes every LogRecord has: not copied as extra fields.
_STANDARD = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime", "request_id"}


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", request_id.get()),
        }
        entry.update((key, value) for key, value in vars(record).items() if key not in _STANDARD)
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)
