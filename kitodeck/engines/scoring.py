"""Conversation-level kito scoring: signals + context + model toxicity -> one verdict.

How a conversation is read (every number lives in ``WEIGHTS`` / ``COMBINATIONS`` below):

1. Signals are detected per message (``signals.detect_signals``); negated or reported
   ones ("I will not send money", "he asked me to send money") are dropped.
2. The *suspect* is the sender whose signals weigh most. Signals from anyone else (usually
   the person at risk: "I'm not sending money", sharing their own number) count only
   ``other_sender_factor``; ``age_concern`` counts from anyone.
3. Context softens some signals: repayment, business, group collections and celebrations
   soften money and secrecy; a public venue softens a venue change; mutual banter softens
   insults (never after the other person asked to stop).
4. Conversation cues add signals: pushing on after a refusal is ``pressure``, writing on
   after "stop messaging me" is ``harassment``.
5. Per signal, hits in several messages add up with diminishing returns. Kito risk is a
   noisy-or of ``weight x strength`` per signal; *combinations* set a floor (off-platform +
   money = scam, explicit request + threat = sextortion, come alone + private place = setup),
   secrecy amplifies, and escalation (stronger signals later in the chat) adds more.
6. Insults, harassment and the text model's toxicity make a separate toxicity risk.
7. Verdict: kito risk >= ``flag_threshold`` -> ``danger`` or ``scam_risk`` (by the
   combinations fired, else by which kind of signal dominates); otherwise toxicity risk
   >= ``flag_threshold`` -> ``toxic``; otherwise ``safe``. The risk score is kept
   consistent with it: flagged means ``risk_level`` medium or worse, safe means low.

Deterministic: same messages, scores and rules give the same result.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

from kitodeck.engines.conversation import Message
from kitodeck.engines.risk import risk_level
from kitodeck.engines.signals import (
    ContextHit,
    CustomRule,
    SignalHit,
    detect_context,
    detect_signals,
)

Verdict = Literal["safe", "toxic", "scam_risk", "danger"]


# --------------------------------------------------------------------------- the numbers


@dataclass(frozen=True)
class ScoringWeights:
    """Every weight and threshold of the chat scorer, in one place."""

    #: What one full-strength signal contributes to kito risk on its own (0..1).
    #: E.g. a lone "send me 50k" (0.85) -> 0.85 x 0.45 = 0.38 (medium); a lone blackmail
    #: threat (0.9) -> 0.86 (critical); a lone "come alone" (0.85) -> 0.51 (medium).
    signal_weights: Mapping[str, float] = field(
        default_factory=lambda: MappingProxyType(
            {
                "financial_request": 0.45,
                "off_platform": 0.25,  # swapping numbers is common and mostly harmless alone
                "secrecy": 0.3,
                "isolation": 0.6,
                "location_change": 0.4,
                "urgency": 0.2,
                "explicit_request": 0.65,
                "threat": 0.92,
                "blackmail": 0.95,
                "personal_info": 0.6,
                "age_concern": 0.35,
                "sob_story": 0.15,
                "emotional_pressure": 0.25,
                "get_rich_quick": 0.35,
                "pressure": 0.3,
                # toxicity path (not kito)
                "insult": 0.55,
                "harassment": 0.6,
            }
        )
    )
    #: Weight of a signal name only an admin rule uses.
    custom_signal_weight: float = 0.5
    #: Signals that read as physical/sexual danger; any other kito signal reads as a scam
    #: (decides danger vs. scam_risk when no combination fired).
    danger_signals: frozenset[str] = frozenset(
        {"threat", "blackmail", "isolation", "location_change", "explicit_request", "age_concern"}
    )
    toxic_signals: frozenset[str] = frozenset({"insult", "harassment"})
    #: Signals that count whoever says them (the person at risk saying "I'm 15").
    any_sender_signals: frozenset[str] = frozenset({"age_concern"})
    #: Factor for signals from senders other than the suspect.
    other_sender_factor: float = 0.3
    #: Later hits of one signal count this much less each (diminishing returns).
    repeat_decay: float = 0.6
    #: Context cue -> (signals it softens, factor, scope). Scope "conversation": anywhere
    #: in the chat; "nearby": same message or the one before/after; "jest": see below.
    mitigations: Mapping[str, tuple[frozenset[str], float, str]] = field(
        default_factory=lambda: MappingProxyType(
            {
                "repayment": (frozenset({"financial_request"}), 0.25, "conversation"),
                "business": (frozenset({"financial_request"}), 0.35, "conversation"),
                "collective": (frozenset({"financial_request", "secrecy"}), 0.35, "conversation"),
                "celebration": (frozenset({"secrecy", "financial_request"}), 0.3, "conversation"),
                "public": (frozenset({"location_change:switch"}), 0.3, "nearby"),
                # a household login (Netflix, wifi, gate code) is not a stolen credential
                "household": (frozenset({"personal_info"}), 0.2, "nearby"),
                # a sibling or child asking a parent for transport money
                "family": (frozenset({"financial_request"}), 0.45, "nearby"),
                # banter: laughter from two people (or insults traded both ways with
                # laughter), and nobody asked to stop
                "jest": (frozenset({"insult", "harassment", "threat"}), 0.3, "jest"),
            }
        )
    )
    #: Hit tags no context cue softens (gift cards, crypto, wire transfers).
    unmitigated_tags: frozenset[str] = frozenset({"channel"})
    #: Strength of a conversation-level ``pressure`` / continued-``harassment`` hit.
    pressure_score: float = 0.6
    continued_after_rebuff_score: float = 0.5
    #: Each signal of a combination must reach this strength (after discounts).
    combo_min: float = 0.35
    #: Each extra combination fired adds this (a chat with several patterns is worse).
    combo_extra: float = 0.02
    #: Secrecy on top of other kito signals: risk += (1 - risk) x this x secrecy strength.
    secrecy_amplifier: float = 0.3
    #: Escalation (later signals stronger than earlier ones): risk += (1-risk) x this x esc.
    escalation_bonus: float = 0.3
    #: Model toxicity class weights (only classes the engine has are used).
    model_class_weights: Mapping[str, float] = field(
        default_factory=lambda: MappingProxyType(
            {
                "toxicity": 1.0,
                "severe_toxicity": 1.0,
                "obscene": 0.8,
                "threat": 1.0,
                "insult": 0.9,
                "identity_attack": 1.0,
                "sexual_explicit": 0.7,
                # the fallback's only class: a weak bag-of-words model that also fires on
                # Pidgin, so one message must reach ~0.72 to flag on its own
                "profanity": 0.7,
            }
        )
    )
    #: Toxicity risk from the model: model_weight x (weighted class score); 0.5 -> 0.3.
    model_weight: float = 0.6
    #: A message counts as flagged by the model from this weighted score.
    model_message_threshold: float = 0.5
    #: Toxicity alone never goes above this risk (it is not a kito setup).
    toxic_cap: float = 0.8
    #: Risk at which a conversation is flagged (== the "medium" level of risk.py).
    flag_threshold: float = 0.3
    #: A message is flagged when one of its hits reaches this (after discounts).
    message_flag_threshold: float = 0.3
    #: Confidence: base for "safe" with / without a text model.
    safe_confidence_model: float = 0.9
    safe_confidence_signals_only: float = 0.8

    def weight(self, signal: str) -> float:
        """Stand-alone weight of ``signal`` (admin-only names get ``custom_signal_weight``)."""
        return self.signal_weights.get(signal, self.custom_signal_weight)


WEIGHTS = ScoringWeights()


@dataclass(frozen=True, slots=True)
class Combination:
    """Fires when, for every group in ``all_of``, one of its signals reaches ``min_score``.

    Then kito risk is at least ``floor`` and the verdict leans to ``verdict``.
    """

    name: str
    all_of: tuple[tuple[str, ...], ...]
    floor: float
    verdict: Verdict
    min_score: float = WEIGHTS.combo_min


COMBINATIONS: tuple[Combination, ...] = (
    # sexual exploitation and extortion
    Combination("sextortion", (("explicit_request",), ("blackmail", "threat")), 0.92, "danger"),
    Combination("extortion", (("blackmail",), ("financial_request",)), 0.92, "danger"),
    Combination(
        "minor_at_risk",
        (("age_concern",), ("explicit_request", "location_change", "isolation", "secrecy")),
        0.9,
        "danger",
        0.5,
    ),
    Combination("paid_explicit", (("explicit_request",), ("financial_request",)), 0.8, "danger"),
    Combination(
        "pressured_explicit",
        (("explicit_request",), ("pressure", "urgency", "secrecy")),
        0.7,
        "danger",
    ),
    # physical setups
    Combination("setup", (("isolation",), ("location_change",)), 0.88, "danger"),
    Combination(
        "robbery_setup", (("isolation", "location_change"), ("personal_info",)), 0.85, "danger"
    ),
    Combination("secret_meeting", (("isolation", "location_change"), ("secrecy",)), 0.78, "danger"),
    Combination("rushed_meeting", (("isolation", "location_change"), ("urgency",)), 0.72, "danger"),
    Combination("threat_with_demand", (("threat",), ("financial_request",)), 0.88, "danger"),
    # money asked for around a meeting at their place ("send fuel money, then we go my place")
    Combination(
        "paid_meeting", (("financial_request",), ("location_change", "isolation")), 0.72, "danger"
    ),
    Combination("threat_with_secrecy", (("threat",), ("secrecy",)), 0.88, "danger"),
    # money scams
    Combination(
        "off_platform_payment", (("financial_request",), ("off_platform",)), 0.72, "scam_risk"
    ),
    Combination(
        "romance_scam",
        (("financial_request",), ("sob_story", "emotional_pressure")),
        0.72,
        "scam_risk",
    ),
    Combination("secret_payment", (("financial_request",), ("secrecy",)), 0.72, "scam_risk"),
    Combination(
        "rushed_payment", (("financial_request",), ("urgency", "pressure")), 0.65, "scam_risk"
    ),
    Combination(
        "investment_scam",
        (("get_rich_quick",), ("financial_request", "off_platform")),
        0.75,
        "scam_risk",
    ),
    # an OTP/PIN/BVN request is a scam on its own; rushed or with money, more so
    Combination("credential_theft", (("personal_info",),), 0.65, "scam_risk", 0.75),
    Combination(
        "rushed_credentials",
        (("personal_info",), ("urgency", "pressure", "financial_request", "off_platform")),
        0.72,
        "scam_risk",
        0.6,
    ),
)


# --------------------------------------------------------------------------- result


@dataclass(frozen=True)
class SignalSummary:
    """One signal of the conversation, as the API reports it."""

    name: str
    score: float
    messages: tuple[int, ...]
    evidence: tuple[str, ...]
    senders: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """``{"name", "score", "messages", "evidence", "senders"}``."""
        return {
            "name": self.name,
            "score": self.score,
            "messages": list(self.messages),
            "evidence": list(self.evidence),
            "senders": list(self.senders),
        }


@dataclass(frozen=True)
class MessageResult:
    """Per-message part of the result."""

    index: int
    sender: str
    flagged: bool
    scores: Mapping[str, float]
    signals: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """``{"index", "sender", "flagged", "scores", "signals"}``."""
        return {
            "index": self.index,
            "sender": self.sender,
            "flagged": self.flagged,
            "scores": dict(self.scores),
            "signals": list(self.signals),
        }


@dataclass(frozen=True)
class ChatAnalysis:
    """The verdict on one conversation; ``to_dict()`` gives the contract's chat fields."""

    verdict: Verdict
    risk_score: float
    confidence: float
    summary: str
    signals: tuple[SignalSummary, ...]
    toxicity: Mapping[str, float]
    messages: tuple[MessageResult, ...]
    suspect: str | None
    combinations: tuple[str, ...]
    escalation: float
    kito_risk: float
    toxicity_risk: float
    hits: tuple[SignalHit, ...] = field(repr=False, default=())

    @property
    def flagged(self) -> bool:
        """True unless the verdict is ``safe``."""
        return self.verdict != "safe"

    @property
    def risk_level(self) -> str:
        """``low`` / ``medium`` / ``high`` / ``critical`` (``kitodeck.engines.risk``)."""
        return risk_level(self.risk_score)

    def to_dict(self) -> dict[str, Any]:
        """The chat fields of the scan result (plus ``suspect``, ``combinations``...)."""
        return {
            "verdict": self.verdict,
            "flagged": self.flagged,
            "risk_score": self.risk_score,
            "risk_level": self.risk_level,
            "confidence": self.confidence,
            "summary": self.summary,
            "signals": [s.to_dict() for s in self.signals],
            "toxicity": dict(self.toxicity),
            "messages": [m.to_dict() for m in self.messages],
            "suspect": self.suspect,
            "combinations": list(self.combinations),
            "escalation": self.escalation,
            "kito_risk": self.kito_risk,
            "toxicity_risk": self.toxicity_risk,
        }


