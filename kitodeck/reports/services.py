"""Analytics computed in PostgreSQL (date_trunc, FILTER, percentile_cont, generate_series).

No rows are loaded into Python: every query returns one row per bucket, kind/verdict,
label or engine. Results are cached for REPORTS_CACHE_SECONDS under keys that carry a
version counter; ``invalidate_report_cache`` bumps the counter (O(1), shared by every worker
through the cache backend), so stale entries are simply never read again and expire.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import TextClause, select, text

from kitodeck.common.timeutil import utcnow
from kitodeck.extensions import cache, db
from kitodeck.scans.models import Scan

log = logging.getLogger("kitodeck.reports")

KINDS = ("image", "chat")
VERDICTS = ("safe", "suggestive", "explicit", "toxic", "scam_risk", "danger")
INTERVALS = {"day": timedelta(days=1), "week": timedelta(weeks=1)}
DEFAULT_WINDOW = timedelta(days=30)
MAX_BUCKETS = 1000
LAST_SCANS = 5

CSV_COLUMNS = (
    "start",
    "scans",
    "flagged",
    "flagged_rate",
    "image",
    "chat",
    *VERDICTS,
    "signups",
)


class ReportWindowError(ValueError):
    """A window that cannot be reported on (empty, reversed or too many buckets)."""


@dataclass(frozen=True)
class Window:
    """A half-open UTC interval [start, end) cut into ``interval`` buckets."""

    start: datetime
    end: datetime
    interval: str

    @property
    def params(self) -> dict[str, Any]:
        """Bind parameters shared by the overview queries."""
        return {
            "start": self.start,
            "end": self.end,
            "unit": self.interval,
            "step": f"1 {self.interval}",
        }


def bucket_start(moment: datetime, interval: str) -> datetime:
    """The start (UTC) of the day or ISO week (Monday) that holds ``moment``."""
    day = moment.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return day - timedelta(days=day.weekday()) if interval == "week" else day


def resolve_window(
    date_from: datetime | None,
    date_to: datetime | None,
    interval: str = "day",
    *,
    now: datetime | None = None,
) -> Window:
    """Defaults: ``to`` = now, ``from`` = the start of the day (or ISO week) 30 days earlier.

    Starting the default window on a bucket boundary keeps its first bucket whole; only the
    current day (week) is partial. Everything is UTC.
    """
    if interval not in INTERVALS:
        raise ReportWindowError(f"interval must be one of {', '.join(INTERVALS)}")
    end = (date_to or now or utcnow()).astimezone(UTC)
    start = (date_from or bucket_start(end - DEFAULT_WINDOW, interval)).astimezone(UTC)
    if start >= end:
        raise ReportWindowError("'from' must be earlier than 'to'.")
    if (end - start) / INTERVALS[interval] > MAX_BUCKETS:
        raise ReportWindowError(
            f"The window spans more than {MAX_BUCKETS} {interval}s; narrow it or use a longer "
            "interval."
        )
    return Window(start=start, end=end, interval=interval)


# --- cache versions ---------------------------------------------------------------------------

# Each version key holds a random token (never expiring). Invalidation replaces the token, so
# every key built from the old one is simply never read again. Random tokens rather than
# counters: a counter that is evicted restarts at a value that old entries may still carry.
_OVERVIEW_VERSION = "reports:v:overview"
_EPOCH_VERSION = "reports:v:epoch"
_USER_VERSION = "reports:v:user:{}"


def _new_token() -> str:
    return uuid.uuid4().hex[:16]


def _bump(key: str) -> None:
    try:
        cache.set(key, _new_token(), timeout=0)
    except Exception:  # the cache must never break a write; entries expire anyway
        log.warning("could not bump report cache version %s", key, exc_info=True)


def invalidate_report_cache(user_id: uuid.UUID | str | None = None) -> None:
    """Make cached reports stale: the overview always, and ``user_id``'s own report.

    Without a user (bulk purges, seeding) every user's own report goes stale too.
    """
    _bump(_OVERVIEW_VERSION)
    if user_id is None:
        _bump(_EPOCH_VERSION)
    else:
        _bump(_USER_VERSION.format(user_id))


def _versions(*keys: str) -> str:
    try:
        values = cache.get_many(*keys)
        tokens = []
        for key, value in zip(keys, values, strict=True):
            if value is None:
                value = _new_token()
                cache.set(key, value, timeout=0)
            tokens.append(str(value))
    except Exception:
        log.warning("report cache unavailable", exc_info=True)
        return _new_token()  # uncached for this request
    return ".".join(tokens)


def _cached(key: str, compute: Callable[[], Any]) -> Any:
    timeout = int(current_app.config.get("REPORTS_CACHE_SECONDS", 60))
    if timeout <= 0:
        return compute()
    try:
        hit = cache.get(key)
    except Exception:
        log.warning("report cache unavailable", exc_info=True)
        hit = None
    if hit is not None:
        return hit
    value = compute()
    try:
        cache.set(key, value, timeout=timeout)
    except Exception:
        log.warning("could not cache report %s", key, exc_info=True)
    return value


def cached_count(name: str, compute: Callable[[], int]) -> int:
    """A count over every user's scans, cached until the next data change (or the TTL).

    Counting the whole table is a full scan whatever the indexes; moderators' list pages
    need the total for X-Pagination, and it only changes when scans are written.
    """
    version = _versions(_OVERVIEW_VERSION)
    return int(_cached(f"reports:count:{version}:{name}", compute))


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


# --- overview -----------------------------------------------------------------------------------

_WHERE_WINDOW = "created_at >= :start AND created_at < :end"

# Buckets are computed on UTC wall-clock timestamps so that the session's TimeZone setting
# cannot shift them; generate_series fills the buckets that have no scans.
_SERIES_SQL = f"""
WITH buckets AS (
    SELECT g AS bucket
    FROM generate_series(
        date_trunc(:unit, CAST(:start AS timestamptz) AT TIME ZONE 'UTC'),
        date_trunc(:unit, (CAST(:end AS timestamptz) - interval '1 microsecond')
                          AT TIME ZONE 'UTC'),
        CAST(:step AS interval)
    ) AS g
),
scan_counts AS (
    SELECT date_trunc(:unit, created_at AT TIME ZONE 'UTC') AS bucket,
           count(*) AS scans,
           count(*) FILTER (WHERE flagged) AS flagged,
           count(*) FILTER (WHERE kind = 'image') AS image,
           count(*) FILTER (WHERE kind = 'chat') AS chat,
           {", ".join(f"count(*) FILTER (WHERE verdict = '{v}') AS {v}" for v in VERDICTS)}
    FROM scans
    WHERE {_WHERE_WINDOW}
    GROUP BY 1
),
signups AS (
    SELECT date_trunc(:unit, created_at AT TIME ZONE 'UTC') AS bucket, count(*) AS signups
    FROM users
    WHERE {_WHERE_WINDOW}
    GROUP BY 1
)
SELECT b.bucket AT TIME ZONE 'UTC' AS start,
       COALESCE(s.scans, 0) AS scans,
       COALESCE(s.flagged, 0) AS flagged,
       COALESCE(s.image, 0) AS image,
       COALESCE(s.chat, 0) AS chat,
       {", ".join(f"COALESCE(s.{v}, 0) AS {v}" for v in VERDICTS)},
       COALESCE(u.signups, 0) AS signups
