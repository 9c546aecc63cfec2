"""Scan history: pagination, filters, scope=all, read and delete, BOLA, index usage."""

from __future__ import annotations

import json
import logging
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, select, text

from kitodeck.scans import history_services as hs
from kitodeck.scans.models import Scan
from tests.scan_factories import ScanFactory, assert_uses_indexes

URL = "/api/v1/scans/"
T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
FORBIDDEN_KEYS = {"password_hash", "email", "username", "token_hash", "current_jti"}


@pytest.fixture
def alice(verified_user):
    """User A."""
    return verified_user


@pytest.fixture
def bob(other_user):
    """User B."""
    return other_user


def pagination(response) -> dict[str, Any]:
    return json.loads(response.headers["X-Pagination"])


def ids(response) -> list[str]:
    return [item["id"] for item in response.get_json()]


@pytest.fixture
def alice_scans(alice) -> list[Scan]:
    """Seven scans of Alice's, one hour apart (index 0 oldest), of every shape."""
    specs = [
        {"labels": []},
        {"labels": ["financial_request", "urgency"]},
        {"image": True, "labels": []},
        {"image": True, "labels": ["FEMALE_BREAST_EXPOSED"]},
        {"labels": ["insult"], "verdict": "toxic", "review_decision": "confirmed"},
        {"labels": ["secrecy"], "review_decision": "false_positive"},
        {"labels": []},
    ]
    return [
        ScanFactory(user=alice, created_at=T0 + timedelta(hours=i), **spec)
        for i, spec in enumerate(specs)
    ]


# --- list --------------------------------------------------------------------------------------


def test_list_requires_a_token(client) -> None:
    response = client.get(URL)
    assert response.status_code == 401
    assert response.get_json()["code"] == 401


def test_own_scans_newest_first_paginated(client, auth_headers, alice, bob, alice_scans) -> None:
    ScanFactory(user=bob, created_at=T0 + timedelta(minutes=30))
    newest_first = [str(s.id) for s in reversed(alice_scans)]

    first = client.get(URL, query_string={"page_size": 3}, headers=auth_headers(alice))
    assert first.status_code == 200
    assert ids(first) == newest_first[:3]
    meta = pagination(first)
    assert meta["total"] == 7
    assert meta["total_pages"] == 3
    assert meta["next_page"] == 2

    last = client.get(URL, query_string={"page": 3, "page_size": 3}, headers=auth_headers(alice))
    assert ids(last) == newest_first[6:]
    assert (
        client.get(
            URL, query_string={"page": 9, "page_size": 3}, headers=auth_headers(alice)
        ).get_json()
        == []
    )


def test_items_are_scan_results_without_private_fields(
    client, auth_headers, alice, alice_scans
) -> None:
    item = client.get(URL, headers=auth_headers(alice)).get_json()[0]
    for key in ("id", "kind", "created_at", "verdict", "flagged", "risk_level", "engine"):
        assert key in item
    assert item["created_at"].endswith("Z")
    assert item["review"] is None
    assert not FORBIDDEN_KEYS & set(item)
    reviewed = next(
        i for i in client.get(URL, headers=auth_headers(alice)).get_json() if i["review"]
    )
    assert reviewed["review"]["decision"] in ("confirmed", "false_positive")


