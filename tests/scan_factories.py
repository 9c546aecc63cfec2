"""factory_boy factory for scans, and EXPLAIN helpers for the index tests.

``ScanFactory(user=...)`` builds a realistic chat scan (safe without labels, ``scam_risk``
with them); ``ScanFactory(image=True, labels=[...])`` an image scan (``explicit`` with labels).
Without ``user`` a verified account is made. Like the scan services, creating a scan makes
cached reports stale; ``invalidate=False`` skips that (for cache tests).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import factory
import factory.alchemy

from kitodeck.common.timeutil import utcnow
from kitodeck.extensions import db
from kitodeck.reports.services import invalidate_report_cache
from kitodeck.scans.models import Scan
from tests.factories import UserFactory


def _chat_details(scan: Any) -> dict[str, Any]:
    signals = [
        {
            "name": name,
            "score": 0.8,
            "messages": [1],
            "evidence": [f"evidence for {name}"],
        }
        for name in scan.labels
    ]
    return {
        "signals": signals,
        "toxicity": {"toxicity": round(scan.risk_score, 3)},
        "messages": [
            {
                "index": 0,
                "sender": "Ada Lovelace",
                "flagged": False,
                "scores": {"toxicity": 0.01},
                "signals": [],
                "text": "hello there, private text",
            },
            {
                "index": 1,
                "sender": "Bob Scammer",
                "flagged": bool(scan.labels),
                "scores": {"toxicity": 0.4},
                "signals": list(scan.labels),
                "text": "full message text that moderators must not see",
            },
        ],
        "summary": "This conversation shows warning signs." if scan.flagged else "Looks fine.",
        "suspect": "Bob Scammer",
        "sender_roles": {"Bob Scammer": "them", "Ada Lovelace": "me"},
    }


def _image_details(scan: Any) -> dict[str, Any]:
    return {
        "detections": [
            {"label": label, "score": 0.8, "box": [1, 2, 3, 4]} for label in scan.labels
        ],
        "categories": {
            "explicit_nudity": 0.9 if scan.verdict == "explicit" else 0.0,
            "suggestive": 0.7 if scan.verdict == "suggestive" else 0.0,
            "face": 0.5,
        },
        "image": {"width": 640, "height": 480, "format": "jpeg", "sha256": "ab" * 32},
    }


class ScanFactory(factory.alchemy.SQLAlchemyModelFactory):
    """A scan row, committed into the test's transaction."""

    class Meta:
        model = Scan
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731
        sqlalchemy_session_persistence = "commit"
        exclude = ("user",)

    class Params:
        image = factory.Trait(
            kind="image",
            engine="nudenet",
            engine_model="320n",
            engine_version="3.4.2",
        )

    user = factory.SubFactory(UserFactory, verified=True)
    id = factory.LazyFunction(uuid.uuid4)
    user_id = factory.LazyAttribute(lambda o: o.user.id)
    kind = "chat"
    verdict = factory.LazyAttribute(
        lambda o: ("explicit" if o.kind == "image" else "scam_risk") if o.labels else "safe"
    )
    flagged = factory.LazyAttribute(lambda o: o.verdict != "safe")
    risk_score = factory.LazyAttribute(lambda o: 0.75 if o.verdict != "safe" else 0.1)
    risk_level = factory.LazyAttribute(lambda o: "high" if o.risk_score >= 0.6 else "low")
    confidence = 0.9
    labels = factory.LazyFunction(list)
    details = factory.LazyAttribute(
        lambda o: _image_details(o) if o.kind == "image" else _chat_details(o)
    )
    sha256 = None
    engine = "detoxify"
    engine_model = "original"
    engine_version = "0.5.4"
    duration_ms = 10.0
    created_at = factory.LazyFunction(utcnow)
    review_decision = None
    review_note = None
    reviewer_id = None
    reviewed_at = None

    # Like the scan services: a new scan makes cached reports stale (invalidate=False: not).
    invalidate = factory.PostGeneration(
        lambda scan, create, extracted, **kwargs: (
            invalidate_report_cache(scan.user_id) if create and extracted is not False else None
        )
    )


# --- EXPLAIN helpers ---------------------------------------------------------------------------


def _nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


def explain(db, stmt) -> list[dict[str, Any]]:
    """The plan's nodes, flattened, for a SQLAlchemy statement with its bound values."""
    compiled = stmt.compile(dialect=db.engine.dialect)
    plan = (
        db.session.connection()
        .exec_driver_sql("EXPLAIN (FORMAT JSON) " + str(compiled), compiled.params)
        .scalar_one()
    )
    return list(_nodes(plan[0]["Plan"]))


def assert_uses_indexes(db, stmt, *, index: str | None = None) -> None:
    """No sequential scan of ``scans``; at least one of its indexes used (``index`` if given)."""
    nodes = explain(db, stmt)
    described = [(n["Node Type"], n.get("Relation Name"), n.get("Index Name")) for n in nodes]
    assert not [n for n in described if n[0] == "Seq Scan" and n[1] == "scans"], (
        described,
        str(stmt),
    )
    used = {n[2] for n in described if n[2] and n[2].startswith(("ix_scans", "pk_scans"))}
    assert used, described
    if index is not None:
        assert index in used, described
