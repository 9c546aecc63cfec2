"""Sessions as token families: create, rotate (atomically), revoke, list.

A session is created at login with a fixed absolute ``expires_at`` (SESSION_LIFETIME, 30 days).
Its access and refresh tokens carry its id (``sid``); the refresh token's ``jti`` is recorded
in ``current_jti``. Rotation is one conditional UPDATE, so of two refreshes presenting the same
token exactly one matches; the other finds a live session whose jti has moved on, which is a
replay: the whole session is revoked (reason ``refresh_reuse``).

Functions here flush and commit themselves (they are the service layer of sessions).
"""

from __future__ import annotations

import ipaddress
import logging
import uuid
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import func, select, update

from kitodeck.auth.models import Session
from kitodeck.auth.tokens import issue_tokens, new_jti
from kitodeck.common.audit import audit
from kitodeck.common.auth import SessionState
from kitodeck.common.timeutil import utcnow
from kitodeck.extensions import db
from kitodeck.users.models import User

USER_AGENT_MAX = 256


@dataclass(frozen=True)
class RotationResult:
    """What a refresh attempt came to: new tokens, or why not."""

    tokens: dict[str, str] | None
    reused: bool = False


def _clean_ip(value: str | None) -> str | None:
    if not value:
        return None
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def start_session(
    user: User, *, user_agent: str | None = None, ip: str | None = None
) -> tuple[Session, dict[str, str]]:
    """A new session for ``user`` and its first token pair (committed)."""
    jti, now = new_jti(), utcnow()
    session_id, user_id = uuid.uuid4(), user.id
    expires_at = now + current_app.config["SESSION_LIFETIME"]
    session = Session(
        id=session_id,
        user_id=user_id,
        current_jti=jti,
        created_at=now,
        last_used_at=now,
        expires_at=expires_at,
        user_agent=user_agent[:USER_AGENT_MAX] if user_agent else None,
        ip=_clean_ip(ip),
    )
    db.session.add(session)
    db.session.commit()
    return session, issue_tokens(session_id, user_id, expires_at, jti)


def rotate(session: SessionState | Session, presented_jti: str) -> RotationResult:
    """Swap the session's refresh jti if ``presented_jti`` is the current one, atomically.

    0 rows updated and the session still live means the token was already used: a replay
    (or a lost race with a concurrent refresh). The session is then revoked.
    """
    fresh_jti = new_jti()
    session_id, user_id = session.id, session.user_id
    row = db.session.execute(
        update(Session)
        .where(
            Session.id == session_id,
            Session.current_jti == presented_jti,
            Session.revoked_at.is_(None),
            Session.expires_at > func.now(),
        )
        .values(current_jti=fresh_jti, last_used_at=func.now())
        .returning(Session.expires_at)
        .execution_options(synchronize_session=False)
    ).first()
    db.session.commit()
    if row is not None:
        return RotationResult(tokens=issue_tokens(session_id, user_id, row.expires_at, fresh_jti))
    revoked = revoke_session(session_id, "refresh_reuse")
    if revoked:
        audit("refresh_reuse", user_id=user_id, session_id=session_id, level=logging.WARNING)
    return RotationResult(tokens=None, reused=revoked)


def revoke_session(session_id: uuid.UUID, reason: str, *, user_id: uuid.UUID | None = None) -> bool:
    """Revoke one live session (of ``user_id`` when given); True when it was live."""
    conditions = [Session.id == session_id, Session.revoked_at.is_(None)]
    if user_id is not None:
        conditions.append(Session.user_id == user_id)
    result = db.session.execute(
        update(Session)
        .where(*conditions, Session.expires_at > func.now())
        .values(revoked_at=func.now(), revoked_reason=reason)
        .returning(Session.id)
        .execution_options(synchronize_session=False)
    ).first()
    db.session.commit()
    return result is not None


def revoke_user_sessions(
    user_id: uuid.UUID, reason: str, *, keep: uuid.UUID | None = None, commit: bool = True
) -> int:
    """Revoke every live session of a user (but ``keep``); the number revoked."""
    conditions = [Session.user_id == user_id, Session.revoked_at.is_(None)]
    if keep is not None:
        conditions.append(Session.id != keep)
    ids = db.session.execute(
        update(Session)
        .where(*conditions)
        .values(revoked_at=func.now(), revoked_reason=reason)
        .returning(Session.id)
        .execution_options(synchronize_session=False)
    ).all()
    if commit:
        db.session.commit()
    if ids:
        audit("sessions_revoked", user_id=user_id, reason=reason, count=len(ids))
    return len(ids)


def active_sessions(user_id: uuid.UUID) -> list[Session]:
    """The user's live sessions, most recently used first."""
    return list(
        db.session.scalars(
            select(Session)
            .where(
                Session.user_id == user_id,
                Session.revoked_at.is_(None),
                Session.expires_at > func.now(),
            )
            .order_by(Session.last_used_at.desc(), Session.created_at.desc())
        )
    )
