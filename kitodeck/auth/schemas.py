"""Request and response bodies of the auth endpoints."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from kitodeck.common.passwords import password_problems
from kitodeck.common.schemas import StrictSchema, UTCDateTime
from kitodeck.users.schemas import (
    USERNAME_DESCRIPTION,
    EmailField,
    UsernameField,
    UserSummarySchema,
)

# Login and the password-checking endpoints accept anything up to this size (the policy's
# maximum applies to new passwords only); the limit keeps hashing work bounded.
PASSWORD_INPUT_MAX = 1024
TOKEN_MAX = 256

NEW_CREDENTIAL_HELP = (
    "8 to 128 characters, any Unicode (kept exactly, never trimmed or normalised); not a "
    "common password; not your email or username."
)


def _password_field(description: str) -> fields.String:
    return fields.String(
        required=True,
        load_only=True,
        validate=validate.Length(min=1, max=PASSWORD_INPUT_MAX),
        metadata={"description": description, "format": "password"},
    )


class SignupSchema(StrictSchema):
    """A new account."""

    email = EmailField(required=True)
    username = UsernameField(required=True, metadata={"description": USERNAME_DESCRIPTION})
    password = _password_field(NEW_CREDENTIAL_HELP)

    @validates_schema(skip_on_field_errors=False)
    def check_password(self, data: dict[str, Any], **kwargs: Any) -> None:
        """Apply the password policy with the email and username as context."""
        password = data.get("password")
        if not isinstance(password, str):
            return
        problems = password_problems(
            password, email=data.get("email") or "", username=data.get("username") or ""
        )
        if problems:
            raise ValidationError({"password": problems})


class LoginSchema(StrictSchema):
    """Credentials."""

    email = fields.String(
        required=True,
        validate=validate.Length(min=1, max=320),
        metadata={"description": "The account's email address.", "format": "email"},
    )
    password = _password_field("The account's password.")

    @post_load
    def normalise(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        """Emails are compared lower-cased and trimmed."""
        from kitodeck.users.services import normalise_email

        data["email"] = normalise_email(data["email"])
        return data


class TokenPairSchema(Schema):
    """A new access token and refresh token."""

    access = fields.String(
        required=True, metadata={"description": "JWT access token (15 minutes)."}
    )
    refresh = fields.String(
        required=True,
        metadata={"description": "JWT refresh token: single use, ends with the session (30 days)."},
    )


class LoginResponseSchema(TokenPairSchema):
    """Tokens and the account they belong to (the seed's shape)."""

    user = fields.Nested(UserSummarySchema, required=True)


class TokenSchema(StrictSchema):
    """A token received by email."""

    token = fields.String(required=True, validate=validate.Length(min=1, max=TOKEN_MAX))


class ForgotPasswordSchema(StrictSchema):
    """Where to send a reset link."""

    email = fields.String(
        required=True,
        validate=validate.Length(min=1, max=320),
        metadata={"description": "The account's email address.", "format": "email"},
    )

    @post_load
    def normalise(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        """Emails are compared lower-cased and trimmed."""
        from kitodeck.users.services import normalise_email

        data["email"] = normalise_email(data["email"])
        return data


class ResetPasswordSchema(StrictSchema):
    """A reset token and the new password."""

    token = fields.String(required=True, validate=validate.Length(min=1, max=TOKEN_MAX))
    password = _password_field(NEW_CREDENTIAL_HELP)


class ChangePasswordSchema(StrictSchema):
    """The current password and the new one."""

    current_password = _password_field("The password in use now.")
    new_password = _password_field(NEW_CREDENTIAL_HELP)


class SessionSchema(Schema):
    """A login (one device or client)."""

    id = fields.UUID(required=True)
    created_at = UTCDateTime(required=True)
    last_used_at = UTCDateTime(
        required=True, metadata={"description": "The last login or token refresh."}
    )
    expires_at = UTCDateTime(
        required=True, metadata={"description": "Absolute end of the session."}
    )
    user_agent = fields.String(allow_none=True)
    ip = fields.String(allow_none=True)
    current = fields.Boolean(
        required=True, metadata={"description": "The session of the token used for this call."}
    )


class LogoutAllSchema(Schema):
    """How many sessions were ended."""

    message = fields.String(required=True)
    revoked = fields.Integer(required=True)
