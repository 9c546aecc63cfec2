"""Kito signal detection: tables, normalisation, evidence spans, contacts, admin rules."""

from __future__ import annotations

import time

import pytest

from kitodeck.engines.conversation import Message
from kitodeck.engines.signals import (
    MAX_RULE_CHARS,
    SIGNALS,
    CustomRule,
    InvalidRule,
    SignalHit,
    compile_rule,
    detect_context,
    detect_signals,
    normalize_plain,
    normalize_words,
)


def scan(*texts: str, rules: tuple[CustomRule, ...] = ()) -> list[SignalHit]:
    messages = [Message(i, f"s{i % 2}", t) for i, t in enumerate(texts)]
    return detect_signals(messages, rules)


def found(text: str) -> set[str]:
    """Signals raised (not negated) by one message."""
    return {h.name for h in scan(text) if not h.negated}


def first(text: str, name: str) -> SignalHit:
    hits = [h for h in scan(text) if h.name == name and not h.negated]
    assert hits, f"{name} not found in {text!r}: {scan(text)}"
    return max(hits, key=lambda h: h.score)


# --------------------------------------------------------------------------- each signal

CASES: list[tuple[str, str]] = [
    # financial_request: English, Pidgin, leetspeak, emoji, currencies, channels
    ("financial_request", "Please send me 50k today"),
    ("financial_request", "Abeg transfer 20k give me"),
    ("financial_request", "s3nd me 5k babe"),
    ("financial_request", "send 💰 now"),
    ("financial_request", "Pay 45,000 naira clearance fee to release it"),
    ("financial_request", "just send N5000 to my Opay"),
    ("financial_request", "I need $200 to clear my luggage"),
    ("financial_request", "help me with 15k, I'm stranded"),
    ("financial_request", "Buy me an iTunes gift card and send the code"),
    ("financial_request", "Put 100k in USDT and you'll double it"),
    ("financial_request", "send it to my palmpay"),
    # secrecy
    ("secrecy", "Don't tell anyone about us"),
    ("secrecy", "Make you no tell anybody o"),
    ("secrecy", "keep this between us"),
    ("secrecy", "Delete our chats after reading"),
    ("secrecy", "na our secret 🤫"),
    # isolation
    ("isolation", "Come alone"),
    ("isolation", "No bring anybody follow you"),
    ("isolation", "Don't bring your friend, I'm shy"),
    ("isolation", "switch off your location before you come"),
    ("isolation", "C O M E   A L O N E"),
    # location_change
    ("location_change", "Make we meet for my place"),
    ("location_change", "Change of plan, take a bike to this address instead"),
    ("location_change", "Come to the uncompleted building behind the church"),
    ("location_change", "Meet me at the hotel instead, room 204"),
    # urgency
    ("urgency", "It's urgent!!"),
    ("urgency", "send am now now"),
    ("urgency", "come sharp sharp"),
    ("urgency", "I need it ASAP ⏰"),
    # off_platform
    ("off_platform", "Let's move to WhatsApp, this app is boring"),
    ("off_platform", "add me on snap: bryan_xo"),
    ("off_platform", "chat me for W.h.a.t.s.A.p.p"),
    ("off_platform", "what's your IG?"),
    ("off_platform", "call me on 0803 555 0142"),
    # explicit_request
    ("explicit_request", "send me nudes"),
    ("explicit_request", "s3nd me n00dz baby"),
    ("explicit_request", "Snap your nyash send give me"),
    ("explicit_request", "🍆 send pic 📸 now 🔞"),
    ("explicit_request", "Take off your clothes for me"),
    ("explicit_request", "send a pic of you in the shower"),
    # threat
    ("threat", "If you tell anybody, I go kill you"),
    ("threat", "I sabi where you dey stay"),
    ("threat", "my boys go visit you"),
    ("threat", "I know where you live"),
    ("threat", "I will find you and deal with you"),
    # blackmail
    ("blackmail", "I go release your pictures for Facebook"),
    ("blackmail", "Pay or I will post your nudes on Instagram"),
    ("blackmail", "If you don't send 50k I'll post them and tag your family"),
    ("blackmail", "I have your nudes"),
    ("blackmail", "Send 30k or your boss gets them tomorrow"),
    # insult
    ("insult", "you are a stupid idiot"),
    ("insult", "Werey, your head no correct"),
    ("insult", "Shut up b!tch"),
    ("insult", "st*pid id10t"),
    ("insult", "Stuuuupid gyal"),
    ("insult", "you are a f o o l"),
    ("insult", "🖕"),
    # harassment
    ("harassment", "Why are you ignoring me?"),
    ("harassment", "You can't escape me"),
    ("harassment", "go kill yourself"),
    ("harassment", "I no go stop until you agree"),
    # extra signals
    ("personal_info", "send me the OTP they sent to your phone"),
    ("personal_info", "I need your BVN to send the gift"),
    ("personal_info", "Come alone and bring your ATM card"),
    ("age_concern", "I am 15 years old"),
    ("age_concern", "you're 16 right? that's fine"),
    ("sob_story", "my mum is in hospital"),
    ("emotional_pressure", "if you really loved me you would help"),
    ("get_rich_quick", "you'll get 300k by next week"),
]


