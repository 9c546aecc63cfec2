"""Schemas of scan history, the review queue and review decisions."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from marshmallow import Schema, ValidationError, fields, pre_dump, validate, validates_schema

from kitodeck.common.schemas import StrictSchema, UTCDateTime
from kitodeck.scans.models import REVIEW_DECISIONS, SCAN_KINDS, Scan
from kitodeck.scans.schemas import DetectionSchema, EngineSchema, SignalSchema

VERDICTS = ("safe", "suggestive", "explicit", "toxic", "scam_risk", "danger")


class QueryDateTime(fields.AwareDateTime):
    """An ISO 8601 date or datetime in a query string; without an offset it is UTC."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(default_timezone=UTC, **kwargs)


def check_window(data: dict[str, Any]) -> None:
    """``from`` must come before ``to`` when both are given."""
    start, end = data.get("date_from"), data.get("date_to")
    if start is not None and end is not None and start >= end:
        raise ValidationError("'from' must be earlier than 'to'.", field_name="from")


class ScanListArgsSchema(Schema):
    """Filters of the scan history (``page``/``page_size`` are the pagination's)."""

    scope = fields.String(
        load_default="own",
        validate=validate.OneOf(["own", "all"]),
        metadata={"description": "`all`: every user's scans (moderators and admins only)."},
    )
    kind = fields.String(validate=validate.OneOf(SCAN_KINDS))
    verdict = fields.String(validate=validate.OneOf(VERDICTS))
    flagged = fields.Boolean()
    reviewed = fields.Boolean(metadata={"description": "Whether a moderator has decided."})
    date_from = QueryDateTime(
        data_key="from", metadata={"description": "Created at or after (ISO 8601, UTC)."}
    )
    date_to = QueryDateTime(data_key="to", metadata={"description": "Created before (ISO 8601)."})

    @validates_schema
    def _window(self, data: dict[str, Any], **kwargs: Any) -> None:
        check_window(data)


class ReviewRequestSchema(StrictSchema):
    """A moderator's decision on a flagged scan."""

    decision = fields.String(required=True, validate=validate.OneOf(REVIEW_DECISIONS))
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))


class QueueMessageSchema(Schema):
    """Per-message flags and scores, without sender names or texts."""

    index = fields.Integer(required=True)
    flagged = fields.Boolean(required=True)
    scores = fields.Dict(keys=fields.String(), values=fields.Float())
    signals = fields.List(fields.String())


class QueueImageSchema(Schema):
    """The scanned image's shape (the image itself is never stored)."""

    width = fields.Integer()
    height = fields.Integer()
    format = fields.String()


class ReviewQueueItemSchema(Schema):
    """What a moderator needs to decide, and no more personal data than that.

    No user id, email, username, sender names or message texts: only the verdict, the
    scores and the evidence spans the engines quoted.
    """

    id = fields.UUID(required=True)
    kind = fields.String(required=True, metadata={"enum": list(SCAN_KINDS)})
    created_at = UTCDateTime(required=True)
    verdict = fields.String(required=True, metadata={"enum": list(VERDICTS)})
    flagged = fields.Boolean(required=True)
    risk_level = fields.String(
        required=True, metadata={"enum": ["low", "medium", "high", "critical"]}
    )
    risk_score = fields.Float(required=True)
    confidence = fields.Float(required=True)
    engine = fields.Nested(EngineSchema, required=True)
    labels = fields.List(fields.String(), required=True)
    # chat
    signals = fields.List(fields.Nested(SignalSchema))
    toxicity = fields.Dict(keys=fields.String(), values=fields.Float())
    messages = fields.List(fields.Nested(QueueMessageSchema))
    summary = fields.String()
    # image
    detections = fields.List(fields.Nested(DetectionSchema))
    categories = fields.Dict(keys=fields.String(), values=fields.Float())
    image = fields.Nested(QueueImageSchema)

    @pre_dump
    def flatten(self, scan: Any, **kwargs: Any) -> Any:
        """Pick the evidence out of a Scan row; anything not listed here is left out."""
        if not isinstance(scan, Scan):
            return scan
        details = scan.details or {}
        data: dict[str, Any] = {
            "id": scan.id,
            "kind": scan.kind,
            "created_at": scan.created_at,
            "verdict": scan.verdict,
            "flagged": scan.flagged,
            "risk_level": scan.risk_level,
            "risk_score": scan.risk_score,
            "confidence": scan.confidence,
            "engine": scan.engine_info,
            "labels": list(scan.labels or []),
        }
        keys = ("signals", "toxicity", "messages", "summary", "detections", "categories", "image")
        for key in keys:
            if details.get(key) is not None:
                data[key] = details[key]
        return data
