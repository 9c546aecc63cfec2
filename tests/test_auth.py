"""Auth flows: signup, verification, login, refresh, logout, sessions and passwords.

SECURITY.md items covered here: 1, 2, 3, 6, 7, 9, 10 (replay, lifetime), 11, 12, 17, 18.
Token attacks (item 8) are in test_auth_tokens.py, limits (4, 5) in test_auth_limits.py,
concurrent refresh (10) in test_auth_concurrency.py, logging (30) in test_auth_audit.py.
"""

from __future__ import annotations

import json
import statistics
import time
import uuid
from datetime import timedelta

import pytest
from flask_jwt_extended import decode_token
from sqlalchemy import select, update

from kitodeck.auth.models import EmailToken, Session
from kitodeck.common import passwords
from kitodeck.users.models import User
from tests.factories import (
    DEFAULT_PASSWORD,
    UserFactory,
    assert_error,
    bearer,
    login,
    token_from_mail,
    unique_email,
    unique_username,
)

NEW_PASSWORD = "Another-Strong-Passphrase-77"
SIGNUP_URL = "/api/v1/auth/signup"


def signup(client, email: str, username: str | None = None, password: str = DEFAULT_PASSWORD):
    return client.post(
        SIGNUP_URL,
        json={"email": email, "username": username or unique_username(), "password": password},
    )


def find_user(db, email: str) -> User | None:
    return db.session.scalars(select(User).where(User.email == email.lower())).first()


# --- signup -----------------------------------------------------------------------------


def test_signup_creates_an_unverified_user_and_sends_a_verification_mail(
    client, db, wait_for_mail
) -> None:
    email = unique_email("Alice")  # mixed case: stored lower-cased
    response = signup(client, email)
    assert response.status_code == 201
    assert set(response.get_json()) == {"message"}
    user = find_user(db, email)
    assert user is not None
    assert user.email == email.lower()
    assert user.role == "user" and user.is_active and user.email_verified_at is None
    (mail,) = wait_for_mail(email.lower())
    assert mail["Subject"] == "Confirm your email address"
    text, html = mail.get_body(("plain",)).get_content(), mail.get_body(("html",)).get_content()
    assert "https://kitodeck.test/verify-email?token=" in text
    assert "https://kitodeck.test/verify-email?token=" in html
    token = token_from_mail(text)
    stored = db.session.scalars(select(EmailToken).where(EmailToken.user_id == user.id)).one()
    assert stored.purpose == "verify"
    assert token not in stored.token_hash and len(stored.token_hash) == 64


def test_signup_with_a_registered_email_answers_the_same_and_notifies_the_owner(
    client, user, wait_for_mail
) -> None:
    """SECURITY.md 2."""
    fresh = signup(client, unique_email())
    again = signup(client, user.email.upper())
    assert again.status_code == fresh.status_code == 201
    assert again.get_json() == fresh.get_json()
    (notice,) = wait_for_mail(user.email)
    assert notice["Subject"] == "Someone tried to sign up with your address"
    assert "https://kitodeck.test/login" in notice.get_body(("plain",)).get_content()
    time.sleep(0.2)
    assert len(wait_for_mail(user.email, timeout=0)) == 1  # no verification mail, no account


def test_signup_with_a_taken_username_is_409(client, user) -> None:
    body = assert_error(signup(client, unique_email(), user.username), 409)
    assert "username" in body["errors"]["json"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("email", "not-an-email"),
        ("email", "someone@localhost"),
        ("username", "ab"),
        ("username", "a" * 33),
        ("username", "bad name"),
        ("username", "émile"),
    ],
)
def test_signup_validates_email_and_username(client, field, value) -> None:
    body = {"email": unique_email(), "username": unique_username(), "password": DEFAULT_PASSWORD}
    body[field] = value
    errors = assert_error(client.post(SIGNUP_URL, json=body), 422)["errors"]
    assert field in errors["json"]


