"""Risk levels shared by every engine.

``risk_score`` is a number in 0..1; the level thresholds below are the documented
calibration points (README, "Risk levels"). Engines compute the score; this module
is the one place that turns it into a level.
"""

from __future__ import annotations

from typing import Literal

RiskLevel = Literal["low", "medium", "high", "critical"]

#: Lower bounds (inclusive) of each level, checked from the top.
LEVEL_THRESHOLDS: tuple[tuple[RiskLevel, float], ...] = (
    ("critical", 0.85),
    ("high", 0.6),
    ("medium", 0.3),
    ("low", 0.0),
)


def risk_level(score: float) -> RiskLevel:
    """Map a 0..1 risk score to its level."""
    for level, lower in LEVEL_THRESHOLDS:
        if score >= lower:
            return level
    return "low"


def level_at_least(level: str, minimum: str) -> bool:
    """True when ``level`` is ``minimum`` or more severe."""
    order = [name for name, _ in reversed(LEVEL_THRESHOLDS)]
    return order.index(level) >= order.index(minimum)
