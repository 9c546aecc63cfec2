"""Throttling (SECURITY.md items 4 and 5), with the configured defaults.

Per account: at most 10 failed logins a minute (and 100 an hour), whatever the IP; 429 with
Retry-After; the lock is temporary and password reset still works. Per IP: login, signup,
forgot-password and resend; a spoofed X-Forwarded-For does not reset the count
(TRUSTED_PROXIES=0).
"""

from __future__ import annotations

import time

from tests.conftest import make_app
from tests.factories import (
    DEFAULT_PASSWORD,
    assert_error,
    login,
    token_from_mail,
    unique_email,
    unique_username,
)

LOGIN = "/api/v1/auth/login"


def from_ip(ip: str, spoof: str | None = None) -> dict:
    """Request options for a client at ``ip`` (optionally claiming another via XFF)."""
    options: dict = {"environ_base": {"REMOTE_ADDR": ip}}
    if spoof:
        options["headers"] = {"X-Forwarded-For": spoof}
    return options


def assert_throttled(response) -> int:
    assert_error(response, 429)
    retry_after = int(response.headers["Retry-After"])
    assert retry_after > 0
    return retry_after


def test_defaults_are_the_documented_ones(app) -> None:
    assert app.config["RATELIMIT_LOGIN_ACCOUNT"] == "10/minute;100/hour"
    assert app.config["RATELIMIT_LOGIN_IP"] == "30/minute"
    assert app.config["RATELIMIT_SIGNUP_IP"] == "20/hour"
    assert app.config["RATELIMIT_EMAIL_IP"] == "20/hour"
    assert app.config["TRUSTED_PROXIES"] == 0


def test_failed_logins_are_throttled_per_account_across_ips(client, verified_user) -> None:
    """SECURITY.md 4: ten failures from ten IPs lock the account, not the IPs."""
    for n in range(10):
        response = login(client, verified_user.email, "Wrong-Password-1", **from_ip(f"10.0.0.{n}"))
        assert_error(response, 401)
    locked = login(client, verified_user.email, "Wrong-Password-1", **from_ip("10.0.1.1"))
    assert 0 < assert_throttled(locked) <= 60
    # Even the right password waits: the lock is per account.
    assert_throttled(login(client, verified_user.email, **from_ip("10.0.1.2")))
    # The same email written differently is the same account.
    assert_throttled(login(client, verified_user.email.upper(), **from_ip("10.0.1.3")))
    # Another account from one of those IPs is not affected.
    other = login(client, unique_email(), "Wrong-Password-1", **from_ip("10.0.0.1"))
    assert_error(other, 401)


def test_successful_logins_do_not_count_against_the_account(client, verified_user) -> None:
    for n in range(12):
        assert login(client, verified_user.email, **from_ip(f"10.1.0.{n}")).status_code == 200


def test_password_reset_still_works_while_locked(client, verified_user, wait_for_mail) -> None:
    """SECURITY.md 4."""
    for n in range(10):
        login(client, verified_user.email, "Wrong-Password-1", **from_ip(f"10.2.0.{n}"))
    assert_throttled(login(client, verified_user.email, **from_ip("10.2.1.1")))
    forgot = client.post("/api/v1/auth/password/forgot", json={"email": verified_user.email})
    assert forgot.status_code == 202
    (mail,) = wait_for_mail(verified_user.email)
    token = token_from_mail(mail.get_body(("plain",)).get_content())
    reset = client.post(
        "/api/v1/auth/password/reset", json={"token": token, "password": "Brand-New-Secret-88"}
    )
    assert reset.status_code == 200