def test_username_allows_letters_digits_underscore_and_dot(client) -> None:
    assert signup(client, unique_email(), "A.b_9").status_code == 201
    assert signup(client, unique_email(), "x" * 32).status_code == 201
    assert signup(client, unique_email(), "abc").status_code == 201


@pytest.mark.parametrize(
    "password",
    [
        "short1!",  # 7 characters
        "password",  # common
        "iloveyou2",  # common
        "qwertyuiop",  # common
        "aaaaaaaaaaaa",  # weak
        "x" * 129,  # too long
    ],
)
def test_weak_common_short_or_long_passwords_are_422(client, password) -> None:
    """SECURITY.md 6."""
    response = signup(client, unique_email(), password=password)
    errors = assert_error(response, 422)["errors"]
    assert "password" in errors["json"]


def test_password_equal_to_email_or_username_is_refused(client) -> None:
    """SECURITY.md 6."""
    email, username = "zanzibar.quokka.77@example.com", "Zanzibar.Quokka.77"
    for password in (email, username, "zanzibar.quokka.77", email.upper()):
        response = signup(client, email, username, password=password)
        assert_error(response, 422)


def test_passwords_keep_unicode_exactly_and_64_plus_characters_work(client, db) -> None:
    """SECURITY.md 6: no normalisation, no truncation, at least 64 characters accepted."""
    long_password = "Ünïcødé ✓ pässwörd " * 6  # 114 characters, with spaces
    decomposed = "Cafe\u0301-Mélodie-Été-42"  # 'é' written as e + combining accent
    for password in (long_password, decomposed, "x" * 64 + "Z9!k"):
        email = unique_email()
        assert signup(client, email, password=password).status_code == 201
        user = find_user(db, email)
        assert passwords.verify_password(user.password_hash, password)
        db.session.execute(
            update(User).where(User.id == user.id).values(email_verified_at=db.func.now())
        )
        assert login(client, email, password).status_code == 200
        assert login(client, email, password[:-1]).status_code == 401  # no truncation
    # NFC and NFD forms are different passwords: kept exactly as typed.
    import unicodedata

    email = unique_email()
    signup(client, email, password=decomposed)
    assert login(client, email, unicodedata.normalize("NFC", decomposed)).status_code == 401
    assert login(client, email, decomposed).status_code == 200
    # Leading/trailing spaces are part of the password.
    email = unique_email()
    signup(client, email, password="  Spacey-Password-91  ")
    assert login(client, email, "Spacey-Password-91").status_code == 401
    assert login(client, email, "  Spacey-Password-91  ").status_code == 200


def test_stored_hashes_are_argon2id_with_strong_parameters(client, db) -> None:
    """SECURITY.md 7: argon2id, m >= 19456 KiB, t >= 2."""
    email = unique_email()
    signup(client, email)
    stored = find_user(db, email).password_hash
    assert stored.startswith("$argon2id$v=19$")
    params = dict(item.split("=") for item in stored.split("$")[3].split(","))
    assert int(params["m"]) >= 19456
    assert int(params["t"]) >= 2
    assert int(params["p"]) >= 1
    assert DEFAULT_PASSWORD not in stored


def test_login_rehashes_a_hash_made_with_old_parameters(client, db) -> None:
    from argon2 import PasswordHasher

    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(DEFAULT_PASSWORD)
    user = UserFactory(password_hash=weak)
    assert login(client, user.email).status_code == 200
    db.session.refresh(user)
    assert user.password_hash != weak
    assert "m=19456,t=2,p=1" in user.password_hash
    assert passwords.verify_password(user.password_hash, DEFAULT_PASSWORD)


