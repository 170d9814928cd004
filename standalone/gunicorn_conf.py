"""gunicorn's configuration for the standalone service:
``gunicorn -c python:parrain.standalone.gunicorn_conf parrain.standalone.wsgi``.

Every value can still be given on the command line (``--workers 4`` wins over this file).
"""

import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
timeout = 30
# gunicorn's own lines (start, worker boot, worker timeout) as JSON like the service's;
# requests are logged by the service itself (with their id), not by gunicorn's access log.
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "parrain.standalone.jsonlog.JsonFormatter"}},
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "stream": "ext://sys.stdout",
        }
    },
    "root": {"handlers": ["stdout"], "level": "INFO"},
    "loggers": {
        "gunicorn.error": {"handlers": ["stdout"], "level": "INFO", "propagate": False},
        "gunicorn.access": {"handlers": ["stdout"], "level": "WARNING", "propagate": False},
    },
}


def child_exit(server, worker):  # noqa: ANN001  (gunicorn's hook signature)
    """A worker that exits leaves its counters in PROMETHEUS_MULTIPROC_DIR (they keep
    counting in the sums); only its live gauges are dropped."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