@pytest.mark.parametrize(("signal", "text"), CASES)
def test_each_signal_is_detected(signal: str, text: str) -> None:
    assert signal in found(text)


def test_signal_names_cover_the_contract() -> None:
    contract = {
        "financial_request",
        "secrecy",
        "isolation",
        "location_change",
        "urgency",
        "off_platform",
        "explicit_request",
        "threat",
        "blackmail",
        "insult",
        "harassment",
    }
    assert contract <= set(SIGNALS)
    assert {signal for signal, _ in CASES} <= set(SIGNALS)


@pytest.mark.parametrize(
    "text",
    [
        "I paid the bill already",
        "Dinner came to 24k in total",
        "The shoes cost 15k, last price",
        "Don't worry about money, it's my treat",
        "I'll send the agenda by email",
        "I'll share a Google Drive link to your email tonight",
        "Can you send me a pic of your dress so I can match my cap?",
        "I'll meet you at the lobby at 3",
        "We're finishing the assignment",
        "see you but I'm late",
    ],
)
def test_ordinary_sentences_raise_nothing_serious(text: str) -> None:
    serious = {"financial_request", "blackmail", "threat", "explicit_request", "insult"}
    assert not found(text) & serious


# --------------------------------------------------------------------------- robustness


@pytest.mark.parametrize(
    "text",
    [
        "SEND ME 50K",
        "send    me\t50k",
        "send me 50k".translate({c: c + 0xFEE0 for c in range(0x21, 0x7F)}),  # fullwidth
        "se\u200bnd me 50k",  # zero-width space
        "sènd mé 50k",  # accents
        "seeeeend me 50k",
        "s3nd m3 50k",
    ],
)
def test_normalisation_defeats_evasion(text: str) -> None:
    hit = first(text, "financial_request")
    assert hit.evidence == text[hit.start : hit.end]


def test_normalised_views() -> None:
    assert normalize_words("Pleeeease DON\u2019T").text == "please dont"
    assert normalize_words("n00dz").text == "nodz"
    assert normalize_words("l0ser").text == "loser"
    assert normalize_words("w.h.a.t.s.a.p.p").text == "whatsap"
    assert normalize_words("50k 5pm 10am 2024").text == "50k 5pm 10am 2024"  # digits kept
    assert normalize_words("💸").text == "money"
    assert normalize_plain("Hello   💸  WORLD").text == "hello 💸 world"


def test_views_map_back_to_original_spans() -> None:
    text = "Abeg  TRAAANSFER ₦20k 🙏"
    view = normalize_words(text)
    start = view.text.index("transfer")
    s, e = view.span(start, start + len("transfer"))
    assert text[s:e] == "TRAAANSFER"


