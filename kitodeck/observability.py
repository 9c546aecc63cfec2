"""Request ids, structured logs, metrics and security headers for every response."""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, g, request

from kitodeck.metrics import HTTP_LATENCY, HTTP_REQUESTS

_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")

# Paths whose answers are personal or carry tokens: never cached anywhere.
_NO_STORE_PREFIXES = ("/api/", "/auth/", "/user/", "/image-scan/", "/readyz", "/metrics")
_DOCS_PAGES = ("/api/schema/swagger-ui/", "/api/schema/redoc/")
API_CSP = "default-src 'none'; frame-ancestors 'none'"
# Swagger UI and ReDoc need their (vendored, same-origin) scripts and an inline bootstrap.
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; worker-src 'self' blob:; connect-src 'self'; frame-ancestors 'none'"
)


class JsonFormatter(logging.Formatter):
    """One JSON object per line, with the request's context fields."""

    _STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}

    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in self._STANDARD and not key.startswith("_"):
                payload[key] = value
        if record.exc_info:
            payload["exception"] = self.formatException(record.exc_info)
        return json.dumps(payload, default=str)


def configure_logging(app: Flask) -> None:
    """JSON lines in production (JSON_LOGS), readable lines in development."""
    root = logging.getLogger("kitodeck")
    root.setLevel(app.config.get("LOG_LEVEL", "INFO"))
    if getattr(root, "_kitodeck_configured", False):
        return
    handler = logging.StreamHandler(sys.stderr)
    if app.config.get("JSON_LOGS"):
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    root.propagate = True
    root._kitodeck_configured = True  # type: ignore[attr-defined]


request_log = logging.getLogger("kitodeck.request")


def _before() -> None:
    g.request_started = time.perf_counter()
    incoming = request.headers.get("X-Request-ID", "")
    g.request_id = incoming if _REQUEST_ID_RE.match(incoming) else uuid.uuid4().hex


def _after(response: Response) -> Response:
    started = getattr(g, "request_started", None)
    duration = time.perf_counter() - started if started is not None else 0.0
    endpoint = request.url_rule.rule if request.url_rule is not None else "<unmatched>"
    HTTP_REQUESTS.labels(request.method, endpoint, str(response.status_code)).inc()
    HTTP_LATENCY.labels(request.method, endpoint).observe(duration)

    response.headers["X-Request-ID"] = getattr(g, "request_id", "")
    _security_headers(response)
    request_log.info(
        "%s %s %s",
        request.method,
        request.path,
        response.status_code,
        extra={
            "method": request.method,
            "path": request.path,
            "status": response.status_code,
            "duration_ms": round(duration * 1000, 2),
            "request_id": getattr(g, "request_id", None),
            "user_id": getattr(g, "user_id", None),
            "remote_addr": request.remote_addr,
        },
    )
    return response


def _security_headers(response: Response) -> None:
    headers = response.headers
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Referrer-Policy"] = "no-referrer"
    headers["X-Frame-Options"] = "DENY"
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    if request.path.startswith(_DOCS_PAGES):
        headers["Content-Security-Policy"] = DOCS_CSP
    elif not request.path.startswith("/static/"):
        # A view may set a stricter-but-different policy (the SVG chart's inline styles).
        headers.setdefault("Content-Security-Policy", API_CSP)
    if request.path.startswith(_NO_STORE_PREFIXES) and not request.path.startswith("/api/schema/"):
        headers["Cache-Control"] = "no-store"
    if request.is_secure:
        headers["Strict-Transport-Security"] = "max-age=63072000; includeSubDomains"
    headers.pop("Server", None)


def register_observability(app: Flask) -> None:
    """Install the request hooks."""
    configure_logging(app)
    app.before_request(_before)
    app.after_request(_after)
