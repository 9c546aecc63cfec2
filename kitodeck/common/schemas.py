"""Schemas shared across blueprints."""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields


class StrictSchema(Schema):
    """Rejects unknown fields (422), so mass assignment cannot happen."""

    class Meta:
        unknown = RAISE


class MessageSchema(Schema):
    """A plain message."""

    message = fields.String(required=True)


class HealthSchema(Schema):
    """Liveness answer."""

    status = fields.String(required=True)


class ReadinessSchema(Schema):
    """Readiness answer: overall status and each component's."""

    status = fields.String(required=True, metadata={"enum": ["ok", "unavailable"]})
    components = fields.Dict(keys=fields.String(), values=fields.Dict(), required=True)
    text_engine = fields.Dict(allow_none=True)


class UTCDateTime(fields.DateTime):
    """ISO 8601 in UTC with a ``Z`` suffix, as the contract says."""

    def _serialize(self, value, attr, obj, **kwargs):
        from kitodeck.common.timeutil import isoformat_z

        return isoformat_z(value) if value is not None else None