def test_page_size_is_capped(app, client, auth_headers, alice) -> None:
    cap = app.config["PAGINATION_MAX_PAGE_SIZE"]
    assert (
        client.get(URL, query_string={"page_size": cap}, headers=auth_headers(alice)).status_code
        == 200
    )
    too_big = client.get(URL, query_string={"page_size": cap + 1}, headers=auth_headers(alice))
    assert too_big.status_code == 422
    assert "page_size" in json.dumps(too_big.get_json()["errors"])


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"kind": "image"}, [2, 3]),
        ({"kind": "chat"}, [0, 1, 4, 5, 6]),
        ({"verdict": "toxic"}, [4]),
        ({"verdict": "safe"}, [0, 2, 6]),
        ({"flagged": "true"}, [1, 3, 4, 5]),
        ({"flagged": "false"}, [0, 2, 6]),
        ({"reviewed": "true"}, [4, 5]),
        ({"reviewed": "false", "flagged": "true"}, [1, 3]),
        ({"from": "2026-03-02T14:00:00Z"}, [2, 3, 4, 5, 6]),
        ({"to": "2026-03-02T14:00:00Z"}, [0, 1]),
        ({"from": "2026-03-02T13:00:00", "to": "2026-03-02T16:30:00+00:00"}, [1, 2, 3, 4]),
        ({"from": "2026-03-02T15:00:00+02:00"}, [1, 2, 3, 4, 5, 6]),
        ({"kind": "chat", "flagged": "true", "reviewed": "true"}, [4, 5]),
    ],
)
def test_filters(client, auth_headers, alice, alice_scans, query, expected) -> None:
    response = client.get(URL, query_string=query, headers=auth_headers(alice))
    assert response.status_code == 200, response.get_json()
    assert ids(response) == [str(alice_scans[i].id) for i in reversed(expected)]
    assert pagination(response)["total"] == len(expected)


@pytest.mark.parametrize(
    "query",
    [
        {"kind": "video"},
        {"verdict": "meh"},
        {"flagged": "perhaps"},
        {"from": "yesterday"},
        {"from": "2026-03-02T10:00:00Z", "to": "2026-03-01T10:00:00Z"},
        {"scope": "everyone"},
        {"page": 0},
    ],
)
def test_bad_filters_are_422(client, auth_headers, alice, query) -> None:
    response = client.get(URL, query_string=query, headers=auth_headers(alice))
    assert response.status_code == 422
    body = response.get_json()
    assert body["code"] == 422 and body["status"] == "Unprocessable Entity"
    assert "query" in body["errors"]


def test_filters_never_reach_other_users_scans(client, auth_headers, alice, bob) -> None:
    """SECURITY 15: whatever the query, a user's list holds only their scans."""
    mine = ScanFactory(user=alice, created_at=T0)
    ScanFactory(user=bob, created_at=T0, labels=["threat"], verdict="danger")
    ScanFactory(user=bob, image=True, created_at=T0 + timedelta(hours=1))
    for query in (
        {},
        {"verdict": "danger"},
        {"kind": "image"},
        {"user_id": str(bob.id)},
        {"owner": str(bob.id), "scope": "own"},
        {"from": "2000-01-01T00:00:00Z", "to": "2100-01-01T00:00:00Z"},
    ):
        response = client.get(URL, query_string=query, headers=auth_headers(alice))
        assert response.status_code == 200
        assert set(ids(response)) <= {str(mine.id)}, query


def test_scope_all_is_for_moderators_and_admins(
    client, auth_headers, alice, bob, moderator, admin
) -> None:
    scans = [
        ScanFactory(user=u, created_at=T0 + timedelta(hours=i))
        for i, u in enumerate([alice, bob, moderator, admin])
    ]
    denied = client.get(URL, query_string={"scope": "all"}, headers=auth_headers(alice))
    assert denied.status_code == 403
    assert denied.get_json()["code"] == 403

    for staff in (moderator, admin):
        response = client.get(URL, query_string={"scope": "all"}, headers=auth_headers(staff))
        assert response.status_code == 200
        assert ids(response) == [str(s.id) for s in reversed(scans)]
        assert {item["user_id"] for item in response.get_json()} == {
            str(u.id) for u in (alice, bob, moderator, admin)
        }
        own = client.get(URL, headers=auth_headers(staff))
        assert ids(own) == [str(next(s for s in scans if s.user_id == staff.id).id)]

    flagged = client.get(
        URL, query_string={"scope": "all", "flagged": "true"}, headers=auth_headers(moderator)
    )
    assert flagged.get_json() == []


