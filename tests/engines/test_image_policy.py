"""The image policy on synthetic detections: every label, every threshold, every band."""

from __future__ import annotations

import dataclasses

import pytest
from nudenet import nudenet as nudenet_module

from kitodeck.engines.image import Detection
from kitodeck.engines.image_policy import (
    DEFAULT_POLICY,
    DEFAULT_TABLE,
    KNOWN_LABELS,
    RISK_BANDS,
    ImagePolicy,
    evaluate,
)
from kitodeck.engines.risk import risk_level

EXPECTED = {
    "FEMALE_GENITALIA_EXPOSED": ("explicit", 0.40),
    "MALE_GENITALIA_EXPOSED": ("explicit", 0.40),
    "ANUS_EXPOSED": ("explicit", 0.40),
    "FEMALE_BREAST_EXPOSED": ("explicit", 0.45),
    "BUTTOCKS_EXPOSED": ("explicit", 0.50),
    "FEMALE_GENITALIA_COVERED": ("suggestive", 0.50),
    "FEMALE_BREAST_COVERED": ("suggestive", 0.50),
    "BUTTOCKS_COVERED": ("suggestive", 0.50),
    "ANUS_COVERED": ("suggestive", 0.50),
    "BELLY_EXPOSED": ("suggestive", 0.55),
    "MALE_BREAST_EXPOSED": ("suggestive", 0.60),
    "ARMPITS_EXPOSED": ("suggestive", 0.60),
    "FACE_FEMALE": ("face", 0.25),
    "FACE_MALE": ("face", 0.25),
    "FEET_EXPOSED": ("ignore", 0.50),
    "FEET_COVERED": ("ignore", 0.50),
    "BELLY_COVERED": ("ignore", 0.50),
    "ARMPITS_COVERED": ("ignore", 0.50),
}
BOX = (10, 10, 50, 50)


def det(label: str, score: float) -> Detection:
    return Detection(label, score, BOX)


def test_every_nudenet_label_is_mapped() -> None:
    nudenet_labels = set(nudenet_module.__dict__["__labels"])
    assert nudenet_labels == KNOWN_LABELS == set(EXPECTED)
    assert len(DEFAULT_TABLE) == len(nudenet_labels)


@pytest.mark.parametrize(("label", "expected"), sorted(EXPECTED.items()))
def test_default_table(label: str, expected: tuple[str, float]) -> None:
    cls, threshold = expected
    assert DEFAULT_POLICY.class_of(label) == cls
    assert DEFAULT_POLICY.min_score(label) == threshold


@pytest.mark.parametrize("label", sorted(k for k, v in EXPECTED.items() if v[0] == "explicit"))
def test_explicit_labels_flag_from_their_threshold(label: str) -> None:
    threshold = EXPECTED[label][1]
    at = evaluate([det(label, threshold)])
    assert (at.verdict, at.flagged, at.risk_score, at.risk_level) == (
        "explicit",
        True,
        0.6,
        "high",
    )
    assert at.confidence == threshold
    assert at.categories["explicit_nudity"] == threshold
    assert at.flagged_labels == (label,)
    top = evaluate([det(label, 1.0)])
    assert (top.risk_score, top.risk_level, top.confidence) == (1.0, "critical", 1.0)
    below = evaluate([det(label, threshold - 0.01)])
    assert (below.verdict, below.flagged, below.risk_level) == ("safe", False, "low")
    assert below.categories["explicit_nudity"] == pytest.approx(threshold - 0.01)
    assert below.risk_score == pytest.approx(0.29 * (threshold - 0.01) / threshold, abs=1e-4)
    assert below.confidence == pytest.approx(1 - (threshold - 0.01), abs=1e-4)


@pytest.mark.parametrize("label", sorted(k for k, v in EXPECTED.items() if v[0] == "suggestive"))
def test_suggestive_labels_flag_from_their_threshold(label: str) -> None:
    threshold = EXPECTED[label][1]
    at = evaluate([det(label, threshold)])
    assert (at.verdict, at.flagged, at.risk_score, at.risk_level) == (
        "suggestive",
        True,
        0.3,
        "medium",
    )
    assert at.confidence == threshold
    assert at.categories["suggestive"] == threshold
    assert at.categories["explicit_nudity"] == 0.0
    top = evaluate([det(label, 1.0)])
    assert (top.risk_score, top.risk_level) == (0.59, "medium")
    below = evaluate([det(label, threshold - 0.01)])
    assert (below.verdict, below.risk_level) == ("safe", "low")


