"""The production lookup path: user + session read outside a transaction, on committed data."""

from __future__ import annotations

import pytest

from tests.factories import DEFAULT_PASSWORD as PASSWORD


@pytest.fixture
def autocommit_lookup(app, monkeypatch):
    monkeypatch.setitem(app.config, "AUTH_LOOKUP_AUTOCOMMIT", True)


def test_authenticated_reads_and_writes_work_with_the_autocommit_lookup(
    app, committed, autocommit_lookup
) -> None:
    committed.create_user("auto", PASSWORD)
    client = app.test_client()
    login = client.post(
        "/api/v1/auth/login", json={"email": committed.email("auto"), "password": PASSWORD}
    )
    assert login.status_code == 200, login.get_json()
    headers = {"Authorization": f"Bearer {login.get_json()['access']}"}

    me = client.get("/api/v1/users/me", headers=headers)
    assert me.status_code == 200
    assert me.get_json()["email"] == committed.email("auto")

    # A write on the looked-up user goes through the request's own transaction.
    renamed = client.patch("/api/v1/users/me", json={"username": "auto_renamed"}, headers=headers)
    assert renamed.status_code == 200, renamed.get_json()
    assert client.get("/api/v1/users/me", headers=headers).get_json()["username"] == "auto_renamed"

    # Revocation acts on the very next request.
    assert client.post("/api/v1/auth/logout", headers=headers).status_code == 200
    assert client.get("/api/v1/users/me", headers=headers).status_code == 401


def test_deactivation_acts_at_once_with_the_autocommit_lookup(
    app, committed, autocommit_lookup
) -> None:
    committed.create_user("victim", PASSWORD)
    committed.create_user("boss", PASSWORD, role="admin")
    client = app.test_client()

    def token(name: str) -> dict[str, str]:
        body = client.post(
            "/api/v1/auth/login", json={"email": committed.email(name), "password": PASSWORD}
        ).get_json()
        return {"Authorization": f"Bearer {body['access']}"}

    victim, boss = token("victim"), token("boss")
    victim_id = client.get("/api/v1/users/me", headers=victim).get_json()["id"]
    patched = client.patch(f"/api/v1/users/{victim_id}", json={"is_active": False}, headers=boss)
    assert patched.status_code == 200, patched.get_json()
    assert client.get("/api/v1/users/me", headers=victim).status_code == 401
