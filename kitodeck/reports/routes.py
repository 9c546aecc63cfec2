"""HTTP routes of the reports blueprint."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC
from typing import Any

from flask import Response, stream_with_context
from flask_jwt_extended import current_user
from flask_smorest import abort

from kitodeck.common.auth import auth_required
from kitodeck.common.blueprint import Blueprint
from kitodeck.reports import services
from kitodeck.reports.chart import render_overview_svg
from kitodeck.reports.schemas import MyReportSchema, OverviewArgsSchema, OverviewSchema

blp = Blueprint(
    "reports",
    __name__,
    url_prefix="/api/v1/reports",
    description="Analytics for users and moderators.",
)

BEARER = [{"bearerAuth": []}]
STAFF = ("moderator", "admin")
SVG_CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"


@blp.record_once
def _install_invalidator(state: Any) -> None:
    # The scan services call this hook after each new scan (see kitodeck/scans/services.py).
    state.app.extensions["kitodeck_report_invalidator"] = services.invalidate_report_cache


def _overview(args: dict[str, Any]) -> dict[str, Any]:
    try:
        return services.overview(args.get("date_from"), args.get("date_to"), args["interval"])
    except services.ReportWindowError as error:
        abort(422, message=str(error), errors={"query": {"from": [str(error)]}})
        raise  # unreachable: abort raises


def _filename(report: dict[str, Any], extension: str) -> str:
    start, end = (report[key].astimezone(UTC) for key in ("from", "to"))
    return f"kitodeck-overview-{start:%Y%m%d}-{end:%Y%m%d}-{report['interval']}.{extension}"


@blp.route("/me")
@auth_required()
@blp.doc(security=BEARER)
@blp.response(200, MyReportSchema)
def my_report() -> Any:
    """Your own totals by kind and verdict, flagged count, review outcomes and last 5 scans."""
    return services.my_report(current_user.id)


@blp.route("/overview")
@auth_required(*STAFF)
@blp.doc(security=BEARER)
@blp.arguments(OverviewArgsSchema, location="query")
@blp.response(200, OverviewSchema)
def overview(args: dict[str, Any]) -> Any:
    """Totals, time series, signals, review outcomes, durations and users (moderators)."""
    return _overview(args)


@blp.route("/overview.csv")
@auth_required(*STAFF)
@blp.doc(security=BEARER)
@blp.arguments(OverviewArgsSchema, location="query")
@blp.response(
    200,
    {"type": "string", "description": "CSV with a header row, one row per bucket."},
    content_type="text/csv",
)
def overview_csv(args: dict[str, Any]) -> Response:
    """The overview's time series as CSV, one row per bucket (moderators)."""
    report = _overview(args)

    def rows() -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        for row in services.overview_csv(report):
            writer.writerow(row)
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()

    response = Response(stream_with_context(rows()), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{_filename(report, "csv")}"'
    return response


@blp.route("/overview.svg")
@auth_required(*STAFF)
@blp.doc(security=BEARER)
@blp.arguments(OverviewArgsSchema, location="query")
@blp.response(
    200,
    {"type": "string", "description": "A self-contained SVG line chart."},
    content_type="image/svg+xml",
)
def overview_svg(args: dict[str, Any]) -> Response:
    """Scan volume and flagged rate over time as an SVG chart (moderators)."""
    report = _overview(args)
    response = Response(render_overview_svg(report), mimetype="image/svg+xml")
    response.headers["Content-Disposition"] = f'inline; filename="{_filename(report, "svg")}"'
    # The chart's look is its inline <style>; nothing else may load or run.
    response.headers["Content-Security-Policy"] = SVG_CSP
    return response
