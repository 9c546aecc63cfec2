"""Users: your own account, admin user management, roles and the auth decorator.

SECURITY.md items covered here: 13 (the decorator, on a probe route), 16, 17, 18.
"""

from __future__ import annotations

import json
import uuid

import pytest
from flask import Flask
from flask_jwt_extended import current_user
from sqlalchemy import func, select

from kitodeck.auth.models import EmailToken, Session
from kitodeck.common.auth import UNVERIFIED_MESSAGE, auth_required
from kitodeck.scans.models import Scan
from kitodeck.users.models import User
from tests.conftest import make_app
from tests.factories import (
    DEFAULT_PASSWORD,
    UserFactory,
    assert_error,
    login,
    unique_username,
)

ME = "/api/v1/users/me"
USERS = "/api/v1/users/"
ME_FIELDS = {
    "id",
    "email",
    "username",
    "role",
    "email_verified",
    "is_active",
    "created_at",
    "last_login_at",
}


# --- /me --------------------------------------------------------------------------------


def test_me_returns_the_contract_fields(client, verified_user, auth_headers) -> None:
    response = client.get(ME, headers=auth_headers(verified_user))
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == ME_FIELDS
    assert body["id"] == str(verified_user.id)
    assert body["email_verified"] is True and body["is_active"] is True
    assert body["created_at"].endswith("Z")
    assert body["last_login_at"] is None
    assert response.headers["Cache-Control"] == "no-store"


def test_me_requires_a_token(client) -> None:
    assert_error(client.get(ME), 401)


def test_seed_user_details_is_the_same_handler(client, verified_user, auth_headers) -> None:
    headers = auth_headers(verified_user)
    seed = client.get("/user/details/", headers=headers)
    assert seed.status_code == 200
    assert seed.get_json() == client.get(ME, headers=headers).get_json()
    assert seed.headers["Cache-Control"] == "no-store"
    assert_error(client.get("/user/details/"), 401)


def test_patch_me_changes_the_username(client, db, user, auth_headers) -> None:
    new_name = unique_username("renamed")
    response = client.patch(ME, json={"username": new_name}, headers=auth_headers(user))
    assert response.status_code == 200
    assert response.get_json()["username"] == new_name
    db.session.refresh(user)
    assert user.username == new_name


def test_patch_me_taken_or_invalid_username(client, user, other_user, auth_headers) -> None:
    headers = auth_headers(user)
    assert_error(client.patch(ME, json={"username": other_user.username}, headers=headers), 409)
    assert_error(client.patch(ME, json={"username": "no spaces"}, headers=headers), 422)
    same = client.patch(ME, json={"username": user.username}, headers=headers)
    assert same.status_code == 200


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("role", "admin"),
        ("email_verified", True),
        ("is_active", True),
        ("user_id", str(uuid.uuid4())),
        ("email", "new@example.com"),
        ("password_hash", "x"),
    ],
)
def test_patch_me_refuses_unknown_fields(client, db, user, auth_headers, field, value) -> None:
    """SECURITY.md 17: no mass assignment."""
    response = client.patch(ME, json={field: value}, headers=auth_headers(user))
    errors = assert_error(response, 422)["errors"]
    assert field in errors["json"]
    db.session.refresh(user)
    assert user.role == "user" and user.email_verified_at is None


def test_delete_me_needs_the_password_and_removes_everything(
    client, db, verified_user, auth_headers
) -> None:
    headers = auth_headers(verified_user)
    db.session.add(
        Scan(
            user_id=verified_user.id,
            kind="chat",
            verdict="safe",
            flagged=False,
            risk_level="low",
            risk_score=0.0,
            confidence=0.9,
            labels=[],
            details={},
            engine="test",
            engine_model="test",
            engine_version="1",
            duration_ms=1.0,
        )
    )
    db.session.flush()
    assert_error(client.delete(ME, headers=headers), 422)
    wrong = client.delete(ME, json={"password": "Not-The-Password-9"}, headers=headers)
    assert "password" in assert_error(wrong, 400)["errors"]["json"]
    assert_error(
        client.delete(ME, json={"password": DEFAULT_PASSWORD, "x": 1}, headers=headers), 422
    )
    response = client.delete(ME, json={"password": DEFAULT_PASSWORD}, headers=headers)
    assert response.status_code == 204
    user_id = verified_user.id
    db.session.expire_all()
    assert db.session.get(User, user_id) is None
    for model in (Scan, Session, EmailToken):
        count = db.session.scalar(
            select(func.count()).select_from(model).where(model.user_id == user_id)
        )
        assert count == 0
    assert_error(client.get(ME, headers=headers), 401)


