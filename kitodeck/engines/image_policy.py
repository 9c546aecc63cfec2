"""Turn NudeNet detections into an image verdict, risk score and categories.

Every NudeNet label belongs to one class:

* ``explicit``: exposed genitalia (female, male), anus, female breast, buttocks.
* ``suggestive``: covered genitalia, breast, buttocks and anus; exposed belly, armpits and
  male breast (a shirtless photo is suggestive, not explicit).
* ``face``: reported in ``categories.face`` only, never a reason to flag.
* ``ignore``: feet (exposed or covered: beach and bed photos are everyday dating-profile
  material and feet alone are not sexual content), covered belly, covered armpits.

A detection counts toward the verdict when its score reaches its label's min score. The
verdict is the most severe class reached (``explicit`` > ``suggestive`` > ``safe``).

``risk_score`` comes from the strongest counting detection of the verdict's class, placed
linearly within the verdict's band of ``kitodeck.engines.risk`` levels (score at the label's
min score -> bottom of the band, score 1.0 -> top):

* explicit: 0.60..1.00 (``high``, ``critical`` from about two thirds of the way up)
* suggestive: 0.30..0.59 (``medium``)
* safe: 0.00..0.29 (``low``), 0.29 x (score / min score) of the strongest explicit or
  suggestive detection below its min score, 0 when there is none.

``confidence`` is how sure the verdict is: the strongest counting score for explicit and
suggestive, ``1 - `` the strongest explicit/suggestive score below threshold for safe.
``categories`` are raw maxima of each class's scores (0 when absent), whatever the thresholds.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal, Protocol

from kitodeck.engines.risk import RiskLevel, risk_level

ImageClass = Literal["explicit", "suggestive", "face", "ignore"]
ImageVerdictName = Literal["safe", "suggestive", "explicit"]
CLASSES: tuple[ImageClass, ...] = ("explicit", "suggestive", "face", "ignore")

#: (label, class, min score) for every NudeNet 3.4 label.
DEFAULT_TABLE: tuple[tuple[str, ImageClass, float], ...] = (
    ("FEMALE_GENITALIA_EXPOSED", "explicit", 0.40),
    ("MALE_GENITALIA_EXPOSED", "explicit", 0.40),
    ("ANUS_EXPOSED", "explicit", 0.40),
    ("FEMALE_BREAST_EXPOSED", "explicit", 0.45),
    ("BUTTOCKS_EXPOSED", "explicit", 0.50),
    ("FEMALE_GENITALIA_COVERED", "suggestive", 0.50),
    ("FEMALE_BREAST_COVERED", "suggestive", 0.50),
    ("BUTTOCKS_COVERED", "suggestive", 0.50),
    ("ANUS_COVERED", "suggestive", 0.50),
    ("BELLY_EXPOSED", "suggestive", 0.55),
    ("MALE_BREAST_EXPOSED", "suggestive", 0.60),
    ("ARMPITS_EXPOSED", "suggestive", 0.60),
    ("FACE_FEMALE", "face", 0.25),
    ("FACE_MALE", "face", 0.25),
    ("FEET_EXPOSED", "ignore", 0.50),
    ("FEET_COVERED", "ignore", 0.50),
    ("BELLY_COVERED", "ignore", 0.50),
    ("ARMPITS_COVERED", "ignore", 0.50),
)
KNOWN_LABELS: frozenset[str] = frozenset(label for label, _, _ in DEFAULT_TABLE)

#: (bottom, top) of risk_score for each verdict; see the module docstring.
RISK_BANDS: Mapping[str, tuple[float, float]] = MappingProxyType(
    {"explicit": (0.60, 1.00), "suggestive": (0.30, 0.59), "safe": (0.00, 0.29)}
)


def _check_class(value: object, what: str) -> str:
    if value not in CLASSES:
        raise ValueError(f"{what} must be one of {', '.join(CLASSES)}, not {value!r}")
    return str(value)


def _check_score(value: object, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0.0 <= value <= 1.0:
        raise ValueError(f"{what} must be a number in 0..1, not {value!r}")
    return float(value)


def _check_label(label: object) -> None:
    if label not in KNOWN_LABELS:
        raise ValueError(f"unknown NudeNet label {label!r}")


class DetectionLike(Protocol):
    """What the policy reads from a detection (``image.Detection`` fits)."""

    @property
    def label(self) -> str: ...

    @property
    def score(self) -> float: ...


def _default_classes() -> Mapping[str, str]:
    return MappingProxyType({label: cls for label, cls, _ in DEFAULT_TABLE})


def _default_min_scores() -> Mapping[str, float]:
    return MappingProxyType({label: score for label, _, score in DEFAULT_TABLE})


@dataclass(frozen=True)
class ImagePolicy:
    """Thresholds for image verdicts (immutable; build variants with ``from_mapping``).

    ``classes`` maps each label to ``explicit``/``suggestive``/``face``/``ignore``;
    ``min_scores`` is the score at which a label counts. Labels a custom model emits that the
    table does not know get ``unknown_class`` and ``unknown_min_score``.
    """

    classes: Mapping[str, str] = field(default_factory=_default_classes)
    min_scores: Mapping[str, float] = field(default_factory=_default_min_scores)
    unknown_class: str = "ignore"
    unknown_min_score: float = 0.5

    def __post_init__(self) -> None:
        for label, cls in self.classes.items():
            _check_class(cls, f"classes[{label!r}]")
        for label, score in self.min_scores.items():
            _check_score(score, f"min_scores[{label!r}]")
        _check_class(self.unknown_class, "unknown_class")
        _check_score(self.unknown_min_score, "unknown_min_score")
        object.__setattr__(self, "classes", MappingProxyType(dict(self.classes)))
        object.__setattr__(
            self, "min_scores", MappingProxyType({k: float(v) for k, v in self.min_scores.items()})
        )

    def class_of(self, label: str) -> str:
        """The class ``label`` belongs to."""
        return self.classes.get(label, self.unknown_class)

    def min_score(self, label: str) -> float:
        """The score at which ``label`` counts toward the verdict."""
        return self.min_scores.get(label, self.unknown_min_score)

    def labels_in(self, cls: str) -> frozenset[str]:
        """The known labels of one class (e.g. the ones to censor)."""
        return frozenset(label for label, c in self.classes.items() if c == cls)

    @classmethod
    def from_mapping(cls, overrides: Mapping[str, Any] | None) -> ImagePolicy:
        """The default policy with configuration overrides applied.

        Accepted keys: ``classes`` ({label: class}), ``min_scores`` ({label or class name:
        score}; a class name sets every label of that class, labels then override it),
        ``unknown_class``, ``unknown_min_score``. Unknown keys or labels raise ``ValueError``.
        """
        overrides = dict(overrides or {})
        unknown = set(overrides) - {"classes", "min_scores", "unknown_class", "unknown_min_score"}
        if unknown:
            raise ValueError(f"unknown image policy keys: {sorted(unknown)}")
        base = cls()
        classes = dict(base.classes)
        for label, value in dict(overrides.get("classes") or {}).items():
            _check_label(label)
            classes[label] = _check_class(value, f"classes[{label!r}]")
        min_scores = dict(base.min_scores)
        score_overrides = dict(overrides.get("min_scores") or {})
        for key, value in score_overrides.items():
            if key in CLASSES:
                for label, label_cls in classes.items():
                    if label_cls == key:
                        min_scores[label] = _check_score(value, f"min_scores[{key!r}]")
        for key, value in score_overrides.items():
            if key not in CLASSES:
                _check_label(key)
                min_scores[key] = _check_score(value, f"min_scores[{key!r}]")
        return cls(
            classes=classes,
            min_scores=min_scores,
            unknown_class=overrides.get("unknown_class", base.unknown_class),
            unknown_min_score=overrides.get("unknown_min_score", base.unknown_min_score),
        )

    def to_dict(self) -> dict[str, Any]:
        """A plain, JSON-ready copy (for ``engines check`` and logs)."""
        return {
            "classes": dict(self.classes),
            "min_scores": dict(self.min_scores),
            "unknown_class": self.unknown_class,
            "unknown_min_score": self.unknown_min_score,
        }


DEFAULT_POLICY = ImagePolicy()


@dataclass(frozen=True)
class ImageVerdict:
    """The policy's reading of one image's detections."""

    verdict: ImageVerdictName
    risk_score: float
    risk_level: RiskLevel
    confidence: float
    categories: Mapping[str, float]
    #: Labels that reached their min score in the explicit or suggestive class, strongest first.
    flagged_labels: tuple[str, ...] = ()

    @property
    def flagged(self) -> bool:
        return self.verdict != "safe"

    def to_dict(self) -> dict[str, Any]:
        """The scan result's verdict fields."""
        return {
            "verdict": self.verdict,
            "flagged": self.flagged,
            "risk_score": self.risk_score,
            "risk_level": self.risk_level,
            "confidence": self.confidence,
            "categories": dict(self.categories),
        }