# --------------------------------------------------------------------------- helpers


def _noisy_or(values: Sequence[float]) -> float:
    return 1.0 - math.prod(1.0 - min(max(v, 0.0), 1.0) for v in values)


#: Longest evidence quote reported (the full span stays on the SignalHit).
MAX_EVIDENCE_CHARS = 200


def _quote(text: str) -> str:
    return text if len(text) <= MAX_EVIDENCE_CHARS else text[: MAX_EVIDENCE_CHARS - 1] + "…"


def _r(x: float) -> float:
    return round(min(max(x, 0.0), 1.0), 4)


def _conversation_hits(
    messages: Sequence[Message], context: Sequence[ContextHit], hits: Sequence[SignalHit]
) -> list[SignalHit]:
    """``pressure`` after a refusal, ``harassment`` after "stop messaging me"."""
    by_index = {m.index: m for m in messages}
    senders_of_hits: dict[int, set[str]] = {}
    for h in hits:
        if not h.negated:
            senders_of_hits.setdefault(h.message_index, set()).add(h.name)
    push_at: dict[int, ContextHit] = {}
    apology_at: set[int] = set()
    for c in context:
        if c.name == "push":
            push_at.setdefault(c.message_index, c)
        elif c.name == "apology":
            apology_at.add(c.message_index)
    out: list[SignalHit] = []
    done: set[tuple[str, int]] = set()
    for c in context:
        if c.name not in ("refusal", "rebuff") or c.message_index not in by_index:
            continue
        refuser = by_index[c.message_index].sender
        replies = [m for m in messages if m.index > c.message_index and m.sender != refuser]
        if c.name == "refusal":
            replies = replies[:2]  # pushing back right after the "no"
        for m in replies:
            if m.index in apology_at:
                continue
            if c.name == "refusal":
                push = push_at.get(m.index)
                kito_here = senders_of_hits.get(m.index, set()) - {"urgency", "insult"}
                if push is None and not kito_here:
                    continue
                key = ("pressure", m.index)
                if key not in done:
                    done.add(key)
                    start, end = (push.start, push.end) if push else (0, len(m.text))
                    out.append(
                        SignalHit(
                            "pressure",
                            WEIGHTS.pressure_score,
                            m.index,
                            m.text[start:end],
                            start,
                            end,
                        )
                    )
                break
            key = ("harassment", m.index)
            if key not in done:
                done.add(key)
                text = m.text[:200]
                out.append(
                    SignalHit(
                        "harassment",
                        WEIGHTS.continued_after_rebuff_score,
                        m.index,
                        text,
                        0,
                        len(text),
                    )
                )
    return out


