"""Scan history, deletion, the review queue, reviews, retention and bulk seeding.

Routes and CLI commands call these; no HTTP here. Access rules: a user sees and deletes their
own scans; moderators and admins see everyone's; only admins delete other people's scans;
only moderators and admins review. Someone else's scan that one may not see is "not found".
"""

from __future__ import annotations

import logging
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, delete, func, select, text

from kitodeck.common.timeutil import isoformat_z, utcnow
from kitodeck.extensions import db
from kitodeck.reports.services import cached_count, invalidate_report_cache
from kitodeck.scans.models import Scan
from kitodeck.users.models import User

audit_log = logging.getLogger("kitodeck.audit")

STAFF_ROLES = ("moderator", "admin")


class ScanNotFound(Exception):
    """No such scan, or one the caller may not know about."""


class ScanForbidden(Exception):
    """The caller may see the scan but not do this to it."""


class ScanNotReviewable(Exception):
    """The scan is already reviewed, or was not flagged."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class ScanFilters:
    """History filters; ``None`` means "any"."""

    kind: str | None = None
    verdict: str | None = None
    flagged: bool | None = None
    reviewed: bool | None = None
    date_from: datetime | None = None
    date_to: datetime | None = None

    @property
    def cache_key(self) -> str:
        """A stable text form of the filters."""
        return "|".join(
            value.isoformat() if isinstance(value, datetime) else str(value)
            for value in (
                self.kind,
                self.verdict,
                self.flagged,
                self.reviewed,
                self.date_from,
                self.date_to,
            )
        )

    @classmethod
    def from_args(cls, args: dict[str, Any]) -> ScanFilters:
        """From the parsed query arguments."""
        names = ("kind", "verdict", "flagged", "reviewed", "date_from", "date_to")
        return cls(**{name: args.get(name) for name in names})


def is_staff(user: User) -> bool:
    """Moderators and admins."""
    return user.role in STAFF_ROLES


# --- history --------------------------------------------------------------------------------


def _filtered(filters: ScanFilters, owner_id: uuid.UUID | None) -> Select[tuple[Scan]]:
    stmt = select(Scan)
    if owner_id is not None:
        stmt = stmt.where(Scan.user_id == owner_id)
    if filters.kind is not None:
        stmt = stmt.where(Scan.kind == filters.kind)
    if filters.verdict is not None:
        stmt = stmt.where(Scan.verdict == filters.verdict)
    # Plain boolean predicates (not IS TRUE), so that the planner can match the partial
    # index ix_scans_review_queue (WHERE flagged AND review_decision IS NULL).
    if filters.flagged is True:
        stmt = stmt.where(Scan.flagged)
    elif filters.flagged is False:
        stmt = stmt.where(~Scan.flagged)
    if filters.reviewed is True:
        stmt = stmt.where(Scan.review_decision.is_not(None))
    elif filters.reviewed is False:
        stmt = stmt.where(Scan.review_decision.is_(None))
    if filters.date_from is not None:
        stmt = stmt.where(Scan.created_at >= filters.date_from)
    if filters.date_to is not None:
        stmt = stmt.where(Scan.created_at < filters.date_to)
    return stmt


def history_page_statement(
    filters: ScanFilters, owner_id: uuid.UUID | None, *, offset: int, limit: int
) -> Select[tuple[Scan]]:
    """One page, newest first (served by ix_scans_user_id_created_at / ix_scans_created_at)."""
    return (
        _filtered(filters, owner_id)
        .order_by(Scan.created_at.desc(), Scan.id.desc())
        .offset(offset)
        .limit(limit)
    )


def history_count_statement(filters: ScanFilters, owner_id: uuid.UUID | None) -> Select[Any]:
    """How many scans match."""
    inner = _filtered(filters, owner_id).with_only_columns(Scan.id).order_by(None)
    return select(func.count()).select_from(inner.subquery())


def _scalar(stmt: Select[Any]) -> int:
    return int(db.session.execute(stmt).scalar_one())


def list_scans(
    filters: ScanFilters, owner_id: uuid.UUID | None, *, offset: int, limit: int
) -> tuple[list[Scan], int]:
    """A page of scans and the total; ``owner_id=None`` lists every user's scans."""
    count = history_count_statement(filters, owner_id)
    if owner_id is None:
        total = cached_count(f"scans:{filters.cache_key}", lambda: _scalar(count))
    else:
        total = _scalar(count)
    if total == 0 or offset >= total:
        return [], total
    page = db.session.execute(
        history_page_statement(filters, owner_id, offset=offset, limit=limit)
    ).scalars()
    return list(page), total