def test_scope_all_total_is_cached_until_scans_change(
    client, auth_headers, db, alice, moderator
) -> None:
    ScanFactory(user=alice, created_at=T0)
    statements: list[str] = []

    def record(conn, cursor, statement, *args) -> None:
        statements.append(statement)

    engine = db.session.get_bind().engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        query = {"scope": "all"}
        assert (
            pagination(client.get(URL, query_string=query, headers=auth_headers(moderator)))[
                "total"
            ]
            == 1
        )
        counted = sum("count(" in s for s in statements)
        assert (
            pagination(client.get(URL, query_string=query, headers=auth_headers(moderator)))[
                "total"
            ]
            == 1
        )
        assert sum("count(" in s for s in statements) == counted  # served from the cache
        ScanFactory(user=alice, created_at=T0 + timedelta(hours=1))  # invalidates, like a scan
        assert (
            pagination(client.get(URL, query_string=query, headers=auth_headers(moderator)))[
                "total"
            ]
            == 2
        )
    finally:
        event.remove(engine, "before_cursor_execute", record)


# --- read one ----------------------------------------------------------------------------------


def test_owner_reads_a_scan(client, auth_headers, alice) -> None:
    scan = ScanFactory(user=alice, labels=["off_platform"])
    response = client.get(f"{URL}{scan.id}", headers=auth_headers(alice))
    assert response.status_code == 200
    body = response.get_json()
    assert body["id"] == str(scan.id)
    assert body["signals"][0]["name"] == "off_platform"
    assert body["engine"] == {"name": "detoxify", "model": "original", "version": "0.5.4"}
    assert not FORBIDDEN_KEYS & set(body)


def test_another_users_scan_is_404_like_an_unknown_one(client, auth_headers, alice, bob) -> None:
    """SECURITY 14: user A reading user B's scan gets the same 404 as for no scan at all."""
    scan = ScanFactory(user=bob)
    theirs = client.get(f"{URL}{scan.id}", headers=auth_headers(alice))
    unknown = client.get(f"{URL}{uuid.uuid4()}", headers=auth_headers(alice))
    assert theirs.status_code == unknown.status_code == 404
    assert theirs.get_json() == unknown.get_json()
    assert client.get(f"{URL}not-a-uuid", headers=auth_headers(alice)).status_code == 404


def test_moderators_and_admins_read_any_scan(client, auth_headers, alice, moderator, admin) -> None:
    scan = ScanFactory(user=alice)
    for staff in (moderator, admin):
        response = client.get(f"{URL}{scan.id}", headers=auth_headers(staff))
        assert response.status_code == 200
        assert response.get_json()["user_id"] == str(alice.id)


def test_static_routes_are_not_taken_for_scan_ids(client, auth_headers, moderator, admin) -> None:
    assert client.get(f"{URL}review-queue", headers=auth_headers(moderator)).status_code == 200
    assert client.get(f"{URL}rules", headers=auth_headers(admin)).status_code == 200


# --- delete ------------------------------------------------------------------------------------


def test_owner_deletes_a_scan(client, auth_headers, db, alice) -> None:
    scan = ScanFactory(user=alice)
    response = client.delete(f"{URL}{scan.id}", headers=auth_headers(alice))
    assert response.status_code == 204
    assert response.data == b""
    assert db.session.get(Scan, scan.id) is None
    assert client.get(f"{URL}{scan.id}", headers=auth_headers(alice)).status_code == 404
    assert client.delete(f"{URL}{scan.id}", headers=auth_headers(alice)).status_code == 404


def test_deleting_another_users_scan_is_404_and_changes_nothing(
    client, auth_headers, db, alice, bob
) -> None:
    """SECURITY 14: user A deleting user B's scan: 404, B's scan intact."""
    scan = ScanFactory(user=bob, labels=["threat"], verdict="danger")
    before = client.get(f"{URL}{scan.id}", headers=auth_headers(bob)).get_json()
    response = client.delete(f"{URL}{scan.id}", headers=auth_headers(alice))
    assert response.status_code == 404
    db.session.expire_all()
    assert db.session.get(Scan, scan.id) is not None
    assert client.get(f"{URL}{scan.id}", headers=auth_headers(bob)).get_json() == before


