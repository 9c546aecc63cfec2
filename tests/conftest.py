"""Fixtures: a real throwaway PostgreSQL, a real SMTP server, the app, a transaction per test.

The database is the embedded PostgreSQL (pgserver) in a temporary folder, or
``TEST_DATABASE_URL`` when it is set. Migrations run once per session; every test then runs
inside a transaction that is rolled back (SQLAlchemy's "joining a session into an external
transaction" recipe), so tests see each other's data never and the suite stays fast.
"""

from __future__ import annotations

import os
import socket
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

os.environ.setdefault("KITODECK_ENV", "testing")


# --- SMTP -------------------------------------------------------------------------------


@dataclass
class Mailbox:
    """Messages received by the test SMTP server."""

    messages: list[EmailMessage] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def clear(self) -> None:
        with self.lock:
            self.messages.clear()

    def to(self, address: str) -> list[EmailMessage]:
        """Messages whose recipients include ``address``."""
        with self.lock:
            return [m for m in self.messages if address.lower() in (m["To"] or "").lower()]

    @staticmethod
    def text(message: EmailMessage) -> str:
        """The plain-text body of a message."""
        part = message.get_body(preferencelist=("plain",))
        return part.get_content() if part is not None else ""

    @staticmethod
    def html(message: EmailMessage) -> str:
        """The HTML body of a message."""
        part = message.get_body(preferencelist=("html",))
        return part.get_content() if part is not None else ""


class _Handler:
    def __init__(self, mailbox: Mailbox) -> None:
        self.mailbox = mailbox

    async def handle_DATA(self, server, session, envelope) -> str:
        message = message_from_bytes(envelope.original_content, policy=policy.default)
        with self.mailbox.lock:
            self.mailbox.messages.append(message)  # type: ignore[arg-type]
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[tuple[str, int, Mailbox]]:
    """A real SMTP server (aiosmtpd) on a free local port that keeps what it receives."""
    mailbox = Mailbox()
    controller = Controller(_Handler(mailbox), hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        yield controller.hostname, controller.port, mailbox
    finally:
        controller.stop()


@pytest.fixture
def mailbox(smtp_server: tuple[str, int, Mailbox]) -> Mailbox:
    """The SMTP server's mailbox, emptied for this test."""
    box = smtp_server[2]
    box.clear()
    return box


# --- PostgreSQL -------------------------------------------------------------------------


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """TEST_DATABASE_URL, or a throwaway embedded PostgreSQL deleted after the session."""
    from config import normalise_database_url
    from kitodeck.db_embedded import start_embedded

    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return normalise_database_url(url) or url
    # Not under pytest's basetemp: pytest prunes old basetemps, which would pull the data
    # directory from under a concurrently running session's server.
    folder = Path(tempfile.mkdtemp(prefix="kitodeck-test-pg-"))
    return start_embedded(folder / "pgdata", cleanup_mode="delete")


_created_apps: list[Flask] = []


def make_app(database_url: str, smtp: tuple[str, int, Mailbox], **overrides: object) -> Flask:
    """A testing app pointing at the test database and SMTP server."""
    from kitodeck import create_app

    host, port, _ = smtp
    settings: dict[str, object] = {
        "SQLALCHEMY_DATABASE_URI": database_url,
        "MAIL_SERVER": host,
        "MAIL_PORT": port,
    }
    settings.update(overrides)
    application = create_app("testing", **settings)
    _created_apps.append(application)
    return application


@pytest.fixture(scope="session", autouse=True)
def _dispose_engines() -> Iterator[None]:
    """Close every pooled connection of every app the session created."""
    yield
    from kitodeck.extensions import db as _db

    for application in _created_apps:
        with application.app_context():
            _db.engine.dispose()


@pytest.fixture(scope="session")
def app(database_url: str, smtp_server: tuple[str, int, Mailbox]) -> Iterator[Flask]:
    """The application, with the schema migrated to head once for the session."""
    from flask_migrate import upgrade

    application = make_app(database_url, smtp_server)
    with application.app_context():
        upgrade()
    yield application


def _bound_session_class() -> type:
    """Flask-SQLAlchemy's Session, but honouring an explicit ``bind``.

    Its ``get_bind`` picks the app's engine by the table's bind key and would bypass the
    test's connection (and so its rolled-back transaction).
    """
    from flask_sqlalchemy.session import Session

    class BoundSession(Session):
        def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):
            if bind is None and self.bind is not None:
                return self.bind
            return super().get_bind(mapper=mapper, clause=clause, bind=bind, **kwargs)

    return BoundSession


@pytest.fixture
def db(app: Flask) -> Iterator[object]:
    """Flask-SQLAlchemy bound to one connection whose transaction is rolled back afterwards."""
    from kitodeck.extensions import cache, limiter
    from kitodeck.extensions import db as _db

    with app.app_context():
        connection = _db.engine.connect()
        transaction = connection.begin()
        original = _db.session
        _db.session = _db._make_scoped_session(
            {
                "bind": connection,
                "join_transaction_mode": "create_savepoint",
                "class_": _bound_session_class(),
            }
        )
        cache.clear()
        limiter.reset()
        try:
            yield _db
        finally:
            _db.session.remove()
            _db.session = original
            if transaction.is_active:
                transaction.rollback()
            connection.close()