def get_scan(actor: User, scan_id: uuid.UUID) -> Scan:
    """A scan the actor may read: their own, or any for staff."""
    scan = db.session.get(Scan, scan_id)
    if scan is None or (scan.user_id != actor.id and not is_staff(actor)):
        raise ScanNotFound
    return scan


def delete_scan(actor: User, scan_id: uuid.UUID) -> None:
    """Delete a scan: the owner's right (privacy), or an admin's."""
    scan = get_scan(actor, scan_id)
    own = scan.user_id == actor.id
    if not own and actor.role != "admin":
        raise ScanForbidden
    owner_id = scan.user_id
    db.session.execute(delete(Scan).where(Scan.id == scan_id))
    db.session.commit()
    invalidate_report_cache(owner_id)
    if not own:
        audit_log.info(
            "scan %s of user %s deleted by admin %s",
            scan_id,
            owner_id,
            actor.id,
            extra={
                "event": "scan.delete",
                "scan_id": str(scan_id),
                "owner_id": str(owner_id),
                "actor_id": str(actor.id),
            },
        )


# --- review queue and reviews ------------------------------------------------------------------


def _queue() -> Select[tuple[Scan]]:
    # Exactly the predicate of the partial index ix_scans_review_queue.
    return select(Scan).where(Scan.flagged, Scan.review_decision.is_(None))


def review_queue_page_statement(*, offset: int, limit: int) -> Select[tuple[Scan]]:
    """Flagged, unreviewed scans of all users, oldest first."""
    return _queue().order_by(Scan.created_at.asc(), Scan.id.asc()).offset(offset).limit(limit)


def review_queue_count_statement() -> Select[Any]:
    """How many scans wait for a review."""
    inner = _queue().with_only_columns(Scan.id)
    return select(func.count()).select_from(inner.subquery())


def review_queue(*, offset: int, limit: int) -> tuple[list[Scan], int]:
    """A page of the queue and its length."""
    total = cached_count("queue", lambda: _scalar(review_queue_count_statement()))
    if total == 0 or offset >= total:
        return [], total
    page = db.session.execute(review_queue_page_statement(offset=offset, limit=limit)).scalars()
    return list(page), total


def review_scan(actor: User, scan_id: uuid.UUID, decision: str, note: str | None) -> Scan:
    """Record a moderator's decision once, on the scan, and audit it.

    A plain user gets "forbidden" for their own scan and "not found" for anyone else's, so
    the answer never reveals that someone else's scan exists.
    """
    if not is_staff(actor):
        owner = db.session.execute(select(Scan.user_id).where(Scan.id == scan_id)).scalar()
        if owner == actor.id:
            raise ScanForbidden
        raise ScanNotFound
    # The row lock makes two moderators deciding at once get one 200 and one 409.
    scan = db.session.execute(
        select(Scan).where(Scan.id == scan_id).with_for_update()
    ).scalar_one_or_none()
    if scan is None:
        raise ScanNotFound
    if scan.review_decision is not None:
        db.session.rollback()
        raise ScanNotReviewable("This scan has already been reviewed.")
    if not scan.flagged:
        db.session.rollback()
        raise ScanNotReviewable("Only flagged scans are reviewed.")
    scan.review_decision = decision
    scan.review_note = note
    scan.reviewer_id = actor.id
    scan.reviewed_at = utcnow()
    db.session.commit()
    invalidate_report_cache(scan.user_id)
    audit_log.info(
        "scan %s reviewed as %s by %s",
        scan.id,
        decision,
        actor.id,
        extra={
            "event": "scan.review",
            "scan_id": str(scan.id),
            "reviewer_id": str(actor.id),
            "reviewer_role": actor.role,
            "decision": decision,
            "reviewed_at": isoformat_z(scan.reviewed_at),
        },
    )
    return scan


# --- retention ---------------------------------------------------------------------------------


