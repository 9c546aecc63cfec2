"""gunicorn settings, from the environment.

Workers x engine threads should not exceed the cores: the scan engines run one intra-op
thread per worker by default (ENGINE_THREADS), so WEB_CONCURRENCY defaults to the core count.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import tempfile
from pathlib import Path


def _env(name: str, default: str) -> str:
    """A variable's value; empty counts as unset (as in .env.example)."""
    return os.environ.get(name) or default


bind = f"{_env('HOST', '0.0.0.0')}:{_env('PORT', '8000')}"  # noqa: S104
workers = int(_env("WEB_CONCURRENCY", str(multiprocessing.cpu_count())))
threads = int(_env("GUNICORN_THREADS", "1"))
worker_class = "gthread" if threads > 1 else "sync"
timeout = int(_env("GUNICORN_TIMEOUT", "60"))
graceful_timeout = int(_env("GUNICORN_GRACEFUL_TIMEOUT", "20"))
keepalive = int(_env("GUNICORN_KEEPALIVE", "5"))
max_requests = int(_env("GUNICORN_MAX_REQUESTS", "0"))
max_requests_jitter = int(_env("GUNICORN_MAX_REQUESTS_JITTER", "0"))
# Each worker imports the app itself: ONNX Runtime and OpenCV, once imported in the master,
# leave locks that deadlock a forked worker at exit (Ctrl-C then waits for the kill timeout).
preload_app = _env("GUNICORN_PRELOAD", "false").lower() in {"1", "true", "yes"}
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None  # the app logs every request itself
errorlog = "-"
loglevel = _env("LOG_LEVEL", "info").lower()
forwarded_allow_ips = _env("FORWARDED_ALLOW_IPS", "127.0.0.1")
proc_name = "kitodeck"

# Prometheus multiprocess mode: one folder of samples shared by the workers of this master.
_metrics_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
if not _metrics_dir:
    _metrics_dir = tempfile.mkdtemp(prefix="kitodeck-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = _metrics_dir
else:
    Path(_metrics_dir).mkdir(parents=True, exist_ok=True)
    for stale in Path(_metrics_dir).glob("*.db"):
        stale.unlink()


def post_worker_init(worker) -> None:
    """Load the scan engines in each worker once it has the app, before its first request."""
    from kitodeck.engines_runtime import warm_up_engines

    warm_up_engines(getattr(worker, "wsgi", None))


def child_exit(server, worker) -> None:
    """Drop a dead worker's live gauges from the metrics."""
    from kitodeck.metrics import mark_process_dead

    mark_process_dead(worker.pid)


def on_exit(server) -> None:
    """Remove the metrics folder we created."""
    if _metrics_dir.startswith(tempfile.gettempdir()) and "kitodeck-metrics-" in _metrics_dir:
        shutil.rmtree(_metrics_dir, ignore_errors=True)


# Answer "Server: kitodeck" rather than gunicorn's name (no version is ever sent).
import gunicorn.http.wsgi as _gunicorn_wsgi  # noqa: E402

_gunicorn_wsgi.SERVER = "kitodeck"
