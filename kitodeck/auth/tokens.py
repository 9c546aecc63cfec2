"""JWTs bound to sessions: access (15 min) and refresh (bounded by the session's lifetime).

Both carry the session id (``sid``). The refresh token's ``jti`` is the one recorded on the
session (``current_jti``); flask-jwt-extended applies ``additional_claims`` after its own
claims, so the ``jti`` given here is the one in the token (a test checks it).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from flask import current_app
from flask_jwt_extended import create_access_token, create_refresh_token

from kitodeck.common.timeutil import utcnow


def new_jti() -> str:
    """A fresh token id."""
    return uuid.uuid4().hex


def issue_tokens(
    session_id: uuid.UUID, user_id: uuid.UUID, expires_at: datetime, refresh_jti: str
) -> dict[str, str]:
    """An access token and a refresh token for a session; the refresh carries ``refresh_jti``.

    The refresh token never outlives the session's absolute expiry.
    """
    identity = str(user_id)
    claims = {"sid": str(session_id)}
    access = create_access_token(identity=identity, additional_claims=claims)
    remaining = expires_at - utcnow()
    refresh_lifetime = max(remaining, timedelta(seconds=1))
    refresh = create_refresh_token(
        identity=identity,
        additional_claims={**claims, "jti": refresh_jti},
        expires_delta=min(refresh_lifetime, current_app.config["JWT_REFRESH_TOKEN_EXPIRES"]),
    )
    return {"access": access, "refresh": refresh}
