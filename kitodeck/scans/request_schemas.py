"""Request bodies of the scan endpoints."""

from __future__ import annotations

from typing import Any

from flask_smorest.fields import Upload
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from kitodeck.common.schemas import StrictSchema, UTCDateTime


class ImageFormSchema(StrictSchema):
    """Options sent as form fields beside the image."""

    censor = fields.Boolean(
        load_default=False,
        metadata={"description": "Return a censored copy (base64) of the image; never stored."},
    )
    censor_style = fields.String(
        load_default="blur",
        validate=validate.OneOf(["blur", "black"]),
        metadata={"description": "How explicit regions are hidden in the censored copy."},
    )


class ImageFileSchema(Schema):
    """The uploaded image (JPEG, PNG, WebP, GIF first frame, BMP)."""

    image = Upload(required=True, metadata={"description": "The image file."})


class ChatMessageSchema(StrictSchema):
    """One message of a conversation."""

    sender = fields.String(required=True, validate=validate.Length(min=1, max=64))
    text = fields.String(
        required=True,
        validate=validate.Length(max=5000),
        metadata={"description": "At most 5000 characters (CHAT_MAX_MESSAGE_CHARS)."},
    )
    timestamp = fields.AwareDateTime(load_default=None, allow_none=True, default_timezone=None)


class ChatScanSchema(StrictSchema):
    """A conversation: either structured messages or a pasted transcript."""

    messages = fields.List(
        fields.Nested(ChatMessageSchema),
        validate=validate.Length(min=1, max=500),
        metadata={"description": "In order, oldest first. At most 500 (CHAT_MAX_MESSAGES)."},
    )
    transcript = fields.String(
        validate=validate.Length(min=1, max=210_000),
        metadata={"description": "One message per line, optional 'Name: ' prefix."},
    )

    @validates_schema
    def one_source(self, data: dict[str, Any], **kwargs: Any) -> None:
        """Exactly one of ``messages`` and ``transcript``."""
        if ("messages" in data) == ("transcript" in data):
            raise ValidationError("Send either 'messages' or 'transcript', not both or neither.")


class RuleSchema(StrictSchema):
    """A custom chat rule."""

    id = fields.UUID(dump_only=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=64))
    pattern = fields.String(required=True, validate=validate.Length(min=1, max=500))
    kind = fields.String(required=True, validate=validate.OneOf(["keyword", "regex"]))
    signal = fields.String(required=True)
    weight = fields.Float(load_default=0.5, validate=validate.Range(min=0, max=1))
    enabled = fields.Boolean(load_default=True)
    created_by = fields.UUID(dump_only=True, allow_none=True)
    created_at = UTCDateTime(dump_only=True)
    updated_at = UTCDateTime(dump_only=True)


class RulePatchSchema(StrictSchema):
    """Changes to a rule (every field optional)."""

    name = fields.String(validate=validate.Length(min=1, max=64))
    pattern = fields.String(validate=validate.Length(min=1, max=500))
    kind = fields.String(validate=validate.OneOf(["keyword", "regex"]))
    signal = fields.String()
    weight = fields.Float(validate=validate.Range(min=0, max=1))
    enabled = fields.Boolean()
