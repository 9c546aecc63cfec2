"""Import every model so that Alembic and the app see the whole schema."""

from kitodeck.auth.models import EmailToken, Session
from kitodeck.scans.models import Rule, Scan
from kitodeck.users.models import User

__all__ = ["EmailToken", "Rule", "Scan", "Session", "User"]
