"""Signup, email verification, login, refresh, logout and passwords.

Route -> here -> models. Every answer that could tell whether an email is registered is the
same for both cases (SECURITY.md items 1-3); emailed tokens are 32 random bytes stored as
SHA-256 and consumed with one conditional UPDATE (item 11).
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from kitodeck.auth import sessions as session_service
from kitodeck.auth.models import EmailToken, Session
from kitodeck.common.audit import audit
from kitodeck.common.auth import SessionState
from kitodeck.common.email import public_url, send_email
from kitodeck.common.passwords import hash_password, needs_rehash, verify_dummy, verify_password
from kitodeck.common.timeutil import utcnow
from kitodeck.extensions import db
from kitodeck.users.models import User
from kitodeck.users.services import (
    AccountError,
    check_new_password,
    get_by_email,
    username_taken,
    username_taken_error,
)

log = logging.getLogger("kitodeck.auth")

VERIFY = "verify"
RESET = "reset"

INVALID_LINK_MESSAGE = "This link is invalid, has expired or was already used."
LOGIN_FAILED_MESSAGE = "Invalid email or password."
SIGNUP_MESSAGE = (
    "Thanks! Check your inbox: we sent a link to confirm your email address. "
    "If you do not receive it, you may already have an account: try logging in."
)
FORGOT_MESSAGE = (
    "If an account uses this address, we sent it a link to choose a new password. "
    "The link works once, within 20 minutes."
)


@dataclass(frozen=True)
class LoginResult:
    """A successful login: the user and the session's first tokens."""

    user: User
    session: Session
    tokens: dict[str, str]


# --- emailed tokens ---------------------------------------------------------------------


def token_digest(raw: str) -> str:
    """How an emailed token is stored: its SHA-256, hex."""
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def _lifetime(purpose: str) -> timedelta:
    config = current_app.config
    if purpose == VERIFY:
        return config.get("EMAIL_VERIFICATION_TTL", timedelta(hours=48))
    return config.get("PASSWORD_RESET_TTL", timedelta(minutes=20))


def issue_email_token(user_id: uuid.UUID, purpose: str) -> str:
    """A new single-use token for ``user_id`` (added to the session, not committed).

    A new reset token supersedes the user's earlier unused ones.
    """
    raw = secrets.token_urlsafe(32)
    if purpose == RESET:
        _retire_tokens(user_id, RESET)
    db.session.add(
        EmailToken(
            id=uuid.uuid4(),
            user_id=user_id,
            purpose=purpose,
            token_hash=token_digest(raw),
            created_at=utcnow(),
            expires_at=utcnow() + _lifetime(purpose),
        )
    )
    return raw


def _retire_tokens(user_id: uuid.UUID, purpose: str) -> None:
    db.session.execute(
        update(EmailToken)
        .where(
            EmailToken.user_id == user_id,
            EmailToken.purpose == purpose,
            EmailToken.used_at.is_(None),
        )
        .values(used_at=func.now())
        .execution_options(synchronize_session=False)
    )


def _peek_token(raw: str, purpose: str) -> EmailToken | None:
    """The live token matching ``raw`` (not consumed)."""
    return db.session.scalars(
        select(EmailToken).where(
            EmailToken.token_hash == token_digest(raw),
            EmailToken.purpose == purpose,
            EmailToken.used_at.is_(None),
            EmailToken.expires_at > func.now(),
        )
    ).first()


def _consume_token(raw: str, purpose: str) -> uuid.UUID | None:
    """Use the token up, atomically; the user id, or None if unknown, used or expired."""
    return db.session.execute(
        update(EmailToken)
        .where(
            EmailToken.token_hash == token_digest(raw),
            EmailToken.purpose == purpose,
            EmailToken.used_at.is_(None),
            EmailToken.expires_at > func.now(),
        )
        .values(used_at=func.now())
        .returning(EmailToken.user_id)
        .execution_options(synchronize_session=False)
    ).scalar_one_or_none()


def verification_link(raw: str) -> str:
    """The link in the verification email (from PUBLIC_BASE_URL)."""
    path = current_app.config.get("EMAIL_VERIFY_PATH", "/verify-email?token={token}")
    return public_url(path.format(token=raw))


def reset_link(raw: str) -> str:
    """The link in the reset email (from PUBLIC_BASE_URL, never the request's Host)."""
    path = current_app.config.get("PASSWORD_RESET_PATH", "/reset-password?token={token}")
    return public_url(path.format(token=raw))


