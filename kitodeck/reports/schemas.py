"""Schemas of the reports: query arguments, the overview and a user's own report."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate, validates_schema

from kitodeck.common.schemas import UTCDateTime
from kitodeck.scans.history_schemas import QueryDateTime, check_window
from kitodeck.scans.schemas import ScanResultSchema

_RATE = "Fraction 0..1 with 4 decimals; null when there is nothing to divide by."


def _counts(description: str) -> fields.Dict:
    return fields.Dict(
        keys=fields.String(),
        values=fields.Integer(),
        required=True,
        metadata={"description": description},
    )


def _rate(**kwargs: Any) -> fields.Float:
    return fields.Float(required=True, allow_none=True, metadata={"description": _RATE}, **kwargs)


class OverviewArgsSchema(Schema):
    """The window and bucket size of the overview (UTC)."""

    date_from = QueryDateTime(
        data_key="from", metadata={"description": "Start, inclusive (default: `to` - 30 days)."}
    )
    date_to = QueryDateTime(
        data_key="to", metadata={"description": "End, exclusive (default: now)."}
    )
    interval = fields.String(
        load_default="day",
        validate=validate.OneOf(["day", "week"]),
        metadata={"description": "Bucket size; weeks start on Monday (ISO)."},
    )

    @validates_schema
    def _window(self, data: dict[str, Any], **kwargs: Any) -> None:
        check_window(data)


class TotalsSchema(Schema):
    """Scan counts."""

    scans = fields.Integer(required=True)
    flagged = fields.Integer(required=True)
    flagged_rate = _rate()
    by_kind = _counts("Scans per kind (`image`, `chat`).")
    by_verdict = _counts("Scans per verdict (every verdict, zeros included).")


class SeriesPointSchema(Schema):
    """One bucket of the time series (empty buckets included, with zeros)."""

    start = UTCDateTime(required=True, metadata={"description": "Start of the bucket (UTC)."})
    scans = fields.Integer(required=True)
    flagged = fields.Integer(required=True)
    flagged_rate = _rate()
    image = fields.Integer(required=True)
    chat = fields.Integer(required=True)
    by_verdict = _counts("Scans per verdict in this bucket.")
    signups = fields.Integer(required=True)


class LabelStatsSchema(Schema):
    """How often a chat signal or an image label was raised, and what reviewers said."""

    name = fields.String(required=True)
    count = fields.Integer(required=True)
    reviewed = fields.Integer(required=True)
    confirmed = fields.Integer(required=True)
    false_positive = fields.Integer(required=True)
    false_positive_rate = _rate()


class VerdictReviewSchema(Schema):
    """Review outcomes of one verdict."""

    verdict = fields.String(required=True)
    reviewed = fields.Integer(required=True)
    confirmed = fields.Integer(required=True)
    false_positive = fields.Integer(required=True)
    false_positive_rate = _rate()


class ReviewStatsSchema(Schema):
    """Review outcomes of the window's scans."""

    reviewed = fields.Integer(required=True)
    confirmed = fields.Integer(required=True)
    false_positive = fields.Integer(required=True)
    pending = fields.Integer(required=True, metadata={"description": "Flagged, not reviewed."})
    false_positive_rate = _rate()
    by_verdict = fields.List(fields.Nested(VerdictReviewSchema), required=True)


class DurationStatsSchema(Schema):
    """Scan duration percentiles of one engine."""

    kind = fields.String(required=True)
    engine = fields.String(required=True)
    scans = fields.Integer(required=True)
    p50_ms = fields.Float(required=True)
    p95_ms = fields.Float(required=True)


class UserStatsSchema(Schema):
    """People in the window."""

    signups = fields.Integer(required=True)
    active = fields.Integer(
        required=True, metadata={"description": "Users whose last login falls in the window."}
    )
    scanning = fields.Integer(
        required=True, metadata={"description": "Distinct users with a scan in the window."}
    )


class OverviewSchema(Schema):
    """The moderators' overview of a window."""

    date_from = UTCDateTime(required=True, data_key="from", attribute="from")
    date_to = UTCDateTime(required=True, data_key="to", attribute="to")
    interval = fields.String(required=True, metadata={"enum": ["day", "week"]})
    generated_at = UTCDateTime(required=True)
    totals = fields.Nested(TotalsSchema, required=True)
    series = fields.List(fields.Nested(SeriesPointSchema), required=True)
    signals = fields.List(
        fields.Nested(LabelStatsSchema),
        required=True,
        metadata={"description": "Chat signals, most frequent first."},
    )
    categories = fields.List(
        fields.Nested(LabelStatsSchema),
        required=True,
        metadata={"description": "Flagged image labels (NudeNet classes), most frequent first."},
    )
    reviews = fields.Nested(ReviewStatsSchema, required=True)
    durations = fields.List(fields.Nested(DurationStatsSchema), required=True)
    users = fields.Nested(UserStatsSchema, required=True)


class LabelCountSchema(Schema):
    """A label and how often it was raised."""

    name = fields.String(required=True)
    count = fields.Integer(required=True)


class MyReviewsSchema(Schema):
    """What moderators decided on your flagged scans."""

    confirmed = fields.Integer(required=True)
    false_positive = fields.Integer(required=True)
    pending = fields.Integer(required=True)


class MyReportSchema(Schema):
    """Your own totals and latest scans."""

    totals = fields.Nested(TotalsSchema, required=True)
    reviews = fields.Nested(MyReviewsSchema, required=True)
    signals = fields.List(fields.Nested(LabelCountSchema), required=True)
    categories = fields.List(fields.Nested(LabelCountSchema), required=True)
    first_scan_at = UTCDateTime(required=True, allow_none=True)
    last_scan_at = UTCDateTime(required=True, allow_none=True)
    last_scans = fields.List(
        fields.Nested(ScanResultSchema),
        required=True,
        metadata={"description": "Your 5 latest scans, newest first."},
    )