def evaluate(
    detections: Iterable[DetectionLike | Mapping[str, Any]],
    policy: ImagePolicy = DEFAULT_POLICY,
) -> ImageVerdict:
    """Verdict, risk and categories for one image's detections (objects or dicts)."""
    maxima = {"explicit": 0.0, "suggestive": 0.0, "face": 0.0}
    counting: dict[str, list[tuple[float, str, float]]] = {"explicit": [], "suggestive": []}
    below = 0.0  # strongest (score / min score) of explicit/suggestive detections under it
    below_score = 0.0
    for detection in detections:
        label, score = _label_score(detection)
        cls = policy.class_of(label)
        if cls == "ignore":
            continue
        maxima[cls] = max(maxima[cls], score)
        if cls == "face":
            continue
        threshold = policy.min_score(label)
        if score >= threshold:
            counting[cls].append((score, label, threshold))
        else:
            below = max(below, score / threshold if threshold else 1.0)
            below_score = max(below_score, score)

    categories = MappingProxyType(
        {
            "explicit_nudity": round(maxima["explicit"], 4),
            "suggestive": round(maxima["suggestive"], 4),
            "face": round(maxima["face"], 4),
        }
    )
    flagged_labels = tuple(
        dict.fromkeys(
            label
            for _, label, _ in sorted(
                counting["explicit"] + counting["suggestive"], key=lambda item: -item[0]
            )
        )
    )
    verdict: ImageVerdictName
    if counting["explicit"] or counting["suggestive"]:
        verdict = "explicit" if counting["explicit"] else "suggestive"
        bottom, top = RISK_BANDS[verdict]
        risk = max(
            bottom + (top - bottom) * _position(score, threshold)
            for score, _, threshold in counting[verdict]
        )
        confidence = max(score for score, _, _ in counting[verdict])
    else:
        verdict = "safe"
        bottom, top = RISK_BANDS["safe"]
        risk = bottom + (top - bottom) * min(1.0, below)
        confidence = 1.0 - below_score
    risk = round(min(max(risk, bottom), top), 4)
    return ImageVerdict(
        verdict=verdict,
        risk_score=risk,
        risk_level=risk_level(risk),
        confidence=round(min(max(confidence, 0.0), 1.0), 4),
        categories=categories,
        flagged_labels=flagged_labels,
    )


def _position(score: float, threshold: float) -> float:
    """Where ``score`` lies between ``threshold`` (0) and 1.0 (1)."""
    if threshold >= 1.0:
        return 1.0
    return min(1.0, max(0.0, (score - threshold) / (1.0 - threshold)))


def _label_score(detection: DetectionLike | Mapping[str, Any]) -> tuple[str, float]:
    if isinstance(detection, Mapping):
        return str(detection["label"]), float(detection["score"])
    return detection.label, float(detection.score)
