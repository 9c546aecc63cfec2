"""HTTP routes of the auth blueprint."""

from __future__ import annotations

from flask_smorest import Blueprint

blp = Blueprint(
    "auth",
    __name__,
    url_prefix="/api/v1/auth",
    description="Signup, email verification, login, token refresh, sessions and passwords.",
)