def _pick_suspect(
    messages: Sequence[Message], hits: Sequence[SignalHit], model: Sequence[float]
) -> str | None:
    weight: dict[str, float] = {}
    first: dict[str, int] = {}
    sender_of = {m.index: m.sender for m in messages}
    for h in hits:
        if h.name in WEIGHTS.any_sender_signals:
            continue
        s = sender_of.get(h.message_index, "unknown")
        weight[s] = weight.get(s, 0.0) + WEIGHTS.weight(h.name) * h.score
        first.setdefault(s, h.message_index)
    for m, score in zip(messages, model, strict=True):
        if score >= WEIGHTS.model_message_threshold:
            weight[m.sender] = weight.get(m.sender, 0.0) + WEIGHTS.model_weight * score
            first.setdefault(m.sender, m.index)
    if not weight:
        return None
    return max(weight, key=lambda s: (round(weight[s], 9), -first[s]))


def _jest_applies(
    messages: Sequence[Message], context: Sequence[ContextHit], hits: Sequence[SignalHit]
) -> bool:
    sender_of = {m.index: m.sender for m in messages}
    if any(c.name == "rebuff" for c in context):
        return False
    laughing = {sender_of[c.message_index] for c in context if c.name == "jest"}
    insulting = {sender_of[h.message_index] for h in hits if h.name == "insult"}
    return len(laughing) >= 2 or (len(laughing) >= 1 and len(insulting) >= 2)