# --- admin ------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["user", "verified_user", "moderator"])
def test_admin_routes_are_403_for_users_and_moderators(
    request, client, who, other_user, auth_headers
) -> None:
    """SECURITY.md 16."""
    headers = auth_headers(request.getfixturevalue(who))
    target = f"{USERS}{other_user.id}"
    for response in (
        client.get(USERS, headers=headers),
        client.get(target, headers=headers),
        client.patch(target, json={"role": "admin"}, headers=headers),
        client.delete(target, headers=headers),
    ):
        assert_error(response, 403)
    assert_error(client.get(USERS), 401)


def test_admin_lists_filters_and_paginates(client, db, admin, auth_headers) -> None:
    marker = uuid.uuid4().hex[:8]
    for n in range(5):
        UserFactory(username=f"pg_{marker}_{n}", email=f"pg-{marker}-{n}@example.com")
    UserFactory(username=f"mod_{marker}", role="moderator", verified=True)
    UserFactory(username=f"off_{marker}", is_active=False)
    headers = auth_headers(admin)

    response = client.get(f"{USERS}?q={marker}&page=1&page_size=3", headers=headers)
    assert response.status_code == 200
    assert len(response.get_json()) == 3
    pagination = json.loads(response.headers["X-Pagination"])
    assert pagination["total"] == 7
    assert pagination["total_pages"] == 3
    page3 = client.get(f"{USERS}?q={marker}&page=3&page_size=3", headers=headers).get_json()
    assert len(page3) == 1
    assert set(page3[0]) == ME_FIELDS

    by_role = client.get(f"{USERS}?q={marker}&role=moderator", headers=headers).get_json()
    assert [u["username"] for u in by_role] == [f"mod_{marker}"]
    inactive = client.get(f"{USERS}?q={marker}&is_active=false", headers=headers).get_json()
    assert [u["username"] for u in inactive] == [f"off_{marker}"]
    by_email = client.get(f"{USERS}?q=PG-{marker}-3", headers=headers).get_json()
    assert [u["username"] for u in by_email] == [f"pg_{marker}_3"]
    wildcard = client.get(f"{USERS}?q=%25{marker}", headers=headers).get_json()
    assert wildcard == []  # '%' is matched literally

    assert_error(client.get(f"{USERS}?page_size=101", headers=headers), 422)
    assert_error(client.get(f"{USERS}?role=superuser", headers=headers), 422)
    assert_error(client.get(f"{USERS}?page=0", headers=headers), 422)


def test_admin_reads_changes_and_deletes_a_user(client, db, admin, user, auth_headers) -> None:
    headers = auth_headers(admin)
    user_headers = auth_headers(user)
    got = client.get(f"{USERS}{user.id}", headers=headers)
    assert got.status_code == 200 and set(got.get_json()) == ME_FIELDS

    promoted = client.patch(f"{USERS}{user.id}", json={"role": "moderator"}, headers=headers)
    assert promoted.status_code == 200 and promoted.get_json()["role"] == "moderator"
    assert client.get(ME, headers=user_headers).get_json()["role"] == "moderator"

    for body in ({"email_verified": True}, {"username": "x_y_z"}, {"role": "root"}):
        assert_error(client.patch(f"{USERS}{user.id}", json=body, headers=headers), 422)

    deactivated = client.patch(f"{USERS}{user.id}", json={"is_active": False}, headers=headers)
    assert deactivated.get_json()["is_active"] is False
    assert_error(client.get(ME, headers=user_headers), 401)
    reactivated = client.patch(f"{USERS}{user.id}", json={"is_active": True}, headers=headers)
    assert reactivated.get_json()["is_active"] is True
    assert login(client, user.email).status_code == 200

    assert client.delete(f"{USERS}{user.id}", headers=headers).status_code == 204
    assert_error(client.get(f"{USERS}{user.id}", headers=headers), 404)
    assert_error(client.delete(f"{USERS}{user.id}", headers=headers), 404)
    assert_error(client.get(f"{USERS}{uuid.uuid4()}", headers=headers), 404)
    assert_error(client.get(f"{USERS}not-a-uuid", headers=headers), 404)


