"""Liveness, readiness and metrics endpoints."""

from __future__ import annotations

from flask import Response, current_app

from kitodeck.common.blueprint import Blueprint
from kitodeck.common.schemas import HealthSchema, ReadinessSchema
from kitodeck.metrics import render_metrics
from kitodeck.readiness import run_checks

blp = Blueprint("ops", __name__, description="Health, readiness and metrics for operators.")


@blp.route("/healthz")
@blp.response(200, HealthSchema)
def healthz() -> dict[str, str]:
    """Liveness: the process answers (does not touch the database)."""
    return {"status": "ok"}


@blp.route("/readyz")
@blp.response(200, ReadinessSchema)
@blp.alt_response(503, schema=ReadinessSchema, description="A component is not usable.")
def readyz() -> tuple[dict, int]:
    """Readiness: database, migrations, cache and scan engines, each with its status."""
    ready, components = run_checks(current_app._get_current_object())  # type: ignore[attr-defined]
    text_engine = components.get("text_engine", {}).get("engine")
    body = {
        "status": "ok" if ready else "unavailable",
        "components": components,
        "text_engine": text_engine,
    }
    return body, 200 if ready else 503


@blp.route("/metrics")
@blp.response(200, {"type": "string"}, content_type="text/plain")
def metrics() -> Response:
    """Prometheus metrics: request counts and latencies per endpoint, scans per engine."""
    payload, content_type = render_metrics()
    return Response(payload, mimetype=content_type.split(";")[0], content_type=content_type)