def _mitigation(hit: SignalHit, context: Sequence[ContextHit], jest: bool) -> float:
    factor = 1.0
    if hit.tag in WEIGHTS.unmitigated_tags:
        return factor
    keys = {hit.name, f"{hit.name}:{hit.tag}"} if hit.tag else {hit.name}
    for cue, (signals, value, scope) in WEIGHTS.mitigations.items():
        if not keys & signals:
            continue
        if scope == "jest":
            applies = jest
        elif scope == "nearby":
            applies = any(
                c.name == cue and abs(c.message_index - hit.message_index) <= 1 for c in context
            )
        else:
            applies = any(c.name == cue for c in context)
        if applies:
            factor = min(factor, value)
    return factor


def _escalation(per_message: Mapping[int, dict[str, float]]) -> float:
    """0..1: how much stronger (and new) the suspect's late signals are than early ones."""
    rows = sorted(per_message.items())
    if len(rows) < 2 or rows[-1][0] - rows[0][0] < 2:
        return 0.0
    half = math.ceil(len(rows) / 2)
    early, late = rows[:half], rows[half:]
    early_max = max(max(d.values()) for _, d in early)
    late_max = max(max(d.values()) for _, d in late)
    early_names = {n for _, d in early for n in d}
    new_late = {n for _, d in late for n in d} - early_names
    if late_max <= early_max or not new_late:
        return 0.0
    return min(1.0, (late_max - early_max) / 0.5)


