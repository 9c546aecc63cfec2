"""Email sending: templates, links, and SMTP trouble never reaching the client (item 28)."""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Iterator

import pytest

from tests.conftest import make_app
from tests.factories import DEFAULT_PASSWORD, unique_email, unique_username


@pytest.fixture
def silent_smtp() -> Iterator[int]:
    """A port that accepts TCP connections but never says a word (a hung SMTP server)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        yield sock.getsockname()[1]


@pytest.fixture
def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _signup(client) -> tuple[object, float]:
    started = time.perf_counter()
    response = client.post(
        "/api/v1/auth/signup",
        json={"email": unique_email(), "username": unique_username(), "password": DEFAULT_PASSWORD},
    )
    return response, time.perf_counter() - started


def _wait_for_record(caplog, text: str, timeout: float = 5.0) -> logging.LogRecord | None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for record in caplog.records:
            if record.name == "kitodeck.email" and text in record.getMessage():
                return record
        time.sleep(0.02)
    return None


def test_smtp_down_does_not_break_signup_or_reset(
    database_url, smtp_server, db, closed_port, caplog
) -> None:
    app = make_app(database_url, smtp_server, MAIL_PORT=closed_port, MAIL_TIMEOUT=1)
    client = app.test_client()
    with caplog.at_level(logging.WARNING, logger="kitodeck.email"):
        response, elapsed = _signup(client)
        assert response.status_code == 201
        assert elapsed < 1.0
        forgot = client.post("/api/v1/auth/password/forgot", json={"email": unique_email()})
        assert forgot.status_code == 202
        record = _wait_for_record(caplog, "email not sent")
    assert record is not None
    assert record.template == "verify_email"


def test_hung_smtp_server_costs_the_request_nothing(
    database_url, smtp_server, db, silent_smtp, caplog
) -> None:
    app = make_app(database_url, smtp_server, MAIL_PORT=silent_smtp, MAIL_TIMEOUT=1)
    client = app.test_client()
    with caplog.at_level(logging.WARNING, logger="kitodeck.email"):
        response, elapsed = _signup(client)
        assert response.status_code == 201
        assert elapsed < 1.0  # the SMTP timeout (1 s) is spent in the background
        record = _wait_for_record(caplog, "email not sent", timeout=5)
    assert record is not None
    assert "timed out" in record.getMessage().lower() or record.error in (
        "TimeoutError",
        "SMTPServerDisconnected",
    )


def test_synchronous_sending_is_bounded_by_the_timeout(
    database_url, smtp_server, db, silent_smtp
) -> None:
    app = make_app(
        database_url, smtp_server, MAIL_PORT=silent_smtp, MAIL_TIMEOUT=1, MAIL_ASYNC=False
    )
    response, elapsed = _signup(app.test_client())
    assert response.status_code == 201
    assert elapsed < 3.0


def test_log_only_mode_writes_the_link_to_the_log_in_development(
    database_url, smtp_server, db, caplog
) -> None:
    app = make_app(database_url, smtp_server, MAIL_LOG_ONLY=True, ENV_NAME="development")
    with caplog.at_level(logging.INFO, logger="kitodeck.email"):
        response, _ = _signup(app.test_client())
    assert response.status_code == 201
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name == "kitodeck.email")
    assert "https://kitodeck.test/verify-email?token=" in logged


def test_log_only_mode_never_logs_the_mail_in_production(
    database_url, smtp_server, db, caplog
) -> None:
    app = make_app(database_url, smtp_server, MAIL_LOG_ONLY=True, ENV_NAME="production")
    with caplog.at_level(logging.DEBUG, logger="kitodeck.email"):
        response, _ = _signup(app.test_client())
    assert response.status_code == 201
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name == "kitodeck.email")
    assert "token=" not in logged
    assert "MAIL_SERVER is not configured" in logged


def test_emails_have_text_and_html_parts(client, db, wait_for_mail) -> None:
    email = unique_email()
    username = unique_username("bold")
    response = client.post(
        "/api/v1/auth/signup",
        json={"email": email, "username": username, "password": DEFAULT_PASSWORD},
    )
    assert response.status_code == 201
    (mail,) = wait_for_mail(email)
    assert mail["From"] == "KitoDeck <no-reply@kitodeck.local>"
    assert mail.get_body(("plain",)) is not None and mail.get_body(("html",)) is not None
    html = mail.get_body(("html",)).get_content()
    assert html.lstrip().lower().startswith("<!doctype html>")
    assert username in html and username in mail.get_body(("plain",)).get_content()