def test_the_account_lock_is_temporary(app, client, verified_user, monkeypatch) -> None:
    """SECURITY.md 4: the lock ends with its window (2 seconds here instead of a minute)."""
    monkeypatch.setitem(app.config, "RATELIMIT_LOGIN_ACCOUNT", "3 per 2 seconds")
    for n in range(3):
        assert_error(
            login(client, verified_user.email, "Wrong-1-pass", **from_ip(f"10.3.0.{n}")), 401
        )
    retry = assert_throttled(login(client, verified_user.email, **from_ip("10.3.1.1")))
    assert retry <= 2
    time.sleep(2.1)
    assert login(client, verified_user.email, **from_ip("10.3.1.2")).status_code == 200


def test_hourly_account_limit_applies(app, client, verified_user, monkeypatch) -> None:
    """The second window of RATELIMIT_LOGIN_ACCOUNT (100/hour) is enforced too."""
    monkeypatch.setitem(app.config, "RATELIMIT_LOGIN_ACCOUNT", "100/minute;4/hour")
    for n in range(4):
        login(client, verified_user.email, "Wrong-1-pass", **from_ip(f"10.4.0.{n}"))
    assert assert_throttled(login(client, verified_user.email, **from_ip("10.4.1.1"))) > 60


def test_login_per_ip_limit_ignores_a_spoofed_forwarded_for(client) -> None:
    """SECURITY.md 5: 30 attempts a minute per IP, whatever X-Forwarded-For says."""
    for n in range(30):
        response = login(
            client, unique_email(), "Wrong-1-pass", **from_ip("192.0.2.10", f"203.0.113.{n}")
        )
        assert_error(response, 401)
    spoofed = login(client, unique_email(), "Wrong-1-pass", **from_ip("192.0.2.10", "198.51.100.7"))
    assert 0 < assert_throttled(spoofed) <= 60
    assert_error(login(client, unique_email(), "Wrong-1-pass", **from_ip("192.0.2.11")), 401)


def test_seed_alias_shares_the_login_limits(client, verified_user) -> None:
    for n in range(5):
        login(client, verified_user.email, "Wrong-1-pass", **from_ip(f"10.5.0.{n}"))
    for n in range(5):
        response = client.post(
            "/auth/login/",
            json={"email": verified_user.email, "password": "Wrong-1-pass"},
            **from_ip(f"10.5.1.{n}"),
        )
        assert_error(response, 401)
    assert_throttled(
        client.post(
            "/auth/login/",
            json={"email": verified_user.email, "password": DEFAULT_PASSWORD},
            **from_ip("10.5.2.1"),
        )
    )
    assert_throttled(login(client, verified_user.email, **from_ip("10.5.2.2")))


def test_signup_per_ip_limit_ignores_a_spoofed_forwarded_for(client) -> None:
    """SECURITY.md 5: 20 signups an hour per IP."""
    for n in range(20):
        response = client.post(
            "/api/v1/auth/signup",
            json={"email": unique_email(), "username": unique_username(), "password": "x"},
            **from_ip("192.0.2.20", f"203.0.113.{n}"),
        )
        assert_error(response, 422)  # counted even when refused
    response = client.post(
        "/api/v1/auth/signup",
        json={
            "email": unique_email(),
            "username": unique_username(),
            "password": DEFAULT_PASSWORD,
        },
        **from_ip("192.0.2.20", "198.51.100.8"),
    )
    assert assert_throttled(response) > 60


def test_forgot_and_resend_share_a_per_ip_limit(client, user, auth_headers) -> None:
    """SECURITY.md 5: forgot-password and resend, 20 an hour per IP together."""
    headers = auth_headers(user)
    for n in range(10):
        response = client.post(
            "/api/v1/auth/password/forgot",
            json={"email": unique_email()},
            **from_ip("192.0.2.30", f"203.0.113.{n}"),
        )
        assert response.status_code == 202
    for n in range(5):
        opts = from_ip("192.0.2.30", f"203.0.114.{n}")
        opts["headers"].update(headers)
        assert client.post("/api/v1/auth/verify-email/resend", **opts).status_code == 202
    for n in range(5):
        response = client.post(
            "/api/v1/auth/password/forgot",
            json={"email": unique_email()},
            **from_ip("192.0.2.30", f"203.0.115.{n}"),
        )
        assert response.status_code == 202
    spoofed = client.post(
        "/api/v1/auth/password/forgot",
        json={"email": unique_email()},
        **from_ip("192.0.2.30", "198.51.100.9"),
    )
    assert_throttled(spoofed)
    opts = from_ip("192.0.2.30", "198.51.100.10")
    opts["headers"].update(headers)
    assert_throttled(client.post("/api/v1/auth/verify-email/resend", **opts))