def purge_scans(older_than_days: int, *, dry_run: bool = False, batch_size: int = 5000) -> int:
    """Delete scans created more than ``older_than_days`` ago; returns how many (would) go.

    Deletes in batches so that a large purge never holds a long lock on the table.
    """
    cutoff = utcnow() - timedelta(days=older_than_days)
    if dry_run:
        return db.session.execute(
            select(func.count()).select_from(Scan).where(Scan.created_at < cutoff)
        ).scalar_one()
    deleted = 0
    while True:
        batch = select(Scan.id).where(Scan.created_at < cutoff).limit(batch_size)
        result = db.session.execute(delete(Scan).where(Scan.id.in_(batch.scalar_subquery())))
        db.session.commit()
        deleted += result.rowcount or 0
        if (result.rowcount or 0) < batch_size:
            break
    if deleted:
        invalidate_report_cache()
        audit_log.info(
            "purged %d scans older than %d days",
            deleted,
            older_than_days,
            extra={"event": "scan.purge", "deleted": deleted, "older_than_days": older_than_days},
        )
    return deleted


# --- bulk seeding (benchmarks, EXPLAIN tests, demos) -------------------------------------------

SEED_EMAIL_DOMAIN = "seed.kitodeck.invalid"

# One INSERT ... SELECT over generate_series: ~100,000 realistic scans in a few seconds.
# Scans are spread over `days` in creation order, as a live system writes them, so the
# physical order follows created_at like it does in production. The time mapping is
# monotonic but uneven: volume grows over the period and swings weekly (+-20%).
_SEED_SCANS_SQL = """
WITH base AS MATERIALIZED (
    SELECT n,
           (:users)[1 + floor(random() * cardinality(CAST(:users AS uuid[])))::int] AS user_id,
           random() AS r_kind, random() AS r_verdict, random() AS r_score, random() AS r_pick,
           random() AS r_engine, random() AS r_duration, random() AS r_review,
           random() AS r_conf
    FROM generate_series(1, :count) AS n
),
classified AS MATERIALIZED (
    SELECT b.*,
           CASE WHEN b.r_kind < 0.6 THEN 'chat' ELSE 'image' END AS kind,
           CASE
               WHEN b.r_kind < 0.6 THEN
                   CASE WHEN b.r_verdict < 0.70 THEN 'safe'
                        WHEN b.r_verdict < 0.85 THEN 'toxic'
                        WHEN b.r_verdict < 0.95 THEN 'scam_risk'
                        ELSE 'danger' END
               ELSE
                   CASE WHEN b.r_verdict < 0.75 THEN 'safe'
                        WHEN b.r_verdict < 0.92 THEN 'suggestive'
                        ELSE 'explicit' END
           END AS verdict,
           CAST(:start AS timestamptz)
               + CAST(:span AS interval) * LEAST(1.0,
                     power((b.n - 1)::float8 / :count, 0.85)
                     + 0.2 / (2 * pi() * :weeks)
                       * sin(2 * pi() * :weeks * (b.n - 1)::float8 / :count))
               - make_interval(secs => b.r_pick * 30) AS created_at
    FROM base AS b
),
scored AS MATERIALIZED (
    SELECT c.*,
           round(CAST(CASE c.verdict
               WHEN 'safe' THEN 0.29 * c.r_score
               WHEN 'toxic' THEN 0.30 + 0.29 * c.r_score
               WHEN 'suggestive' THEN 0.30 + 0.29 * c.r_score
               WHEN 'scam_risk' THEN 0.60 + 0.30 * c.r_score
               ELSE 0.70 + 0.30 * c.r_score END AS numeric), 4)::float8 AS risk_score,
           CASE c.verdict
               WHEN 'toxic' THEN (ARRAY['insult', 'harassment', 'insult,harassment'])
                   [1 + floor(c.r_pick * 3)::int]
               WHEN 'scam_risk' THEN (ARRAY['financial_request,urgency', 'off_platform,secrecy',
                                            'financial_request,secrecy,urgency'])
                   [1 + floor(c.r_pick * 3)::int]
               WHEN 'danger' THEN (ARRAY['location_change,isolation', 'threat,blackmail',
                                         'isolation,location_change,secrecy'])
                   [1 + floor(c.r_pick * 3)::int]
               WHEN 'suggestive' THEN (ARRAY['FEMALE_BREAST_COVERED', 'BUTTOCKS_COVERED',
                                             'BELLY_EXPOSED'])
                   [1 + floor(c.r_pick * 3)::int]
               WHEN 'explicit' THEN (ARRAY['FEMALE_BREAST_EXPOSED', 'BUTTOCKS_EXPOSED',
                                           'FEMALE_GENITALIA_EXPOSED,FEMALE_BREAST_EXPOSED'])
                   [1 + floor(c.r_pick * 3)::int]
               ELSE ''
           END AS label_list
    FROM classified AS c
)
INSERT INTO scans (
    id, user_id, kind, verdict, flagged, risk_level, risk_score, confidence, labels, details,
    sha256, engine, engine_model, engine_version, duration_ms, created_at,
    review_decision, review_note, reviewer_id, reviewed_at
)
SELECT gen_random_uuid(),
       s.user_id,
       s.kind,
       s.verdict,
       s.verdict <> 'safe',
       CASE WHEN s.risk_score >= 0.85 THEN 'critical' WHEN s.risk_score >= 0.6 THEN 'high'
            WHEN s.risk_score >= 0.3 THEN 'medium' ELSE 'low' END,
       s.risk_score,
       round(CAST(0.55 + 0.44 * s.r_conf AS numeric), 3)::float8,
       CASE WHEN s.label_list = '' THEN CAST('{}' AS varchar(32)[])
            ELSE CAST(string_to_array(s.label_list, ',') AS varchar(32)[]) END,
       CASE WHEN s.kind = 'chat' THEN jsonb_build_object(
           'signals', COALESCE((
               SELECT jsonb_agg(jsonb_build_object(
                   'name', l,
                   'score', round(CAST(0.5 + 0.5 * s.r_score AS numeric), 3),
                   'messages', jsonb_build_array(2, 5),
                   'evidence', jsonb_build_array(CASE l
                       WHEN 'financial_request' THEN 'send me 50k for transport'
                       WHEN 'urgency' THEN 'I need it today please'
                       WHEN 'secrecy' THEN 'don''t tell anyone about us'
                       WHEN 'off_platform' THEN 'add me on telegram'
                       WHEN 'location_change' THEN 'come to my place instead'
                       WHEN 'isolation' THEN 'come alone, no friends'
                       WHEN 'threat' THEN 'you will regret it'
                       WHEN 'blackmail' THEN 'or I share your pictures'
                       WHEN 'insult' THEN 'you are useless'
                       ELSE 'nobody wants you' END)))
               FROM unnest(string_to_array(NULLIF(s.label_list, ''), ',')) AS l), '[]'::jsonb),
           'toxicity', jsonb_build_object(
               'toxicity', round(CAST(s.risk_score * 0.9 AS numeric), 3),
               'insult', round(CAST(s.risk_score * 0.5 AS numeric), 3)),
           'messages', jsonb_build_array(
               jsonb_build_object('index', 0, 'sender', 'them', 'flagged', false,
                                  'scores', jsonb_build_object('toxicity', 0.02), 'signals',
                                  '[]'::jsonb),
               jsonb_build_object('index', 1, 'sender', 'me', 'flagged', false,
                                  'scores', jsonb_build_object('toxicity', 0.01), 'signals',
                                  '[]'::jsonb),
               jsonb_build_object('index', 2, 'sender', 'them', 'flagged', s.verdict <> 'safe',
                                  'scores', jsonb_build_object('toxicity', s.risk_score),
                                  'signals', to_jsonb(string_to_array(
                                      NULLIF(s.label_list, ''), ',')))),
           'summary', CASE WHEN s.verdict = 'safe'
                           THEN 'Nothing in this conversation looks risky.'
                           ELSE 'This conversation shows warning signs: take care before '
                                || 'meeting or sending anything.' END)
       ELSE jsonb_build_object(
           'detections', COALESCE((
               SELECT jsonb_agg(jsonb_build_object(
                   'label', l, 'score', round(CAST(0.5 + 0.5 * s.r_score AS numeric), 3),
                   'box', jsonb_build_array(120, 80, 200, 160)))
               FROM unnest(string_to_array(NULLIF(s.label_list, ''), ',')) AS l), '[]'::jsonb),
           'categories', jsonb_build_object(
               'explicit_nudity', CASE WHEN s.verdict = 'explicit' THEN s.risk_score ELSE 0 END,
               'suggestive', CASE WHEN s.verdict = 'suggestive' THEN s.risk_score ELSE 0 END,
               'face', 0.7),
           'image', jsonb_build_object('width', 1080, 'height', 1350, 'format', 'jpeg',
                                       'sha256', encode(sha256(int8send(s.n)), 'hex')))
       END,
       CASE WHEN s.kind = 'image' THEN encode(sha256(int8send(s.n)), 'hex') END,
       CASE WHEN s.kind = 'image' THEN 'nudenet'
            WHEN s.r_engine < 0.8 THEN 'detoxify' ELSE 'alt-profanity-check' END,
       CASE WHEN s.kind = 'image' THEN '320n'
            WHEN s.r_engine < 0.8 THEN 'original' ELSE 'profanity-svm' END,
       CASE WHEN s.kind = 'image' THEN '3.4.2'
            WHEN s.r_engine < 0.8 THEN '0.5.4' ELSE '1.9.1' END,
       round(CAST(CASE WHEN s.kind = 'image' THEN 14 + 60 * power(s.r_duration, 3)
                       WHEN s.r_engine < 0.8 THEN 40 + 400 * power(s.r_duration, 3)
                       ELSE 5 + 20 * power(s.r_duration, 3) END AS numeric), 3)::float8,
       s.created_at,
       CASE WHEN s.verdict <> 'safe' AND s.r_review < 0.6
                 AND s.created_at < now() - interval '2 days'
            THEN CASE WHEN s.r_conf < 0.2 + 0.5 * (1 - s.risk_score)
                      THEN 'false_positive' ELSE 'confirmed' END END,
       NULL,
       CASE WHEN s.verdict <> 'safe' AND s.r_review < 0.6
                 AND s.created_at < now() - interval '2 days' THEN CAST(:reviewer AS uuid) END,
       CASE WHEN s.verdict <> 'safe' AND s.r_review < 0.6
                 AND s.created_at < now() - interval '2 days'
            THEN s.created_at + make_interval(hours => 1 + floor(s.r_pick * 40)::int) END
FROM scored AS s
"""