@pytest.mark.parametrize(
    ("text", "signal", "evidence"),
    [
        ("Abeg TRANSFER   20k give me 🙏", "financial_request", "TRANSFER   20k"),
        ("s3nd me n00dz baby 🔞", "explicit_request", "s3nd me n00dz baby 🔞"),
        ("you are a f o o l", "insult", "you are a f o o l"),
        ("Stuuupid gyal", "insult", "Stuuupid"),
        ("🍆 send pic 📸 now 🔞", "explicit_request", "send pic 📸 now 🔞"),
        ("Please COME ALONE!", "isolation", "COME ALONE"),
        ("chat me for W.h.a.t.s.A.p.p", "off_platform", "chat me for W.h.a.t.s.A.p.p"),
    ],
)
def test_evidence_quotes_the_original_text(text: str, signal: str, evidence: str) -> None:
    hit = first(text, signal)
    assert hit.evidence == evidence
    assert text[hit.start : hit.end] == evidence


def test_every_hit_span_matches_its_evidence() -> None:
    texts = [text for _, text in CASES]
    for hit in scan(*texts):
        assert texts[hit.message_index][hit.start : hit.end] == hit.evidence
        assert 0.0 < hit.score <= 1.0
        assert hit.source == "builtin"


# --------------------------------------------------------------------------- contacts


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("my work line is +234 803 555 0142", "+234 803 555 0142"),
        ("text me 0812 345 6789 after 6", "0812 345 6789"),
        ("08091234567", "08091234567"),
        ("reach me on +44 7911 123456", "+44 7911 123456"),
        ("0 8 1 2 3 4 5 6 7 8 9", "0 8 1 2 3 4 5 6 7 8 9"),
    ],
)
def test_phone_numbers_use_the_phonenumbers_parser(text: str, number: str) -> None:
    evidence = {h.evidence for h in scan(text) if h.name == "off_platform"}
    assert number in evidence


@pytest.mark.parametrize("text", ["born in 1990", "room 204", "call me at 5", "12345"])
def test_short_numbers_are_not_phones(text: str) -> None:
    assert "off_platform" not in found(text)


@pytest.mark.parametrize(
    "text", ["my opay na 8031234567", "Send to my Palmpay 09012345678", "Kuda 2009876543"]
)
def test_wallet_numbers_are_payment_details_not_contacts(text: str) -> None:
    names = found(text)
    assert "financial_request" in names
    assert "off_platform" not in names


def test_handles_and_emails() -> None:
    hits = [
        h for h in scan("IG: @paul.wanders or mail paul@example.com") if h.name == "off_platform"
    ]
    assert {h.evidence for h in hits} == {"@paul.wanders", "paul@example.com"}


@pytest.mark.parametrize("text", ["send me ₦50,000", "send NGN 20000", "pay $200", "send #5000"])
def test_currency_amounts(text: str) -> None:
    assert "financial_request" in found(text)


# --------------------------------------------------------------------------- negation


@pytest.mark.parametrize(
    ("text", "signal"),
    [
        ("I will not send money to anyone", "financial_request"),
        ("I no go transfer 20k", "financial_request"),
        ("A guy on Tinder asked me to send money for his flight", "financial_request"),
        ("Never send money to someone you haven't met", "financial_request"),
        ("I would never hurt you", "threat"),
        ("I will not post your pictures, relax", "blackmail"),
        ("You should not come alone", "isolation"),
    ],
)
def test_negated_or_reported_hits_are_marked(text: str, signal: str) -> None:
    hits = [h for h in scan(text) if h.name == signal]
    assert hits
    assert all(h.negated for h in hits)


def test_conditional_demand_is_not_negation() -> None:
    hit = first("If you don't send 50k I'll post your pictures", "financial_request")
    assert not hit.negated