@pytest.mark.parametrize("label", ["FACE_FEMALE", "FACE_MALE"])
def test_faces_are_reported_never_flagged(label: str) -> None:
    verdict = evaluate([det(label, 0.99)])
    assert (verdict.verdict, verdict.flagged, verdict.risk_score) == ("safe", False, 0.0)
    assert verdict.categories == {"explicit_nudity": 0.0, "suggestive": 0.0, "face": 0.99}
    assert verdict.confidence == 1.0


@pytest.mark.parametrize("label", sorted(k for k, v in EXPECTED.items() if v[0] == "ignore"))
def test_ignored_labels_change_nothing(label: str) -> None:
    verdict = evaluate([det(label, 0.99)])
    assert verdict == evaluate([])
    assert verdict.categories == {"explicit_nudity": 0.0, "suggestive": 0.0, "face": 0.0}


def test_no_detections_is_safe_and_certain() -> None:
    verdict = evaluate([])
    assert verdict.to_dict() == {
        "verdict": "safe",
        "flagged": False,
        "risk_score": 0.0,
        "risk_level": "low",
        "confidence": 1.0,
        "categories": {"explicit_nudity": 0.0, "suggestive": 0.0, "face": 0.0},
    }
    assert verdict.flagged_labels == ()


def test_explicit_wins_over_suggestive_and_risk_follows_the_strongest() -> None:
    verdict = evaluate(
        [
            det("BELLY_EXPOSED", 0.95),
            det("FEMALE_BREAST_EXPOSED", 0.60),
            det("MALE_GENITALIA_EXPOSED", 0.85),
            det("FACE_FEMALE", 0.7),
        ]
    )
    assert verdict.verdict == "explicit"
    # MALE_GENITALIA_EXPOSED: 0.6 + 0.4 * (0.85 - 0.4) / 0.6 = 0.9
    assert verdict.risk_score == pytest.approx(0.9)
    assert verdict.risk_level == "critical"
    assert verdict.confidence == 0.85
    assert verdict.categories == {"explicit_nudity": 0.85, "suggestive": 0.95, "face": 0.7}
    assert verdict.flagged_labels == (
        "BELLY_EXPOSED",
        "MALE_GENITALIA_EXPOSED",
        "FEMALE_BREAST_EXPOSED",
    )


def test_risk_is_linear_within_each_band() -> None:
    # BUTTOCKS_EXPOSED min 0.5: halfway to 1.0 is the middle of 0.6..1.0.
    assert evaluate([det("BUTTOCKS_EXPOSED", 0.75)]).risk_score == pytest.approx(0.8)
    # BELLY_EXPOSED min 0.55: 0.775 is halfway, so 0.3 + 0.29 / 2.
    assert evaluate([det("BELLY_EXPOSED", 0.775)]).risk_score == pytest.approx(0.445)
    # Safe: 0.29 x score / min score of the strongest sub-threshold detection.
    safe = evaluate([det("FEMALE_BREAST_EXPOSED", 0.3), det("BELLY_EXPOSED", 0.5)])
    assert safe.risk_score == pytest.approx(0.29 * 0.5 / 0.55, abs=1e-4)
    assert safe.confidence == pytest.approx(0.5)


def test_levels_match_the_shared_risk_scale() -> None:
    assert RISK_BANDS["explicit"] == (0.6, 1.0)
    assert risk_level(RISK_BANDS["explicit"][0]) == "high"
    assert risk_level(RISK_BANDS["suggestive"][0]) == "medium"
    assert risk_level(RISK_BANDS["suggestive"][1]) == "medium"
    assert risk_level(RISK_BANDS["safe"][1]) == "low"
    # Critical from 0.85: 62.5% of the way from an explicit label's min score to 1.0.
    assert evaluate([det("ANUS_EXPOSED", 0.77)]).risk_level == "high"
    assert evaluate([det("ANUS_EXPOSED", 0.78)]).risk_level == "critical"


def test_dict_detections_are_accepted() -> None:
    verdict = evaluate([{"label": "ANUS_EXPOSED", "score": 0.9, "box": [0, 0, 1, 1]}])
    assert verdict.verdict == "explicit"