def test_unknown_fields_in_bodies_are_422(client, user, auth_headers) -> None:
    """SECURITY.md 17: no mass assignment through signup, profile or password bodies."""
    for field, value in (
        ("role", "admin"),
        ("email_verified", True),
        ("is_active", True),
        ("user_id", "x"),
    ):
        body = {"email": unique_email(), "username": unique_username()}
        body.update({"password": DEFAULT_PASSWORD, field: value})
        errors = assert_error(client.post(SIGNUP_URL, json=body), 422)["errors"]
        assert field in errors["json"]
        login_body = {"email": user.email, "password": DEFAULT_PASSWORD, field: value}
        assert_error(client.post("/api/v1/auth/login", json=login_body), 422)
    headers = auth_headers(user)
    response = client.post(
        "/api/v1/auth/password/change",
        json={"current_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD, "role": "admin"},
        headers=headers,
    )
    assert_error(response, 422)


# --- email verification -----------------------------------------------------------------


def _signup_and_token(client, wait_for_mail, email: str) -> str:
    assert signup(client, email).status_code == 201
    (mail,) = wait_for_mail(email)
    return token_from_mail(mail.get_body(("plain",)).get_content())


def test_verify_email_confirms_once_then_400(client, db, wait_for_mail) -> None:
    """SECURITY.md 11: single use."""
    email = unique_email()
    token = _signup_and_token(client, wait_for_mail, email)
    response = client.post("/api/v1/auth/verify-email", json={"token": token})
    assert response.status_code == 200
    assert find_user(db, email).email_verified_at is not None
    assert_error(client.post("/api/v1/auth/verify-email", json={"token": token}), 400)


def test_verify_email_expired_or_guessed_token_is_400(client, db, wait_for_mail) -> None:
    """SECURITY.md 11: expiry (48 hours) and guesses."""
    email = unique_email()
    token = _signup_and_token(client, wait_for_mail, email)
    stored = db.session.scalars(
        select(EmailToken).where(EmailToken.user_id == find_user(db, email).id)
    ).one()
    lifetime = stored.expires_at - stored.created_at
    assert timedelta(hours=47, minutes=59) < lifetime <= timedelta(hours=48, seconds=5)
    db.session.execute(
        update(EmailToken)
        .where(EmailToken.id == stored.id)
        .values(expires_at=db.func.now() - timedelta(seconds=1))
    )
    assert_error(client.post("/api/v1/auth/verify-email", json={"token": token}), 400)
    for guess in ("x" * 43, token[:-1] + ("A" if token[-1] != "A" else "B"), ""):
        response = client.post("/api/v1/auth/verify-email", json={"token": guess})
        assert response.status_code in (400, 422)
    assert find_user(db, email).email_verified_at is None


def test_emailed_tokens_are_32_random_bytes_stored_as_sha256(client, db, wait_for_mail) -> None:
    """SECURITY.md 11."""
    import base64
    import hashlib

    email = unique_email()
    token = _signup_and_token(client, wait_for_mail, email)
    assert len(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))) == 32
    stored = db.session.scalars(
        select(EmailToken).where(EmailToken.user_id == find_user(db, email).id)
    ).one()
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()


def test_resend_verification_needs_auth_and_sends_a_new_link(
    client, user, auth_headers, wait_for_mail
) -> None:
    assert_error(client.post("/api/v1/auth/verify-email/resend"), 401)
    response = client.post("/api/v1/auth/verify-email/resend", headers=auth_headers(user))
    assert response.status_code == 202
    (mail,) = wait_for_mail(user.email)
    token = token_from_mail(mail.get_body(("plain",)).get_content())
    assert client.post("/api/v1/auth/verify-email", json={"token": token}).status_code == 200
    again = client.post("/api/v1/auth/verify-email/resend", headers=auth_headers(user))
    assert again.status_code == 202
    assert "already" in again.get_json()["message"]


# --- login ------------------------------------------------------------------------------


