"""Rate limits of the account endpoints (Flask-Limiter; SECURITY.md items 4 and 5).

Every limit is *shared* (one named scope), so the seed alias ``POST /auth/login/`` and
``POST /api/v1/auth/login`` draw on the same budgets. Values come from the config at request
time (``RATELIMIT_*``), so each app can use its own.

- ``login_ip``: every login attempt, per client IP (``RATELIMIT_LOGIN_IP``).
- ``login_account``: FAILED logins (401) per account, whatever the IP
  (``RATELIMIT_LOGIN_ACCOUNT``, 10/minute and 100/hour): a temporary lock; password reset
  is not affected by it.
- ``signup_ip``; ``email_ip`` (forgot-password and resend share it); ``signup_account`` and
  ``forgot_account`` (``RATELIMIT_EMAIL_ACCOUNT`` per address, known or not, so nobody can
  flood an inbox with notices or reset links); ``resend_user``; ``password_check`` (wrong
  current passwords on change-password and account deletion, per user).

The client IP is ``request.remote_addr`` after ``ProxyFix`` has applied ``TRUSTED_PROXIES``
(default 0: ``X-Forwarded-For`` is ignored).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable

from flask import current_app, g, request
from flask.wrappers import Response
from flask_limiter import RequestLimit

from kitodeck.common.audit import audit
from kitodeck.extensions import limiter, rate_limit_key


def _config(name: str) -> Callable[[], str]:
    return lambda: current_app.config[name]


def _body_email() -> str | None:
    body = request.get_json(silent=True)
    if isinstance(body, dict) and isinstance(body.get("email"), str) and body["email"].strip():
        from kitodeck.users.services import normalise_email

        return normalise_email(body["email"][:320])
    return None


def account_key() -> str:
    """The normalised email of the request body, hashed (the IP when there is none)."""
    email = _body_email()
    if email is None:
        return f"ip:{rate_limit_key()}"
    return "account:" + hashlib.sha256(email.encode("utf-8")).hexdigest()[:40]


def user_key() -> str:
    """The authenticated user (set by ``auth_required``), else the IP."""
    return f"user:{getattr(g, 'user_id', None) or rate_limit_key()}"


def _failed(status: int) -> Callable[[Response], bool]:
    return lambda response: response.status_code == status


def _audit_account_lock(limit: RequestLimit) -> None:
    from kitodeck.users.services import get_by_email

    email = _body_email()
    user = get_by_email(email) if email else None
    audit(
        "login_throttled",
        user_id=user.id if user is not None else None,
        scope="account",
        limit=str(limit.limit),
        level=logging.WARNING,
    )


def _audit_ip_lock(limit: RequestLimit) -> None:
    audit("login_throttled", scope="ip", limit=str(limit.limit), level=logging.WARNING)


login_ip = limiter.shared_limit(
    _config("RATELIMIT_LOGIN_IP"),
    scope="login-ip",
    key_func=rate_limit_key,
    on_breach=_audit_ip_lock,
    error_message="Too many login attempts from your network. Please wait and try again.",
)
login_account = limiter.shared_limit(
    _config("RATELIMIT_LOGIN_ACCOUNT"),
    scope="login-account",
    key_func=account_key,
    deduct_when=_failed(401),
    on_breach=_audit_account_lock,
    error_message=(
        "Too many failed logins for this account. Wait a while, or reset your password."
    ),
)
signup_ip = limiter.shared_limit(
    _config("RATELIMIT_SIGNUP_IP"),
    scope="signup-ip",
    key_func=rate_limit_key,
    error_message="Too many signups from your network. Please try again later.",
)
signup_account = limiter.shared_limit(
    _config("RATELIMIT_EMAIL_ACCOUNT"),
    scope="signup-account",
    key_func=account_key,
    error_message="Too many signups with this address. Please try again later.",
)
email_ip = limiter.shared_limit(
    _config("RATELIMIT_EMAIL_IP"),
    scope="email-ip",
    key_func=rate_limit_key,
    error_message="Too many email requests from your network. Please try again later.",
)
forgot_account = limiter.shared_limit(
    _config("RATELIMIT_EMAIL_ACCOUNT"),
    scope="forgot-account",
    key_func=account_key,
    error_message="Too many reset emails were requested for this address. Try again later.",
)
resend_user = limiter.shared_limit(
    _config("RATELIMIT_EMAIL_USER"),
    scope="resend-user",
    key_func=user_key,
    error_message="Too many verification emails were requested. Try again later.",
)
password_check = limiter.shared_limit(
    _config("RATELIMIT_LOGIN_ACCOUNT"),
    scope="password-check",
    key_func=user_key,
    deduct_when=_failed(400),
    error_message="Too many wrong passwords. Wait a while and try again.",
)
