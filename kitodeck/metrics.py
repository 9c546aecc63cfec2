"""Prometheus metrics that work with several gunicorn workers.

Under gunicorn, ``gunicorn.conf.py`` sets ``PROMETHEUS_MULTIPROC_DIR`` before any worker
imports prometheus_client, so each worker writes its samples to that folder and ``/metrics``
aggregates them; a dead worker's live gauges are cleaned in ``child_exit``.
"""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client import multiprocess as prom_multiprocess

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

HTTP_REQUESTS = Counter(
    "kitodeck_http_requests_total",
    "HTTP requests by method, route and status.",
    ["method", "endpoint", "status"],
)
HTTP_LATENCY = Histogram(
    "kitodeck_http_request_duration_seconds",
    "HTTP request latency by method and route.",
    ["method", "endpoint"],
    buckets=LATENCY_BUCKETS,
)
SCANS = Counter(
    "kitodeck_scans_total",
    "Scans by kind, engine and verdict.",
    ["kind", "engine", "verdict"],
)
SCAN_DURATION = Histogram(
    "kitodeck_scan_duration_seconds",
    "Scan engine time by kind and engine.",
    ["kind", "engine"],
    buckets=LATENCY_BUCKETS,
)


def render_metrics() -> tuple[bytes, str]:
    """The exposition text of this process, or of all workers in multiprocess mode."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        prom_multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(), CONTENT_TYPE_LATEST


def mark_process_dead(pid: int) -> None:
    """Called by gunicorn when a worker exits."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        prom_multiprocess.mark_process_dead(pid)
