"""A small closed-loop HTTP load generator for request bodies that must differ per request.

wrk replays one body; scans need distinct bytes (identical images hit the analysis cache),
so these scenarios use ``concurrency`` keep-alive connections from Python threads.
"""

from __future__ import annotations

import http.client
import threading
import time
import urllib.parse
from collections.abc import Callable

from bench.harness import Result, percentile

Body = tuple[bytes, str]  # payload, content type


def closed_loop(
    name: str,
    url: str,
    make_body: Callable[[int], Body],
    headers: dict[str, str],
    *,
    seconds: float,
    concurrency: int,
    expect: int = 201,
) -> Result:
    """``concurrency`` clients POST back to back for ``seconds``; throughput and latency."""
    parsed = urllib.parse.urlsplit(url)
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    counter = iter(range(10**9))
    deadline = time.perf_counter() + seconds

    def worker() -> None:
        nonlocal errors
        connection = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=120)
        mine: list[float] = []
        failed = 0
        while time.perf_counter() < deadline:
            with lock:
                index = next(counter)
            payload, content_type = make_body(index)
            t0 = time.perf_counter()
            connection.request(
                "POST", parsed.path, body=payload, headers={**headers, "Content-Type": content_type}
            )
            response = connection.getresponse()
            response.read()
            mine.append((time.perf_counter() - t0) * 1000)
            if response.status != expect:
                failed += 1
        connection.close()
        with lock:
            latencies.extend(mine)
            errors += failed

    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    return Result(
        name=name,
        rps=len(latencies) / elapsed,
        p50_ms=percentile(latencies, 50),
        p99_ms=percentile(latencies, 99),
        requests=len(latencies),
        errors=errors,
    )


def multipart(field: str, filename: str, payload: bytes, content_type: str) -> Body:
    """A multipart/form-data body with one file."""
    boundary = "kitodeck-bench-boundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; '
        f'filename="{filename}"\r\nContent-Type: {content_type}\r\n\r\n'
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    return head + payload + tail, f"multipart/form-data; boundary={boundary}"


def jpeg_variant(jpeg: bytes, index: int) -> bytes:
    """The same pixels with a different JPEG comment: new SHA-256, identical decoding."""
    comment = f"bench-{index}".encode()
    segment = b"\xff\xfe" + (len(comment) + 2).to_bytes(2, "big") + comment
    return jpeg[:2] + segment + jpeg[2:]
