"""Create a verified benchmark user with a session and print an access token (bench only)."""

from __future__ import annotations

import uuid
from datetime import timedelta

from wsgi import app


def main() -> None:
    from kitodeck.auth.models import Session
    from kitodeck.auth.tokens import issue_token_pair, new_jti
    from kitodeck.common.timeutil import utcnow
    from kitodeck.extensions import db
    from kitodeck.users.models import User

    with app.app_context():
        suffix = uuid.uuid4().hex[:10]
        user = User(
            email=f"bench-{suffix}@bench.invalid",
            username=f"bench_{suffix}",
            password_hash="!unusable",  # noqa: S106
            role="admin",
            email_verified_at=utcnow(),
        )
        db.session.add(user)
        db.session.flush()
        jti = new_jti()
        session = Session(
            user_id=user.id, current_jti=jti, expires_at=utcnow() + timedelta(hours=2)
        )
        db.session.add(session)
        db.session.commit()
        with app.test_request_context():
            print(issue_token_pair(session, jti)["access"])


if __name__ == "__main__":
    main()
