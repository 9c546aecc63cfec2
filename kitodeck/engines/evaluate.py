"""Evaluate the chat scorer on a labelled set of conversations.

Each line of the set (JSON Lines) is ``{"id", "label": "benign"|"toxic"|"kito", "language",
"expected_signals": [...], "messages": [{"sender", "text"}]}``. Verdicts map to labels as
``safe -> benign``, ``toxic -> toxic``, ``scam_risk``/``danger`` -> ``kito``.

Usage::

    python -m kitodeck.engines.evaluate [--engine none|fallback] [path]

``none`` scores on signals only (empty model scores); ``fallback`` adds
``kitodeck.engines.text.FallbackEngine`` (alt-profanity-check).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from kitodeck.engines.conversation import Message
from kitodeck.engines.risk import level_at_least
from kitodeck.engines.scoring import ChatAnalysis, analyze_conversation

DEFAULT_PATH = Path(__file__).resolve().parents[2] / "tests" / "data" / "conversations.jsonl"
LABELS: tuple[str, ...] = ("benign", "toxic", "kito")
VERDICT_TO_LABEL: dict[str, str] = {
    "safe": "benign",
    "toxic": "toxic",
    "scam_risk": "kito",
    "danger": "kito",
}


class ScoringEngine(Protocol):
    """The part of a text engine the evaluation needs."""

    classes: tuple[str, ...]

    def score(self, texts: Sequence[str]) -> list[dict[str, float]]:
        """One ``{class: score}`` per text."""
        ...


@dataclass(frozen=True)
class Outcome:
    """The scorer's answer on one labelled conversation."""

    id: str
    label: str
    predicted: str
    verdict: str
    risk_score: float
    risk_level: str
    expected_signals: frozenset[str]
    detected_signals: frozenset[str]


@dataclass
class Counts:
    """True/false positives and false negatives, with precision and recall."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        """tp / (tp + fp); 1.0 when nothing was predicted."""
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        """tp / (tp + fn); 1.0 when nothing was expected."""
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0


@dataclass
class EvaluationReport:
    """Everything ``evaluate`` measured."""

    engine: str
    outcomes: list[Outcome]
    confusion: dict[str, dict[str, int]]
    per_label: dict[str, Counts]
    per_signal: dict[str, Counts]
    verdicts: dict[str, dict[str, int]] = field(default_factory=dict)
    #: Conversations in which a signal the set never labels was detected, per signal.
    unlabelled: dict[str, int] = field(default_factory=dict)

    @property
    def kito_recall_high(self) -> float:
        """Share of kito conversations scored at risk level ``high`` or worse."""
        kito = [o for o in self.outcomes if o.label == "kito"]
        hit = sum(1 for o in kito if level_at_least(o.risk_level, "high"))
        return hit / len(kito) if kito else 1.0

    @property
    def benign_flagged_above_low(self) -> float:
        """Share of benign conversations scored above risk level ``low``."""
        benign = [o for o in self.outcomes if o.label == "benign"]
        bad = sum(1 for o in benign if o.risk_level != "low")
        return bad / len(benign) if benign else 0.0

    @property
    def accuracy(self) -> float:
        """Share of conversations whose predicted label is right."""
        ok = sum(1 for o in self.outcomes if o.predicted == o.label)
        return ok / len(self.outcomes) if self.outcomes else 1.0

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly summary (no per-conversation rows)."""
        return {
            "engine": self.engine,
            "conversations": len(self.outcomes),
            "accuracy": self.accuracy,
            "kito_recall_high": self.kito_recall_high,
            "benign_flagged_above_low": self.benign_flagged_above_low,
            "confusion": self.confusion,
            "per_label": {k: vars(v) for k, v in self.per_label.items()},
            "per_signal": {k: vars(v) for k, v in self.per_signal.items()},
        }