# --------------------------------------------------------------------------- summary

_WHAT: dict[str, str] = {
    "financial_request": "asked you for money",
    "off_platform": "tried to move the chat off this app",
    "secrecy": "asked you to keep it secret",
    "isolation": "asked you to come alone",
    "location_change": "moved the meeting to a private or unfamiliar place",
    "urgency": "rushed you",
    "explicit_request": "asked for intimate photos or videos",
    "threat": "threatened you",
    "blackmail": "threatened to share your pictures or messages",
    "personal_info": "asked for private details such as codes, card or bank details or your "
    "address",
    "age_concern": "the chat mentions someone under 18",
    "sob_story": "told a hard-luck story",
    "emotional_pressure": "used your feelings to pressure you",
    "get_rich_quick": "promised money that is too good to be true",
    "pressure": "kept pushing after you said no",
    "insult": "insulted you",
    "harassment": "kept harassing you",
}
# Order in which the summary names signals (most serious first).
_ORDER = (
    "blackmail",
    "threat",
    "explicit_request",
    "isolation",
    "location_change",
    "personal_info",
    "financial_request",
    "get_rich_quick",
    "off_platform",
    "secrecy",
    "urgency",
    "pressure",
    "emotional_pressure",
    "sob_story",
    "age_concern",
    "harassment",
    "insult",
)

