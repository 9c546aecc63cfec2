"""Benchmark plumbing: a PostgreSQL, gunicorn servers, wrk runs and latency statistics."""

from __future__ import annotations

import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


@dataclass
class Result:
    """Throughput and latency of one scenario."""

    name: str
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int = 0
    errors: int = 0

    def row(self) -> list[str]:
        return [self.name, f"{self.rps:,.1f}", f"{self.p50_ms:.2f}", f"{self.p99_ms:.2f}"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def postgres() -> Iterator[str]:
    """DATABASE_URL if set, else a throwaway embedded PostgreSQL."""
    if os.environ.get("BENCH_DATABASE_URL"):
        yield os.environ["BENCH_DATABASE_URL"]
        return
    from kitodeck.db_embedded import start_embedded

    folder = Path(tempfile.mkdtemp(prefix="kitodeck-bench-"))
    yield start_embedded(folder / "pgdata", cleanup_mode="delete")


def production_env(database_url: str, **extra: str) -> dict[str, str]:
    """Environment for a production-config server (random secrets, JSON logs quiet)."""
    env = dict(os.environ)
    env.update(
        KITODECK_ENV="production",
        SECRET_KEY=secrets.token_urlsafe(32),
        JWT_SECRET_KEY=secrets.token_urlsafe(32),
        DATABASE_URL=database_url,
        LOG_LEVEL="INFO",
        RATELIMIT_ENABLED="false",
        PYTHONPATH=str(ROOT),
    )
    env.update(extra)
    return env


def wait_http(url: str, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status < 500:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"server at {url} did not start")


@contextmanager
def gunicorn(app_path: str, env: dict[str, str], workers: int, port: int) -> Iterator[str]:
    """Serve ``app_path`` with the project's gunicorn.conf.py; yield its base URL."""
    env = dict(env, PORT=str(port), HOST="127.0.0.1", WEB_CONCURRENCY=str(workers))
    metrics_dir = tempfile.mkdtemp(prefix="kitodeck-bench-metrics-")
    env["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
    process = subprocess.Popen(
        [PYTHON, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"), app_path],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_http(base + "/healthz")
        yield base
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
        shutil.rmtree(metrics_dir, ignore_errors=True)


_WRK_LATENCY = re.compile(r"^\s+(50|99)(?:\.0+)?%\s+([\d.]+)(us|ms|s)\s*$", re.M)
_WRK_RPS = re.compile(r"Requests/sec:\s+([\d.]+)")
_WRK_TOTAL = re.compile(r"(\d+) requests in")
_WRK_ERRORS = re.compile(r"Non-2xx or 3xx responses: (\d+)")
_UNIT = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def wrk(
    name: str,
    url: str,
    *,
    seconds: int = 10,
    connections: int = 32,
    threads: int = 2,
    script: str | None = None,
    headers: Sequence[str] = (),
) -> Result:
    """Run wrk against ``url`` and parse requests/s, p50 and p99."""
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency"]
    for header in headers:
        command += ["-H", header]
    if script:
        command += ["-s", script]
    output = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    latencies = {m[0]: float(m[1]) * _UNIT[m[2]] for m in _WRK_LATENCY.findall(output)}
    errors = _WRK_ERRORS.search(output)
    return Result(
        name=name,
        rps=float(_WRK_RPS.search(output).group(1)),  # type: ignore[union-attr]
        p50_ms=latencies.get("50", float("nan")),
        p99_ms=latencies.get("99", float("nan")),
        requests=int(_WRK_TOTAL.search(output).group(1)),  # type: ignore[union-attr]
        errors=int(errors.group(1)) if errors else 0,
    )


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100) by linear interpolation."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    position = (len(ordered) - 1) * q / 100
    low, high = int(position), min(int(position) + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def timed_loop(name: str, call: Callable[[], object], seconds: float, min_runs: int = 5) -> Result:
    """Call ``call`` sequentially for ``seconds``; one process, one request at a time."""
    durations: list[float] = []
    started = time.perf_counter()
    while time.perf_counter() - started < seconds or len(durations) < min_runs:
        t0 = time.perf_counter()
        call()
        durations.append((time.perf_counter() - t0) * 1000)
    total = time.perf_counter() - started
    return Result(
        name=name,
        rps=len(durations) / total,
        p50_ms=statistics.median(durations),
        p99_ms=percentile(durations, 99),
        requests=len(durations),
    )


def table(title: str, rows: Sequence[Sequence[str]], header: Sequence[str]) -> str:
    """A plain-text table."""
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows, strict=False)]
    line = "  ".join("-" * width for width in widths)
    out = [title, "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=False)), line]
    out += ["  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=False)) for row in rows]
    return "\n".join(out)


SECTIONS: dict[str, Callable[..., list[str]]] = {}


def section(name: str) -> Callable[[Callable[..., list[str]]], Callable[..., list[str]]]:
    """Register a benchmark section; each returns printable blocks."""

    def register(function: Callable[..., list[str]]) -> Callable[..., list[str]]:
        SECTIONS[name] = function
        return function

    return register