def _send_verification(user: User, raw: str) -> None:
    hours = int(_lifetime(VERIFY).total_seconds() // 3600)
    send_email(
        user.email,
        "Confirm your email address",
        "verify_email",
        username=user.username,
        link=verification_link(raw),
        token=raw,
        hours=hours,
        api_path="/api/v1/auth/verify-email",
    )


# --- signup and verification ------------------------------------------------------------


def signup(email: str, username: str, password: str) -> None:
    """Create an account and send the verification email.

    An email that is already registered gets the same answer; its owner receives a notice
    instead of a second account. The password is hashed in both cases, so both take as long.
    """
    password_hash = hash_password(password)
    if username_taken(username):
        raise username_taken_error()
    existing = get_by_email(email)
    if existing is not None:
        _notify_existing(existing)
        return
    user = User(
        id=uuid.uuid4(),
        email=email,
        username=username,
        password_hash=password_hash,
        role="user",
        is_active=True,
    )
    db.session.add(user)
    try:
        db.session.flush()
    except IntegrityError as error:  # a concurrent signup took the username or the email
        db.session.rollback()
        if "username" in str(error.orig):
            raise username_taken_error() from error
        existing = get_by_email(email)
        if existing is not None:
            _notify_existing(existing)
        return
    raw = issue_email_token(user.id, VERIFY)
    db.session.commit()
    audit("signup", user_id=user.id)
    _send_verification(user, raw)


def _notify_existing(user: User) -> None:
    audit("signup_existing_email", user_id=user.id)
    send_email(
        user.email,
        "Someone tried to sign up with your address",
        "signup_notice",
        username=user.username,
        login_link=public_url(current_app.config.get("LOGIN_PATH", "/login")),
        reset_link=public_url(current_app.config.get("FORGOT_PASSWORD_PATH", "/forgot-password")),
    )


def verify_email(raw: str) -> User:
    """Confirm the address of the token's user; 400 for an unknown, used or expired token."""
    user_id = _consume_token(raw, VERIFY)
    if user_id is None:
        db.session.rollback()
        raise AccountError(400, INVALID_LINK_MESSAGE)
    user = db.session.get(User, user_id)
    if user is None or not user.is_active:
        db.session.rollback()
        raise AccountError(400, INVALID_LINK_MESSAGE)
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()
    _retire_tokens(user.id, VERIFY)
    db.session.commit()
    audit("email_verified", user_id=user.id)
    return user


def resend_verification(user: User) -> bool:
    """Send a new verification link; False when the address is already confirmed."""
    if user.email_verified_at is not None:
        return False
    raw = issue_email_token(user.id, VERIFY)
    db.session.commit()
    _send_verification(user, raw)
    return True


# --- login, refresh, logout -------------------------------------------------------------


def login(email: str, password: str, *, user_agent: str | None, ip: str | None) -> LoginResult:
    """Check the credentials and open a session; one identical 401 for every failure.

    An unknown email is checked against a dummy hash, so every path costs one argon2
    verification. A deactivated account fails like a wrong password.
    """
    user = get_by_email(email)
    if user is None:
        verify_dummy(password)
        audit("login_failed", reason="unknown_account", level=logging.WARNING)
        raise AccountError(401, LOGIN_FAILED_MESSAGE)
    if not verify_password(user.password_hash, password):
        audit("login_failed", user_id=user.id, reason="bad_password", level=logging.WARNING)
        raise AccountError(401, LOGIN_FAILED_MESSAGE)
    if not user.is_active:
        audit("login_failed", user_id=user.id, reason="inactive", level=logging.WARNING)
        raise AccountError(401, LOGIN_FAILED_MESSAGE)
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
        audit("password_rehashed", user_id=user.id)
    user.last_login_at = utcnow()
    session, tokens = session_service.start_session(user, user_agent=user_agent, ip=ip)
    audit("login_succeeded", user_id=user.id, session_id=session.id)
    return LoginResult(user=user, session=session, tokens=tokens)


def refresh(session: SessionState, presented_jti: str) -> dict[str, str]:
    """Rotate the session's refresh token; 401 (and a revoked session) on replay."""
    result = session_service.rotate(session, presented_jti)
    if result.tokens is None:
        raise AccountError(401, "This refresh token was already used or the session ended.")
    return result.tokens


def logout(user: User, session_id: uuid.UUID) -> None:
    """End the current session: its access and refresh tokens stop working at once."""
    session_service.revoke_session(session_id, "logout", user_id=user.id)
    audit("logout", user_id=user.id, session_id=session_id)


def logout_all(user: User) -> int:
    """End every session of the user; the number ended."""
    count = session_service.revoke_user_sessions(user.id, "logout_all")
    audit("logout_all", user_id=user.id, count=count)
    return count


def revoke_own_session(user: User, session_id: uuid.UUID) -> None:
    """End one of the user's sessions; 404 when it is not theirs or not live."""
    if not session_service.revoke_session(session_id, "revoked_by_user", user_id=user.id):
        raise AccountError(404, "No such session.")
    audit("session_revoked", user_id=user.id, session_id=session_id)


# --- passwords --------------------------------------------------------------------------


def request_password_reset(email: str) -> None:
    """Email a reset link when the address belongs to an active account; silent otherwise."""
    user = get_by_email(email)
    if user is None or not user.is_active:
        audit("password_reset_requested", known=False)
        return
    raw = issue_email_token(user.id, RESET)
    db.session.commit()
    audit("password_reset_requested", user_id=user.id, known=True)
    minutes = int(_lifetime(RESET).total_seconds() // 60)
    send_email(
        user.email,
        "Reset your password",
        "password_reset",
        username=user.username,
        link=reset_link(raw),
        token=raw,
        minutes=minutes,
        api_path="/api/v1/auth/password/reset",
    )


def reset_password(raw: str, password: str) -> User:
    """Set a new password with a reset token; every session of the account ends.

    The token is checked first (400), then the password policy (422, token kept), then the
    token is consumed atomically (a concurrent reset with the same token gets 400).
    """
    token = _peek_token(raw, RESET)
    user = db.session.get(User, token.user_id) if token is not None else None
    if token is None or user is None or not user.is_active:
        db.session.rollback()
        raise AccountError(400, INVALID_LINK_MESSAGE)
    check_new_password(password, email=user.email, username=user.username, field="password")
    if _consume_token(raw, RESET) != user.id:
        db.session.rollback()
        raise AccountError(400, INVALID_LINK_MESSAGE)
    user.password_hash = hash_password(password)
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()  # the reset proved control of the address
    _retire_tokens(user.id, RESET)
    session_service.revoke_user_sessions(user.id, "password_reset", commit=False)
    db.session.commit()
    audit("password_reset", user_id=user.id)
    _send_password_changed(user)
    return user


def change_password(user: User, session_id: uuid.UUID, current: str, new: str) -> int:
    """Change the password; every other session ends. The number of sessions ended."""
    if not verify_password(user.password_hash, current):
        audit("password_change_failed", user_id=user.id, level=logging.WARNING)
        raise AccountError(
            400,
            "The current password is not correct.",
            {"json": {"current_password": ["The current password is not correct."]}},
        )
    check_new_password(new, email=user.email, username=user.username, field="new_password")
    user.password_hash = hash_password(new)
    count = session_service.revoke_user_sessions(
        user.id, "password_change", keep=session_id, commit=False
    )
    db.session.commit()
    audit("password_changed", user_id=user.id, other_sessions_revoked=count)
    _send_password_changed(user)
    return count


def _send_password_changed(user: User) -> None:
    send_email(
        user.email,
        "Your password was changed",
        "password_changed",
        username=user.username,
        reset_link=public_url(current_app.config.get("FORGOT_PASSWORD_PATH", "/forgot-password")),
    )


# --- housekeeping -----------------------------------------------------------------------


def purge_tokens() -> tuple[int, int]:
    """Delete expired or revoked sessions and used or expired email tokens (committed).

    Returns (sessions deleted, email tokens deleted).
    """
    from sqlalchemy import delete, or_

    sessions = db.session.execute(
        delete(Session)
        .where(or_(Session.revoked_at.is_not(None), Session.expires_at <= func.now()))
        .execution_options(synchronize_session=False)
    ).rowcount
    tokens = db.session.execute(
        delete(EmailToken)
        .where(or_(EmailToken.used_at.is_not(None), EmailToken.expires_at <= func.now()))
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return int(sessions or 0), int(tokens or 0)