FROM buckets AS b
LEFT JOIN scan_counts AS s USING (bucket)
LEFT JOIN signups AS u USING (bucket)
ORDER BY b.bucket
"""  # noqa: S608 - only constants are interpolated

_TOTALS_SQL = f"""
SELECT kind, verdict,
       count(*) AS scans,
       count(*) FILTER (WHERE flagged) AS flagged,
       count(*) FILTER (WHERE review_decision = 'confirmed') AS confirmed,
       count(*) FILTER (WHERE review_decision = 'false_positive') AS false_positive,
       count(*) FILTER (WHERE flagged AND review_decision IS NULL) AS pending
FROM scans
WHERE {_WHERE_WINDOW}
GROUP BY kind, verdict
"""  # noqa: S608

_LABELS_SQL = """
SELECT s.kind, l.label AS name,
       count(*) AS count,
       count(*) FILTER (WHERE s.review_decision = 'confirmed') AS confirmed,
       count(*) FILTER (WHERE s.review_decision = 'false_positive') AS false_positive
FROM scans AS s
CROSS JOIN LATERAL unnest(s.labels) AS l(label)
WHERE s.created_at >= :start AND s.created_at < :end
GROUP BY s.kind, l.label
ORDER BY count(*) DESC, l.label
"""

_DURATIONS_SQL = f"""
SELECT kind, engine,
       count(*) AS scans,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY duration_ms) AS p50_ms,
       percentile_cont(0.95) WITHIN GROUP (ORDER BY duration_ms) AS p95_ms
FROM scans
WHERE {_WHERE_WINDOW}
GROUP BY kind, engine
ORDER BY kind, engine
"""  # noqa: S608

# "active": users whose last login falls in the window (only the last login is recorded);
# "scanning": distinct users with at least one scan in the window.
_USERS_SQL = f"""
SELECT (SELECT count(*) FROM users WHERE {_WHERE_WINDOW}) AS signups,
       (SELECT count(*) FROM users
         WHERE last_login_at >= :start AND last_login_at < :end) AS active,
       (SELECT count(DISTINCT user_id) FROM scans WHERE {_WHERE_WINDOW}) AS scanning
