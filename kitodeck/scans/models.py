"""Scans (image and chat results, with their moderator review) and custom rules."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from kitodeck.common.timeutil import utcnow
from kitodeck.extensions import db

SCAN_KINDS = ("image", "chat")
REVIEW_DECISIONS = ("confirmed", "false_positive")


class Scan(db.Model):
    """One scan result. Images and chat texts are not stored (texts only if configured).

    ``labels`` holds the signal names (chat) or flagged categories (image) so that reports
    can count them with an index; ``details`` holds the kind-specific result fields.
    The review lives on the row: one decision per scan, audited in the log.
    """

    __tablename__ = "scans"
    __table_args__ = (
        CheckConstraint("kind IN ('image', 'chat')", name="kind_valid"),
        CheckConstraint(
            "review_decision IS NULL OR review_decision IN ('confirmed', 'false_positive')",
            name="review_decision_valid",
        ),
        Index("ix_scans_user_id_created_at", "user_id", "created_at"),
        Index("ix_scans_created_at", "created_at"),
        # Moderators list every user's scans of one verdict (scope=all&verdict=...), any page.
        Index("ix_scans_verdict_created_at", "verdict", "created_at"),
        Index("ix_scans_kind_sha256", "kind", "sha256"),
        Index(
            "ix_scans_review_queue",
            "created_at",
            postgresql_where=text("flagged AND review_decision IS NULL"),
        ),
        Index("ix_scans_labels", "labels", postgresql_using="gin"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(8))
    verdict: Mapped[str] = mapped_column(String(16))
    flagged: Mapped[bool] = mapped_column(Boolean)
    risk_level: Mapped[str] = mapped_column(String(8))
    risk_score: Mapped[float] = mapped_column(Float)
    confidence: Mapped[float] = mapped_column(Float)
    labels: Mapped[list[str]] = mapped_column(ARRAY(String(32)), default=list, server_default="{}")
    details: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    sha256: Mapped[str | None] = mapped_column(String(64))
    engine: Mapped[str] = mapped_column(String(32))
    engine_model: Mapped[str] = mapped_column(String(64))
    engine_version: Mapped[str] = mapped_column(String(32))
    duration_ms: Mapped[float] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, server_default=func.now()
    )
    review_decision: Mapped[str | None] = mapped_column(String(16))
    review_note: Mapped[str | None] = mapped_column(Text)
    reviewer_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    @property
    def engine_info(self) -> dict[str, str]:
        """What produced the scores."""
        return {"name": self.engine, "model": self.engine_model, "version": self.engine_version}

    @property
    def review(self) -> dict[str, Any] | None:
        """The moderator's decision, if any."""
        if self.review_decision is None:
            return None
        return {
            "decision": self.review_decision,
            "note": self.review_note,
            "reviewer_id": self.reviewer_id,
            "reviewed_at": self.reviewed_at,
        }


class Rule(db.Model):
    """An admin-defined keyword or regex that raises a kito signal in chat analysis."""

    __tablename__ = "rules"
    __table_args__ = (
        CheckConstraint("kind IN ('keyword', 'regex')", name="kind_valid"),
        CheckConstraint("weight >= 0 AND weight <= 1", name="weight_range"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    pattern: Mapped[str] = mapped_column(String(500))
    kind: Mapped[str] = mapped_column(String(8))
    signal: Mapped[str] = mapped_column(String(32))
    weight: Mapped[float] = mapped_column(Float, default=0.5, server_default="0.5")
    enabled: Mapped[bool] = mapped_column(Boolean, default=True, server_default="true")
    created_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, server_default=func.now()
    )
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow, server_default=func.now()
    )
