"""The account commands of the admin CLI, through ``app.test_cli_runner()``.

Exit codes: 0 done, 1 not found or refused, 2 usage error. Passwords come from a hidden,
confirmed prompt (``input=``), never from argv.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, update

from kitodeck.auth.models import EmailToken, Session
from kitodeck.common.passwords import verify_password
from kitodeck.users.models import User
from tests.factories import DEFAULT_PASSWORD, UserFactory, login, unique_email, unique_username

PASSWORD = "Operator-Chosen-Pass-31"


def _user(db, email: str) -> User | None:
    return db.session.scalars(select(User).where(User.email == email.lower())).first()


def test_create_admin_prompts_for_a_hidden_confirmed_password(runner, db) -> None:
    email, username = unique_email("Admin"), unique_username("admin")
    result = runner.invoke(
        args=["users", "create-admin", "--email", email, "--username", username],
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output
    assert "Created admin" in result.output
    assert PASSWORD not in result.output  # hidden input is not echoed
    admin = _user(db, email)
    assert admin.role == "admin" and admin.email_verified and admin.is_active
    assert verify_password(admin.password_hash, PASSWORD)


def test_create_admin_prompts_for_missing_options(runner, db) -> None:
    email, username = unique_email(), unique_username()
    result = runner.invoke(
        args=["users", "create-admin"], input=f"{email}\n{username}\n{PASSWORD}\n{PASSWORD}\n"
    )
    assert result.exit_code == 0, result.output
    assert _user(db, email).role == "admin"


def test_create_with_a_role_and_the_password_policy(runner, db, client) -> None:
    email, username = unique_email(), unique_username()
    weak = runner.invoke(
        args=["users", "create", "--email", email, "--username", username],
        input="password\npassword\n",
    )
    assert weak.exit_code == 1
    assert "commonly used" in weak.output
    assert _user(db, email) is None
    mismatch = runner.invoke(
        args=["users", "create", "--email", email, "--username", username, "--role", "moderator"],
        input=f"{PASSWORD}\nsomething-else\n{PASSWORD}\n{PASSWORD}\n",
    )
    assert mismatch.exit_code == 0, mismatch.output
    assert "do not match" in mismatch.output.lower() or "match" in mismatch.output.lower()
    created = _user(db, email)
    assert created.role == "moderator" and created.email_verified
    assert login(client, email, PASSWORD).status_code == 200


def test_create_refuses_bad_input_and_duplicates(runner, db, user) -> None:
    cases = [
        (["--email", "not-an-email", "--username", unique_username()], 1, "Invalid email"),
        (["--email", unique_email(), "--username", "a b"], 1, "Invalid username"),
        (["--email", user.email, "--username", unique_username()], 1, "already exists"),
        (["--email", unique_email(), "--username", user.username], 1, "taken"),
        (["--email", unique_email(), "--username", "ok_1", "--role", "root"], 2, "root"),
    ]
    for options, code, message in cases:
        result = runner.invoke(
            args=["users", "create", *options], input=f"{PASSWORD}\n{PASSWORD}\n"
        )
        assert result.exit_code == code, (options, result.output)
        assert message in result.output


def test_create_unverified(runner, db) -> None:
    email = unique_email()
    result = runner.invoke(
        args=["users", "create", "--email", email, "--username", unique_username(), "--unverified"],
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output
    assert not _user(db, email).email_verified


def test_password_is_never_an_option(runner, db) -> None:
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            unique_email(),
            "--username",
            unique_username(),
            "--password",
            PASSWORD,
        ]
    )
    assert result.exit_code == 2
    assert "No such option" in result.output


def test_list_users(runner, db) -> None:
    marker = unique_username("lst")
    UserFactory(username=marker, role="moderator", verified=True)
    UserFactory(username=marker + "_off", is_active=False)
    result = runner.invoke(args=["users", "list", "--q", marker])
    assert result.exit_code == 0
    assert marker in result.output and "moderator" in result.output
    assert "2 account(s)" in result.output
    only_mods = runner.invoke(args=["users", "list", "--q", marker, "--role", "moderator"])
    assert "1 account(s)" in only_mods.output
    inactive = runner.invoke(args=["users", "list", "--q", marker, "--inactive"])
    assert marker + "_off" in inactive.output and "1 account(s)" in inactive.output
    assert "password" not in result.output.lower() and "$argon2" not in result.output
    none = runner.invoke(args=["users", "list", "--q", "no-such-user-anywhere"])
    assert none.exit_code == 0 and "No accounts" in none.output


def test_set_role(runner, db, user, client, auth_headers) -> None:
    headers = auth_headers(user)
    result = runner.invoke(args=["users", "set-role", user.email.upper(), "admin"])
    assert result.exit_code == 0, result.output
    assert "is now admin" in result.output
    assert client.get("/api/v1/users/", headers=headers).status_code == 200  # at once
    again = runner.invoke(args=["users", "set-role", user.email, "admin"])
    assert again.exit_code == 0 and "already" in again.output
    assert runner.invoke(args=["users", "set-role", user.email, "god"]).exit_code == 2
    missing = runner.invoke(args=["users", "set-role", unique_email(), "user"])
    assert missing.exit_code == 1 and "No account" in missing.output
    assert runner.invoke(args=["users", "set-role", user.email]).exit_code == 2


def test_deactivate_and_activate(runner, db, user, client, auth_headers) -> None:
    headers = auth_headers(user)
    result = runner.invoke(args=["users", "deactivate", user.email])
    assert result.exit_code == 0, result.output
    assert "Deactivated" in result.output
    assert client.get("/api/v1/users/me", headers=headers).status_code == 401
    assert login(client, user.email).status_code == 401
    assert "already" in runner.invoke(args=["users", "deactivate", user.email]).output
    result = runner.invoke(args=["users", "activate", user.email])
    assert result.exit_code == 0 and "Activated" in result.output
    assert login(client, user.email).status_code == 200
    assert runner.invoke(args=["users", "activate", unique_email()]).exit_code == 1
    assert runner.invoke(args=["users", "deactivate", unique_email()]).exit_code == 1


def test_deactivating_the_last_admin_is_refused(runner, db, admin) -> None:
    db.session.execute(
        update(User).where(User.role == "admin", User.id != admin.id).values(role="user")
    )
    result = runner.invoke(args=["users", "deactivate", admin.email])
    assert result.exit_code == 1 and "last active admin" in result.output
    result = runner.invoke(args=["users", "set-role", admin.email, "user"])
    assert result.exit_code == 1


def test_verify(runner, db, user) -> None:
    result = runner.invoke(args=["users", "verify", user.email])
    assert result.exit_code == 0 and "verified" in result.output
    db.session.refresh(user)
    assert user.email_verified
    assert "already" in runner.invoke(args=["users", "verify", user.email]).output
    assert runner.invoke(args=["users", "verify", unique_email()]).exit_code == 1


def test_sessions_revoke(runner, db, verified_user, client, auth_headers) -> None:
    headers = [auth_headers(verified_user) for _ in range(2)]
    result = runner.invoke(args=["sessions", "revoke", verified_user.email])
    assert result.exit_code == 0
    assert "Revoked 2 session(s)" in result.output
    for header in headers:
        assert client.get("/api/v1/users/me", headers=header).status_code == 401
    assert runner.invoke(args=["sessions", "revoke", unique_email()]).exit_code == 1


def test_tokens_purge(runner, db, verified_user, auth_headers, client) -> None:
    live = auth_headers(verified_user)
    auth_headers(verified_user)
    client.post("/api/v1/auth/logout", headers=auth_headers(verified_user))
    expired_headers = auth_headers(verified_user)
    db.session.execute(
        update(Session)
        .where(Session.user_id == verified_user.id, Session.revoked_at.is_(None))
        .where(Session.id != _sid(live))
        .where(Session.id == _sid(expired_headers))
        .values(expires_at=func.now() - timedelta(seconds=1))
    )
    client.post("/api/v1/auth/password/forgot", json={"email": verified_user.email})
    client.post("/api/v1/auth/password/forgot", json={"email": verified_user.email})
    before_sessions = _count(db, Session, verified_user.id)
    before_tokens = _count(db, EmailToken, verified_user.id)
    assert (before_sessions, before_tokens) == (4, 2)

    result = runner.invoke(args=["tokens", "purge"])
    assert result.exit_code == 0, result.output
    assert "Deleted" in result.output
    assert _count(db, Session, verified_user.id) == 2  # the live ones stay
    assert _count(db, EmailToken, verified_user.id) == 1  # the unused, unexpired link stays
    assert client.get("/api/v1/users/me", headers=live).status_code == 200


def _sid(headers: dict) -> object:
    import uuid

    from flask_jwt_extended import decode_token

    return uuid.UUID(decode_token(headers["Authorization"].split()[1])["sid"])


def _count(db, model, user_id) -> int:
    return db.session.scalar(
        select(func.count()).select_from(model).where(model.user_id == user_id)
    )


def test_groups_have_help(runner) -> None:
    for group in ("users", "sessions", "tokens"):
        result = runner.invoke(args=[group, "--help"])
        assert result.exit_code == 0
    assert "create-admin" in runner.invoke(args=["users", "--help"]).output
    assert DEFAULT_PASSWORD not in runner.invoke(args=["users", "--help"]).output
