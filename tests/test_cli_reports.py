"""CLI: ``reports overview``, ``scans purge`` (retention, dry run) and ``seed scans``."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from kitodeck.common.timeutil import utcnow
from kitodeck.reports import services as reports
from kitodeck.scans import history_services as hs
from kitodeck.scans.models import Scan
from kitodeck.users.models import User
from tests.factories import UserFactory
from tests.scan_factories import ScanFactory


def scan_count(db) -> int:
    return db.session.execute(select(func.count()).select_from(Scan)).scalar_one()


def test_command_groups_are_registered(app) -> None:
    for group, command in (("reports", "overview"), ("scans", "purge"), ("seed", "scans")):
        assert command in app.cli.commands[group].commands


# --- reports overview ---------------------------------------------------------------------------


@pytest.fixture
def small_dataset(db) -> None:
    user = UserFactory()
    day = datetime(2026, 5, 4, 10, tzinfo=UTC)
    ScanFactory(user=user, created_at=day)
    ScanFactory(user=user, created_at=day + timedelta(hours=1), labels=["financial_request"])
    ScanFactory(
        user=user,
        image=True,
        created_at=day + timedelta(days=2),
        labels=["BUTTOCKS_EXPOSED"],
        review_decision="false_positive",
        duration_ms=42.0,
    )


def test_reports_overview_prints_tables(runner, small_dataset) -> None:
    result = runner.invoke(
        args=["reports", "overview", "--from", "2026-05-04", "--to", "2026-05-11"]
    )
    assert result.exit_code == 0, result.output
    out = result.output
    assert "2026-05-04 00:00 -> 2026-05-11 00:00 UTC  (per day)" in out
    assert "Scans 3  flagged 2 (66.7%)  image 1  chat 2" in out
    assert "false positive 1 (100.0%)  pending 1" in out
    lines = out.splitlines()
    header = next(line for line in lines if line.startswith("bucket"))
    assert header.split() == ["bucket", "scans", "flagged", "rate", "image", "chat", "signups"]
    day_rows = [line.split() for line in lines if line.startswith("2026-05-")]
    assert len(day_rows) == 7
    assert day_rows[0] == ["2026-05-04", "2", "1", "50.0%", "0", "2", "0"]
    assert day_rows[1][1:4] == ["0", "0", "-"]
    assert any(line.split()[:2] == ["financial_request", "1"] for line in lines)
    assert any(line.split()[:2] == ["BUTTOCKS_EXPOSED", "1"] for line in lines)
    assert any(line.split()[:3] == ["image", "nudenet", "1"] for line in lines)


def test_reports_overview_by_week(runner, small_dataset) -> None:
    result = runner.invoke(
        args=[
            "reports",
            "overview",
            "--from",
            "2026-05-04",
            "--to",
            "2026-05-18",
            "--interval",
            "week",
        ]
    )
    assert result.exit_code == 0, result.output
    rows = [line.split() for line in result.output.splitlines() if line.startswith("2026-05-")]
    assert [row[:3] for row in rows] == [["2026-05-04", "3", "2"], ["2026-05-11", "0", "0"]]


def test_reports_overview_defaults_to_the_last_30_days(runner, db) -> None:
    result = runner.invoke(args=["reports", "overview"])
    assert result.exit_code == 0, result.output
    assert "(per day)" in result.output


@pytest.mark.parametrize(
    "args",
    [
        ["--from", "2026-05-10", "--to", "2026-05-01"],
        ["--from", "2020-01-01", "--to", "2026-01-01"],
        ["--interval", "month"],
        ["--from", "someday"],
    ],
)
def test_reports_overview_rejects_bad_windows(runner, db, args) -> None:
    result = runner.invoke(args=["reports", "overview", *args])
    assert result.exit_code == 2
    assert "Error" in result.output


# --- scans purge ---------------------------------------------------------------------------------


@pytest.fixture
def aged(db) -> dict[str, Scan]:
    user = UserFactory()
    now = utcnow()
    return {
        age: ScanFactory(user=user, created_at=now - timedelta(days=age))
        for age in (1, 29, 31, 300, 400)
    }


def test_purge_dry_run_counts_and_deletes_nothing(runner, db, aged) -> None:
    result = runner.invoke(args=["scans", "purge", "--older-than", "30", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "3 scans older than 30 days would be deleted (dry run)."
    assert scan_count(db) == 5


def test_purge_deletes_older_scans_only(runner, db, aged, caplog) -> None:
    with caplog.at_level(logging.INFO, logger="kitodeck.audit"):
        result = runner.invoke(args=["scans", "purge", "--older-than", "30"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "Deleted 3 scans older than 30 days."
    remaining = set(db.session.execute(select(Scan.id)).scalars())
    assert remaining == {aged[1].id, aged[29].id}
    record = next(r for r in caplog.records if r.name == "kitodeck.audit")
    assert (record.event, record.deleted, record.older_than_days) == ("scan.purge", 3, 30)

    again = runner.invoke(args=["scans", "purge", "--older-than", "30"])
    assert again.output.strip() == "Deleted 0 scans older than 30 days."


def test_purge_defaults_to_the_retention_setting(app, runner, db, aged, monkeypatch) -> None:
    assert app.config["SCAN_RETENTION_DAYS"] == 365
    dry = runner.invoke(args=["scans", "purge", "--dry-run"])
    assert dry.output.strip() == "1 scans older than 365 days would be deleted (dry run)."
    monkeypatch.setitem(app.config, "SCAN_RETENTION_DAYS", 100)
    result = runner.invoke(args=["scans", "purge"])
    assert result.output.strip() == "Deleted 2 scans older than 100 days."
    assert scan_count(db) == 3


def test_purge_rejects_a_nonsense_age(runner, db, aged) -> None:
    for value in ("0", "-5", "soon"):
        result = runner.invoke(args=["scans", "purge", "--older-than", value])
        assert result.exit_code == 2
    assert scan_count(db) == 5


def test_purge_works_in_batches_and_invalidates_reports(app, db, aged) -> None:
    with app.test_request_context():
        before = reports.my_report(aged[1].user_id)["totals"]["scans"]
        assert hs.purge_scans(30, batch_size=2) == 3
        assert reports.my_report(aged[1].user_id)["totals"]["scans"] == before - 3 == 2


# --- seed scans ----------------------------------------------------------------------------------


def test_seed_scans(runner, db) -> None:
    result = runner.invoke(
        args=["seed", "scans", "--count", "2000", "--users", "7", "--days", "10"]
    )
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Seeded 2000 scans for 7 new users over 10 days in ")

    seeded_users = db.session.execute(
        select(User).where(User.email.like(f"%@{hs.SEED_EMAIL_DOMAIN}"))
    ).scalars()
    users = {u.id: u for u in seeded_users}
    assert sum(u.role == "user" for u in users.values()) == 7
    moderators = [u for u in users.values() if u.role == "moderator"]
    assert len(moderators) == 1 and not moderators[0].is_active
    assert all(u.password_hash.startswith("$argon2") for u in users.values())

    scans = db.session.execute(select(Scan).order_by(Scan.created_at)).scalars().all()
    assert len(scans) == 2000
    assert {s.user_id for s in scans} <= set(users)
    now = utcnow()
    assert all(now - timedelta(days=10, minutes=1) <= s.created_at <= now for s in scans)
    kinds = {s.kind for s in scans}
    assert kinds == {"chat", "image"}
    flagged = [s for s in scans if s.flagged]
    assert 0.15 < len(flagged) / len(scans) < 0.45
    assert all(s.verdict != "safe" and s.labels for s in flagged)
    assert all(not s.labels for s in scans if not s.flagged)
    reviewed = [s for s in scans if s.review_decision]
    assert reviewed and all(s.flagged and s.reviewer_id == moderators[0].id for s in reviewed)
    assert all(s.reviewed_at > s.created_at for s in reviewed)
    chat = next(s for s in flagged if s.kind == "chat")
    assert [sig["name"] for sig in chat.details["signals"]] == chat.labels
    assert chat.details["signals"][0]["evidence"]
    image = next(s for s in scans if s.kind == "image")
    assert image.sha256 == image.details["image"]["sha256"]
    assert all(s.risk_level in ("low", "medium", "high", "critical") for s in scans)
    assert all(0 <= s.risk_score <= 1 and s.duration_ms > 0 for s in scans)


def test_seeded_scans_render_through_the_api_schemas(app, db) -> None:
    """Seeded rows look like real results: the history and queue schemas dump them."""
    from kitodeck.scans.history_schemas import ReviewQueueItemSchema
    from kitodeck.scans.schemas import ScanResultSchema

    hs.seed_scans(300, users=3, days=5)
    scans = db.session.execute(select(Scan)).scalars().all()
    with app.test_request_context():
        dumped = ScanResultSchema(many=True).dump(scans)
        queue = ReviewQueueItemSchema(many=True).dump([s for s in scans if s.flagged])
    assert len(dumped) == 300
    assert all(
        item["engine"]["name"] in ("nudenet", "detoxify", "alt-profanity-check") for item in dumped
    )
    assert all("user_id" not in item for item in queue)