"""  # noqa: S608


def overview_statements(window: Window) -> dict[str, TextClause]:
    """The overview's queries, bound to ``window`` (also used by the EXPLAIN tests)."""
    params = window.params
    return {
        "series": text(_SERIES_SQL).bindparams(**params),
        "totals": text(_TOTALS_SQL).bindparams(start=window.start, end=window.end),
        "labels": text(_LABELS_SQL).bindparams(start=window.start, end=window.end),
        "durations": text(_DURATIONS_SQL).bindparams(start=window.start, end=window.end),
        "users": text(_USERS_SQL).bindparams(start=window.start, end=window.end),
    }


def _label_entry(row: Any) -> dict[str, Any]:
    reviewed = row.confirmed + row.false_positive
    return {
        "name": row.name,
        "count": row.count,
        "reviewed": reviewed,
        "confirmed": row.confirmed,
        "false_positive": row.false_positive,
        "false_positive_rate": _rate(row.false_positive, reviewed),
    }


def compute_overview(window: Window) -> dict[str, Any]:
    """Run the overview queries (no cache)."""
    statements = overview_statements(window)
    session = db.session

    series = []
    for row in session.execute(statements["series"]).mappings():
        series.append(
            {
                "start": row["start"].astimezone(UTC),
                "scans": row["scans"],
                "flagged": row["flagged"],
                "flagged_rate": _rate(row["flagged"], row["scans"]),
                "image": row["image"],
                "chat": row["chat"],
                "by_verdict": {v: row[v] for v in VERDICTS},
                "signups": row["signups"],
            }
        )

    totals = _Totals()
    outcome_by_verdict: dict[str, dict[str, int]] = {}
    for row in session.execute(statements["totals"]):
        totals.add(row)
        if row.confirmed or row.false_positive:
            entry = outcome_by_verdict.setdefault(row.verdict, {"confirmed": 0, "fp": 0})
            entry["confirmed"] += row.confirmed
            entry["fp"] += row.false_positive
    scans, flagged = totals.scans, totals.flagged
    confirmed, false_positive, pending = totals.confirmed, totals.false_positive, totals.pending
    by_kind, by_verdict = totals.by_kind, totals.by_verdict

    signals, categories = [], []
    for row in session.execute(statements["labels"]):
        (categories if row.kind == "image" else signals).append(_label_entry(row))

    durations = [
        {
            "kind": row.kind,
            "engine": row.engine,
            "scans": row.scans,
            "p50_ms": round(float(row.p50_ms), 3),
            "p95_ms": round(float(row.p95_ms), 3),
        }
        for row in session.execute(statements["durations"])
    ]
    users = session.execute(statements["users"]).one()

    reviewed = confirmed + false_positive
    return {
        "from": window.start,
        "to": window.end,
        "interval": window.interval,
        "generated_at": utcnow(),
        "totals": {
            "scans": scans,
            "flagged": flagged,
            "flagged_rate": _rate(flagged, scans),
            "by_kind": by_kind,
            "by_verdict": by_verdict,
        },
        "series": series,
        "signals": signals,
        "categories": categories,
        "reviews": {
            "reviewed": reviewed,
            "confirmed": confirmed,
            "false_positive": false_positive,
            "pending": pending,
            "false_positive_rate": _rate(false_positive, reviewed),
            "by_verdict": [
                {
                    "verdict": verdict,
                    "reviewed": entry["confirmed"] + entry["fp"],
                    "confirmed": entry["confirmed"],
                    "false_positive": entry["fp"],
                    "false_positive_rate": _rate(entry["fp"], entry["confirmed"] + entry["fp"]),
                }
                for verdict, entry in sorted(outcome_by_verdict.items())
            ],
        },
        "durations": durations,
        "users": {"signups": users.signups, "active": users.active, "scanning": users.scanning},
    }


def overview(
    date_from: datetime | None = None,
    date_to: datetime | None = None,
    interval: str = "day",
) -> dict[str, Any]:
    """The moderators' overview, cached briefly per window and data version."""
    window = resolve_window(date_from, date_to, interval)
    # The default window moves with the clock: key it by "default", not by its bounds.
    bounds = [
        value.astimezone(UTC).isoformat() if value else "default" for value in (date_from, date_to)
    ]
    version = _versions(_OVERVIEW_VERSION)
    key = f"reports:overview:{version}:{bounds[0]}:{bounds[1]}:{interval}"
    return _cached(key, lambda: compute_overview(window))