def test_moderator_cannot_delete_other_peoples_scans(
    client, auth_headers, db, alice, moderator
) -> None:
    scan = ScanFactory(user=alice)
    assert client.delete(f"{URL}{scan.id}", headers=auth_headers(moderator)).status_code == 403
    assert db.session.get(Scan, scan.id) is not None
    own = ScanFactory(user=moderator)
    assert client.delete(f"{URL}{own.id}", headers=auth_headers(moderator)).status_code == 204


def test_admin_deletes_any_scan_and_it_is_audited(
    client, auth_headers, db, alice, admin, caplog
) -> None:
    scan = ScanFactory(user=alice)
    with caplog.at_level(logging.INFO, logger="kitodeck.audit"):
        response = client.delete(f"{URL}{scan.id}", headers=auth_headers(admin))
    assert response.status_code == 204
    assert db.session.get(Scan, scan.id) is None
    record = next(r for r in caplog.records if r.name == "kitodeck.audit")
    assert record.event == "scan.delete"
    assert record.scan_id == str(scan.id)
    assert record.actor_id == str(admin.id)


def test_every_history_route_needs_a_token(client) -> None:
    some = uuid.uuid4()
    for method, path in (
        ("get", URL),
        ("get", f"{URL}{some}"),
        ("delete", f"{URL}{some}"),
        ("get", f"{URL}review-queue"),
        ("post", f"{URL}{some}/review"),
    ):
        response = getattr(client, method)(path)
        assert response.status_code == 401, (method, path)


# --- indexes -----------------------------------------------------------------------------------


@pytest.fixture
def seeded(db) -> uuid.UUID:
    """50,000 scans over a year (bulk insert), statistics fresh; returns a user with scans."""
    hs.seed_scans(50_000, users=200, days=365)
    db.session.execute(text("ANALYZE scans"))
    db.session.execute(text("ANALYZE users"))
    return db.session.execute(select(Scan.user_id).limit(1)).scalar_one()


def test_history_queries_use_indexes(db, seeded) -> None:
    assert db.session.execute(select(text("count(*)")).select_from(Scan)).scalar() >= 50_000
    filters = hs.ScanFilters
    week_ago = datetime.now(UTC) - timedelta(days=7)

    # A user's own history: pages and totals come from ix_scans_user_id_created_at.
    for f in (filters(), filters(kind="chat"), filters(flagged=True, reviewed=False)):
        assert_uses_indexes(
            db,
            hs.history_page_statement(f, seeded, offset=0, limit=20),
            index="ix_scans_user_id_created_at",
        )
        assert_uses_indexes(
            db, hs.history_count_statement(f, seeded), index="ix_scans_user_id_created_at"
        )

    # scope=all: pages walk ix_scans_created_at backwards (or the queue's partial index).
    for f in (
        filters(),
        filters(kind="image"),
        filters(verdict="danger"),
        filters(reviewed=True),
        filters(date_from=week_ago),
    ):
        assert_uses_indexes(db, hs.history_page_statement(f, None, offset=0, limit=20))
        assert_uses_indexes(db, hs.history_page_statement(f, None, offset=2000, limit=50))
    assert_uses_indexes(
        db,
        hs.history_page_statement(filters(flagged=True, reviewed=False), None, offset=0, limit=20),
        index="ix_scans_review_queue",
    )
    assert_uses_indexes(db, hs.history_count_statement(filters(date_from=week_ago), None))

    # The review queue: the partial index, for the page and for the total.
    assert_uses_indexes(
        db, hs.review_queue_page_statement(offset=0, limit=20), index="ix_scans_review_queue"
    )
    assert_uses_indexes(db, hs.review_queue_count_statement(), index="ix_scans_review_queue")
