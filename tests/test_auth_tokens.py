"""Token attacks (SECURITY.md item 8) and the per-request session check.

alg:none, a tampered claim, a wrong key, expiry, a refresh token used as an access token and
the reverse, a token in the query string: all 401 in the contract's shape. The session check
is one query, and a revoked session, a deactivated user or a demoted role acts at once.
"""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import jwt as pyjwt
import pytest
from flask import Flask
from flask_jwt_extended import create_access_token, decode_token
from sqlalchemy import event, update

from kitodeck.users.models import User
from tests.factories import DEFAULT_PASSWORD, assert_error, bearer, login

ME = "/api/v1/users/me"


def _b64(data: dict) -> str:
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _parts(token: str) -> tuple[dict, dict, str]:
    header, payload, signature = token.split(".")
    pad = lambda s: s + "=" * (-len(s) % 4)  # noqa: E731
    return (
        json.loads(base64.urlsafe_b64decode(pad(header))),
        json.loads(base64.urlsafe_b64decode(pad(payload))),
        signature,
    )


@pytest.fixture
def tokens(client, verified_user) -> dict:
    response = login(client, verified_user.email, DEFAULT_PASSWORD)
    assert response.status_code == 200
    return response.get_json()


def test_valid_access_token_works(client, tokens) -> None:
    assert client.get(ME, headers=bearer(tokens["access"])).status_code == 200


def test_alg_none_is_401(client, tokens) -> None:
    _, payload, _ = _parts(tokens["access"])
    for alg in ("none", "None", "NONE"):
        forged = f"{_b64({'alg': alg, 'typ': 'JWT'})}.{_b64(payload)}."
        assert_error(client.get(ME, headers=bearer(forged)), 401)


def test_tampered_claim_is_401(client, tokens, other_user) -> None:
    header, payload, signature = _parts(tokens["access"])
    for change in ({"sub": str(other_user.id)}, {"exp": payload["exp"] + 3600}, {"type": "x"}):
        forged = f"{_b64(header)}.{_b64({**payload, **change})}.{signature}"
        assert_error(client.get(ME, headers=bearer(forged)), 401)


def test_wrong_key_is_401(client, tokens) -> None:
    _, payload, _ = _parts(tokens["access"])
    forged = pyjwt.encode(payload, "not-the-server-key-" * 4, algorithm="HS256")
    assert_error(client.get(ME, headers=bearer(forged)), 401)
    other_alg = pyjwt.encode(payload, "not-the-server-key-" * 4, algorithm="HS512")
    assert_error(client.get(ME, headers=bearer(other_alg)), 401)


def test_expired_access_token_is_401(client, app: Flask, verified_user, auth_headers) -> None:
    headers = auth_headers(verified_user)
    claims = decode_token(headers["Authorization"].split()[1])
    expired = create_access_token(
        identity=str(verified_user.id),
        additional_claims={"sid": claims["sid"]},
        expires_delta=timedelta(seconds=-1),
    )
    body = assert_error(client.get(ME, headers=bearer(expired)), 401)
    assert "expired" in body["message"]


def test_refresh_token_is_not_an_access_token(client, tokens) -> None:
    assert_error(client.get(ME, headers=bearer(tokens["refresh"])), 401)
    assert_error(client.post("/api/v1/auth/logout", headers=bearer(tokens["refresh"])), 401)


def test_access_token_cannot_refresh(client, tokens) -> None:
    assert_error(client.post("/api/v1/auth/refresh", headers=bearer(tokens["access"])), 401)


def test_tokens_in_the_query_string_are_ignored(client, tokens) -> None:
    for name in ("jwt", "access_token", "token"):
        response = client.get(f"{ME}?{name}={tokens['access']}")
        assert_error(response, 401)
    response = client.post(f"/api/v1/auth/refresh?jwt={tokens['refresh']}")
    assert_error(response, 401)


def test_missing_and_malformed_headers_are_401_not_422(client) -> None:
    for headers in (
        {},
        {"Authorization": "Bearer"},
        {"Authorization": "Bearer not.a.jwt"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Bearer " + "a" * 5000},
    ):
        response = client.get(ME, headers=headers)
        assert_error(response, 401)
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_token_of_a_deleted_session_or_unknown_sid_is_401(client, verified_user) -> None:
    for sid in ("00000000-0000-0000-0000-000000000000", "not-a-uuid", None):
        claims = {"sid": sid} if sid is not None else {}
        token = create_access_token(identity=str(verified_user.id), additional_claims=claims)
        assert_error(client.get(ME, headers=bearer(token)), 401)


def test_token_with_another_users_sid_is_401(
    client, verified_user, other_user, auth_headers
) -> None:
    other_sid = decode_token(auth_headers(other_user)["Authorization"].split()[1])["sid"]
    token = create_access_token(
        identity=str(verified_user.id), additional_claims={"sid": other_sid}
    )
    assert_error(client.get(ME, headers=bearer(token)), 401)


def test_deactivation_and_demotion_act_on_the_next_request(
    client, db, admin, verified_user, auth_headers
) -> None:
    """SECURITY.md 16: a demoted admin's next request is 403."""
    headers = auth_headers(admin)
    assert client.get("/api/v1/users/", headers=headers).status_code == 200
    db.session.execute(update(User).where(User.id == admin.id).values(role="user"))
    assert_error(client.get("/api/v1/users/", headers=headers), 403)
    assert client.get(ME, headers=headers).get_json()["role"] == "user"
    db.session.execute(update(User).where(User.id == admin.id).values(is_active=False))
    assert_error(client.get(ME, headers=headers), 401)


def test_each_authenticated_request_is_one_select(client, db, verified_user, auth_headers) -> None:
    headers = auth_headers(verified_user)
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:
        statements.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        assert client.get(ME, headers=headers).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", record)
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) == 1, statements
    assert "FROM users JOIN sessions" in selects[0]
    assert selects[0].count("JOIN") == 1


def test_access_token_claims(client, tokens) -> None:
    access = decode_token(tokens["access"])
    assert access["type"] == "access"
    assert set(access) >= {"sub", "sid", "jti", "exp", "iat"}
    header, _, _ = _parts(tokens["access"])
    assert header["alg"] == "HS256"
