"""Audit logging of auth events (SECURITY.md item 30), and no secret in any log line.

Every event carries time, user id, IP and request id on the ``kitodeck.audit`` logger. A whole
account lifecycle runs with every logger at DEBUG; then the captured records (messages and
structured fields) are searched for each password and token the test used.
"""

from __future__ import annotations

import json
import logging

from kitodeck.observability import JsonFormatter
from tests.factories import (
    DEFAULT_PASSWORD,
    assert_error,
    bearer,
    login,
    token_from_mail,
    unique_email,
    unique_username,
)

NEW_PASSWORD = "Audit-Trail-Passphrase-73"
RESET_PASSWORD = "Audit-Reset-Passphrase-19"


def _audit_records(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "kitodeck.audit"]


def _events(caplog) -> list[str]:
    return [r.event for r in _audit_records(caplog)]


def test_auth_events_are_audited_and_no_secret_is_logged(
    app, client, db, admin, auth_headers, wait_for_mail, caplog, monkeypatch
) -> None:
    caplog.set_level(logging.DEBUG)  # the root logger: every library
    for name in ("kitodeck", "sqlalchemy.engine", "flask-limiter", "werkzeug"):
        caplog.set_level(logging.DEBUG, logger=name)
    monkeypatch.setitem(app.config, "RATELIMIT_LOGIN_ACCOUNT", "3/minute")
    secrets: list[str] = [DEFAULT_PASSWORD, NEW_PASSWORD, RESET_PASSWORD, "Wrong-Guess-4242"]

    email, username = unique_email("audit"), unique_username("audit")
    response = client.post(
        "/api/v1/auth/signup",
        json={"email": email, "username": username, "password": DEFAULT_PASSWORD},
    )
    assert response.status_code == 201
    (mail,) = wait_for_mail(email)
    verify_token = token_from_mail(mail.get_body(("plain",)).get_content())
    secrets.append(verify_token)
    assert client.post("/api/v1/auth/verify-email", json={"token": verify_token}).status_code == 200

    assert_error(login(client, email, "Wrong-Guess-4242"), 401)
    assert_error(login(client, "nobody-" + email, "Wrong-Guess-4242"), 401)
    first = login(client, email).get_json()
    secrets += [first["access"], first["refresh"]]
    rotated = client.post("/api/v1/auth/refresh", headers=bearer(first["refresh"])).get_json()
    secrets += [rotated["access"], rotated["refresh"]]
    assert_error(client.post("/api/v1/auth/refresh", headers=bearer(first["refresh"])), 401)

    second = login(client, email).get_json()
    secrets += [second["access"], second["refresh"]]
    change = client.post(
        "/api/v1/auth/password/change",
        json={"current_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD},
        headers=bearer(second["access"]),
    )
    assert change.status_code == 200
    assert client.post("/api/v1/auth/logout", headers=bearer(second["access"])).status_code == 200

    third = login(client, email, NEW_PASSWORD).get_json()
    secrets += [third["access"], third["refresh"]]
    assert client.post("/api/v1/auth/logout-all", headers=bearer(third["access"])).status_code
    assert client.post("/api/v1/auth/password/forgot", json={"email": email}).status_code == 202
    reset_mail = [m for m in wait_for_mail(email, 3) if m["Subject"] == "Reset your password"]
    reset_token = token_from_mail(reset_mail[0].get_body(("plain",)).get_content())
    secrets.append(reset_token)
    reset = client.post(
        "/api/v1/auth/password/reset", json={"token": reset_token, "password": RESET_PASSWORD}
    )
    assert reset.status_code == 200

    # Lockout: with the failure above, three failures, then 429.
    for _ in range(2):
        assert_error(login(client, email, "Wrong-Guess-4242"), 401)
    assert_error(login(client, email, "Wrong-Guess-4242"), 429)

    # Admin actions.
    admin_headers = auth_headers(admin)
    secrets.append(admin_headers["Authorization"].split()[1])
    user_id = client.get("/api/v1/users/?q=" + username, headers=admin_headers).get_json()[0]["id"]
    assert (
        client.patch(
            f"/api/v1/users/{user_id}", json={"role": "moderator"}, headers=admin_headers
        ).status_code
        == 200
    )
    assert (
        client.patch(
            f"/api/v1/users/{user_id}", json={"is_active": False}, headers=admin_headers
        ).status_code
        == 200
    )

    events = _events(caplog)
    for expected in (
        "signup",
        "email_verified",
        "login_failed",
        "login_succeeded",
        "refresh_reuse",
        "password_changed",
        "logout",
        "logout_all",
        "sessions_revoked",
        "password_reset_requested",
        "password_reset",
        "login_throttled",
        "role_changed",
        "user_deactivated",
    ):
        assert expected in events, f"{expected} not audited: {events}"

    for record in _audit_records(caplog):
        assert record.created > 0
        assert record.ip == "127.0.0.1"
        assert record.request_id
        if record.event not in ("login_failed", "password_reset_requested", "login_throttled"):
            assert record.user_id, record.getMessage()
    failures = [r for r in _audit_records(caplog) if r.event == "login_failed"]
    assert {r.reason for r in failures} >= {"bad_password", "unknown_account"}
    assert any(r.user_id == user_id for r in failures)
    role = next(r for r in _audit_records(caplog) if r.event == "role_changed")
    assert (role.old_role, role.new_role, role.user_id) == ("user", "moderator", user_id)
    assert role.by == str(admin.id)
    line = json.loads(JsonFormatter().format(role))
    assert line["time"].endswith("Z") and line["event"] == "role_changed"

    # Wait for the last emails so that their delivery is logged too, then search everything.
    assert len(wait_for_mail(email, 4)) == 4  # verify, changed, reset, changed
    haystacks = []
    for record in caplog.records:
        if record.name.startswith("mail.log"):
            continue  # the test's SMTP server (the recipient side) logs the mail it receives
        haystacks.append(record.getMessage())
        haystacks.append(repr(record.__dict__))
        haystacks.append(logging.Formatter().format(record))
    everything = "\n".join(haystacks)
    assert len(secrets) >= 14
    for secret in secrets:
        assert secret not in everything, "a secret was logged"
