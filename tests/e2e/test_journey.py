"""The account journey end to end: real HTTP server, real PostgreSQL, real SMTP server.

signup -> verification mail -> verify -> login -> /users/me -> refresh -> replay the old
refresh (401, session gone) -> login again -> forgot password -> reset mail -> reset -> old
tokens rejected -> login with the new password.
"""

from __future__ import annotations

from tests.factories import token_from_mail

PASSWORD = "Journey-Start-Passphrase-28"
NEW_PASSWORD = "Journey-End-Passphrase-93"


def test_account_journey(http, committed, wait_for_mail) -> None:
    email, username = committed.email("Journey.Person"), "journey.person"

    # Sign up; the verification link arrives by SMTP, built from PUBLIC_BASE_URL.
    signup = http.call(
        "POST",
        "/api/v1/auth/signup",
        {"email": email, "username": username, "password": PASSWORD},
        headers={"Host": "evil.example"},
    )
    assert signup.status == 201, signup.body
    assert set(signup.body) == {"message"}
    (verification,) = wait_for_mail(email.lower())
    text = verification.get_body(("plain",)).get_content()
    assert "https://kitodeck.test/verify-email?token=" in text
    assert "evil.example" not in text
    verify_token = token_from_mail(text)

    # Verify (once).
    assert http.call("POST", "/api/v1/auth/verify-email", {"token": verify_token}).status == 200
    assert http.call("POST", "/api/v1/auth/verify-email", {"token": verify_token}).status == 400

    # Log in and read the profile.
    login = http.call("POST", "/api/v1/auth/login", {"email": email, "password": PASSWORD})
    assert login.status == 200, login.body
    assert login.headers["Cache-Control"] == "no-store"
    first = login.body
    assert first["user"]["email"] == email.lower()
    assert first["user"]["username"] == username
    assert first["user"]["email_verified"] is True
    me = http.call("GET", "/api/v1/users/me", token=first["access"])
    assert me.status == 200
    assert me.body["id"] == first["user"]["id"]
    assert me.body["last_login_at"] is not None

    # Refresh, then replay the old refresh token: 401, and the whole session is gone.
    refreshed = http.call("POST", "/api/v1/auth/refresh", token=first["refresh"])
    assert refreshed.status == 200
    second = refreshed.body
    assert http.call("GET", "/api/v1/users/me", token=second["access"]).status == 200
    replay = http.call("POST", "/api/v1/auth/refresh", token=first["refresh"])
    assert replay.status == 401
    assert replay.body["code"] == 401
    assert http.call("GET", "/api/v1/users/me", token=second["access"]).status == 401
    assert http.call("POST", "/api/v1/auth/refresh", token=second["refresh"]).status == 401

    # Log in again.
    again = http.call("POST", "/api/v1/auth/login", {"email": email, "password": PASSWORD})
    assert again.status == 200
    third = again.body
    sessions = http.call("GET", "/api/v1/auth/sessions", token=third["access"])
    assert sessions.status == 200
    assert [s["current"] for s in sessions.body] == [True]

    # Forgot password; the reset link arrives by SMTP.
    forgot = http.call("POST", "/api/v1/auth/password/forgot", {"email": email})
    assert forgot.status == 202
    reset_mail = [m for m in wait_for_mail(email.lower(), 2) if "Reset" in m["Subject"]]
    assert reset_mail, "no reset mail"
    reset_text = reset_mail[0].get_body(("plain",)).get_content()
    assert "https://kitodeck.test/reset-password?token=" in reset_text
    reset_token = token_from_mail(reset_text)

    # Reset: every old token is rejected.
    reset = http.call(
        "POST", "/api/v1/auth/password/reset", {"token": reset_token, "password": NEW_PASSWORD}
    )
    assert reset.status == 200, reset.body
    assert http.call("GET", "/api/v1/users/me", token=third["access"]).status == 401
    assert http.call("POST", "/api/v1/auth/refresh", token=third["refresh"]).status == 401
    reused = http.call(
        "POST", "/api/v1/auth/password/reset", {"token": reset_token, "password": PASSWORD}
    )
    assert reused.status == 400

    # The old password fails; the new one works.
    old = http.call("POST", "/api/v1/auth/login", {"email": email, "password": PASSWORD})
    assert old.status == 401
    new = http.call("POST", "/api/v1/auth/login", {"email": email, "password": NEW_PASSWORD})
    assert new.status == 200
    assert http.call("GET", "/api/v1/users/me", token=new.body["access"]).status == 200