def test_login_returns_tokens_and_the_seed_user_shape(client, db, user) -> None:
    response = client.post(
        "/api/v1/auth/login",
        json={"email": f"  {user.email.upper()} ", "password": DEFAULT_PASSWORD},
        headers={"User-Agent": "KitoDeckApp/1.0"},
    )
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == {"access", "refresh", "user"}
    assert body["user"] == {
        "id": str(user.id),
        "email": user.email,
        "username": user.username,
        "role": "user",
        "email_verified": False,
    }
    db.session.refresh(user)
    assert user.last_login_at is not None
    claims = decode_token(body["access"])
    session = db.session.get(Session, uuid.UUID(claims["sid"]))
    assert session.user_id == user.id
    assert session.user_agent == "KitoDeckApp/1.0"
    assert str(session.ip) == "127.0.0.1"
    assert session.current_jti == decode_token(body["refresh"])["jti"]
    me = client.get("/api/v1/users/me", headers=bearer(body["access"]))
    assert me.status_code == 200
    assert me.get_json()["id"] == str(user.id)


def test_login_failures_are_identical(client, db, user) -> None:
    """SECURITY.md 1: unknown email, wrong password, deactivated: same status and body."""
    inactive = UserFactory(is_active=False)
    responses = [
        login(client, "nobody-" + user.email),
        login(client, user.email, "Wrong-Password-123"),
        login(client, inactive.email),
    ]
    bodies = [assert_error(r, 401) for r in responses]
    assert bodies[0] == bodies[1] == bodies[2]
    headers = [
        {
            k: v
            for k, v in r.headers.items()
            if k not in ("X-Request-ID", "Date", "X-RateLimit-Reset")
        }
        for r in responses
    ]
    assert headers[0] == headers[1] == headers[2]


def test_login_unknown_email_costs_one_argon2_verification(client, user, monkeypatch) -> None:
    """SECURITY.md 1: every failure path verifies exactly one argon2 hash."""
    calls: list[str] = []
    original = passwords.PasswordHasher.verify

    def counting_verify(self, hash_, password):
        calls.append(hash_)
        return original(self, hash_, password)

    monkeypatch.setattr(passwords.PasswordHasher, "verify", counting_verify)
    inactive = UserFactory(is_active=False)
    for email, password in (
        ("nobody-" + user.email, DEFAULT_PASSWORD),
        (user.email, "Wrong-Password-123"),
        (inactive.email, DEFAULT_PASSWORD),
    ):
        calls.clear()
        assert login(client, email, password).status_code == 401
        assert len(calls) == 1
        assert calls[0].startswith("$argon2id$v=19$m=19456,t=2,p=1$")


def test_an_unusable_hash_still_costs_a_real_verification(client, monkeypatch) -> None:
    """Accounts that cannot log in (seeded, "!unusable" hash) answer as slowly as others."""
    verified: list[str] = []
    original = passwords.PasswordHasher.verify

    def recording_verify(self, hash_, password):
        verified.append(hash_)
        return original(self, hash_, password)

    monkeypatch.setattr(passwords.PasswordHasher, "verify", recording_verify)
    locked = UserFactory(password_hash="!unusable")
    assert_error(login(client, locked.email), 401)
    assert verified[-1].startswith("$argon2id$v=19$m=19456,t=2,p=1$")


def test_login_timing_does_not_tell_unknown_from_wrong_password(
    app, client, user, monkeypatch
) -> None:
    """SECURITY.md 1: no measurable timing difference (interleaved medians)."""
    monkeypatch.setitem(app.config, "RATELIMIT_LOGIN_ACCOUNT", "1000/minute")
    monkeypatch.setitem(app.config, "RATELIMIT_LOGIN_IP", "1000/minute")
    unknown, wrong = [], []
    login(client, "warmup-" + user.email)
    for _ in range(12):
        for bucket, email, password in (
            (unknown, "nobody-" + user.email, DEFAULT_PASSWORD),
            (wrong, user.email, "Wrong-Password-123"),
        ):
            started = time.perf_counter()
            assert login(client, email, password).status_code == 401
            bucket.append(time.perf_counter() - started)
    a, b = statistics.median(unknown), statistics.median(wrong)
    assert min(a, b) > 0.004  # both paths do the argon2 work
    assert abs(a - b) / max(a, b) < 0.35, (a, b)


