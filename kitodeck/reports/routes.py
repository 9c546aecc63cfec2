"""HTTP routes of the reports blueprint."""

from __future__ import annotations

from flask_smorest import Blueprint

blp = Blueprint(
    "reports",
    __name__,
    url_prefix="/api/v1/reports",
    description="Analytics for users and moderators.",
)
