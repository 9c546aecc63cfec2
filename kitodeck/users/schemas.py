"""Request and response bodies of the users endpoints (and the user shapes auth returns).

Output schemas list their fields explicitly: a password hash, token hashes or internal
columns can never leak through them (SECURITY.md item 18).
"""

from __future__ import annotations

from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

from kitodeck.common.schemas import StrictSchema, UTCDateTime
from kitodeck.users.models import ROLES

USERNAME_PATTERN = r"^[A-Za-z0-9_.]{3,32}$"
USERNAME_DESCRIPTION = "3 to 32 letters, digits, '_' or '.'; unique."


class EmailField(fields.String):
    """An email address, checked for syntax (no DNS lookup) and stored lower-cased."""

    def __init__(self, **kwargs: Any) -> None:
        metadata = {
            "format": "email",
            "description": "An email address.",
            **kwargs.pop("metadata", {}),
        }
        super().__init__(validate=validate.Length(max=254), metadata=metadata, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        from kitodeck.users.services import InvalidEmail, validate_email_address

        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            return validate_email_address(text)
        except InvalidEmail as error:
            raise ValidationError(str(error)) from error


class UsernameField(fields.String):
    """A username: 3-32 of letters, digits, '_' and '.'."""

    def __init__(self, **kwargs: Any) -> None:
        metadata = {"description": USERNAME_DESCRIPTION, **kwargs.pop("metadata", {})}
        super().__init__(
            validate=validate.Regexp(
                USERNAME_PATTERN,
                error="Use 3 to 32 letters, digits, '_' or '.'.",
            ),
            metadata={**metadata, "pattern": USERNAME_PATTERN},
            **kwargs,
        )


class UserSummarySchema(Schema):
    """The account, as login returns it."""

    id = fields.UUID(required=True)
    email = fields.String(required=True)
    username = fields.String(required=True)
    role = fields.String(required=True, metadata={"enum": list(ROLES)})
    email_verified = fields.Boolean(required=True)


class UserSchema(UserSummarySchema):
    """An account."""

    is_active = fields.Boolean(required=True)
    created_at = UTCDateTime(required=True)
    last_login_at = UTCDateTime(allow_none=True)


class UserPatchSchema(StrictSchema):
    """What a person may change about their own account."""

    username = UsernameField()


class DeleteMeSchema(StrictSchema):
    """Confirmation of an account deletion."""

    password = fields.String(
        required=True,
        load_only=True,
        validate=validate.Length(min=1, max=1024),
        metadata={"description": "The account's current password.", "format": "password"},
    )


class AdminUserPatchSchema(StrictSchema):
    """What an admin may change about an account."""

    role = fields.String(validate=validate.OneOf(ROLES))
    is_active = fields.Boolean(
        metadata={"description": "false deactivates the account and ends all its sessions."}
    )


class UserQuerySchema(Schema):
    """Filters of the user list (pagination parameters are read separately)."""

    class Meta:
        unknown = EXCLUDE

    q = fields.String(
        validate=validate.Length(min=1, max=100),
        metadata={"description": "Substring of the email or username (case-insensitive)."},
    )
    role = fields.String(validate=validate.OneOf(ROLES))
    is_active = fields.Boolean()
