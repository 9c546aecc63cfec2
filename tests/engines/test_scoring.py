"""Conversation scoring: verdicts, combinations, roles, negation, escalation, the contract shape."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from kitodeck.engines.conversation import Message, messages_from_dicts, parse_transcript
from kitodeck.engines.risk import risk_level
from kitodeck.engines.scoring import (
    COMBINATIONS,
    WEIGHTS,
    ChatAnalysis,
    analyze_conversation,
)
from kitodeck.engines.signals import SIGNALS, CustomRule, compile_rule

DETOXIFY = (
    "toxicity",
    "severe_toxicity",
    "obscene",
    "threat",
    "insult",
    "identity_attack",
    "sexual_explicit",
)


def chat(*lines: tuple[str, str]) -> list[Message]:
    return [Message(i, sender, text) for i, (sender, text) in enumerate(lines)]


def run(
    *lines: tuple[str, str],
    scores: list[dict[str, float]] | None = None,
    classes: tuple[str, ...] = (),
    rules: tuple[CustomRule, ...] = (),
) -> ChatAnalysis:
    return analyze_conversation(chat(*lines), scores or [], classes, rules)


def strength(result: ChatAnalysis, name: str) -> float:
    return next((s.score for s in result.signals if s.name == name), 0.0)


# --------------------------------------------------------------------------- the shape


def test_to_dict_has_the_contract_fields() -> None:
    result = run(
        ("Dave", "Let's move to WhatsApp +234 810 555 7788"),
        ("Ada", "ok"),
        ("Dave", "Baby send me 50k urgently to my Opay"),
        scores=[{"toxicity": 0.1}, {"toxicity": 0.0}, {"toxicity": 0.2}],
        classes=("toxicity",),
    )
    data = result.to_dict()
    assert {
        "verdict",
        "flagged",
        "risk_score",
        "risk_level",
        "confidence",
        "summary",
        "signals",
        "toxicity",
        "messages",
        "suspect",
    } <= set(data)
    assert data["verdict"] in ("safe", "toxic", "scam_risk", "danger")
    assert data["flagged"] is (data["verdict"] != "safe")
    assert data["risk_level"] == risk_level(data["risk_score"])
    assert 0.0 <= data["risk_score"] <= 1.0
    assert 0.0 <= data["confidence"] <= 1.0
    for signal in data["signals"]:
        assert {"name", "score", "messages", "evidence"} <= set(signal)
        assert signal["name"] in SIGNALS
        assert all(isinstance(e, str) and e for e in signal["evidence"])
    assert [m["index"] for m in data["messages"]] == [0, 1, 2]
    for message in data["messages"]:
        assert set(message) == {"index", "sender", "flagged", "scores", "signals"}
    assert data["messages"][2]["scores"] == {"toxicity": 0.2}
    assert data["toxicity"] == {"toxicity": 0.2}
    assert data["suspect"] == "Dave"
    assert isinstance(data["summary"], str) and data["summary"].endswith(".")


def test_evidence_quotes_original_messages() -> None:
    messages = chat(
        ("Zed", "s3nd me n00dz baby 🔞"), ("Lil", "No"), ("Zed", "If u dont I'll post ur pics")
    )
    result = analyze_conversation(messages, [], ())
    for signal in result.signals:
        for index, quote in zip(signal.messages, signal.evidence, strict=False):
            assert any(quote in m.text for m in messages), (index, quote)
    explicit = next(s for s in result.signals if s.name == "explicit_request")
    assert explicit.evidence == ("s3nd me n00dz baby 🔞",)


def test_empty_conversation_is_safe() -> None:
    result = analyze_conversation([], [], ())
    assert result.verdict == "safe"
    assert result.risk_score == 0.0
    assert result.suspect is None
    assert result.to_dict()["messages"] == []


def test_model_scores_must_match_messages() -> None:
    with pytest.raises(ValueError, match="one entry per message"):
        analyze_conversation(
            chat(("a", "hi"), ("b", "hello")), [{"profanity": 0.1}], ("profanity",)
        )


def test_deterministic() -> None:
    lines = (("Sunny", "Make we meet for my place"), ("Nk", "ok"), ("Sunny", "come alone now now"))
    assert run(*lines).to_dict() == run(*lines).to_dict()


# --------------------------------------------------------------------------- combinations


def test_off_platform_plus_money_is_scam() -> None:
    result = run(
        ("Daniel", "This app is boring, let's move to WhatsApp. +234 810 555 7788"),
        ("Chi", "Ok"),
        ("Daniel", "Please send 50k to my Opay, I'll pay you back next week"),
    )
    assert result.verdict == "scam_risk"
    assert "off_platform_payment" in result.combinations
    assert result.risk_level in ("high", "critical")


def test_explicit_request_plus_blackmail_is_sextortion() -> None:
    result = run(
        ("Alex", "Send me a nude, nobody will see it"),
        ("Ope", "ok"),
        ("Alex", "Now pay 100k or I send your pictures to all your Instagram followers"),
    )
    assert result.verdict == "danger"
    assert {"sextortion", "extortion"} <= set(result.combinations)
    assert result.risk_level == "critical"


def test_isolation_location_urgency_is_a_setup() -> None:
    result = run(
        ("Jay", "Come to my place tonight, I'll send the address"),
        ("Ada", "Can my friend drop me?"),
        ("Jay", "No, come alone"),
        ("Jay", "Hurry, it's urgent"),
    )
    assert result.verdict == "danger"
    assert {"setup", "rushed_meeting"} <= set(result.combinations)
    assert result.risk_level == "critical"


def test_pidgin_setup() -> None:
    result = run(
        ("Sunny", "Make we meet for my place for Agege"),
        ("Nkechi", "Why not for restaurant?"),
        ("Sunny", "No bring anybody follow you o"),
        ("Sunny", "Come now now, I dey wait"),
    )
    assert result.verdict == "danger"
    assert result.risk_level in ("high", "critical")


def test_secrecy_amplifies() -> None:
    base = (("Kel", "Send 20k now please"), ("Ije", "why?"))
    plain = run(*base)
    secret = run(*base, ("Kel", "and keep it between us"))
    assert secret.risk_score > plain.risk_score
    assert "secret_payment" in secret.combinations


def test_threat_alone_is_danger() -> None:
    result = run(("Boss", "I sabi where you dey stay. My boys go visit you"))
    assert result.verdict == "danger"
    assert result.risk_level in ("high", "critical")


def test_credential_request_is_scam() -> None:
    result = run(("Paul", "Send me the OTP they sent to your phone, quickly before it expires"))
    assert result.verdict == "scam_risk"
    assert "rushed_credentials" in result.combinations


def test_minor_with_explicit_request_is_danger() -> None:
    result = run(("Sam", "send me nudes"), ("Kid", "I am 15 years old"))
    assert "minor_at_risk" in result.combinations
    assert result.verdict == "danger"


def test_every_combination_is_well_formed() -> None:
    names = [c.name for c in COMBINATIONS]
    assert len(names) == len(set(names))
    for combo in COMBINATIONS:
        assert combo.verdict in ("scam_risk", "danger")
        assert 0.3 <= combo.floor < 1.0
        for group in combo.all_of:
            assert set(group) <= set(SIGNALS)


def test_weights_are_one_documented_place() -> None:
    assert set(WEIGHTS.signal_weights) == set(SIGNALS)
    assert all(0 < w <= 1 for w in WEIGHTS.signal_weights.values())
    with pytest.raises(AttributeError):
        WEIGHTS.flag_threshold = 0.1  # type: ignore[misc]


# --------------------------------------------------------------------------- toxicity


def test_model_toxicity_alone_is_toxic() -> None:
    result = run(
        ("Rex", "you people are all the same"),
        ("Sam", "ok bye"),
        scores=[dict.fromkeys(DETOXIFY, 0.0) | {"toxicity": 0.93}, dict.fromkeys(DETOXIFY, 0.01)],
        classes=DETOXIFY,
    )
    assert result.verdict == "toxic"
    assert result.flagged
    assert set(result.toxicity) == set(DETOXIFY)
    assert result.toxicity["toxicity"] == 0.93
    assert result.suspect == "Rex"
    assert result.messages[0].flagged and not result.messages[1].flagged


def test_only_the_engines_classes_are_reported() -> None:
    result = run(
        ("a", "hello"), scores=[{"profanity": 0.2, "made_up": 0.9}], classes=("profanity",)
    )
    assert result.toxicity == {"profanity": 0.2}
    assert dict(result.messages[0].scores) == {"profanity": 0.2}
    no_model = run(("a", "hello"))
    assert no_model.toxicity == {}
    assert dict(no_model.messages[0].scores) == {}


def test_insults_without_a_model_are_toxic_not_kito() -> None:
    result = run(
        ("Kevin", "drinks tonight?"),
        ("Mary", "No thanks"),
        ("Kevin", "You're ugly anyway, stupid fat cow"),
    )
    assert result.verdict == "toxic"
    assert result.risk_level in ("medium", "high")
    assert result.suspect == "Kevin"


def test_continuing_after_stop_is_harassment() -> None:
    result = run(
        ("Kola", "Babe just one chance"),
        ("Amara", "Please stop messaging me"),
        ("Kola", "You go answer me one day"),
        ("Kola", "I dey wait"),
    )
    assert result.verdict == "toxic"
    assert strength(result, "harassment") > 0


def test_friends_swearing_in_jest_stay_safe() -> None:
    lines = (
        ("Mike", "You absolute idiot, you left your keys in my car again 😂"),
        ("Jide", "lmao shut up, I'm coming"),
        ("Mike", "Useless man. Love you bro"),
    )
    assert run(*lines).verdict == "safe"
    profane = [{"profanity": 0.99}, {"profanity": 0.9}, {"profanity": 0.54}]
    assert run(*lines, scores=profane, classes=("profanity",)).verdict == "safe"


def test_gift_card_requests_are_never_softened_by_context() -> None:
    result = run(
        ("Mark", "It's my sister's birthday, buy me an iTunes gift card, $200"),
        ("Mark", "Just scratch it and send me the code. You owe me after all I did"),
    )
    assert result.verdict == "scam_risk"
    assert result.risk_level in ("high", "critical")


# --------------------------------------------------------------------------- roles, negation


def test_suspect_is_who_shows_the_signals() -> None:
    result = run(
        ("Ada", "hi"),
        ("Femi", "Send me 50k now, it's urgent"),
        ("Ada", "why? my number is 0803 555 0142 if you want to call"),
    )
    assert result.suspect == "Femi"
    off = next(s for s in result.signals if s.name == "off_platform")
    assert off.score == pytest.approx(0.55 * WEIGHTS.other_sender_factor, abs=1e-3)
    assert off.senders == ("Ada",)


def test_refusal_from_the_target_does_not_count() -> None:
    result = run(
        ("Ada", "I will not send money to anyone I haven't met"),
        ("Tobi", "Fair enough, see you at the cafe"),
    )
    assert result.verdict == "safe"
    assert not any(s.name == "financial_request" for s in result.signals)


def test_pushing_after_a_refusal_is_pressure() -> None:
    result = run(
        ("Vic", "🍆 send pic 📸 now 🔞"),
        ("Ama", "No"),
        ("Vic", "Don't be boring, send it"),
    )
    assert strength(result, "pressure") > 0
    assert result.verdict == "danger"
    assert "pressured_explicit" in result.combinations


def test_target_quoting_a_scam_is_safe() -> None:
    result = run(
        ("Funke", "Be careful, a guy asked me to send money for his flight lol"),
        ("Dami", "Wow, never send money to someone you haven't met"),
    )
    assert result.verdict == "safe"


# --------------------------------------------------------------------------- escalation


def test_escalation_raises_risk() -> None:
    steps = [
        ("Steve", "Can we talk on WhatsApp? +44 7911 123456"),
        ("Bola", "ok"),
        ("Steve", "I need a small help, 10k for data"),
        ("Bola", "Sorry I can't"),
        ("Steve", "You will regret this. I know where you live"),
    ]
    forward = run(*steps)
    backward = run(*[(s, t) for s, t in reversed(steps)])
    assert forward.escalation > 0
    assert backward.escalation == 0
    assert forward.risk_score >= backward.risk_score
    assert "more intense" in forward.summary


# --------------------------------------------------------------------------- hard negatives


HARD_NEGATIVES = {
    "surprise party": (
        ("Ife", "Don't tell Ada anything about Saturday, it's a surprise party!"),
        ("Gbenga", "My lips are sealed 🤐"),
        ("Ife", "Keep it between us till then"),
    ),
    "split bill": (
        ("Chinedu", "Dinner came to 24k, so your share is 12k"),
        ("Ope", "Send me your account details"),
        ("Chinedu", "Kuda 2009876543. No rush"),
    ),
    "paying back a friend": (
        ("Segun", "Guy abeg send the 5k wey you borrow last week"),
        ("Kunle", "Sorry bro, I go send am now now"),
        ("Segun", "My opay na 8031234567"),
    ),
    "public first date": (
        ("Tobi", "Would you like to meet at Cafe Neo on Saturday at 4?"),
        ("Adaeze", "Yes! My sister will drop me and my friends know where I'll be"),
    ),
    "work phone": (
        ("Sarah", "For the vendor call reach me on my work line +234 803 555 0142"),
        ("Tunde", "Thanks, mine is 0809 222 3344"),
    ),
    "parent": (
        ("Mum", "Come home now, it's getting dark"),
        ("Tolu", "Ok mum"),
        ("Mum", "Quickly please, your dad is waiting"),
    ),
    "business payment": (
        ("Vendor", "Please find attached the invoice for the 20 chairs."),
        ("Vendor", "Kindly transfer the deposit to our GTBank account 0234567891 (Vendor Ltd)"),
        ("Buyer", "Our accounts team will pay by Friday"),
    ),
}


@pytest.mark.parametrize("name", sorted(HARD_NEGATIVES))
def test_hard_negatives_stay_safe(name: str) -> None:
    result = run(*HARD_NEGATIVES[name])
    assert result.verdict == "safe", result.to_dict()
    assert result.risk_level == "low"
    assert "No warning signs" in result.summary or "ordinary in context" in result.summary


# --------------------------------------------------------------------------- summaries, rules


def test_summaries_differ_per_combination() -> None:
    setup = run(("Jay", "Come to my place, come alone"))
    scam = run(("Dan", "Add me on WhatsApp 0803 555 0142"), ("Dan", "Send me 50k"))
    sextortion = run(("X", "send nudes"), ("X", "or I will post your pictures for your family"))
    safe = run(("A", "How was your day?"), ("B", "Great, thanks"))
    texts = {setup.summary, scam.summary, sextortion.summary, safe.summary}
    assert len(texts) == 4
    assert "public place" in setup.summary
    assert "money" in scam.summary
    assert "Do not pay" in sextortion.summary
    assert "No warning signs" in safe.summary
    for result in (setup, scam, sextortion):
        assert result.summary.startswith("They ")


def test_custom_rules_feed_the_score() -> None:
    rule = CustomRule("mule", compile_rule("keyword", "receive money for me"), "money_mule", 0.9)
    result = run(("Kev", "Can you receive money for me and send it on?"), rules=(rule,))
    mule = next(s for s in result.signals if s.name == "money_mule")
    assert mule.evidence == ("receive money for me",)
    assert result.flagged
    assert "rule of this service" in result.summary


# --------------------------------------------------------------------------- transcripts


def test_parse_transcript() -> None:
    text = (
        "Tunde: hi there\n"
        "how far\n"
        "\n"
        "[12/03/2024, 21:15] Ada: hello: you\n"
        "12/03/2024, 21:16 - Tunde: Here is my account: 0123\n"
        "Here is my account: 0123\n"
        "Customs Officer: pay now\n"
    )
    messages = parse_transcript(text)
    assert [(m.index, m.sender, m.text) for m in messages] == [
        (0, "Tunde", "hi there"),
        (1, "Tunde", "how far"),
        (2, "Ada", "hello: you"),
        (3, "Tunde", "Here is my account: 0123"),
        (4, "Tunde", "Here is my account: 0123"),
        (5, "Customs Officer", "pay now"),
    ]
    assert messages[2].timestamp == datetime(2024, 3, 12, 21, 15, tzinfo=UTC)
    assert messages[0].timestamp is None


def test_transcript_without_names() -> None:
    messages = parse_transcript("hello\n\n  come alone  \n")
    assert [(m.sender, m.text) for m in messages] == [
        ("unknown", "hello"),
        ("unknown", "come alone"),
    ]
    result = analyze_conversation(messages, [], ())
    assert result.suspect == "unknown"


def test_messages_from_dicts() -> None:
    messages = messages_from_dicts(
        [
            {"sender": "Ada", "text": "hi", "timestamp": "2024-03-12T21:15:00Z"},
            {"sender": "", "text": "hello"},
        ]
    )
    assert messages[0].timestamp == datetime(2024, 3, 12, 21, 15, tzinfo=UTC)
    assert messages[1].sender == "unknown"
    assert [m.index for m in messages] == [0, 1]