def test_resend_is_limited_per_user(client, user, auth_headers) -> None:
    headers = auth_headers(user)
    for n in range(5):
        opts = {"environ_base": {"REMOTE_ADDR": f"10.6.0.{n}"}, "headers": headers}
        assert client.post("/api/v1/auth/verify-email/resend", **opts).status_code == 202
    opts = {"environ_base": {"REMOTE_ADDR": "10.6.1.1"}, "headers": headers}
    assert_throttled(client.post("/api/v1/auth/verify-email/resend", **opts))


def test_signup_notices_are_limited_per_address(client, user, wait_for_mail) -> None:
    """Signing up again and again with someone's address cannot flood their inbox."""
    for email in (user.email, unique_email()):
        for n in range(5):
            response = client.post(
                "/api/v1/auth/signup",
                json={"email": email, "username": unique_username(), "password": DEFAULT_PASSWORD},
                **from_ip(f"10.8.{n}.1"),
            )
            assert response.status_code == 201
        response = client.post(
            "/api/v1/auth/signup",
            json={"email": email, "username": unique_username(), "password": DEFAULT_PASSWORD},
            **from_ip("10.8.9.9"),
        )
        assert_throttled(response)
    assert len(wait_for_mail(user.email, 5)) == 5


def test_reset_emails_are_limited_per_address(client, user) -> None:
    """Nobody can flood an inbox with reset links; unknown addresses answer the same."""
    for email in (user.email, unique_email()):
        for n in range(5):
            response = client.post(
                "/api/v1/auth/password/forgot", json={"email": email}, **from_ip(f"10.7.{n}.1")
            )
            assert response.status_code == 202
        response = client.post(
            "/api/v1/auth/password/forgot", json={"email": email}, **from_ip("10.7.9.9")
        )
        assert_throttled(response)


def test_wrong_current_passwords_are_throttled_per_user(client, user, auth_headers) -> None:
    headers = auth_headers(user)
    body = {"current_password": "Not-It-123", "new_password": "Fresh-Passphrase-55"}
    for _ in range(10):
        response = client.post("/api/v1/auth/password/change", json=body, headers=headers)
        assert_error(response, 400)
    assert_throttled(client.post("/api/v1/auth/password/change", json=body, headers=headers))
    delete = client.delete("/api/v1/users/me", json={"password": DEFAULT_PASSWORD}, headers=headers)
    assert_throttled(delete)


def test_trusted_proxy_hops_are_honoured_when_configured(database_url, smtp_server, db) -> None:
    """With TRUSTED_PROXIES=1 the client is the proxy's X-Forwarded-For entry."""
    from kitodeck.extensions import limiter

    proxied = make_app(database_url, smtp_server, TRUSTED_PROXIES=1)
    client = proxied.test_client()
    with proxied.app_context():
        limiter.reset()
    for _ in range(30):
        login(client, unique_email(), "Wrong-1-pass", **from_ip("10.9.9.9", "198.51.100.20"))
    assert_throttled(
        login(client, unique_email(), "Wrong-1-pass", **from_ip("10.9.9.9", "198.51.100.20"))
    )
    # Another client behind the same proxy has its own budget.
    other = login(client, unique_email(), "Wrong-1-pass", **from_ip("10.9.9.9", "198.51.100.21"))
    assert_error(other, 401)
