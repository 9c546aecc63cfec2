"""The fast paths of signal detection give exactly what the straightforward ones give.

* The prefilter (``re2.Filter``) reports exactly the table patterns that match, and running
  only those gives the same hits as running every pattern.
* The string-based normaliser gives the same views (text and spans) as the reference one,
  a per-character implementation kept here as the specification.
"""

from __future__ import annotations

import random
import re
import unicodedata
from collections.abc import Iterable

import pytest

from kitodeck.engines import signals
from kitodeck.engines.conversation import Message
from kitodeck.engines.evaluate import DEFAULT_PATH, load_conversations, to_messages
from kitodeck.engines.signals import NormalizedText, normalize_plain, normalize_words

ADVERSARIAL = (
    "",
    " ",
    "   \t\n ",
    "send me 5000 " * 30,
    "lol " * 40,
    "s3nd m3 n00dz pleeeease 🍆 💸💸 😂",
    "w.h.a.t.s.a.p.p me on t e l e g r a m, f o o l",
    "I will not send money, he asked me to send money",
    "if you dont pay I will leak your pics to your family",
    "I would never hurt you",
    "\u200bsend\u200b 5k to my opay 0123456789 asap!!!",
    "Don\u2019t TELL anyone `ok` \u00b4\u02bc\u2018",
    "café naïve résumé ½ ① ﬁ \uff21\uff22\uff23 İstanbul ß Σίσυφος \u00a8 \u2025 \u3000 \u00a0",
    "my bad, sorry ok? haha just kidding mate",
    "no",
    "stop",
    "Sis abeg send me 10k for transport",
    "ok   ",
    "  leading and trailing  ",
)


_WORDS = (
    "send me money now urgent whatsapp telegram nude pic idiot stupid i will not kill you "
    "leak your pics to family 5000 10k naira opay 0123456789 lol haha sorry ok n00dz s3nd "
    "w.h.a.t.s.a.p.p f o o l pleeease meet secret dont tell b1tch m3 l0ser"
)


def _dataset_texts() -> list[str]:
    texts = [m.text for row in load_conversations(DEFAULT_PATH) for m in to_messages(row)]
    return texts + list(ADVERSARIAL)


def _salad_texts(count: int) -> list[str]:
    """Messages made of random words of the data set: more varied than the data set."""
    rng = random.Random(7)
    vocabulary = " ".join(_dataset_texts()).split()
    return [" ".join(rng.choices(vocabulary, k=rng.randint(2, 40))) for _ in range(count)]


def _random_texts(count: int) -> list[str]:
    rng = random.Random(20240611)
    alphabet = (
        "abcdefghijklmnopqrstuvwxyzABCXYZ0123456789 .,!?'@$-_*·éèüßİıΣσς\u2019`\u00b4\u200b\u00ad"
        "\u00a8\u2025ﬁ①½😂💸🍆🔞📍🖕\n\t\u00a0\u3000\u1680"
    )
    words = _WORDS.split(" ")
    texts = []
    for k in range(count):
        n = rng.choice((1, 3, 10, 40, 120))
        if k % 2:
            texts.append(" ".join(rng.choice(words) for _ in range(n)))
        else:
            texts.append("".join(rng.choice(alphabet) for _ in range(n)))
    return texts


# --------------------------------------------------------------------------- prefilter


def _matching_one_by_one(view: str) -> tuple[int, ...]:
    return tuple(
        i for i, (_, regex) in enumerate(signals._COMPILED) if regex.search(view) is not None
    )


@pytest.mark.parametrize("source", ["dataset", "random", "salad"])
def test_prefilter_agrees_with_every_pattern(source: str) -> None:
    texts = {
        "dataset": _dataset_texts,
        "random": lambda: _random_texts(300),
        "salad": lambda: _salad_texts(600),
    }[source]()
    matched_any = 0
    for text in texts:
        view = normalize_words(text).text
        matched = signals._matching_patterns(view)
        assert matched == _matching_one_by_one(view), text
        assert signals._scan_table(text, matched) == signals._scan_table(
            text, signals._ALL_PATTERNS
        ), text
        matched_any += bool(matched)
    assert matched_any > len(texts) // 3  # the comparison is not vacuous


def test_cached_rows_are_the_full_scan_and_carry_the_message_index() -> None:
    for row in load_conversations(DEFAULT_PATH):
        messages = to_messages(row)
        hits = signals.detect_context(messages)
        expected = []
        for msg in messages:
            _, context_rows = signals._scan_table(msg.text, signals._ALL_PATTERNS)
            expected += [
                signals.ContextHit(name, msg.index, evidence, start, end)
                for name, evidence, start, end in context_rows
            ]
        assert hits == expected
        for msg in messages:
            moved = Message(msg.index + 7, msg.sender, msg.text)
            assert [h.message_index for h in signals._table_hits(moved)] == [
                msg.index + 7 for _ in signals._table_hits(msg)
            ]


