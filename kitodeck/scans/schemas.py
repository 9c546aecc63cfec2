"""Schemas of scan results (both kinds) and of the requests that create them."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, pre_dump

from kitodeck.common.schemas import UTCDateTime
from kitodeck.scans.models import Scan


class EngineSchema(Schema):
    """What actually produced the scores."""

    name = fields.String(required=True)
    model = fields.String(required=True)
    version = fields.String(required=True)


class ReviewSchema(Schema):
    """A moderator's decision on a flagged scan."""

    decision = fields.String(required=True, metadata={"enum": ["confirmed", "false_positive"]})
    note = fields.String(allow_none=True)
    reviewer_id = fields.UUID(allow_none=True)
    reviewed_at = UTCDateTime(allow_none=True)


class DetectionSchema(Schema):
    """One NudeNet detection; the box is [x, y, w, h] in original-image pixels."""

    label = fields.String(required=True)
    score = fields.Float(required=True)
    box = fields.List(fields.Integer(), required=True)


class ImageInfoSchema(Schema):
    """The scanned image (the image itself is never stored)."""

    width = fields.Integer(required=True)
    height = fields.Integer(required=True)
    format = fields.String(required=True)
    sha256 = fields.String(required=True)


class CensoredSchema(Schema):
    """A censored copy, returned once and never stored."""

    format = fields.String(required=True)
    style = fields.String(required=True)
    data = fields.String(required=True, metadata={"description": "base64"})


class SignalSchema(Schema):
    """A kito signal with its quoted evidence spans (the only message text a queue shows)."""

    name = fields.String(required=True)
    score = fields.Float(required=True)
    messages = fields.List(fields.Integer(), required=True)
    evidence = fields.List(fields.String(), required=True)


class ChatMessageResultSchema(Schema):
    """Per-message result."""

    index = fields.Integer(required=True)
    sender = fields.String(allow_none=True)
    flagged = fields.Boolean(required=True)
    scores = fields.Dict(keys=fields.String(), values=fields.Float())
    signals = fields.List(fields.String())
    text = fields.String(allow_none=True)


class ScanResultSchema(Schema):
    """A scan result; image and chat add their own fields."""

    id = fields.UUID(required=True)
    kind = fields.String(required=True, metadata={"enum": ["image", "chat"]})
    created_at = UTCDateTime(required=True)
    verdict = fields.String(
        required=True,
        metadata={"enum": ["safe", "suggestive", "explicit", "toxic", "scam_risk", "danger"]},
    )
    flagged = fields.Boolean(required=True)
    risk_level = fields.String(
        required=True, metadata={"enum": ["low", "medium", "high", "critical"]}
    )
    risk_score = fields.Float(required=True)
    confidence = fields.Float(required=True)
    engine = fields.Nested(EngineSchema, required=True)
    duration_ms = fields.Float(required=True)
    cached = fields.Boolean(metadata={"description": "The analysis was reused, not recomputed."})
    review = fields.Nested(ReviewSchema, allow_none=True)
    user_id = fields.UUID()
    # image
    detections = fields.List(fields.Nested(DetectionSchema))
    categories = fields.Dict(keys=fields.String(), values=fields.Float())
    image = fields.Nested(ImageInfoSchema)
    censored = fields.Nested(CensoredSchema, allow_none=True)
    # chat
    signals = fields.List(fields.Nested(SignalSchema))
    toxicity = fields.Dict(keys=fields.String(), values=fields.Float())
    messages = fields.List(fields.Nested(ChatMessageResultSchema))
    summary = fields.String()
    suspect = fields.String(allow_none=True)
    sender_roles = fields.Dict(keys=fields.String(), values=fields.String())

    @pre_dump
    def flatten(self, scan: Any, **kwargs: Any) -> Any:
        """Merge a Scan row's columns with its kind-specific details."""
        if not isinstance(scan, Scan):
            return scan
        data: dict[str, Any] = dict(scan.details or {})
        data.update(
            id=scan.id,
            kind=scan.kind,
            created_at=scan.created_at,
            verdict=scan.verdict,
            flagged=scan.flagged,
            risk_level=scan.risk_level,
            risk_score=scan.risk_score,
            confidence=scan.confidence,
            engine=scan.engine_info,
            duration_ms=scan.duration_ms,
            review=scan.review,
            user_id=scan.user_id,
        )
        extra = getattr(scan, "transient", None)
        if extra:
            data.update(extra)
        return data