def test_login_validation_errors_are_422(client) -> None:
    assert_error(client.post("/api/v1/auth/login", json={"email": "x@example.com"}), 422)
    assert_error(client.post("/api/v1/auth/login", json=["x"]), 422)
    response = client.post("/api/v1/auth/login", data="email=x", content_type="text/plain")
    assert response.status_code in (415, 422)


# --- refresh, logout, sessions ----------------------------------------------------------


def _login_tokens(client, user, password: str = DEFAULT_PASSWORD) -> dict:
    response = login(client, user.email, password)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_refresh_rotates_and_a_replay_revokes_the_session(client, db, user) -> None:
    """SECURITY.md 10: replaying a used refresh token: 401 and the whole session revoked."""
    first = _login_tokens(client, user)
    response = client.post("/api/v1/auth/refresh", headers=bearer(first["refresh"]))
    assert response.status_code == 200
    second = response.get_json()
    assert set(second) == {"access", "refresh"}
    assert second["refresh"] != first["refresh"]
    assert client.get("/api/v1/users/me", headers=bearer(second["access"])).status_code == 200

    assert_error(client.post("/api/v1/auth/refresh", headers=bearer(first["refresh"])), 401)
    sid = uuid.UUID(decode_token(first["refresh"])["sid"])
    session = db.session.get(Session, sid)
    db.session.refresh(session)
    assert session.revoked_at is not None and session.revoked_reason == "refresh_reuse"
    # The whole family is gone: the newest tokens too.
    assert_error(client.get("/api/v1/users/me", headers=bearer(second["access"])), 401)
    assert_error(client.post("/api/v1/auth/refresh", headers=bearer(second["refresh"])), 401)
    # Other sessions are untouched.
    other = _login_tokens(client, user)
    assert client.get("/api/v1/users/me", headers=bearer(other["access"])).status_code == 200


def test_rotation_never_extends_the_session_and_access_lives_15_minutes(
    client, db, user, app
) -> None:
    """SECURITY.md 10: absolute lifetime 30 days; access tokens 15 minutes."""
    tokens = _login_tokens(client, user)
    access, refresh = decode_token(tokens["access"]), decode_token(tokens["refresh"])
    assert access["exp"] - access["iat"] == 15 * 60
    session = db.session.get(Session, uuid.UUID(refresh["sid"]))
    assert session.expires_at - session.created_at == timedelta(days=30)
    assert abs(refresh["exp"] - session.expires_at.timestamp()) < 2
    # Near the end of the session, a rotation's refresh token still ends with the session.
    db.session.execute(
        update(Session)
        .where(Session.id == session.id)
        .values(expires_at=db.func.now() + timedelta(minutes=5))
    )
    db.session.expire_all()
    rotated = client.post("/api/v1/auth/refresh", headers=bearer(tokens["refresh"])).get_json()
    new_refresh = decode_token(rotated["refresh"])
    db.session.refresh(session)
    assert new_refresh["exp"] <= session.expires_at.timestamp() + 1
    assert new_refresh["exp"] - new_refresh["iat"] <= 5 * 60 + 1
    # Past the absolute end, nothing works any more.
    db.session.execute(
        update(Session)
        .where(Session.id == session.id)
        .values(expires_at=db.func.now() - timedelta(seconds=1))
    )
    assert_error(client.post("/api/v1/auth/refresh", headers=bearer(rotated["refresh"])), 401)
    assert_error(client.get("/api/v1/users/me", headers=bearer(rotated["access"])), 401)


def test_refresh_token_carries_the_session_jti(client, db, user) -> None:
    tokens = _login_tokens(client, user)
    claims = decode_token(tokens["refresh"])
    session = db.session.get(Session, uuid.UUID(claims["sid"]))
    assert claims["type"] == "refresh"
    assert claims["jti"] == session.current_jti
    assert decode_token(tokens["access"])["jti"] != session.current_jti