_ADVICE: dict[str, str] = {
    "minor_at_risk": "If you are under 18, stop chatting and tell a parent, teacher or other "
    "adult you trust now; report the account.",
    "sextortion": "Do not pay or send anything more: keep screenshots, block and report them, "
    "and talk to someone you trust. Paying rarely makes it stop.",
    "extortion": "Do not pay: keep screenshots, block and report the account, and talk to "
    "someone you trust. Paying usually leads to more demands.",
    "threat_with_demand": "Do not pay and do not meet them. Keep screenshots, tell someone "
    "you trust and contact the police if you feel unsafe.",
    "threat_with_secrecy": "Tell someone you trust now, keep screenshots and contact the "
    "police if you feel unsafe.",
    "setup": "Do not go. Meet only in a busy public place, tell a friend where you are going "
    "and share your live location with them.",
    "robbery_setup": "Do not go, and never bring your ATM card, PIN or phone codes to a "
    "meeting. Meet only in a busy public place and tell a friend.",
    "secret_meeting": "Do not go to a meeting you are asked to hide. Tell a friend your plans "
    "and meet only in a busy public place.",
    "paid_meeting": "Do not send money for a meeting, and do not go to their place: meet only "
    "in a busy public place and tell a friend where you will be.",
    "rushed_meeting": "Do not let them rush you. Meet only in a busy public place you choose "
    "and tell a friend where you will be.",
    "paid_explicit": "No real job or agency asks for nude photos or a fee. Do not send either; "
    "report the account.",
    "pressured_explicit": "You never have to send intimate photos. Anything you send can be "
    "saved and used against you; block and report if they keep pushing.",
    "credential_theft": "Never share OTPs, PINs, BVN or passwords with anyone: no real person "
    "needs them. Report the account.",
    "rushed_credentials": "Never share OTPs, PINs, BVN or passwords with anyone: no real "
    "person needs them. Report the account.",
    "investment_scam": "Guaranteed profits are a scam sign. Do not send money or crypto; "
    "report the account.",
    "off_platform_payment": "Keep the chat on this app and do not send money to someone you "
    "have not met in person; report the account.",
    "romance_scam": "Do not send money, gift cards or crypto to someone you have not met, "
    "however sad the story; report the account.",
    "secret_payment": "Money requests you are asked to hide are a scam sign. Do not pay; "
    "talk to someone you trust.",
    "rushed_payment": "Do not let them rush you into paying. Do not send money to someone you "
    "have not met in person.",
}
_SIGNAL_ADVICE: dict[str, str] = {
    "blackmail": _ADVICE["extortion"],
    "threat": "Keep screenshots, tell someone you trust and contact the police if you feel unsafe.",
    "explicit_request": _ADVICE["pressured_explicit"],
    "isolation": "Do not meet anyone alone or in secret; meet in a busy public place and tell "
    "a friend.",
    "location_change": "Stick to a busy public place you chose and tell a friend where you are.",
    "personal_info": _ADVICE["credential_theft"],
    "financial_request": "Do not send money to someone you have not met in person.",
    "get_rich_quick": _ADVICE["investment_scam"],
    "age_concern": _ADVICE["minor_at_risk"],
}