def overview_csv(report: dict[str, Any]) -> Iterator[list[Any]]:
    """The time series as CSV rows, header first."""
    yield list(CSV_COLUMNS)
    for point in report["series"]:
        rate = point["flagged_rate"]
        yield [
            point["start"].astimezone(UTC).isoformat().replace("+00:00", "Z"),
            point["scans"],
            point["flagged"],
            "" if rate is None else f"{rate:.4f}",
            point["image"],
            point["chat"],
            *(point["by_verdict"][v] for v in VERDICTS),
            point["signups"],
        ]


# --- a user's own report ---------------------------------------------------------------------

_MY_TOTALS_SQL = """
SELECT kind, verdict,
       count(*) AS scans,
       count(*) FILTER (WHERE flagged) AS flagged,
       count(*) FILTER (WHERE review_decision = 'confirmed') AS confirmed,
       count(*) FILTER (WHERE review_decision = 'false_positive') AS false_positive,
       count(*) FILTER (WHERE flagged AND review_decision IS NULL) AS pending,
       min(created_at) AS first_at,
       max(created_at) AS last_at
FROM scans
WHERE user_id = :user_id
GROUP BY kind, verdict
"""

_MY_LABELS_SQL = """
SELECT s.kind, l.label AS name, count(*) AS count
FROM scans AS s
CROSS JOIN LATERAL unnest(s.labels) AS l(label)
WHERE s.user_id = :user_id
GROUP BY s.kind, l.label
ORDER BY count(*) DESC, l.label
"""


def my_report_statements(user_id: uuid.UUID) -> dict[str, Any]:
    """The own-report queries for ``user_id`` (also used by the EXPLAIN tests)."""
    return {
        "totals": text(_MY_TOTALS_SQL).bindparams(user_id=user_id),
        "labels": text(_MY_LABELS_SQL).bindparams(user_id=user_id),
        "last": select(Scan)
        .where(Scan.user_id == user_id)
        .order_by(Scan.created_at.desc(), Scan.id.desc())
        .limit(LAST_SCANS),
    }


@dataclass
class _Totals:
    """Sums of the per (kind, verdict) rows of a totals query."""

    by_kind: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    by_verdict: dict[str, int] = field(default_factory=lambda: dict.fromkeys(VERDICTS, 0))
    scans: int = 0
    flagged: int = 0
    confirmed: int = 0
    false_positive: int = 0
    pending: int = 0

    def add(self, row: Any) -> None:
        self.by_kind[row.kind] = self.by_kind.get(row.kind, 0) + row.scans
        self.by_verdict[row.verdict] = self.by_verdict.get(row.verdict, 0) + row.scans
        self.scans += row.scans
        self.flagged += row.flagged
        self.confirmed += row.confirmed
        self.false_positive += row.false_positive
        self.pending += row.pending


def compute_my_report(user_id: uuid.UUID) -> dict[str, Any]:
    """Run the own-report queries (no cache)."""
    from kitodeck.scans.schemas import ScanResultSchema

    statements = my_report_statements(user_id)
    totals = _Totals()
    first_at: datetime | None = None
    last_at: datetime | None = None
    for row in db.session.execute(statements["totals"]):
        totals.add(row)
        first_at = row.first_at if first_at is None else min(first_at, row.first_at)
        last_at = row.last_at if last_at is None else max(last_at, row.last_at)
    scans, flagged = totals.scans, totals.flagged
    confirmed, false_positive, pending = totals.confirmed, totals.false_positive, totals.pending
    by_kind, by_verdict = totals.by_kind, totals.by_verdict
    signals, categories = [], []
    for row in db.session.execute(statements["labels"]):
        entry = {"name": row.name, "count": row.count}
        (categories if row.kind == "image" else signals).append(entry)
    # Plain dicts (not ORM rows), so that the report can be cached and pickled.
    flatten = ScanResultSchema().flatten
    last_scans = [flatten(scan) for scan in db.session.execute(statements["last"]).scalars()]
    return {
        "totals": {
            "scans": scans,
            "flagged": flagged,
            "flagged_rate": _rate(flagged, scans),
            "by_kind": by_kind,
            "by_verdict": by_verdict,
        },
        "reviews": {"confirmed": confirmed, "false_positive": false_positive, "pending": pending},
        "signals": signals,
        "categories": categories,
        "first_scan_at": first_at,
        "last_scan_at": last_at,
        "last_scans": last_scans,
    }


def my_report(user_id: uuid.UUID) -> dict[str, Any]:
    """A user's own totals and last scans, cached briefly per user data version."""
    version = _versions(_EPOCH_VERSION, _USER_VERSION.format(user_id))
    return _cached(f"reports:me:{user_id}:{version}", lambda: compute_my_report(user_id))
