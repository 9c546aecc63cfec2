"""Scanning: validate, run the engines, score, persist. Routes call these; no HTTP here."""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import select

from kitodeck.common.cache_safe import cache_get, cache_set
from kitodeck.engines.censor import censor_image
from kitodeck.engines.conversation import Message
from kitodeck.engines.image import Detection
from kitodeck.engines.image_policy import evaluate as evaluate_image
from kitodeck.engines.imagefile import DecodedImage, decode_image
from kitodeck.extensions import db
from kitodeck.metrics import SCAN_DURATION, SCANS
from kitodeck.scans.engines import image_engine, image_policy, text_engine
from kitodeck.scans.models import Rule, Scan
from kitodeck.users.models import User

log = logging.getLogger("kitodeck.scans")

#: How long detections stay in the cache; after that the scans table still answers.
IMAGE_CACHE_SECONDS = 600


class ScanInputError(Exception):
    """Input that passed the schema but cannot be scanned (status, message)."""

    def __init__(self, status: int, message: str, errors: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors


@dataclass
class ScanOutcome:
    """A persisted scan plus what is returned once and never stored."""

    scan: Scan
    cached: bool = False
    censored: dict[str, str] | None = None


def _record_metrics(scan: Scan) -> None:
    SCANS.labels(scan.kind, scan.engine, scan.verdict).inc()
    SCAN_DURATION.labels(scan.kind, scan.engine).observe(scan.duration_ms / 1000)


def _after_scan(scan: Scan) -> None:
    _record_metrics(scan)
    invalidate = current_app.extensions.get("kitodeck_report_invalidator")
    if invalidate is not None:
        invalidate(scan.user_id)


# --- images -------------------------------------------------------------------------------


def _image_cache_key(sha256: str, info: dict[str, str], resolution: int) -> str:
    return f"img:{info['model']}:{info['version']}:{resolution}:{sha256}"


def _known_detections(sha256: str, info: dict[str, str], resolution: int) -> list | None:
    """Detections of the same bytes by the same engine version: cache, then the database."""
    key = _image_cache_key(sha256, info, resolution)
    hit = cache_get(key)
    if hit is not None:
        return hit
    row = db.session.execute(
        select(Scan.details)
        .where(
            Scan.kind == "image",
            Scan.sha256 == sha256,
            Scan.engine == info["name"],
            Scan.engine_model == info["model"],
            Scan.engine_version == info["version"],
        )
        .order_by(Scan.created_at.desc())
        .limit(1)
    ).scalar_one_or_none()
    if row is None or row.get("resolution", resolution) != resolution:
        return None
    detections = row.get("detections", [])
    cache_set(key, detections, timeout=IMAGE_CACHE_SECONDS)
    return detections


def scan_image(
    user: User, data: bytes, *, censor: bool = False, censor_style: str = "blur"
) -> ScanOutcome:
    """Validate and decode an upload, detect with NudeNet (or reuse), score and persist.

    Raises ``ImageRejected`` (with its HTTP status) for anything that is not a scannable image.
    """
    config = current_app.config
    started = time.perf_counter()
    engine = image_engine()
    # With censoring, decode at full size so the censored copy has the original resolution.
    decoded: DecodedImage = decode_image(
        data,
        max_bytes=config["MAX_IMAGE_BYTES"],
        max_pixels=config["MAX_IMAGE_PIXELS"],
        target_size=None if censor else engine.resolution,
    )
    info = engine.info
    detections = _known_detections(decoded.sha256, info, engine.resolution)
    cached = detections is not None
    if detections is None:
        detections = [d.to_dict() for d in engine.detect(decoded)]
        cache_set(
            _image_cache_key(decoded.sha256, info, engine.resolution),
            detections,
            timeout=IMAGE_CACHE_SECONDS,
        )
    policy = image_policy()
    verdict = evaluate_image(detections, policy)
    duration_ms = round((time.perf_counter() - started) * 1000, 3)
    scan = Scan(
        id=uuid.uuid4(),
        user_id=user.id,
        kind="image",
        verdict=verdict.verdict,
        flagged=verdict.flagged,
        risk_level=verdict.risk_level,
        risk_score=verdict.risk_score,
        confidence=verdict.confidence,
        labels=list(verdict.flagged_labels),
        details={
            "detections": detections,
            "categories": dict(verdict.categories),
            "image": decoded.to_dict(),
            "resolution": engine.resolution,
        },
        sha256=decoded.sha256,
        engine=info["name"],
        engine_model=info["model"],
        engine_version=info["version"],
        duration_ms=duration_ms,
    )
    db.session.add(scan)
    db.session.commit()
    _after_scan(scan)

    censored = None
    if censor:
        hide = policy.labels_in("explicit")
        fmt = "png" if decoded.format in ("png", "gif", "bmp") else "jpeg"
        boxes = _as_detections(detections)
        payload = censor_image(decoded, boxes, hide, style=censor_style, fmt=fmt)
        censored = {
            "format": fmt,
            "style": censor_style,
            "data": base64.b64encode(payload).decode("ascii"),
        }
    return ScanOutcome(scan=scan, cached=cached, censored=censored)


def _as_detections(detections: list[dict[str, Any]]) -> list[Detection]:
    """Stored (or cached) detection dicts back as the engine's objects."""
    return [Detection(d["label"], float(d["score"]), tuple(d["box"])) for d in detections]


# --- chat ---------------------------------------------------------------------------------


def check_chat_limits(messages: list[Message]) -> None:
    """SECURITY.md 22: message count, per-message and total length."""
    config = current_app.config
    if not messages:
        raise ScanInputError(422, "The conversation has no messages.")
    if len(messages) > config["CHAT_MAX_MESSAGES"]:
        raise ScanInputError(
            413, f"At most {config['CHAT_MAX_MESSAGES']} messages can be scanned at once."
        )
    longest = max(len(m.text) for m in messages)
    if longest > config["CHAT_MAX_MESSAGE_CHARS"]:
        raise ScanInputError(
            422, f"A message is longer than {config['CHAT_MAX_MESSAGE_CHARS']} characters."
        )
    total = sum(len(m.text) for m in messages)
    if total > config["CHAT_MAX_TOTAL_CHARS"]:
        raise ScanInputError(
            413, f"The conversation is longer than {config['CHAT_MAX_TOTAL_CHARS']} characters."
        )


def scan_chat(user: User, messages: list[Message]) -> ScanOutcome:
    """Score every message, find the kito pattern across the conversation, persist."""
    from kitodeck.engines.scoring import analyze_conversation

    check_chat_limits(messages)
    started = time.perf_counter()
    engine = text_engine()
    scores = engine.score([m.text for m in messages])
    analysis = analyze_conversation(messages, scores, engine.classes, rules=active_rules())
    result = analysis.to_dict()
    duration_ms = round((time.perf_counter() - started) * 1000, 3)
    info = engine.info
    details = {
        key: value
        for key, value in result.items()
        if key not in {"verdict", "flagged", "risk_score", "risk_level", "confidence"}
    }
    if current_app.config["STORE_TRANSCRIPTS"]:
        for entry, message in zip(details.get("messages", []), messages, strict=False):
            entry["text"] = message.text
    content = json.dumps([[m.sender, m.text] for m in messages], ensure_ascii=False)
    scan = Scan(
        id=uuid.uuid4(),
        user_id=user.id,
        kind="chat",
        verdict=result["verdict"],
        flagged=result["flagged"],
        risk_level=result["risk_level"],
        risk_score=result["risk_score"],
        confidence=result["confidence"],
        labels=sorted({signal["name"] for signal in result.get("signals", [])}),
        details=details,
        sha256=hashlib.sha256(content.encode("utf-8")).hexdigest(),
        engine=info["name"],
        engine_model=info["model"],
        engine_version=info["version"],
        duration_ms=duration_ms,
    )
    db.session.add(scan)
    db.session.commit()
    _after_scan(scan)
    return ScanOutcome(scan=scan)


# --- custom rules -------------------------------------------------------------------------

_RULES_VERSION_KEY = "rules:version"
_RULES_KEY = "rules:enabled:{version}"
_compiled_lock = threading.Lock()
_compiled: dict[str, tuple] = {}


def _rules_version() -> str | None:
    """The current rules version, shared by every worker; None when the cache is down."""
    version = cache_get(_RULES_VERSION_KEY)
    if version is None:
        version = uuid.uuid4().hex
        if not cache_set(_RULES_VERSION_KEY, version, timeout=0):
            return None
    return version


def invalidate_rules() -> None:
    """Every worker recompiles the rules on its next chat scan."""
    if not cache_set(_RULES_VERSION_KEY, uuid.uuid4().hex, timeout=0):
        log.error("rules changed but the cache is unreachable: workers read them from the database")


def _load_rule_definitions() -> list[dict[str, Any]]:
    rows = db.session.execute(select(Rule).where(Rule.enabled.is_(True))).scalars()
    return [
        {
            "name": r.name,
            "kind": r.kind,
            "pattern": r.pattern,
            "signal": r.signal,
            "weight": r.weight,
        }
        for r in rows
    ]


def active_rules() -> tuple:
    """Enabled admin rules, compiled with RE2; cached per version across workers.

    Without a reachable cache the rules are read from the database on every scan, so a
    change is never missed.
    """
    from kitodeck.engines.signals import CustomRule, compile_rule

    version = _rules_version()
    if version is not None:
        with _compiled_lock:
            if version in _compiled:
                return _compiled[version]
    key = _RULES_KEY.format(version=version)
    definitions = cache_get(key) if version is not None else None
    if definitions is None:
        definitions = _load_rule_definitions()
        if version is not None:
            cache_set(key, definitions, timeout=300)
    compiled = tuple(
        CustomRule(
            name=d["name"],
            compiled=compile_rule(d["kind"], d["pattern"]),
            signal=d["signal"],
            weight=d["weight"],
        )
        for d in definitions
    )
    if version is not None:
        with _compiled_lock:
            _compiled.clear()
            _compiled[version] = compiled
    return compiled


def validate_rule_pattern(kind: str, pattern: str) -> None:
    """Raise ScanInputError(422) when RE2 cannot compile the rule."""
    from kitodeck.engines.signals import InvalidRule, compile_rule

    try:
        compile_rule(kind, pattern)
    except InvalidRule as error:
        raise ScanInputError(422, str(error), {"json": {"pattern": [str(error)]}}) from error


def list_rules() -> list[Rule]:
    """Every rule, newest first."""
    return list(db.session.execute(select(Rule).order_by(Rule.created_at.desc())).scalars())


def get_rule(rule_id: uuid.UUID) -> Rule | None:
    """One rule."""
    return db.session.get(Rule, rule_id)


def create_rule(data: dict[str, Any], author: User) -> Rule:
    """Validate, store and publish a rule."""
    validate_rule_pattern(data["kind"], data["pattern"])
    if db.session.execute(select(Rule.id).where(Rule.name == data["name"])).first():
        raise ScanInputError(409, f"A rule named {data['name']!r} already exists.")
    rule = Rule(id=uuid.uuid4(), created_by=author.id, **data)
    db.session.add(rule)
    db.session.commit()
    invalidate_rules()
    log.info("rule created", extra={"rule_id": str(rule.id), "by": str(author.id)})
    return rule


def update_rule(rule: Rule, changes: dict[str, Any]) -> Rule:
    """Apply changes; the pattern is re-validated with its (possibly new) kind."""
    kind = changes.get("kind", rule.kind)
    pattern = changes.get("pattern", rule.pattern)
    if "kind" in changes or "pattern" in changes:
        validate_rule_pattern(kind, pattern)
    if "name" in changes and changes["name"] != rule.name:
        clash = db.session.execute(select(Rule.id).where(Rule.name == changes["name"])).first()
        if clash:
            raise ScanInputError(409, f"A rule named {changes['name']!r} already exists.")
    for field, value in changes.items():
        setattr(rule, field, value)
    db.session.commit()
    invalidate_rules()
    return rule


def delete_rule(rule: Rule) -> None:
    """Remove a rule."""
    db.session.delete(rule)
    db.session.commit()
    invalidate_rules()
