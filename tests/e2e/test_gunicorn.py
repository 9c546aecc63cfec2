"""The production server: gunicorn with two workers, metrics aggregated across them."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str) -> tuple[int, str, dict[str, str]]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, response.read().decode(), dict(response.headers)


@pytest.fixture
def gunicorn_server(app, database_url: str, tmp_path: Path):
    port = _free_port()
    env = dict(
        os.environ,
        KITODECK_ENV="production",
        SECRET_KEY="gunicorn-test-secret-key-0123456789abcdef",
        JWT_SECRET_KEY="gunicorn-test-jwt-key-0123456789abcdef",
        DATABASE_URL=database_url,
        PORT=str(port),
        HOST="127.0.0.1",
        WEB_CONCURRENCY="2",
        # No process may serve more than 100 of the test's 200 requests, so the samples
        # always come from several processes (a recycled worker's counters are kept).
        GUNICORN_MAX_REQUESTS="100",
        TEXT_ENGINE="fallback",
        PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "metrics"),
        LOG_LEVEL="WARNING",
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        try:
            if _get(base + "/readyz")[0] == 200:
                break
        except OSError:
            pass
        if time.monotonic() > deadline or process.poll() is not None:
            process.kill()
            pytest.fail("gunicorn did not become ready")
        time.sleep(0.3)
    try:
        yield base, tmp_path / "metrics"
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


def test_metrics_are_aggregated_across_workers(gunicorn_server) -> None:
    gunicorn_server, metrics_dir = gunicorn_server
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: _get(gunicorn_server + "/healthz"), range(200)))
    assert {status for status, _, _ in results} == {200}
    _, body, headers = _get(gunicorn_server + "/metrics")
    assert headers["Content-Type"].startswith("text/plain")
    match = re.search(
        r'kitodeck_http_requests_total\{endpoint="/healthz",method="GET",status="200"\} ([\d.]+)',
        body,
    )
    assert match, body[:2000]
    assert float(match.group(1)) == 200  # every request, whichever worker served it
    assert "kitodeck_http_request_duration_seconds_bucket" in body
    # Several worker processes wrote samples: the total above is summed over them.
    assert len(list(metrics_dir.glob("counter_*.db"))) >= 2


def test_production_server_headers(gunicorn_server) -> None:
    status, _, headers = _get(gunicorn_server[0] + "/healthz")
    assert status == 200
    assert headers["Server"] == "kitodeck"  # no product name or version
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert len(headers["X-Request-ID"]) == 32
