"""Import every model so that Alembic and the app see the whole schema."""

from kitodeck.users.models import User

__all__ = ["User"]