# --------------------------------------------------------------------------- context cues


def test_context_cues() -> None:
    messages = [
        Message(0, "a", "You idiot 😂"),
        Message(1, "b", "lmao"),
        Message(2, "a", "Keep it a secret, it's a surprise party"),
        Message(3, "b", "No"),
        Message(4, "a", "Please stop messaging me"),
    ]
    names = {(c.name, c.message_index) for c in detect_context(messages)}
    assert {("jest", 0), ("jest", 1), ("celebration", 2), ("refusal", 3), ("rebuff", 4)} <= names
    assert not any(h.name.startswith("ctx") for h in detect_signals(messages))


# --------------------------------------------------------------------------- admin rules


def test_keyword_rule_matches_normalised_words_at_boundaries() -> None:
    rule = CustomRule("cards", compile_rule("keyword", "Gift Card"), "financial_request", 0.9)
    hits = [
        h
        for h in scan("buy a G1FT   CAAARD", "my cardigan", rules=(rule,))
        if h.source != "builtin"
    ]
    assert [(h.message_index, h.evidence, h.source, h.score) for h in hits] == [
        (0, "G1FT   CAAARD", "rule:cards", 0.9)
    ]
    word = CustomRule("card", compile_rule("keyword", "card"), "financial_request", 0.5)
    assert not [h for h in scan("a nice cardigan", rules=(word,)) if h.source == "rule:card"]


def test_keyword_rule_respects_negation() -> None:
    rule = CustomRule("btc", compile_rule("keyword", "send bitcoin"), "financial_request", 0.8)
    hits = [h for h in scan("I will never send bitcoin", rules=(rule,)) if h.source == "rule:btc"]
    assert hits
    assert all(h.negated for h in hits)


def test_regex_rule_is_case_insensitive_on_plain_view() -> None:
    rule = CustomRule("coin", compile_rule("regex", r"bit(coin)?\s+wallet"), "mule", 1.7)
    hits = [h for h in scan("Send it to my BITCOIN  wallet 💸", rules=(rule,)) if h.name == "mule"]
    assert len(hits) == 1
    assert hits[0].evidence == "BITCOIN  wallet"
    assert hits[0].score == 1.0  # weight clipped to 0..1


@pytest.mark.parametrize(
    ("kind", "pattern", "message"),
    [
        ("regex", "(abc", "invalid regular expression"),
        ("regex", r"(a)\1", "backreference"),
        ("regex", r"(?=a)b", "lookahead"),
        ("regex", r"(?<=a)b", "lookbehind"),
        ("regex", "a" * (MAX_RULE_CHARS + 1), "longer than"),
        ("regex", "", "empty"),
        ("regex", "a*", "matches empty text"),
        ("keyword", "   ", "empty"),
        ("keyword", "!!!", "no letters"),
        ("glob", "*.exe", "kind"),
    ],
)
def test_invalid_rules(kind: str, pattern: str, message: str) -> None:
    with pytest.raises(InvalidRule, match=message) as info:
        compile_rule(kind, pattern)
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize("pattern", ["(a+)+$", "(a|aa)+$", "(a*)*b", "(x+x+)+y"])
def test_redos_patterns_run_in_linear_time(pattern: str) -> None:
    rule = compile_rule("regex", pattern)
    text = "a" * 100_000 + "!"
    started = time.perf_counter()
    assert rule.regex.search(text) is None or pattern == "(a*)*b"
    hits = detect_signals([Message(0, "x", text)], [CustomRule("redos", rule, "threat", 0.9)])
    elapsed = time.perf_counter() - started
    assert isinstance(hits, list)
    assert elapsed < 10.0  # generous: it takes well under a second


def test_huge_repetitive_message_is_bounded() -> None:
    text = "send me 50k now, come alone. " * 4000
    started = time.perf_counter()
    hits = scan(text)
    assert time.perf_counter() - started < 10.0
    assert 0 < len(hits) < 500