def test_logout_rejects_that_sessions_tokens_at_once(client, user) -> None:
    """SECURITY.md 9."""
    tokens = _login_tokens(client, user)
    other = _login_tokens(client, user)
    response = client.post("/api/v1/auth/logout", headers=bearer(tokens["access"]))
    assert response.status_code == 200
    assert "message" in response.get_json()
    assert_error(client.get("/api/v1/users/me", headers=bearer(tokens["access"])), 401)
    assert_error(client.post("/api/v1/auth/refresh", headers=bearer(tokens["refresh"])), 401)
    assert client.get("/api/v1/users/me", headers=bearer(other["access"])).status_code == 200


def test_logout_all_revokes_every_session(client, user) -> None:
    """SECURITY.md 9."""
    sessions = [_login_tokens(client, user) for _ in range(3)]
    response = client.post("/api/v1/auth/logout-all", headers=bearer(sessions[0]["access"]))
    assert response.status_code == 200
    assert response.get_json()["revoked"] == 3
    for tokens in sessions:
        assert_error(client.get("/api/v1/users/me", headers=bearer(tokens["access"])), 401)
        assert_error(client.post("/api/v1/auth/refresh", headers=bearer(tokens["refresh"])), 401)


def test_sessions_list_and_revoke_own_only(client, user, other_user, auth_headers) -> None:
    here = _login_tokens(client, user)
    client.post(
        "/api/v1/auth/login",
        json={"email": user.email, "password": DEFAULT_PASSWORD},
        headers={"User-Agent": "Phone/2"},
    )
    response = client.get("/api/v1/auth/sessions", headers=bearer(here["access"]))
    assert response.status_code == 200
    sessions = response.get_json()
    assert len(sessions) == 2
    for item in sessions:
        assert set(item) >= {"id", "created_at", "last_used_at", "user_agent", "ip", "current"}
        assert item["created_at"].endswith("Z")
        assert item["ip"] == "127.0.0.1"
    current = [s for s in sessions if s["current"]]
    assert len(current) == 1
    assert current[0]["id"] == decode_token(here["access"])["sid"]
    phone = next(s for s in sessions if not s["current"])
    assert phone["user_agent"] == "Phone/2"

    # Someone else's session: 404, and it keeps working.
    other_headers = auth_headers(other_user)
    other_sid = client.get("/api/v1/auth/sessions", headers=other_headers).get_json()[0]["id"]
    assert_error(
        client.delete(f"/api/v1/auth/sessions/{other_sid}", headers=bearer(here["access"])), 404
    )
    assert client.get("/api/v1/users/me", headers=other_headers).status_code == 200

    deleted = client.delete(f"/api/v1/auth/sessions/{phone['id']}", headers=bearer(here["access"]))
    assert deleted.status_code == 204
    remaining = client.get("/api/v1/auth/sessions", headers=bearer(here["access"])).get_json()
    assert [s["id"] for s in remaining] == [current[0]["id"]]
    assert_error(
        client.delete(f"/api/v1/auth/sessions/{phone['id']}", headers=bearer(here["access"])),
        404,
    )


# --- forgot, reset, change --------------------------------------------------------------


def test_forgot_password_same_answer_for_known_and_unknown(client, user, wait_for_mail) -> None:
    """SECURITY.md 3."""
    known = client.post("/api/v1/auth/password/forgot", json={"email": user.email})
    unknown = client.post("/api/v1/auth/password/forgot", json={"email": unique_email()})
    assert known.status_code == unknown.status_code == 202
    assert known.get_json() == unknown.get_json()
    assert len(wait_for_mail(user.email)) == 1


def test_reset_link_uses_public_base_url_not_the_host_header(client, user, wait_for_mail) -> None:
    """SECURITY.md 12."""
    response = client.post(
        "/api/v1/auth/password/forgot",
        json={"email": user.email},
        headers={"Host": "evil.example", "X-Forwarded-Host": "evil.example"},
    )
    assert response.status_code == 202
    (mail,) = wait_for_mail(user.email)
    for body in (mail.get_body(("plain",)).get_content(), mail.get_body(("html",)).get_content()):
        assert "evil.example" not in body
        assert "https://kitodeck.test/reset-password?token=" in body


