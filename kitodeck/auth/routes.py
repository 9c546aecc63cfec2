"""HTTP routes of the auth blueprint: parse, call ``kitodeck.auth.services``, respond.

The seed README's ``POST /auth/login/`` is served by the same ``login`` view (and so the same
limits) through the ``seed`` blueprint (kitodeck/seed.py).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import g, request
from flask_jwt_extended import current_user, get_jwt
from flask_smorest import abort

from kitodeck.auth import limits, services
from kitodeck.auth.schemas import (
    ChangePasswordSchema,
    ForgotPasswordSchema,
    LoginResponseSchema,
    LoginSchema,
    LogoutAllSchema,
    ResetPasswordSchema,
    SessionSchema,
    SignupSchema,
    TokenPairSchema,
    TokenSchema,
)
from kitodeck.auth.sessions import active_sessions
from kitodeck.common.auth import auth_required, current_session
from kitodeck.common.blueprint import Blueprint
from kitodeck.common.schemas import MessageSchema
from kitodeck.users.services import AccountError

blp = Blueprint(
    "auth",
    __name__,
    url_prefix="/api/v1/auth",
    description="Signup, email verification, login, token refresh, sessions and passwords.",
)


@contextmanager
def account_errors() -> Iterator[None]:
    """Turn a refused account operation into the contract's error response."""
    try:
        yield
    except AccountError as error:
        abort(error.status, message=error.message, errors=error.errors)


def _session_id() -> uuid.UUID:
    return current_session().id  # type: ignore[union-attr]  (set by auth_required)


# --- signup and verification ------------------------------------------------------------


@blp.route("/signup", methods=["POST"])
@limits.signup_ip
@limits.signup_account
@blp.arguments(SignupSchema)
@blp.response(201, MessageSchema)
@blp.alt_response(409, response="CONFLICT")
@blp.alt_response(429, response="TOO_MANY_REQUESTS")
def signup(body: dict[str, Any]) -> dict[str, str]:
    """Create an account and email a verification link (same answer for a known email)."""
    with account_errors():
        services.signup(body["email"], body["username"], body["password"])
    return {"message": services.SIGNUP_MESSAGE}


@blp.route("/verify-email", methods=["POST"])
@blp.arguments(TokenSchema)
@blp.response(200, MessageSchema)
@blp.alt_response(400, response="BAD_REQUEST")
def verify_email(body: dict[str, Any]) -> dict[str, str]:
    """Confirm an email address with the token from the verification email (single use)."""
    with account_errors():
        services.verify_email(body["token"])
    return {"message": "Your email address is confirmed."}


@blp.route("/verify-email/resend", methods=["POST"])
@auth_required()
@limits.email_ip
@limits.resend_user
@blp.response(202, MessageSchema)
@blp.alt_response(401, response="UNAUTHORIZED")
@blp.alt_response(429, response="TOO_MANY_REQUESTS")
def resend_verification() -> dict[str, str]:
    """Send a new verification email to the signed-in account."""
    if services.resend_verification(current_user):
        return {"message": "We sent a new confirmation link to your email address."}
    return {"message": "Your email address is already confirmed."}


# --- login, refresh, logout, sessions ---------------------------------------------------


@blp.route("/login", methods=["POST"])
@limits.login_ip
@limits.login_account
@blp.arguments(LoginSchema)
@blp.response(200, LoginResponseSchema)
@blp.alt_response(401, response="UNAUTHORIZED")
@blp.alt_response(429, response="TOO_MANY_REQUESTS")
def login(credentials: dict[str, Any]) -> dict[str, Any]:
    """Log in with email and password: an access token, a refresh token and the account."""
    with account_errors():
        result = services.login(
            credentials["email"],
            credentials["password"],
            user_agent=request.user_agent.string or None,
            ip=request.remote_addr,
        )
    g.user_id = str(result.user.id)
    return {**result.tokens, "user": result.user}


