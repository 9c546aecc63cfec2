"""Create a verified benchmark admin with a session and print its access token (bench only).

The account has no usable password (a random one, never printed): only the token is used.
"""

from __future__ import annotations

import secrets

from wsgi import app


def main() -> None:
    from kitodeck.auth.sessions import start_session
    from kitodeck.users.services import create_user

    with app.app_context():
        suffix = secrets.token_hex(5)
        user = create_user(
            email=f"bench-{suffix}@bench.example.com",
            username=f"bench_{suffix}",
            password=secrets.token_urlsafe(24),
            role="admin",
            verified=True,
            check_policy=False,
        )
        with app.test_request_context():
            _, tokens = start_session(user, user_agent="kitodeck-bench")
        print(tokens["access"])


if __name__ == "__main__":
    main()