def _reset_token(client, wait_for_mail, email: str) -> str:
    assert client.post("/api/v1/auth/password/forgot", json={"email": email}).status_code == 202
    (mail,) = wait_for_mail(email)
    return token_from_mail(mail.get_body(("plain",)).get_content())


def test_reset_password_sets_it_once_and_revokes_every_session(
    client, db, user, wait_for_mail
) -> None:
    """SECURITY.md 9 and 11."""
    sessions = [_login_tokens(client, user) for _ in range(2)]
    token = _reset_token(client, wait_for_mail, user.email)
    response = client.post(
        "/api/v1/auth/password/reset", json={"token": token, "password": NEW_PASSWORD}
    )
    assert response.status_code == 200
    for tokens in sessions:
        assert_error(client.get("/api/v1/users/me", headers=bearer(tokens["access"])), 401)
        assert_error(client.post("/api/v1/auth/refresh", headers=bearer(tokens["refresh"])), 401)
    assert login(client, user.email).status_code == 401
    assert login(client, user.email, NEW_PASSWORD).status_code == 200
    again = client.post(
        "/api/v1/auth/password/reset", json={"token": token, "password": "Yet-Another-One-99"}
    )
    assert_error(again, 400)
    db.session.refresh(user)
    assert user.email_verified_at is not None  # the reset proved the address


def test_reset_token_expires_after_20_minutes(client, db, user, wait_for_mail) -> None:
    """SECURITY.md 11."""
    token = _reset_token(client, wait_for_mail, user.email)
    stored = db.session.scalars(
        select(EmailToken).where(EmailToken.user_id == user.id, EmailToken.purpose == "reset")
    ).one()
    lifetime = stored.expires_at - stored.created_at
    assert timedelta(minutes=19, seconds=59) < lifetime <= timedelta(minutes=20, seconds=5)
    db.session.execute(
        update(EmailToken)
        .where(EmailToken.id == stored.id)
        .values(expires_at=db.func.now() - timedelta(seconds=1))
    )
    response = client.post(
        "/api/v1/auth/password/reset", json={"token": token, "password": NEW_PASSWORD}
    )
    assert_error(response, 400)
    assert login(client, user.email).status_code == 200


def test_reset_with_a_guessed_or_verification_token_is_400(
    client, user, wait_for_mail, auth_headers
) -> None:
    """SECURITY.md 11: a guess, or a token of the wrong purpose."""
    client.post("/api/v1/auth/verify-email/resend", headers=auth_headers(user))
    (mail,) = wait_for_mail(user.email)
    verify_token = token_from_mail(mail.get_body(("plain",)).get_content())
    for token in (verify_token, "A" * 43):
        response = client.post(
            "/api/v1/auth/password/reset", json={"token": token, "password": NEW_PASSWORD}
        )
        assert_error(response, 400)


def test_reset_with_a_weak_password_is_422_and_keeps_the_token(client, user, wait_for_mail) -> None:
    token = _reset_token(client, wait_for_mail, user.email)
    weak = client.post("/api/v1/auth/password/reset", json={"token": token, "password": "password"})
    assert "password" in assert_error(weak, 422)["errors"]["json"]
    good = client.post(
        "/api/v1/auth/password/reset", json={"token": token, "password": NEW_PASSWORD}
    )
    assert good.status_code == 200


def test_a_new_reset_link_supersedes_the_previous_one(client, user, wait_for_mail) -> None:
    first = _reset_token(client, wait_for_mail, user.email)
    assert client.post("/api/v1/auth/password/forgot", json={"email": user.email}).status_code
    second = token_from_mail(wait_for_mail(user.email, 2)[1].get_body(("plain",)).get_content())
    response = client.post(
        "/api/v1/auth/password/reset", json={"token": first, "password": NEW_PASSWORD}
    )
    assert_error(response, 400)
    response = client.post(
        "/api/v1/auth/password/reset", json={"token": second, "password": NEW_PASSWORD}
    )
    assert response.status_code == 200