def load_conversations(path: str | Path = DEFAULT_PATH) -> list[dict[str, Any]]:
    """The labelled conversations of a JSON Lines file (blank lines skipped)."""
    rows = []
    with open(path, encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            row = json.loads(line)
            if row.get("label") not in LABELS:
                raise ValueError(f"{path}:{number}: label must be one of {LABELS}")
            rows.append(row)
    return rows


def to_messages(row: dict[str, Any]) -> list[Message]:
    """The messages of one labelled conversation."""
    return [
        Message(i, str(m.get("sender") or "unknown"), str(m.get("text") or ""))
        for i, m in enumerate(row["messages"])
    ]


def load_engine(name: str | None) -> ScoringEngine | None:
    """``None``/``"none"`` -> no model; ``"fallback"`` -> FallbackEngine (lazy import)."""
    if name in (None, "none"):
        return None
    if name == "fallback":
        try:
            from kitodeck.engines.text import FallbackEngine
        except ImportError as exc:  # text.py or alt-profanity-check missing
            raise ValueError(f"the fallback engine is not available: {exc}") from exc
        return FallbackEngine()
    raise ValueError("engine must be 'none' or 'fallback'")


def evaluate(
    path: str | Path = DEFAULT_PATH, engine: ScoringEngine | str | None = None
) -> EvaluationReport:
    """Score every conversation in ``path`` and compare with its labels."""
    rows = load_conversations(path)
    model: ScoringEngine | None = load_engine(engine) if isinstance(engine, str | None) else engine
    engine_name = "none" if model is None else str(getattr(model, "name", type(model).__name__))
    conversations = [to_messages(r) for r in rows]
    classes: tuple[str, ...] = tuple(model.classes) if model is not None else ()
    if model is not None:
        flat = model.score([m.text for conv in conversations for m in conv])
    outcomes: list[Outcome] = []
    offset = 0
    for row, messages in zip(rows, conversations, strict=True):
        if model is not None:
            scores = flat[offset : offset + len(messages)]
            offset += len(messages)
        else:
            scores = [{} for _ in messages]
        result: ChatAnalysis = analyze_conversation(messages, scores, classes)
        outcomes.append(
            Outcome(
                id=str(row["id"]),
                label=row["label"],
                predicted=VERDICT_TO_LABEL[result.verdict],
                verdict=result.verdict,
                risk_score=result.risk_score,
                risk_level=result.risk_level,
                expected_signals=frozenset(row.get("expected_signals") or ()),
                detected_signals=frozenset(s.name for s in result.signals),
            )
        )
    return _report(engine_name, outcomes)


def _report(engine: str, outcomes: list[Outcome]) -> EvaluationReport:
    confusion = {t: dict.fromkeys(LABELS, 0) for t in LABELS}
    verdicts: dict[str, dict[str, int]] = {t: {} for t in LABELS}
    for o in outcomes:
        confusion[o.label][o.predicted] += 1
        verdicts[o.label][o.verdict] = verdicts[o.label].get(o.verdict, 0) + 1
    per_label = {}
    for label in LABELS:
        c = Counts()
        for o in outcomes:
            c.tp += o.label == label and o.predicted == label
            c.fp += o.label != label and o.predicted == label
            c.fn += o.label == label and o.predicted != label
        per_label[label] = c
    # Per-signal metrics only for signals the set labels; others are counted apart.
    labelled = set().union(*(o.expected_signals for o in outcomes)) if outcomes else set()
    per_signal: dict[str, Counts] = {}
    unlabelled: dict[str, int] = {}
    for o in outcomes:
        for name in o.detected_signals - labelled:
            unlabelled[name] = unlabelled.get(name, 0) + 1
        for name in (o.expected_signals | o.detected_signals) & labelled:
            c = per_signal.setdefault(name, Counts())
            c.tp += name in o.expected_signals and name in o.detected_signals
            c.fp += name not in o.expected_signals and name in o.detected_signals
            c.fn += name in o.expected_signals and name not in o.detected_signals
    return EvaluationReport(
        engine,
        outcomes,
        confusion,
        per_label,
        dict(sorted(per_signal.items())),
        verdicts,
        dict(sorted(unlabelled.items())),
    )


def format_report(report: EvaluationReport) -> str:
    """The report as a plain-text table."""
    lines = [
        f"engine: {report.engine}   conversations: {len(report.outcomes)}   "
        f"accuracy: {report.accuracy:.3f}",
        "",
        "confusion (rows: label, columns: predicted)",
        f"{'':>8} " + " ".join(f"{p:>7}" for p in LABELS),
    ]
    for t in LABELS:
        lines.append(f"{t:>8} " + " ".join(f"{report.confusion[t][p]:>7}" for p in LABELS))
    lines += ["", f"{'label':>8} {'prec':>6} {'recall':>6} {'tp':>4} {'fp':>4} {'fn':>4}"]
    for t, c in report.per_label.items():
        lines.append(f"{t:>8} {c.precision:>6.3f} {c.recall:>6.3f} {c.tp:>4} {c.fp:>4} {c.fn:>4}")
    lines += ["", "verdicts per label"]
    for t, counts in report.verdicts.items():
        lines.append(f"{t:>8} " + ", ".join(f"{v}={n}" for v, n in sorted(counts.items())))
    lines += ["", f"{'signal':>20} {'prec':>6} {'recall':>6} {'tp':>4} {'fp':>4} {'fn':>4}"]
    for name, c in report.per_signal.items():
        lines.append(
            f"{name:>20} {c.precision:>6.3f} {c.recall:>6.3f} {c.tp:>4} {c.fp:>4} {c.fn:>4}"
        )
    if report.unlabelled:
        lines.append(
            "not labelled in this set (conversations where detected): "
            + ", ".join(f"{k}={v}" for k, v in report.unlabelled.items())
        )
    lines += [
        "",
        f"kito recall at risk level high or above: {report.kito_recall_high:.3f}  (bar >= 0.9)",
        f"benign flagged above low:                {report.benign_flagged_above_low:.3f}"
        "  (bar <= 0.1)",
    ]
    wrong = [
        o
        for o in report.outcomes
        if o.predicted != o.label
        or (o.label == "kito" and not level_at_least(o.risk_level, "high"))
        or (o.label == "benign" and o.risk_level != "low")
    ]
    if wrong:
        lines += ["", "misses"]
        lines += [
            f"  {o.id}: label={o.label} verdict={o.verdict} risk={o.risk_score:.2f} "
            f"({o.risk_level})"
            for o in wrong
        ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(
        prog="python -m kitodeck.engines.evaluate", description=__doc__.splitlines()[0]
    )
    parser.add_argument("path", nargs="?", default=str(DEFAULT_PATH))
    parser.add_argument("--engine", choices=("none", "fallback"), default="none")
    args = parser.parse_args(argv)
    try:
        report = evaluate(args.path, args.engine)
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(format_report(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
