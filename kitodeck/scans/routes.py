"""HTTP routes of the scans blueprint."""

from __future__ import annotations

from flask_smorest import Blueprint

blp = Blueprint(
    "scans",
    __name__,
    url_prefix="/api/v1/scans",
    description="Image and chat scans, history, moderator reviews and custom rules.",
)
