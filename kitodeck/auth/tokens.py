"""JWTs bound to sessions: access (15 min) and refresh (bounded by the session's lifetime)."""

from __future__ import annotations

import uuid
from datetime import timedelta

from flask import current_app
from flask_jwt_extended import create_access_token, create_refresh_token

from kitodeck.auth.models import Session
from kitodeck.common.timeutil import utcnow


def new_jti() -> str:
    """A fresh token id."""
    return uuid.uuid4().hex


def issue_token_pair(session: Session, refresh_jti: str) -> dict[str, str]:
    """An access token and a refresh token for ``session``; the refresh carries ``refresh_jti``.

    The refresh token never outlives the session's absolute expiry.
    """
    identity = str(session.user_id)
    claims = {"sid": str(session.id)}
    access = create_access_token(identity=identity, additional_claims=claims)
    remaining = session.expires_at - utcnow()
    refresh_lifetime = max(remaining, timedelta(seconds=1))
    refresh = create_refresh_token(
        identity=identity,
        additional_claims={**claims, "jti": refresh_jti},
        expires_delta=min(refresh_lifetime, current_app.config["JWT_REFRESH_TOKEN_EXPIRES"]),
    )
    return {"access": access, "refresh": refresh}
