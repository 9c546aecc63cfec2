"""Authentication and role checks for views.

``@auth_required()`` verifies the bearer token, then loads the user together with the
session's state in ONE indexed query (sessions by primary key, joined to users), so a logout,
a deactivation or a demotion takes effect on the very next request, on every worker.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import g
from flask_jwt_extended import get_jwt, verify_jwt_in_request
from flask_smorest import abort
from sqlalchemy import select

from kitodeck.common.timeutil import utcnow
from kitodeck.extensions import db, jwt

F = TypeVar("F", bound=Callable[..., Any])

UNVERIFIED_MESSAGE = (
    "Please verify your email address before scanning: follow the link we sent you, "
    "or ask for a new one at POST /api/v1/auth/verify-email/resend."
)


def load_session_user(user_id: str, session_id: str) -> tuple[Any, Any] | None:
    """The (user, session) pair when the session is live and the user active, else None."""
    from kitodeck.auth.models import Session
    from kitodeck.users.models import User

    try:
        sid, uid = uuid.UUID(session_id), uuid.UUID(user_id)
    except (TypeError, ValueError):
        return None
    row = db.session.execute(
        select(User, Session)
        .join(Session, Session.user_id == User.id)
        .where(Session.id == sid, User.id == uid)
    ).first()
    if row is None:
        return None
    user, session = row
    if not user.is_active or session.revoked_at is not None or session.expires_at <= utcnow():
        return None
    return user, session


@jwt.user_lookup_loader
def _user_lookup(header: dict[str, Any], payload: dict[str, Any]) -> Any:
    found = load_session_user(payload.get("sub", ""), payload.get("sid", ""))
    if found is None:
        return None  # -> user_lookup_error_loader -> 401
    user, session = found
    g.user_id = str(user.id)
    g.session_id = str(session.id)
    g.auth_session = session
    return user


def auth_required(*roles: str, verified: bool = False, refresh: bool = False) -> Callable[[F], F]:
    """Require a valid access token (or refresh token), optional roles and a verified email.

    Missing/invalid/expired/revoked token -> 401; wrong role or unverified -> 403.
    """

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            verify_jwt_in_request(refresh=refresh)
            from flask_jwt_extended import current_user

            user = current_user
            if roles and user.role not in roles:
                abort(403, message="You do not have permission to do this.")
            if verified and user.email_verified_at is None:
                abort(403, message=UNVERIFIED_MESSAGE)
            return view(*args, **kwargs)

        wrapper._kitodeck_auth = {"roles": roles, "verified": verified}  # type: ignore[attr-defined]
        return cast(F, wrapper)

    return decorate


def roles_required(*roles: str) -> Callable[[F], F]:
    """Shorthand for ``auth_required(*roles)``."""
    return auth_required(*roles)


def current_session_id() -> str | None:
    """The session id of the current request's token."""
    return get_jwt().get("sid")