def test_the_last_active_admin_cannot_be_removed(client, db, admin, auth_headers) -> None:
    db.session.execute(
        User.__table__.update().where(User.role == "admin", User.id != admin.id).values(role="user")
    )
    headers = auth_headers(admin)
    for body in ({"role": "user"}, {"is_active": False}):
        assert_error(client.patch(f"{USERS}{admin.id}", json=body, headers=headers), 409)
    assert_error(client.delete(f"{USERS}{admin.id}", headers=headers), 409)
    second = UserFactory(role="admin", verified=True)
    demoted = client.patch(f"{USERS}{admin.id}", json={"role": "user"}, headers=headers)
    assert demoted.status_code == 200
    assert_error(client.get(USERS, headers=headers), 403)  # effective on the next request
    assert client.get(USERS, headers=auth_headers(second)).status_code == 200


# --- the decorator ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def probe_app(database_url: str, smtp_server) -> Flask:
    """Routes protected in each way the decorator offers."""
    app = make_app(database_url, smtp_server)

    @app.route("/_probe/verified")
    @auth_required(verified=True)
    def verified_only() -> dict:
        return {"user": current_user.username}

    @app.route("/_probe/staff")
    @auth_required("moderator", "admin")
    def staff_only() -> dict:
        return {"role": current_user.role}

    return app


def test_verified_decorator_refuses_unverified_users_with_a_clear_message(
    probe_app, db, user, verified_user, auth_headers
) -> None:
    """SECURITY.md 13 (the decorator; the scans tests cover the scan endpoints)."""
    client = probe_app.test_client()
    body = assert_error(client.get("/_probe/verified", headers=auth_headers(user)), 403)
    assert body["message"] == UNVERIFIED_MESSAGE
    assert "verify" in body["message"]
    ok = client.get("/_probe/verified", headers=auth_headers(verified_user))
    assert ok.status_code == 200
    assert_error(client.get("/_probe/verified"), 401)


def test_role_decorator(probe_app, db, verified_user, moderator, admin, auth_headers) -> None:
    client = probe_app.test_client()
    assert_error(client.get("/_probe/staff", headers=auth_headers(verified_user)), 403)
    assert client.get("/_probe/staff", headers=auth_headers(moderator)).status_code == 200
    assert client.get("/_probe/staff", headers=auth_headers(admin)).get_json() == {"role": "admin"}


# --- docs -------------------------------------------------------------------------------


def test_openapi_documents_every_account_route(client) -> None:
    spec = client.get("/api/schema/openapi.json").get_json()
    paths = spec["paths"]
    expected = {
        "/api/v1/auth/signup": ["post"],
        "/api/v1/auth/login": ["post"],
        "/api/v1/auth/refresh": ["post"],
        "/api/v1/auth/logout": ["post"],
        "/api/v1/auth/logout-all": ["post"],
        "/api/v1/auth/sessions": ["get"],
        "/api/v1/auth/sessions/{session_id}": ["delete"],
        "/api/v1/auth/verify-email": ["post"],
        "/api/v1/auth/verify-email/resend": ["post"],
        "/api/v1/auth/password/forgot": ["post"],
        "/api/v1/auth/password/reset": ["post"],
        "/api/v1/auth/password/change": ["post"],
        "/api/v1/users/me": ["get", "patch", "delete"],
        "/api/v1/users/": ["get"],
        "/api/v1/users/{user_id}": ["get", "patch", "delete"],
        "/auth/login/": ["post"],
        "/user/details/": ["get"],
    }
    for path, methods in expected.items():
        assert path in paths, path
        for method in methods:
            operation = paths[path][method]
            assert operation.get("summary"), (path, method)
    protected = [
        ("/api/v1/auth/refresh", "post"),
        ("/api/v1/auth/logout", "post"),
        ("/api/v1/users/me", "get"),
        ("/api/v1/users/", "get"),
        ("/api/v1/users/{user_id}", "patch"),
        ("/user/details/", "get"),
    ]
    for path, method in protected:
        assert paths[path][method]["security"] == [{"bearerAuth": []}], (path, method)
    assert "security" not in paths["/api/v1/auth/login"]["post"]
    assert "X-Pagination" in json.dumps(paths["/api/v1/users/"]["get"]["responses"])
    login_schema = json.dumps(paths["/auth/login/"]["post"])
    assert "LoginResponse" in login_schema
