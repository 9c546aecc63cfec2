"""The seed README's example, exactly: ``POST /auth/login/`` with ``{"email", "password"}``."""

from __future__ import annotations

PASSWORD = "Seed-Readme-Passphrase-57"


def test_seed_readme_login_example(http, committed) -> None:
    committed.create_user("seed.reader", PASSWORD, username="seed_reader")
    email = committed.email("seed.reader")

    response = http.call("POST", "/auth/login/", {"email": email, "password": PASSWORD})

    assert response.status == 200, response.body
    body = response.body
    assert isinstance(body["access"], str) and body["access"].count(".") == 2
    assert isinstance(body["refresh"], str) and body["refresh"].count(".") == 2
    assert body["user"]["id"]
    assert body["user"]["email"] == email
    assert body["user"]["username"] == "seed_reader"

    details = http.call("GET", "/user/details/", token=body["access"])
    assert details.status == 200
    assert details.body["id"] == body["user"]["id"]
    assert details.body["email"] == email

    wrong = http.call("POST", "/auth/login/", {"email": email, "password": "Not-It-1234"})
    assert wrong.status == 401
    assert set(wrong.body) <= {"code", "status", "message", "errors"}