def test_verdict_is_immutable() -> None:
    verdict = evaluate([det("ANUS_EXPOSED", 0.9)])
    with pytest.raises(dataclasses.FrozenInstanceError):
        verdict.verdict = "safe"  # type: ignore[misc]
    with pytest.raises(TypeError):
        verdict.categories["face"] = 1.0  # type: ignore[index]


# --- configuration -------------------------------------------------------------------------


def test_from_mapping_overrides_classes_and_scores() -> None:
    policy = ImagePolicy.from_mapping(
        {
            "classes": {"MALE_BREAST_EXPOSED": "ignore", "FEET_EXPOSED": "suggestive"},
            "min_scores": {"explicit": 0.7, "ANUS_EXPOSED": 0.3, "FEET_EXPOSED": 0.8},
        }
    )
    assert policy.class_of("MALE_BREAST_EXPOSED") == "ignore"
    assert evaluate([det("MALE_BREAST_EXPOSED", 0.99)], policy).verdict == "safe"
    assert evaluate([det("FEET_EXPOSED", 0.8)], policy).verdict == "suggestive"
    assert evaluate([det("FEET_EXPOSED", 0.79)], policy).verdict == "safe"
    # A class name sets all of its labels; a label then overrides it, whatever the order.
    assert policy.min_score("FEMALE_BREAST_EXPOSED") == 0.7
    assert policy.min_score("ANUS_EXPOSED") == 0.3
    assert evaluate([det("FEMALE_GENITALIA_EXPOSED", 0.69)], policy).verdict == "safe"
    assert evaluate([det("ANUS_EXPOSED", 0.3)], policy).verdict == "explicit"
    # The default is untouched.
    assert DEFAULT_POLICY.min_score("FEMALE_BREAST_EXPOSED") == 0.45


def test_from_mapping_class_scores_follow_reclassified_labels() -> None:
    policy = ImagePolicy.from_mapping(
        {"classes": {"BELLY_EXPOSED": "explicit"}, "min_scores": {"explicit": 0.6}}
    )
    assert policy.min_score("BELLY_EXPOSED") == 0.6
    assert "BELLY_EXPOSED" in policy.labels_in("explicit")


def test_from_mapping_empty_is_the_default() -> None:
    assert ImagePolicy.from_mapping(None) == DEFAULT_POLICY
    assert ImagePolicy.from_mapping({}) == DEFAULT_POLICY
    assert ImagePolicy.from_mapping(DEFAULT_POLICY.to_dict()) == DEFAULT_POLICY


@pytest.mark.parametrize(
    "overrides",
    [
        {"thresholds": {}},
        {"classes": {"NOT_A_LABEL": "explicit"}},
        {"classes": {"ANUS_EXPOSED": "very_bad"}},
        {"min_scores": {"ANUS_EXPOSD": 0.5}},
        {"min_scores": {"ANUS_EXPOSED": 1.5}},
        {"min_scores": {"ANUS_EXPOSED": "0.5"}},
        {"min_scores": {"ANUS_EXPOSED": True}},
        {"unknown_class": "nope"},
        {"unknown_min_score": -0.1},
    ],
)
def test_from_mapping_refuses_bad_configuration(overrides: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        ImagePolicy.from_mapping(overrides)


def test_unknown_labels_from_a_custom_model() -> None:
    assert evaluate([det("SOMETHING_NEW", 0.99)]).verdict == "safe"
    strict = ImagePolicy.from_mapping({"unknown_class": "suggestive", "unknown_min_score": 0.9})
    assert evaluate([det("SOMETHING_NEW", 0.95)], strict).verdict == "suggestive"
    assert evaluate([det("SOMETHING_NEW", 0.85)], strict).verdict == "safe"


def test_policy_is_immutable() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        DEFAULT_POLICY.unknown_class = "explicit"  # type: ignore[misc]
    with pytest.raises(TypeError):
        DEFAULT_POLICY.classes["ANUS_EXPOSED"] = "ignore"  # type: ignore[index]


def test_labels_in_lists_each_class() -> None:
    assert DEFAULT_POLICY.labels_in("explicit") == {
        "FEMALE_GENITALIA_EXPOSED",
        "MALE_GENITALIA_EXPOSED",
        "ANUS_EXPOSED",
        "FEMALE_BREAST_EXPOSED",
        "BUTTOCKS_EXPOSED",
    }
    assert DEFAULT_POLICY.labels_in("face") == {"FACE_FEMALE", "FACE_MALE"}