_SEED_USERS_SQL = """
INSERT INTO users (id, email, username, password_hash, role, is_active, email_verified_at,
                   created_at, updated_at, last_login_at)
SELECT gen_random_uuid(),
       'seed-' || :batch || '-' || n || '@' || :domain,
       'seed_' || :batch || '_' || n,
       :password_hash,
       'user',
       true,
       CAST(:start AS timestamptz) + CAST(:span AS interval) * random(),
       CAST(:start AS timestamptz) + CAST(:span AS interval) * ((n - 1)::float8 / :users),
       now(),
       now() - CAST(:span AS interval) * power(random(), 2)
FROM generate_series(1, :users) AS n
RETURNING id
"""


def _unusable_password_hash() -> str:
    """A real argon2 hash of a random secret nobody knows, so seeded accounts cannot log in."""
    try:
        from argon2 import PasswordHasher

        return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(
            secrets.token_urlsafe(32)
        )
    except ImportError:  # pragma: no cover - argon2-cffi is a requirement
        return "!"


def seed_scans(
    count: int, *, users: int = 100, days: int = 90, end: datetime | None = None
) -> dict[str, int]:
    """Insert ``users`` new (unusable) accounts, a moderator and ``count`` scans among them.

    The scans spread evenly over the ``days`` before ``end`` (default now), about 30% flagged,
    most older flagged scans reviewed. Everything happens in two statements in one transaction.
    """
    if count < 1 or users < 1 or days < 1:
        raise ValueError("count, users and days must be positive")
    end = end or utcnow()
    span = timedelta(days=days)
    start = end - span
    batch = secrets.token_hex(4)
    password_hash = _unusable_password_hash()
    params = {
        "batch": batch,
        "domain": SEED_EMAIL_DOMAIN,
        "password_hash": password_hash,
        "start": start,
        "span": span,
    }
    user_ids = list(db.session.execute(text(_SEED_USERS_SQL), {**params, "users": users}).scalars())
    reviewer = User(
        email=f"seed-{batch}-moderator@{SEED_EMAIL_DOMAIN}",
        username=f"seed_{batch}_mod",
        password_hash=password_hash,
        role="moderator",
        is_active=False,
        created_at=start,
    )
    db.session.add(reviewer)
    db.session.flush()
    result = db.session.execute(
        text(_SEED_SCANS_SQL),
        {
            **params,
            "count": count,
            "users": user_ids,
            "reviewer": reviewer.id,
            "weeks": days / 7,
        },
    )
    db.session.commit()
    invalidate_report_cache()
    return {"users": len(user_ids), "scans": result.rowcount or 0}
