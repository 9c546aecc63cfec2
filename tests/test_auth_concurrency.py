"""Concurrent refreshes with one refresh token: exactly one succeeds (SECURITY.md item 10).

Runs against COMMITTED data (the ``committed`` fixture), with each request in its own thread,
app context, database session and connection, so the rotation's conditional UPDATE really
races in PostgreSQL. The ``db`` fixture's single rolled-back connection could not show this.
"""

from __future__ import annotations

import threading
import time
import uuid

from flask_jwt_extended import decode_token
from sqlalchemy import event, select

from kitodeck.auth.models import Session
from kitodeck.extensions import db

PASSWORD = "Concurrent-Refresh-Test-61"


def _race(app, token: str, contenders: int) -> list[int]:
    barrier = threading.Barrier(contenders)
    statuses: list[int] = []
    lock = threading.Lock()
    errors: list[BaseException] = []

    def refresh() -> None:
        try:
            client = app.test_client()
            barrier.wait(timeout=10)
            response = client.post(
                "/api/v1/auth/refresh", headers={"Authorization": f"Bearer {token}"}
            )
            with lock:
                statuses.append(response.status_code)
        except BaseException as error:  # surfaced in the main thread
            errors.append(error)

    threads = [threading.Thread(target=refresh) for _ in range(contenders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors
    return statuses


def test_concurrent_refreshes_with_one_token_let_exactly_one_through(app, committed) -> None:
    committed.create_user("racer", PASSWORD)
    client = app.test_client()
    for round_ in range(8):
        response = client.post(
            "/api/v1/auth/login",
            json={"email": committed.email("racer"), "password": PASSWORD},
        )
        assert response.status_code == 200, response.get_json()
        token = response.get_json()["refresh"]
        contenders = 2 if round_ % 2 == 0 else 5
        statuses = _race(app, token, contenders)
        assert sorted(statuses) == [200] + [401] * (contenders - 1), statuses
        with app.app_context():
            sid = uuid.UUID(decode_token(token)["sid"])
            session = db.session.scalars(select(Session).where(Session.id == sid)).one()
            # The losers presented a token that had just been used: a replay, so the
            # family is revoked (OAuth 2.0 Security BCP, refresh token rotation).
            assert session.revoked_reason == "refresh_reuse"
            db.session.remove()


def test_sequential_rotation_on_committed_data(app, committed) -> None:
    committed.create_user("walker", PASSWORD)
    client = app.test_client()
    tokens = client.post(
        "/api/v1/auth/login", json={"email": committed.email("walker"), "password": PASSWORD}
    ).get_json()
    seen = {tokens["refresh"]}
    for _ in range(5):
        response = client.post(
            "/api/v1/auth/refresh", headers={"Authorization": f"Bearer {tokens['refresh']}"}
        )
        assert response.status_code == 200
        tokens = response.get_json()
        assert tokens["refresh"] not in seen
        seen.add(tokens["refresh"])
    me = client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {tokens['access']}"})
    assert me.status_code == 200


def test_rotation_is_atomic_while_the_winner_holds_the_row(app, committed) -> None:
    """The first UPDATE holds the row for 300 ms before committing: every other contender
    has already passed the session check and blocks on the row lock, then matches 0 rows."""
    committed.create_user("holder", PASSWORD)
    client = app.test_client()
    token = client.post(
        "/api/v1/auth/login", json={"email": committed.email("holder"), "password": PASSWORD}
    ).get_json()["refresh"]
    rowcounts: list[int] = []
    first = threading.Lock()
    held = {"done": False}

    def after_execute(conn, cursor, statement, parameters, context, executemany) -> None:
        if statement.lstrip().startswith("UPDATE sessions SET current_jti"):
            rowcounts.append(cursor.rowcount)
            with first:
                hold, held["done"] = not held["done"], True
            if hold:
                time.sleep(0.3)  # inside the transaction, row locked

    with app.app_context():
        engine = db.engine
    event.listen(engine, "after_cursor_execute", after_execute)
    try:
        statuses = _race(app, token, 4)
    finally:
        event.remove(engine, "after_cursor_execute", after_execute)
    assert sorted(statuses) == [200, 401, 401, 401], statuses
    assert sorted(rowcounts) == [0, 0, 0, 1], rowcounts