def _join(parts: list[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def _summary(
    verdict: Verdict,
    strengths: Mapping[str, float],
    combos: Sequence[Combination],
    escalation: float,
) -> str:
    present = [s for s in _ORDER if strengths.get(s, 0.0) >= WEIGHTS.combo_min]
    present += sorted(s for s in strengths if s not in _ORDER and strengths[s] >= WEIGHTS.combo_min)
    if verdict == "safe":
        weak = [s for s in _ORDER if strengths.get(s, 0.0) > 0 and s in _WHAT]
        if weak:
            return (
                "Nothing here looks like a setup or a scam; a few phrases resembled warning "
                "signs but read as ordinary in context. Keep meeting in public places and "
                "telling a friend your plans."
            )
        return (
            "No warning signs were found in this conversation. Keep trusting your instincts: "
            "meet in public places and tell a friend your plans."
        )
    if verdict == "toxic":
        what = [_WHAT[s] for s in present if s in ("insult", "harassment")] or [
            "sent abusive messages"
        ]
        return (
            f"They {_join(what)}. You do not have to reply: block and report the account if it "
            "continues."
        )
    age_note = ""
    if "age_concern" in present:
        present.remove("age_concern")
        age_note = " The chat also mentions someone under 18."
    what = [_WHAT[s] for s in present if s in _WHAT][:4]
    unknown = [s for s in present if s not in _WHAT]
    if unknown:
        what.append("matched a rule of this service (" + ", ".join(unknown) + ")")
    first = f"They {_join(what)}." if what else "This conversation shows warning signs."
    if escalation >= 0.3:
        first = first[:-1] + ", getting more intense as the chat went on."
    if combos:
        advice = _ADVICE.get(combos[0].name, "")
    else:
        advice = next((_SIGNAL_ADVICE[s] for s in present if s in _SIGNAL_ADVICE), "")
    if not advice:
        advice = "Be careful: do not send money or photos, and meet only in a busy public place."
    return f"{first}{age_note} {advice}"


# --------------------------------------------------------------------------- main entry


def _model_message_score(scores: Mapping[str, float], classes: Sequence[str]) -> float:
    values = [
        WEIGHTS.model_class_weights.get(c, 1.0) * float(scores.get(c, 0.0))
        for c in classes
        if c in scores
    ]
    return max(values, default=0.0)


def analyze_conversation(
    messages: list[Message],
    model_scores: list[dict[str, float]],
    engine_classes: tuple[str, ...],
    rules: Sequence[CustomRule] = (),
) -> ChatAnalysis:
    """Score a conversation (see the module docstring).

    ``model_scores`` holds one ``{class: score}`` per message from the text engine (or is
    empty / holds empty dicts without one); ``engine_classes`` are the classes that engine
    really has, and the only ones reported under ``toxicity``.
    """
    if not model_scores:
        model_scores = [{} for _ in messages]
    if len(model_scores) != len(messages):
        raise ValueError("model_scores must have one entry per message")
    classes = tuple(engine_classes)
    sender_of = {m.index: m.sender for m in messages}

    raw_hits = detect_signals(messages, rules)
    context = detect_context(messages)
    hits = [h for h in raw_hits if not h.negated]
    hits += _conversation_hits(messages, context, hits)
    model = [_model_message_score(s, classes) for s in model_scores]

    suspect = _pick_suspect(messages, hits, model)
    jest = _jest_applies(messages, context, hits)

    # effective strength of every hit
    effective: list[tuple[SignalHit, float]] = []
    for h in hits:
        side = (
            1.0
            if suspect is None
            or h.name in WEIGHTS.any_sender_signals
            or sender_of.get(h.message_index) == suspect
            else WEIGHTS.other_sender_factor
        )
        effective.append((h, h.score * side * _mitigation(h, context, jest)))

    # per signal: best hit per message, then diminishing returns across messages
    per_signal_msg: dict[str, dict[int, float]] = {}
    for h, eff in effective:
        row = per_signal_msg.setdefault(h.name, {})
        row[h.message_index] = max(row.get(h.message_index, 0.0), eff)
    strengths: dict[str, float] = {}
    for name, row in per_signal_msg.items():
        ordered = sorted(row.values(), reverse=True)
        strengths[name] = min(
            0.99, _noisy_or([v * WEIGHTS.repeat_decay**k for k, v in enumerate(ordered)])
        )

    # kito risk
    kito_names = [n for n in strengths if n not in WEIGHTS.toxic_signals]
    kito = _noisy_or([WEIGHTS.weight(n) * strengths[n] for n in kito_names])
    fired = [
        c
        for c in COMBINATIONS
        if all(any(strengths.get(n, 0.0) >= c.min_score for n in group) for group in c.all_of)
    ]
    fired.sort(key=lambda c: -c.floor)
    if fired:
        kito = max(kito, fired[0].floor) + WEIGHTS.combo_extra * (len(fired) - 1)
    secrecy = strengths.get("secrecy", 0.0)
    others = _noisy_or([WEIGHTS.weight(n) * strengths[n] for n in kito_names if n != "secrecy"])
    if secrecy >= WEIGHTS.combo_min and others >= 0.2:
        kito += (1.0 - kito) * WEIGHTS.secrecy_amplifier * secrecy
    suspect_rows: dict[int, dict[str, float]] = {}
    for h, eff in effective:
        if h.name in WEIGHTS.toxic_signals or sender_of.get(h.message_index) != suspect:
            continue
        row = suspect_rows.setdefault(h.message_index, {})
        row[h.name] = max(row.get(h.name, 0.0), WEIGHTS.weight(h.name) * eff)
    escalation = _escalation(suspect_rows) if kito >= 0.2 else 0.0
    kito += (1.0 - kito) * WEIGHTS.escalation_bonus * escalation
    kito = min(kito, 0.99)

    # toxicity risk
    tox_signals = _noisy_or(
        [WEIGHTS.weight(n) * strengths.get(n, 0.0) for n in WEIGHTS.toxic_signals]
    )
    model_eff = []
    for m, score in zip(messages, model, strict=True):
        side = 1.0 if suspect is None or m.sender == suspect else WEIGHTS.other_sender_factor
        model_eff.append(score * side * (WEIGHTS.mitigations["jest"][1] if jest else 1.0))
    model_top = max(model_eff, default=0.0)
    tox = min(_noisy_or([tox_signals, WEIGHTS.model_weight * model_top]), 0.99)

    # verdict and risk
    verdict: Verdict
    if kito >= WEIGHTS.flag_threshold:
        if any(c.verdict == "danger" for c in fired):
            verdict = "danger"
        elif fired:
            verdict = "scam_risk"
        else:
            danger = max(
                (
                    WEIGHTS.weight(n) * strengths[n]
                    for n in kito_names
                    if n in WEIGHTS.danger_signals
                ),
                default=0.0,
            )
            scam = max(
                (
                    WEIGHTS.weight(n) * strengths[n]
                    for n in kito_names
                    if n not in WEIGHTS.danger_signals
                ),
                default=0.0,
            )
            verdict = "danger" if danger >= scam else "scam_risk"
        risk = _noisy_or([kito, 0.3 * tox])
    elif tox >= WEIGHTS.flag_threshold:
        verdict = "toxic"
        risk = min(_noisy_or([kito, tox]), WEIGHTS.toxic_cap)
    else:
        verdict = "safe"
        risk = max(kito, tox)
    if verdict == "safe":
        risk = min(risk, WEIGHTS.flag_threshold - 0.01)
    else:
        risk = max(risk, WEIGHTS.flag_threshold)
    risk = min(risk, 0.99)

    # confidence
    has_model = bool(classes) and any(model_scores)
    if verdict == "safe":
        base = WEIGHTS.safe_confidence_model if has_model else WEIGHTS.safe_confidence_signals_only
        confidence = base * (1.0 - risk)
    else:
        margin = (risk - WEIGHTS.flag_threshold) / (1.0 - WEIGHTS.flag_threshold)
        corroborating = sum(1 for v in strengths.values() if v >= WEIGHTS.combo_min)
        confidence = 0.5 + 0.35 * margin + 0.04 * min(corroborating - 1, 3) + (0.05 if fired else 0)
        if verdict == "toxic" and model_top >= WEIGHTS.model_message_threshold:
            confidence += 0.05
    confidence = min(max(confidence, 0.05), 0.99)

    # reported signals and messages
    reported: list[SignalSummary] = []
    for name in sorted(strengths, key=lambda n: (-strengths[n], n)):
        mine = sorted(
            ((h, e) for h, e in effective if h.name == name and e > 0),
            key=lambda he: (-he[1], he[0].message_index, he[0].start),
        )
        indices = tuple(sorted({h.message_index for h, _ in mine}))
        evidence: list[str] = []
        for h, _ in mine:
            quote = _quote(h.evidence)
            if quote and quote not in evidence:
                evidence.append(quote)
            if len(evidence) == 5:
                break
        senders = tuple(sorted({sender_of.get(i, "unknown") for i in indices}))
        reported.append(SignalSummary(name, _r(strengths[name]), indices, tuple(evidence), senders))

    msg_results: list[MessageResult] = []
    for m, scores, mscore in zip(messages, model_scores, model, strict=True):
        names = sorted({h.name for h, _ in effective if h.message_index == m.index})
        flagged = mscore >= WEIGHTS.model_message_threshold or any(
            e >= WEIGHTS.message_flag_threshold for h, e in effective if h.message_index == m.index
        )
        shown = {c: _r(float(scores[c])) for c in classes if c in scores}
        msg_results.append(MessageResult(m.index, m.sender, flagged, shown, tuple(names)))

    toxicity = {
        c: _r(max((float(s.get(c, 0.0)) for s in model_scores), default=0.0)) for c in classes
    }
    summary = _summary(verdict, strengths, fired, escalation)
    return ChatAnalysis(
        verdict=verdict,
        risk_score=_r(risk),
        confidence=_r(confidence),
        summary=summary,
        signals=tuple(reported),
        toxicity=toxicity,
        messages=tuple(msg_results),
        suspect=suspect,
        combinations=tuple(c.name for c in fired),
        escalation=_r(escalation),
        kito_risk=_r(kito),
        toxicity_risk=_r(tox),
        hits=tuple(raw_hits),
    )
