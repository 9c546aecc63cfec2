"""Audit log of security events (SECURITY.md item 30), on the ``kitodeck.audit`` logger.

Each record carries ``event``, ``user_id``, ``ip``, ``request_id`` (and the log's own time)
as structured fields, so the JSON log lines can be filtered and counted. Never pass a
password, a token or a token hash: the fields are written as they are.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import g, has_request_context, request

log = logging.getLogger("kitodeck.audit")

#: The events this module is called with (documented for log consumers).
EVENTS = (
    "signup",
    "signup_existing_email",
    "email_verified",
    "login_succeeded",
    "login_failed",
    "login_throttled",
    "password_rehashed",
    "refresh_reuse",
    "session_revoked",
    "sessions_revoked",
    "logout",
    "logout_all",
    "password_changed",
    "password_reset_requested",
    "password_reset",
    "role_changed",
    "user_deactivated",
    "user_activated",
    "user_verified",
    "user_created",
    "user_deleted",
)


def audit(event: str, *, user_id: object = None, level: int = logging.INFO, **fields: Any) -> None:
    """Log one security event with the request's IP and id (when in a request)."""
    ip = request.remote_addr if has_request_context() else None
    request_id = getattr(g, "request_id", None) if has_request_context() else None
    extra = {
        "event": event,
        "user_id": str(user_id) if user_id is not None else None,
        "ip": ip,
        "request_id": request_id,
        **{f"audit_{key}" if key in _RESERVED else key: value for key, value in fields.items()},
    }
    details = " ".join(f"{key}={value}" for key, value in fields.items())
    log.log(
        level,
        "%s user_id=%s ip=%s request_id=%s%s",
        event,
        extra["user_id"],
        ip,
        request_id,
        f" {details}" if details else "",
        extra=extra,
    )


# LogRecord attributes that ``extra`` may not overwrite.
_RESERVED = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}