@pytest.fixture
def client(app: Flask, db: object) -> FlaskClient:
    """A test client whose requests run inside the test's transaction."""
    return app.test_client()


@pytest.fixture
def runner(app: Flask, db: object) -> FlaskCliRunner:
    """A CLI runner for ``flask`` commands, inside the test's transaction."""
    return app.test_cli_runner()


# --- Accounts: users, tokens, mail, committed data --------------------------------------
# Added with the accounts issue. ``auth_headers(user)`` opens a real session for ``user``
# through the service (no password round trip) and returns the Authorization header.


@pytest.fixture
def user(db: object) -> object:
    """An active account whose email is NOT verified (password: factories.DEFAULT_PASSWORD)."""
    from tests.factories import UserFactory

    return UserFactory()


@pytest.fixture
def verified_user(db: object) -> object:
    """An active account with a confirmed email."""
    from tests.factories import UserFactory

    return UserFactory(verified=True)


@pytest.fixture
def other_user(db: object) -> object:
    """A second verified account (for "user A vs user B" tests)."""
    from tests.factories import UserFactory

    return UserFactory(verified=True)


@pytest.fixture
def moderator(db: object) -> object:
    """A verified moderator."""
    from tests.factories import UserFactory

    return UserFactory(role="moderator", verified=True)


@pytest.fixture
def admin(db: object) -> object:
    """A verified admin."""
    from tests.factories import UserFactory

    return UserFactory(role="admin", verified=True)


@pytest.fixture
def auth_headers(app: Flask, db: object):
    """``make_headers(user) -> {"Authorization": "Bearer <access>"}`` for a new session.

    ``make_headers(user, token="refresh")`` gives the refresh token's header instead. Each
    call opens a new session (like a login on another device).
    """
    from kitodeck.auth.sessions import start_session

    def make_headers(user: object, *, token: str = "access") -> dict[str, str]:
        _, tokens = start_session(user, user_agent="pytest", ip="127.0.0.1")  # type: ignore[arg-type]
        return {"Authorization": f"Bearer {tokens[token]}"}

    return make_headers


@pytest.fixture
def wait_for_mail(mailbox: Mailbox):
    """``wait_for_mail(address, count=1, timeout=10) -> [EmailMessage]``: poll the SMTP server.

    Mail is sent from a background pool, so it arrives shortly after the response.
    """
    import time

    def wait(address: str, count: int = 1, timeout: float = 10.0) -> list[EmailMessage]:
        deadline = time.monotonic() + timeout
        while True:
            messages = mailbox.to(address)
            if len(messages) >= count or time.monotonic() > deadline:
                return messages
            time.sleep(0.02)

    return wait


@dataclass
class CommittedData:
    """Helpers for tests that need really committed rows (threads, a real server)."""

    app: Flask
    domain: str

    def email(self, name: str) -> str:
        """An address in this test's domain (deleted afterwards)."""
        return f"{name}@{self.domain}"

    def create_user(self, name: str, password: str, **fields: object) -> object:
        """A committed, verified account ``<name>@<domain>``."""
        from kitodeck.users.services import create_user

        with self.app.app_context():
            user = create_user(
                email=self.email(name),
                username=fields.pop("username", name),  # type: ignore[arg-type]
                password=password,
                verified=bool(fields.pop("verified", True)),
                role=str(fields.pop("role", "user")),
            )
            return user.id


@pytest.fixture
def committed(app: Flask) -> Iterator[CommittedData]:
    """Real commits on the session's database, cleaned up afterwards.

    The ``db`` fixture's single rolled-back transaction cannot show concurrency; tests that
    run requests in several threads or through a real server use this instead (and must not
    use ``db``/``client``). Every account in ``committed.domain`` is deleted at the end
    (sessions, tokens and scans go with them by cascade).
    """
    import uuid as _uuid

    from sqlalchemy import text as _text

    from kitodeck.extensions import db as _db
    from kitodeck.extensions import limiter

    data = CommittedData(app=app, domain=f"c{_uuid.uuid4().hex[:12]}.example.com")
    with app.app_context():
        limiter.reset()
    try:
        yield data
    finally:
        with app.app_context():
            _db.session.execute(
                _text("DELETE FROM users WHERE email LIKE :pattern"),
                {"pattern": f"%@{data.domain}"},
            )
            _db.session.commit()
            _db.session.remove()
            limiter.reset()


# --- Redis --------------------------------------------------------------------------------


@dataclass
class RedisServer:
    """A real redis-server on a free local port (``make test`` installs Debian's package)."""

    port: int
    process: object = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        import shutil
        import subprocess
        import time

        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed: run `make test`, which installs it")
        self.process = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()  # type: ignore[attr-defined]
            self.process.wait(timeout=10)  # type: ignore[attr-defined]
            self.process = None


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    """A fresh Redis for one test (it may stop and restart it)."""
    server = RedisServer(port=_free_port())
    server.start()
    try:
        yield server
    finally:
        server.stop()
