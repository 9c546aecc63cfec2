"""The labelled conversation set, the evaluation report, and the quality bar."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from kitodeck.engines.evaluate import (
    DEFAULT_PATH,
    LABELS,
    EvaluationReport,
    evaluate,
    format_report,
    load_conversations,
    main,
)
from kitodeck.engines.signals import SIGNALS

#: The bar: kito recall at risk level high or above, benign flagged above low.
MIN_KITO_RECALL_HIGH = 0.9
MAX_BENIGN_FLAGGED = 0.1


@pytest.fixture(scope="module")
def rows() -> list[dict]:
    return load_conversations(DEFAULT_PATH)


@pytest.fixture(scope="module")
def fallback_engine():
    """The fallback text engine, when kitodeck.engines.text and its model are importable."""
    try:
        from kitodeck.engines.text import FallbackEngine

        return FallbackEngine()
    except ImportError as exc:
        pytest.skip(f"fallback engine not available: {exc}")


def test_the_set_is_big_varied_and_well_formed(rows: list[dict]) -> None:
    assert len(rows) >= 90
    ids = [r["id"] for r in rows]
    assert len(ids) == len(set(ids))
    labels = Counter(r["label"] for r in rows)
    assert set(labels) == set(LABELS)
    assert labels["benign"] >= 30 and labels["kito"] >= 30 and labels["toxic"] >= 15
    languages = Counter(r["language"] for r in rows)
    assert set(languages) == {"en", "pcm", "mixed"}
    assert languages["pcm"] >= 15
    for row in rows:
        assert set(row) == {"id", "label", "language", "expected_signals", "messages"}
        assert set(row["expected_signals"]) <= set(SIGNALS), row["id"]
        assert len(row["messages"]) >= 1
        for message in row["messages"]:
            assert set(message) == {"sender", "text"}
            assert message["sender"].strip() and message["text"].strip()
        if row["label"] == "kito":
            assert row["expected_signals"], row["id"]


def test_the_set_has_the_required_hard_negatives(rows: list[dict]) -> None:
    ids = " ".join(r["id"] for r in rows if r["label"] == "benign")
    for topic in ("surprise", "split-bill", "jest", "public-first-date", "work-phone", "mum",
                  "business", "pay-back"):  # fmt: skip
        assert topic in ids, topic


def _check_bar(report: EvaluationReport) -> None:
    text = format_report(report)
    assert report.kito_recall_high >= MIN_KITO_RECALL_HIGH, text
    assert report.benign_flagged_above_low <= MAX_BENIGN_FLAGGED, text


def test_bar_with_signals_only() -> None:
    _check_bar(evaluate(DEFAULT_PATH, engine="none"))


def test_bar_with_the_fallback_engine(fallback_engine) -> None:
    report = evaluate(DEFAULT_PATH, engine=fallback_engine)
    assert report.engine == fallback_engine.name
    _check_bar(report)


def test_report_counts(tmp_path: Path) -> None:
    path = tmp_path / "set.jsonl"
    rows = [
        {"id": "a", "label": "benign", "language": "en", "expected_signals": [],
         "messages": [{"sender": "x", "text": "How was work?"}]},
        {"id": "b", "label": "kito", "language": "pcm", "expected_signals": ["isolation"],
         "messages": [{"sender": "y", "text": "Come alone to my place, no tell anybody"}]},
        {"id": "c", "label": "toxic", "language": "en", "expected_signals": ["insult"],
         "messages": [{"sender": "z", "text": "Lovely weather"}]},
    ]  # fmt: skip
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n\n", encoding="utf-8")
    report = evaluate(path)
    assert report.confusion["benign"]["benign"] == 1
    assert report.confusion["kito"]["kito"] == 1
    assert report.confusion["toxic"]["benign"] == 1
    assert report.per_label["toxic"].recall == 0.0
    assert report.per_label["kito"].precision == 1.0
    assert report.per_signal["isolation"].tp == 1
    assert report.per_signal["insult"].fn == 1
    assert report.kito_recall_high == 1.0
    assert report.benign_flagged_above_low == 0.0
    assert report.to_dict()["conversations"] == 3


def test_bad_label_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps({"id": "x", "label": "spam", "messages": []}) + "\n")
    with pytest.raises(ValueError, match="label"):
        load_conversations(path)


def test_cli_prints_the_confusion_matrix(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--engine", "none", str(DEFAULT_PATH)]) == 0
    out = capsys.readouterr().out
    assert "confusion (rows: label, columns: predicted)" in out
    assert "kito recall at risk level high or above" in out
    assert "benign flagged above low" in out
    for label in LABELS:
        assert label in out


def test_cli_reports_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(tmp_path / "missing.jsonl")]) == 2
    assert "error" in capsys.readouterr().err


def test_heldout_set_is_well_formed_and_evaluates() -> None:
    """The blind held-out set (never tuned on) loads and runs; its figures are reported, not
    asserted, so that it stays an honest measure of generalisation (README, "Evaluation")."""
    from pathlib import Path

    from kitodeck.engines.evaluate import evaluate as run_evaluation

    path = Path(__file__).resolve().parents[1] / "data" / "heldout.jsonl"
    report = run_evaluation(path, "none")
    labels = [outcome.label for outcome in report.outcomes]
    assert (labels.count("benign"), labels.count("toxic"), labels.count("kito")) == (18, 9, 18)
    assert sum(sum(row.values()) for row in report.confusion.values()) == 45