def test_prefilter_numbers_every_pattern() -> None:
    everything = " ".join(_dataset_texts())
    assert signals._matching_patterns(normalize_words(everything).text) == _matching_one_by_one(
        normalize_words(everything).text
    )
    assert len(signals._ALL_PATTERNS) == len(signals.PATTERNS) == len(signals._COMPILED)


# --------------------------------------------------------------------------- normalisation
# The reference normaliser: one list entry per normalised character.

_Units = tuple[list[str], list[int], list[int]]


def _ref_base_units(text: str, emoji: bool) -> _Units:
    chars: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    for i, c in enumerate(text[: signals.MAX_MESSAGE_CHARS]):
        if c in signals._INVISIBLE:
            continue
        if c in signals._APOSTROPHES:
            piece = "'"
        elif emoji and c in signals.EMOJI_WORDS:
            piece = f" {signals.EMOJI_WORDS[c]} "
        elif c.isspace():
            piece = " "
        else:
            piece = unicodedata.normalize("NFKC", c)
            piece = "".join(
                ch for ch in unicodedata.normalize("NFD", piece) if unicodedata.category(ch) != "Mn"
            ).casefold()
        for ch in piece:
            chars.append(ch)
            starts.append(i)
            ends.append(i + 1)
    return chars, starts, ends


def _ref_filter(units: _Units, keep: Iterable[bool]) -> _Units:
    out: _Units = ([], [], [])
    for ch, s, e, k in zip(*units, keep, strict=True):
        if k:
            out[0].append(ch)
            out[1].append(s)
            out[2].append(e)
    return out


def _ref_collapse_spaces(units: _Units) -> _Units:
    keep = []
    prev = " "
    for ch in units[0]:
        keep.append(not (ch == " " and prev == " "))
        prev = ch
    out = _ref_filter(units, keep)
    while out[0] and out[0][-1] == " ":
        for lst in out:
            lst.pop()
    return out


def _ref_unleet(units: _Units) -> _Units:
    chars = list(units[0])
    n = len(chars)
    i = 0
    while i < n:
        if chars[i] not in signals._TOKEN_CHARS:
            i += 1
            continue
        j = i
        while j < n and chars[j] in signals._TOKEN_CHARS:
            j += 1
        token = chars[i:j]
        signals._unleet_token(token)
        chars[i:j] = token
        i = j
    return chars, units[1], units[2]


def _ref_join_spaced(units: _Units) -> _Units:
    text = "".join(units[0])
    keep = [True] * len(text)
    for match in signals._SPACED_RUN.finditer(text):
        letters = match.group()[::2]
        for drop in range(0, min(3, len(letters) - 2)):
            if drop and letters[drop - 1] not in "aiu":
                break
            candidate = letters[drop:]
            vocabulary = signals.VOCABULARY
            if candidate in vocabulary or signals._collapse_word(candidate) in vocabulary:
                first = match.start() + 2 * drop
                for p in range(first + 1, match.end(), 2):
                    keep[p] = False
                break
    return _ref_filter(units, keep)


def _ref_collapse_repeats(units: _Units) -> _Units:
    out: _Units = ([], [], [])
    for ch, s, e in zip(*units, strict=True):
        if out[0] and ch == out[0][-1] and "a" <= ch <= "z":
            out[2][-1] = max(out[2][-1], e)
            continue
        out[0].append(ch)
        out[1].append(s)
        out[2].append(e)
    return out


def _ref_finish(text: str, units: _Units) -> NormalizedText:
    return NormalizedText(text, "".join(units[0]), tuple(units[1]), tuple(units[2]))


def _ref_words(text: str) -> NormalizedText:
    units = _ref_base_units(text, emoji=True)
    units = _ref_filter(units, [ch != "'" for ch in units[0]])
    units = _ref_unleet(units)
    units = _ref_join_spaced(units)
    units = _ref_collapse_repeats(units)
    return _ref_finish(text, _ref_collapse_spaces(units))


def _ref_plain(text: str) -> NormalizedText:
    return _ref_finish(text, _ref_collapse_spaces(_ref_base_units(text, emoji=False)))


def test_leet_token_pattern_matches_the_token_characters() -> None:
    assert set(re.findall(signals._TOKEN.pattern[:-1], "".join(map(chr, range(0x250))))) == set(
        signals._TOKEN_CHARS
    )


@pytest.mark.parametrize("source", ["dataset", "random"])
def test_normalisation_matches_the_reference(source: str) -> None:
    texts = _dataset_texts() if source == "dataset" else _random_texts(600)
    for text in texts:
        assert normalize_words(text) == _ref_words(text), text
        assert normalize_plain(text) == _ref_plain(text), text


def test_normalisation_of_long_text_matches_the_reference() -> None:
    text = "".join(_random_texts(200))
    text = (text * (signals.MAX_MESSAGE_CHARS // max(1, len(text)) + 2))[
        : signals.MAX_MESSAGE_CHARS + 100
    ]
    assert normalize_words(text) == _ref_words(text)
    assert normalize_plain(text) == _ref_plain(text)