@blp.route("/refresh", methods=["POST"])
@auth_required(refresh=True)
@blp.response(200, TokenPairSchema)
@blp.alt_response(401, response="UNAUTHORIZED")
def refresh() -> dict[str, str]:
    """Exchange the refresh token (Bearer) for a new pair; each refresh token works once."""
    with account_errors():
        return services.refresh(current_session(), get_jwt()["jti"])


@blp.route("/logout", methods=["POST"])
@auth_required()
@blp.response(200, MessageSchema)
@blp.alt_response(401, response="UNAUTHORIZED")
def logout() -> dict[str, str]:
    """End this session: its access and refresh tokens stop working at once."""
    services.logout(current_user, _session_id())
    return {"message": "You are logged out."}


@blp.route("/logout-all", methods=["POST"])
@auth_required()
@blp.response(200, LogoutAllSchema)
@blp.alt_response(401, response="UNAUTHORIZED")
def logout_all() -> dict[str, Any]:
    """End every session of the account, this one included."""
    count = services.logout_all(current_user)
    return {"message": "You are logged out everywhere.", "revoked": count}


@blp.route("/sessions", methods=["GET"])
@auth_required()
@blp.response(200, SessionSchema(many=True))
@blp.alt_response(401, response="UNAUTHORIZED")
def list_sessions() -> list[dict[str, Any]]:
    """The account's active sessions; ``current`` marks the one making this call."""
    current = _session_id()
    return [
        {
            "id": session.id,
            "created_at": session.created_at,
            "last_used_at": session.last_used_at,
            "expires_at": session.expires_at,
            "user_agent": session.user_agent,
            "ip": str(session.ip) if session.ip is not None else None,
            "current": session.id == current,
        }
        for session in active_sessions(current_user.id)
    ]


@blp.route("/sessions/<uuid:session_id>", methods=["DELETE"])
@auth_required()
@blp.response(204)
@blp.alt_response(401, response="UNAUTHORIZED")
@blp.alt_response(404, response="NOT_FOUND")
def revoke_session(session_id: uuid.UUID) -> None:
    """End one of your sessions (another device); someone else's is 404."""
    with account_errors():
        services.revoke_own_session(current_user, session_id)


# --- passwords --------------------------------------------------------------------------


@blp.route("/password/forgot", methods=["POST"])
@limits.email_ip
@limits.forgot_account
@blp.arguments(ForgotPasswordSchema)
@blp.response(202, MessageSchema)
@blp.alt_response(429, response="TOO_MANY_REQUESTS")
def forgot_password(body: dict[str, Any]) -> dict[str, str]:
    """Email a password reset link (same answer whether or not the email is registered)."""
    services.request_password_reset(body["email"])
    return {"message": services.FORGOT_MESSAGE}


@blp.route("/password/reset", methods=["POST"])
@blp.arguments(ResetPasswordSchema)
@blp.response(200, MessageSchema)
@blp.alt_response(400, response="BAD_REQUEST")
def reset_password(body: dict[str, Any]) -> dict[str, str]:
    """Choose a new password with the emailed token (single use, 20 minutes); ends all sessions."""
    with account_errors():
        services.reset_password(body["token"], body["password"])
    return {"message": "Your password was changed. Log in with the new one."}


@blp.route("/password/change", methods=["POST"])
@auth_required()
@limits.password_check
@blp.arguments(ChangePasswordSchema)
@blp.response(200, MessageSchema)
@blp.alt_response(400, response="BAD_REQUEST")
@blp.alt_response(401, response="UNAUTHORIZED")
@blp.alt_response(429, response="TOO_MANY_REQUESTS")
def change_password(body: dict[str, Any]) -> dict[str, str]:
    """Change your password; every other session of the account ends."""
    with account_errors():
        services.change_password(
            current_user, _session_id(), body["current_password"], body["new_password"]
        )
    return {"message": "Your password was changed. Your other sessions were logged out."}