def test_change_password_revokes_the_other_sessions_only(client, user, wait_for_mail) -> None:
    """SECURITY.md 9."""
    here, elsewhere = _login_tokens(client, user), _login_tokens(client, user)
    wrong = client.post(
        "/api/v1/auth/password/change",
        json={"current_password": "Not-The-Password-1", "new_password": NEW_PASSWORD},
        headers=bearer(here["access"]),
    )
    assert "current_password" in assert_error(wrong, 400)["errors"]["json"]
    weak = client.post(
        "/api/v1/auth/password/change",
        json={"current_password": DEFAULT_PASSWORD, "new_password": user.username},
        headers=bearer(here["access"]),
    )
    assert "new_password" in assert_error(weak, 422)["errors"]["json"]
    response = client.post(
        "/api/v1/auth/password/change",
        json={"current_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD},
        headers=bearer(here["access"]),
    )
    assert response.status_code == 200
    assert client.get("/api/v1/users/me", headers=bearer(here["access"])).status_code == 200
    assert client.post("/api/v1/auth/refresh", headers=bearer(here["refresh"])).status_code == 200
    assert_error(client.get("/api/v1/users/me", headers=bearer(elsewhere["access"])), 401)
    assert_error(client.post("/api/v1/auth/refresh", headers=bearer(elsewhere["refresh"])), 401)
    assert login(client, user.email).status_code == 401
    assert login(client, user.email, NEW_PASSWORD).status_code == 200
    changed = wait_for_mail(user.email)
    assert changed and changed[0]["Subject"] == "Your password was changed"


def test_admin_deactivation_revokes_every_session(client, user, admin, auth_headers) -> None:
    """SECURITY.md 9: admin deactivation."""
    tokens = _login_tokens(client, user)
    response = client.patch(
        f"/api/v1/users/{user.id}", json={"is_active": False}, headers=auth_headers(admin)
    )
    assert response.status_code == 200
    assert response.get_json()["is_active"] is False
    assert_error(client.get("/api/v1/users/me", headers=bearer(tokens["access"])), 401)
    assert_error(client.post("/api/v1/auth/refresh", headers=bearer(tokens["refresh"])), 401)
    assert_error(login(client, user.email), 401)


# --- nothing secret in any response -----------------------------------------------------


def test_no_response_contains_hashes_or_internal_flags(
    client, db, user, admin, auth_headers, wait_for_mail
) -> None:
    """SECURITY.md 18."""
    email = unique_email()
    responses = [signup(client, email), login(client, user.email)]
    tokens = responses[-1].get_json()
    headers = bearer(tokens["access"])
    admin_headers = auth_headers(admin)
    responses += [
        client.get("/api/v1/users/me", headers=headers),
        client.patch("/api/v1/users/me", json={"username": unique_username()}, headers=headers),
        client.get("/api/v1/auth/sessions", headers=headers),
        client.post("/api/v1/auth/refresh", headers=bearer(tokens["refresh"])),
        client.get("/api/v1/users/", headers=admin_headers),
        client.get(f"/api/v1/users/{user.id}", headers=admin_headers),
        client.get("/user/details/", headers=headers),
    ]
    secrets = {user.password_hash, "$argon2"}
    secrets |= {t.token_hash for t in db.session.scalars(select(EmailToken))}
    for response in responses:
        assert response.status_code < 300, response.get_json()
        text = response.get_data(as_text=True)
        for secret in secrets:
            assert secret not in text
        for key in ("password", "password_hash", "token_hash", "current_jti", "revoked_reason"):
            assert f'"{key}"' not in text
    me = json.loads(responses[2].get_data(as_text=True))
    assert set(me) == {
        "id",
        "email",
        "username",
        "role",
        "email_verified",
        "is_active",
        "created_at",
        "last_login_at",
    }
