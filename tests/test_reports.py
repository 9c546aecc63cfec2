"""Reports: numbers against a hand-computed dataset, CSV, SVG, roles, cache, indexes."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from xml.etree import ElementTree

import pytest
from sqlalchemy import select, text

from kitodeck.reports import services as reports
from kitodeck.scans import history_services as hs
from kitodeck.scans.models import Scan
from tests.factories import UserFactory
from tests.scan_factories import ScanFactory, assert_uses_indexes

ME = "/api/v1/reports/me"
OVERVIEW = "/api/v1/reports/overview"
WINDOW = {"from": "2026-05-04T00:00:00Z", "to": "2026-05-18T00:00:00Z"}
SVG_NS = "{http://www.w3.org/2000/svg}"


def at(day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    """A time in May 2026 (UTC); 2026-05-04 is a Monday."""
    return datetime(2026, 5, day, hour, minute, second, tzinfo=UTC)


@pytest.fixture
def data(db, moderator) -> dict[str, Any]:
    """The hand-computed dataset: see the expected numbers in the tests below."""
    alice = UserFactory(verified=True, created_at=at(5, 8), last_login_at=at(6, 9))
    bob = UserFactory(
        verified=True, created_at=datetime(2026, 4, 1, tzinfo=UTC), last_login_at=at(20)
    )
    carol = UserFactory(verified=True, created_at=at(10, 15))
    chat = {"engine": "detoxify"}
    image = {"image": True}
    s = {
        "s1": ScanFactory(user=alice, created_at=at(4, 10), duration_ms=10, **chat),
        "s2": ScanFactory(
            user=alice,
            created_at=at(4, 12),
            labels=["financial_request", "urgency"],
            duration_ms=30,
            review_decision="confirmed",
            reviewer_id=moderator.id,
            reviewed_at=at(5),
            **chat,
        ),
        "s3": ScanFactory(
            user=alice,
            created_at=at(6, 8),
            labels=["insult"],
            verdict="toxic",
            duration_ms=20,
            review_decision="false_positive",
            reviewer_id=moderator.id,
            reviewed_at=at(7),
            **chat,
        ),
        "s4": ScanFactory(
            user=alice,
            created_at=at(6, 9),
            labels=["FEMALE_BREAST_EXPOSED"],
            duration_ms=40,
            review_decision="false_positive",
            reviewer_id=moderator.id,
            reviewed_at=at(7),
            **image,
        ),
        "s5": ScanFactory(user=alice, created_at=at(13, 10), duration_ms=60, **image),
        "s6": ScanFactory(
            user=bob,
            created_at=at(13, 10),
            labels=["threat", "financial_request"],
            verdict="danger",
            duration_ms=50,
            **chat,
        ),
        "s7": ScanFactory(user=bob, created_at=at(17, 23, 59, 59), duration_ms=40, **chat),
        # Just outside the window: one second before it, and exactly at its (exclusive) end.
        "s8": ScanFactory(user=bob, created_at=at(3, 23, 59, 59), labels=["urgency"], **chat),
        "s9": ScanFactory(user=alice, created_at=at(18), **chat),
    }
    return {"alice": alice, "bob": bob, "carol": carol, **s}


def get_overview(client, auth_headers, user, **query: Any) -> dict[str, Any]:
    response = client.get(OVERVIEW, query_string={**WINDOW, **query}, headers=auth_headers(user))
    assert response.status_code == 200, response.get_json()
    return response.get_json()


# --- roles -------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [OVERVIEW, f"{OVERVIEW}.csv", f"{OVERVIEW}.svg"])
def test_overview_is_for_moderators_and_admins(
    client, auth_headers, db, moderator, admin, path
) -> None:
    user = UserFactory(verified=True)
    assert client.get(path).status_code == 401
    denied = client.get(path, headers=auth_headers(user))
    assert denied.status_code == 403
    assert denied.content_type == "application/json"
    assert client.get(path, headers=auth_headers(moderator)).status_code == 200
    assert client.get(path, headers=auth_headers(admin)).status_code == 200


def test_my_report_is_for_everyone_signed_in(client, auth_headers, db, moderator, admin) -> None:
    assert client.get(ME).status_code == 401
    for user in (UserFactory(verified=True), UserFactory(), moderator, admin):
        response = client.get(ME, headers=auth_headers(user))
        assert response.status_code == 200
        assert response.get_json()["totals"]["scans"] == 0


# --- the overview's numbers --------------------------------------------------------------------


def test_overview_totals(client, auth_headers, moderator, data) -> None:
    body = get_overview(client, auth_headers, moderator)
    assert body["from"] == "2026-05-04T00:00:00Z"
    assert body["to"] == "2026-05-18T00:00:00Z"
    assert body["interval"] == "day"
    assert body["totals"] == {
        "scans": 7,
        "flagged": 4,
        "flagged_rate": 0.5714,
        "by_kind": {"image": 2, "chat": 5},
        "by_verdict": {
            "safe": 3,
            "suggestive": 0,
            "explicit": 1,
            "toxic": 1,
            "scam_risk": 1,
            "danger": 1,
        },
    }
    assert body["users"] == {"signups": 2, "active": 1, "scanning": 2}


def test_overview_daily_series_fills_empty_days(client, auth_headers, moderator, data) -> None:
    series = get_overview(client, auth_headers, moderator)["series"]
    assert [p["start"] for p in series] == [f"2026-05-{d:02d}T00:00:00Z" for d in range(4, 18)]
    by_day = {p["start"][8:10]: p for p in series}
    assert by_day["04"] == {
        "start": "2026-05-04T00:00:00Z",
        "scans": 2,
        "flagged": 1,
        "flagged_rate": 0.5,
        "image": 0,
        "chat": 2,
        "by_verdict": {
            "safe": 1,
            "suggestive": 0,
            "explicit": 0,
            "toxic": 0,
            "scam_risk": 1,
            "danger": 0,
        },
        "signups": 0,
    }
    assert (by_day["05"]["scans"], by_day["05"]["flagged_rate"], by_day["05"]["signups"]) == (
        0,
        None,
        1,
    )
    assert (by_day["06"]["scans"], by_day["06"]["flagged"], by_day["06"]["image"]) == (2, 2, 1)
    assert by_day["06"]["flagged_rate"] == 1.0
    assert by_day["10"]["signups"] == 1
    assert (by_day["13"]["scans"], by_day["13"]["flagged_rate"]) == (2, 0.5)
    assert (by_day["17"]["scans"], by_day["17"]["flagged_rate"]) == (1, 0.0)
    assert sum(p["scans"] for p in series) == 7


def test_overview_weekly_series(client, auth_headers, moderator, data) -> None:
    series = get_overview(client, auth_headers, moderator, interval="week")["series"]
    assert [(p["start"], p["scans"], p["flagged"], p["signups"]) for p in series] == [
        ("2026-05-04T00:00:00Z", 4, 3, 2),
        ("2026-05-11T00:00:00Z", 3, 1, 0),
    ]


def test_overview_signals_categories_and_false_positive_rates(
    client, auth_headers, moderator, data
) -> None:
    body = get_overview(client, auth_headers, moderator)
    assert body["signals"] == [
        {
            "name": "financial_request",
            "count": 2,
            "reviewed": 1,
            "confirmed": 1,
            "false_positive": 0,
            "false_positive_rate": 0.0,
        },
        {
            "name": "insult",
            "count": 1,
            "reviewed": 1,
            "confirmed": 0,
            "false_positive": 1,
            "false_positive_rate": 1.0,
        },
        {
            "name": "threat",
            "count": 1,
            "reviewed": 0,
            "confirmed": 0,
            "false_positive": 0,
            "false_positive_rate": None,
        },
        {
            "name": "urgency",
            "count": 1,
            "reviewed": 1,
            "confirmed": 1,
            "false_positive": 0,
            "false_positive_rate": 0.0,
        },
    ]
    assert body["categories"] == [
        {
            "name": "FEMALE_BREAST_EXPOSED",
            "count": 1,
            "reviewed": 1,
            "confirmed": 0,
            "false_positive": 1,
            "false_positive_rate": 1.0,
        }
    ]
    assert body["reviews"] == {
        "reviewed": 3,
        "confirmed": 1,
        "false_positive": 2,
        "pending": 1,
        "false_positive_rate": 0.6667,
        "by_verdict": [
            {
                "verdict": "explicit",
                "reviewed": 1,
                "confirmed": 0,
                "false_positive": 1,
                "false_positive_rate": 1.0,
            },
            {
                "verdict": "scam_risk",
                "reviewed": 1,
                "confirmed": 1,
                "false_positive": 0,
                "false_positive_rate": 0.0,
            },
            {
                "verdict": "toxic",
                "reviewed": 1,
                "confirmed": 0,
                "false_positive": 1,
                "false_positive_rate": 1.0,
            },
        ],
    }


def test_overview_duration_percentiles_per_engine(client, auth_headers, moderator, data) -> None:
    # chat: 10, 20, 30, 40, 50 ms -> p50 30, p95 40 + 0.8 * 10 = 48 (linear interpolation)
    # image: 40, 60 ms -> p50 50, p95 40 + 0.95 * 20 = 59
    assert get_overview(client, auth_headers, moderator)["durations"] == [
        {"kind": "chat", "engine": "detoxify", "scans": 5, "p50_ms": 30.0, "p95_ms": 48.0},
        {"kind": "image", "engine": "nudenet", "scans": 2, "p50_ms": 50.0, "p95_ms": 59.0},
    ]


def test_overview_window_in_another_offset_is_converted_to_utc(
    client, auth_headers, moderator, data
) -> None:
    body = get_overview(
        client,
        auth_headers,
        moderator,
        **{"from": "2026-05-04T02:00:00+02:00", "to": "2026-05-05T00:00:00"},
    )
    assert body["from"] == "2026-05-04T00:00:00Z"
    assert body["to"] == "2026-05-05T00:00:00Z"
    assert body["totals"]["scans"] == 2
    assert len(body["series"]) == 1


def test_overview_defaults_to_the_last_30_days(client, auth_headers, moderator) -> None:
    now = datetime.now(UTC)
    ScanFactory(user=moderator, created_at=now - timedelta(days=2), labels=["threat"])
    ScanFactory(user=moderator, created_at=now - timedelta(days=31))
    response = client.get(OVERVIEW, headers=auth_headers(moderator))
    body = response.get_json()
    start = datetime.fromisoformat(body["from"])
    end = datetime.fromisoformat(body["to"])
    assert abs((end - now).total_seconds()) < 60
    # 30 days back, from the start of that day, so that the first bucket is a whole day.
    assert start == (end - timedelta(days=30)).replace(hour=0, minute=0, second=0, microsecond=0)
    assert body["totals"]["scans"] == 1
    assert body["totals"]["flagged_rate"] == 1.0
    assert len(body["series"]) == 31
    assert body["series"][0]["start"] == body["from"]
    assert body["users"]["signups"] >= 1


@pytest.mark.parametrize(
    "query",
    [
        {"interval": "month"},
        {"from": "2026-05-10T00:00:00Z", "to": "2026-05-01T00:00:00Z"},
        {"from": "2026-05-10T00:00:00Z", "to": "2026-05-10T00:00:00Z"},
        {"from": "2020-01-01T00:00:00Z", "to": "2026-01-01T00:00:00Z"},  # > 1000 days
        {"to": "tomorrow"},
    ],
)
def test_bad_windows_are_422(client, auth_headers, moderator, query) -> None:
    for path in (OVERVIEW, f"{OVERVIEW}.csv", f"{OVERVIEW}.svg"):
        response = client.get(path, query_string=query, headers=auth_headers(moderator))
        assert response.status_code == 422, (path, query)
        body = response.get_json()
        assert body["code"] == 422 and "query" in body["errors"]


def test_default_weekly_window_starts_on_a_monday(client, auth_headers, moderator) -> None:
    body = client.get(
        OVERVIEW, query_string={"interval": "week"}, headers=auth_headers(moderator)
    ).get_json()
    start = datetime.fromisoformat(body["from"])
    assert start.weekday() == 0 and start.time() == datetime.min.time()
    assert body["series"][0]["start"] == body["from"]
    assert len(body["series"]) in (5, 6)


def test_long_windows_work_by_the_week(client, auth_headers, moderator) -> None:
    query = {"from": "2020-01-01T00:00:00Z", "to": "2026-01-01T00:00:00Z", "interval": "week"}
    response = client.get(OVERVIEW, query_string=query, headers=auth_headers(moderator))
    assert response.status_code == 200
    assert len(response.get_json()["series"]) == 314


# --- a user's own report ------------------------------------------------------------------------


def test_my_report_counts_only_my_scans(client, auth_headers, data) -> None:
    alice = data["alice"]
    response = client.get(ME, headers=auth_headers(alice))
    assert response.status_code == 200
    body = response.get_json()
    assert body["totals"] == {
        "scans": 6,
        "flagged": 3,
        "flagged_rate": 0.5,
        "by_kind": {"image": 2, "chat": 4},
        "by_verdict": {
            "safe": 3,
            "suggestive": 0,
            "explicit": 1,
            "toxic": 1,
            "scam_risk": 1,
            "danger": 0,
        },
    }
    assert body["reviews"] == {"confirmed": 1, "false_positive": 2, "pending": 0}
    assert body["signals"] == [
        {"name": "financial_request", "count": 1},
        {"name": "insult", "count": 1},
        {"name": "urgency", "count": 1},
    ]
    assert body["categories"] == [{"name": "FEMALE_BREAST_EXPOSED", "count": 1}]
    assert body["first_scan_at"] == "2026-05-04T10:00:00Z"
    assert body["last_scan_at"] == "2026-05-18T00:00:00Z"
    assert [s["id"] for s in body["last_scans"]] == [
        str(data[k].id) for k in ("s9", "s5", "s4", "s3", "s2")
    ]
    assert body["last_scans"][2]["review"]["decision"] == "false_positive"
    assert {s["user_id"] for s in body["last_scans"]} == {str(alice.id)}


def test_my_report_for_a_user_without_scans(client, auth_headers, data) -> None:
    body = client.get(ME, headers=auth_headers(data["carol"])).get_json()
    assert body["totals"]["scans"] == 0
    assert body["totals"]["flagged_rate"] is None
    assert body["first_scan_at"] is None and body["last_scan_at"] is None
    assert body["last_scans"] == [] and body["signals"] == []


# --- CSV and SVG --------------------------------------------------------------------------------


def test_overview_csv(client, auth_headers, moderator, data) -> None:
    response = client.get(f"{OVERVIEW}.csv", query_string=WINDOW, headers=auth_headers(moderator))
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith("attachment; filename=")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == list(reports.CSV_COLUMNS)
    assert len(rows) == 1 + 14
    by_day = {row[0]: row for row in rows[1:]}
    assert by_day["2026-05-04T00:00:00Z"] == [
        "2026-05-04T00:00:00Z", "2", "1", "0.5000", "0", "2", "1", "0", "0", "0", "1", "0", "0",
    ]  # fmt: skip
    assert by_day["2026-05-05T00:00:00Z"][1:4] == ["0", "0", ""]
    assert by_day["2026-05-05T00:00:00Z"][-1] == "1"
    assert sum(int(row[1]) for row in rows[1:]) == 7

    weekly = client.get(
        f"{OVERVIEW}.csv",
        query_string={**WINDOW, "interval": "week"},
        headers=auth_headers(moderator),
    )
    weekly_rows = list(csv.reader(io.StringIO(weekly.get_data(as_text=True))))
    assert [row[:3] for row in weekly_rows[1:]] == [
        ["2026-05-04T00:00:00Z", "4", "3"],
        ["2026-05-11T00:00:00Z", "3", "1"],
    ]


def test_overview_svg(client, auth_headers, moderator, data) -> None:
    response = client.get(f"{OVERVIEW}.svg", query_string=WINDOW, headers=auth_headers(moderator))
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    root = ElementTree.fromstring(response.data)  # noqa: S314 - our own output
    assert root.tag == f"{SVG_NS}svg"
    texts = [el.text for el in root.iter(f"{SVG_NS}text") if el.text]
    for title in ("Scans", "Flagged", "Flagged rate (%)"):
        assert title in texts
    assert any("2026-05-04" in t for t in texts)
    series = {
        cls
        for el in root.iter(f"{SVG_NS}g")
        for cls in el.get("class", "").split()
        if cls.startswith("serie-")
    }
    assert series == {"serie-0", "serie-1", "serie-2"}
    # Self-contained: inline style, no scripts, nothing fetched from elsewhere.
    assert list(root.iter(f"{SVG_NS}style"))
    assert not list(root.iter(f"{SVG_NS}script"))
    raw = response.get_data(as_text=True)
    assert "href=" not in raw and "src=" not in raw and "<script" not in raw


# --- cache --------------------------------------------------------------------------------------


def test_overview_is_cached_until_invalidated(client, auth_headers, db, moderator, data) -> None:
    assert get_overview(client, auth_headers, moderator)["totals"]["scans"] == 7
    late = ScanFactory(user=data["bob"], created_at=at(8), labels=["blackmail"], invalidate=False)
    assert (
        get_overview(client, auth_headers, moderator)["totals"]["scans"] == 7
    )  # still the cached one
    reports.invalidate_report_cache(late.user_id)  # what the scan service does after a scan
    body = get_overview(client, auth_headers, moderator)
    assert body["totals"]["scans"] == 8
    assert {"name": "blackmail", "count": 1} in [
        {k: s[k] for k in ("name", "count")} for s in body["signals"]
    ]


def test_review_and_delete_invalidate_the_reports(client, auth_headers, moderator, data) -> None:
    before = get_overview(client, auth_headers, moderator)["reviews"]
    assert before["pending"] == 1
    reviewed = client.post(
        f"/api/v1/scans/{data['s6'].id}/review",
        json={"decision": "false_positive"},
        headers=auth_headers(moderator),
    )
    assert reviewed.status_code == 200
    after = get_overview(client, auth_headers, moderator)["reviews"]
    assert (after["pending"], after["false_positive"], after["reviewed"]) == (0, 3, 4)

    bob = data["bob"]
    assert client.get(ME, headers=auth_headers(bob)).get_json()["reviews"]["false_positive"] == 1
    deleted = client.delete(f"/api/v1/scans/{data['s7'].id}", headers=auth_headers(bob))
    assert deleted.status_code == 204
    assert get_overview(client, auth_headers, moderator)["totals"]["scans"] == 6
    assert client.get(ME, headers=auth_headers(bob)).get_json()["totals"]["scans"] == 2


def test_my_report_is_cached_per_user(client, auth_headers, data) -> None:
    alice, bob = data["alice"], data["bob"]
    assert client.get(ME, headers=auth_headers(alice)).get_json()["totals"]["scans"] == 6
    assert client.get(ME, headers=auth_headers(bob)).get_json()["totals"]["scans"] == 3
    ScanFactory(user=alice, invalidate=False)
    assert client.get(ME, headers=auth_headers(alice)).get_json()["totals"]["scans"] == 6
    reports.invalidate_report_cache(bob.id)  # someone else's change: Alice's stays cached
    assert client.get(ME, headers=auth_headers(alice)).get_json()["totals"]["scans"] == 6
    reports.invalidate_report_cache(alice.id)
    assert client.get(ME, headers=auth_headers(alice)).get_json()["totals"]["scans"] == 7
    ScanFactory(user=bob, invalidate=False)
    reports.invalidate_report_cache()  # bulk changes make every user's report stale
    assert client.get(ME, headers=auth_headers(bob)).get_json()["totals"]["scans"] == 4


def test_scan_services_hook_is_installed(app) -> None:
    assert app.extensions["kitodeck_report_invalidator"] is reports.invalidate_report_cache


def test_cache_can_be_turned_off(app, client, auth_headers, moderator, data, monkeypatch) -> None:
    monkeypatch.setitem(app.config, "REPORTS_CACHE_SECONDS", 0)
    assert get_overview(client, auth_headers, moderator)["totals"]["scans"] == 7
    ScanFactory(user=data["bob"], created_at=at(8), invalidate=False)
    assert get_overview(client, auth_headers, moderator)["totals"]["scans"] == 8


# --- indexes ------------------------------------------------------------------------------------


def test_report_queries_use_indexes(db) -> None:
    hs.seed_scans(50_000, users=200, days=365)
    db.session.execute(text("ANALYZE scans"))
    db.session.execute(text("ANALYZE users"))
    window = reports.resolve_window(None, None, "day")
    for statement in reports.overview_statements(window).values():
        assert_uses_indexes(db, statement, index="ix_scans_created_at")
    weekly = reports.resolve_window(None, None, "week")
    assert_uses_indexes(db, reports.overview_statements(weekly)["series"])

    user_id = db.session.execute(select(Scan.user_id).limit(1)).scalar_one()
    for statement in reports.my_report_statements(user_id).values():
        assert_uses_indexes(db, statement, index="ix_scans_user_id_created_at")

    # And the numbers come out of SQL in one piece (no rows loaded).
    report = reports.compute_overview(window)
    assert report["totals"]["scans"] == sum(p["scans"] for p in report["series"])
    assert 0 < report["totals"]["flagged_rate"] < 1
    assert {d["engine"] for d in report["durations"]} >= {"nudenet", "detoxify"}
    assert report["reviews"]["reviewed"] > 0


def test_unknown_user_gets_an_empty_report(app, db) -> None:
    with app.test_request_context():
        body = reports.my_report(uuid.uuid4())
    assert body["totals"]["scans"] == 0
