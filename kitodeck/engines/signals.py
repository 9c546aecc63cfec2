"""Kito signal detection: pattern tables (English and Nigerian Pidgin) run on normalised text.

Every message is normalised twice, keeping for each normalised character the span of the
original characters it came from, so evidence always quotes the original text:

* the *words* view (built-in tables, keyword rules): NFKC, accents and invisible characters
  removed, lower-cased, apostrophes dropped ("don't" -> "dont"), emoji replaced by words
  (💸 -> "money", 🔞 -> "nsfw"), leetspeak undone inside words ("s3nd" -> "send",
  "n00dz" -> "noodz"), spaced-out words joined ("w.h.a.t.s.a.p.p" -> "whatsapp"), runs of
  the same letter collapsed to one ("pleeease" -> "please", but also "meet" -> "met"),
  whitespace collapsed. Built-in and keyword patterns get the same letter collapsing, so
  they are written in plain spelling.
* the *plain* view (admin regex rules): NFKC, accents and invisible characters removed,
  lower-cased, whitespace collapsed; emoji, digits and punctuation kept as they are.

All patterns run on google-re2 (linear time). Phone numbers come from ``phonenumbers``.
A hit whose clause is negated or reported ("I will not send money", "he asked me to send
money") is returned with ``negated=True`` so the scorer can ignore it.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import phonenumbers
import re2

from kitodeck.engines.conversation import Message

# --------------------------------------------------------------------------- public types

#: Signal names of the API contract, plus the extra ones this engine reports.
CONTRACT_SIGNALS: tuple[str, ...] = (
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
)
EXTRA_SIGNALS: tuple[str, ...] = (
    "personal_info",  # asks for OTP/PIN/BVN/card, home address, to bring an ATM card
    "age_concern",  # someone in the chat says they are under 18
    "sob_story",  # hard-luck story that usually precedes a money request
    "emotional_pressure",  # "if you loved me you would..."
    "get_rich_quick",  # unrealistic returns, "investment" lures
    "pressure",  # keeps pushing after a refusal (added by the scorer, conversation-level)
)
SIGNALS: tuple[str, ...] = CONTRACT_SIGNALS + EXTRA_SIGNALS

#: Longest admin rule pattern accepted.
MAX_RULE_CHARS = 500
#: Only the first this many characters of a message are analysed.
MAX_MESSAGE_CHARS = 50_000
#: At most this many hits per pattern (or rule) and message, so a huge repetitive message
#: cannot make the scan slow.
MAX_HITS_PER_PATTERN = 20
#: Memory budget of one compiled admin rule (bytes); re2 refuses bigger automata.
RULE_MAX_MEM = 8 << 20


class InvalidRule(ValueError):
    """An admin rule pattern that cannot be used; the message says why, for humans."""


@dataclass(frozen=True, slots=True)
class SignalHit:
    """One signal found in one message; ``evidence`` is ``original_text[start:end]``."""

    name: str
    score: float
    message_index: int
    evidence: str
    start: int
    end: int
    source: str = "builtin"
    negated: bool = False
    tag: str = ""  # refinement for the scorer, e.g. "switch" (a venue change)


@dataclass(frozen=True, slots=True)
class ContextHit:
    """A contextual cue (banter, repayment, refusal...) that changes how signals are read."""

    name: str
    message_index: int
    evidence: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class CompiledRule:
    """An admin rule ready to run: ``view`` is the normalised view it matches on."""

    kind: str
    pattern: str
    regex: re2._Regexp
    view: str  # "words" (keyword rules) or "plain" (regex rules)


@dataclass(frozen=True, slots=True)
class CustomRule:
    """An enabled admin rule: a match raises ``signal`` with score ``weight`` (0..1)."""

    name: str
    compiled: CompiledRule
    signal: str
    weight: float


# --------------------------------------------------------------------------- normalisation


@dataclass(frozen=True, slots=True)
class NormalizedText:
    """Normalised text plus, per character, the original span it came from."""

    original: str
    text: str
    starts: tuple[int, ...]
    ends: tuple[int, ...]

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Original ``(start, end)`` of the normalised slice ``text[start:end]``."""
        if end <= start:
            pos = self.starts[start] if start < len(self.starts) else len(self.original)
            return pos, pos
        return self.starts[start], self.ends[end - 1]


# Emoji as words, so the tables can use them. Laughter maps to "lol" (banter cue).
EMOJI_WORDS: dict[str, str] = {
    **dict.fromkeys("💰💸💵💴💶💷🤑💳🏦🪙", "money"),
    **dict.fromkeys("🍆🍑💦👅🔞🫦👙", "nsfw"),
    **dict.fromkeys("🔫🔪🗡💣⚰🪓", "weapon"),
    **dict.fromkeys("😂🤣😆😹😅", "lol"),
    **dict.fromkeys("🤫🤐", "shh"),
    **dict.fromkeys("📸📷📹🎥", "pic"),
    **dict.fromkeys("📱📞☎", "phone"),
    "📍": "location",
    "🖕": "fuck you",
    "🙏": "please",
    **dict.fromkeys("⏰⏳⌛", "hurry"),
}
_INVISIBLE = frozenset(
    "\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e\ufe0e\ufe0f\u034f"
    + "".join(chr(c) for c in range(0x1F3FB, 0x1F400))  # skin tones
)
_APOSTROPHES = frozenset("'\u2019\u2018\u02bc\u0060\u00b4")
_LEET = {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s", "!": "i"}
_LEET_SYMBOLS = frozenset("@$!")
_TOKEN_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789@$!")
_SPACED_SEPARATORS = frozenset(" .-_*·")

#: A view under construction: the normalised characters (one string) and, per character,
#: the original span it came from.
Units = tuple[str, list[int], list[int]]

_ASCII_SPACES = "".join(chr(c) for c in range(128) if chr(c).isspace())
# ASCII text maps one character to one: lower case, whitespace to " ", apostrophes to "'"
# (the words view then drops them).
_ASCII_PLAIN = str.maketrans(
    {**{c: " " for c in _ASCII_SPACES}, **{c: "'" for c in _APOSTROPHES if c.isascii()}}
)
_ASCII_WORDS = str.maketrans(
    {**{c: " " for c in _ASCII_SPACES}, **{c: None for c in _APOSTROPHES if c.isascii()}}
)


def _char_piece(c: str, emoji: bool) -> str:
    """What one original character becomes in a view (possibly several characters)."""
    if c in _INVISIBLE:
        return ""
    if c in _APOSTROPHES:
        return "'"
    if emoji and c in EMOJI_WORDS:
        return f" {EMOJI_WORDS[c]} "
    if c.isspace():
        return " "
    piece = unicodedata.normalize("NFKC", c)
    piece = "".join(
        ch for ch in unicodedata.normalize("NFD", piece) if unicodedata.category(ch) != "Mn"
    )
    return piece.casefold()


# Per-character results are pure, so cache them (bounded; lru_cache is thread-safe).
@functools.lru_cache(maxsize=1 << 14)
def _plain_piece(c: str) -> str:
    return _char_piece(c, emoji=False)


@functools.lru_cache(maxsize=1 << 14)
def _words_piece(c: str) -> str:
    return _char_piece(c, emoji=True).replace("'", "")  # the words view drops apostrophes


def _base_units(text: str, words: bool) -> Units:
    """Each character of ``text`` mapped on its own; the words view without apostrophes."""
    text = text[:MAX_MESSAGE_CHARS]
    if text.isascii():
        mapped = text.lower().translate(_ASCII_WORDS if words else _ASCII_PLAIN)
        if len(mapped) == len(text):
            return mapped, list(range(len(text))), list(range(1, len(text) + 1))
        starts = [i for i, c in enumerate(text) if c not in _APOSTROPHES]
        return mapped, starts, [i + 1 for i in starts]
    pieces = list(map(_words_piece if words else _plain_piece, text))
    starts = [i for i, piece in enumerate(pieces) for _ in piece]
    return "".join(pieces), starts, [i + 1 for i in starts]


def _compress(units: Units, keep: list[bool]) -> Units:
    text, starts, ends = units
    return (
        "".join(itertools.compress(text, keep)),
        list(itertools.compress(starts, keep)),
        list(itertools.compress(ends, keep)),
    )


def _collapse_spaces(units: Units) -> Units:
    """Drop leading and trailing spaces and every space that follows another."""
    text = units[0]
    if not (text.startswith(" ") or text.endswith(" ") or "  " in text):
        return units
    keep = [not (ch == " " and prev == " ") for ch, prev in zip(text, " " + text[:-1], strict=True)]
    out = _compress(units, keep)
    while out[0].endswith(" "):
        out = (out[0][:-1], out[1][:-1], out[2][:-1])
    return out


_HAS_LEET = re.compile("[" + re.escape("".join(sorted(_LEET))) + "]")
_TOKEN = re.compile("[" + re.escape("".join(sorted(_TOKEN_CHARS))) + "]+")


def _unleet_token(token: list[str]) -> None:
    """Undo leetspeak in one token (a maximal run of ``_TOKEN_CHARS``), in place."""
    k = 0
    while k < len(token):
        if token[k] not in _LEET:
            k += 1
            continue
        m = k
        while m < len(token) and token[m] in _LEET:
            m += 1
        before = token[k - 1].isalpha() if k > 0 else False
        after = token[m].isalpha() if m < len(token) else False
        run_is_digits = all(ch.isdigit() for ch in token[k:m])
        letters_before = sum(1 for ch in token[:k] if ch.isalpha())
        letters_after = sum(1 for ch in token[m:] if ch.isalpha())
        single_digit = run_is_digits and m - k == 1
        if (
            (before and after)
            or (single_digit and m == len(token) and letters_before >= 3)
            # "m3", "n0": word-final e/o after any letter ("mp3" -> "mpe" is harmless)
            or (single_digit and m == len(token) and before and token[k] in "03")
            or (single_digit and k == 0 and letters_after >= 3)
        ):
            for p in range(k, m):
                token[p] = _LEET[token[p]]
        k = m


def _unleet(units: Units) -> Units:
    """Undo leetspeak inside words: only digits/symbols that sit in a word of letters."""
    text = units[0]
    if not _HAS_LEET.search(text):
        return units

    def fix(match: re.Match[str]) -> str:
        token = list(match.group())
        _unleet_token(token)
        return "".join(token)

    return _TOKEN.sub(fix, text), units[1], units[2]


_SPACED_RUN = re.compile(r"(?<![a-z0-9])[a-z](?:[ .\-_*·][a-z]){2,}(?![a-z0-9])")


def _join_spaced(units: Units) -> Units:
    """Join words typed letter by letter ("f o o l", "w.h.a.t.s.a.p.p") when they are
    words the tables know; a leading "a"/"i"/"u" may stay a word of its own."""
    text = units[0]
    keep: list[bool] | None = None
    for match in _SPACED_RUN.finditer(text):
        letters = match.group()[::2]
        for drop in range(0, min(3, len(letters) - 2)):
            if drop and letters[drop - 1] not in "aiu":
                break
            candidate = letters[drop:]
            if candidate in VOCABULARY or _collapse_word(candidate) in VOCABULARY:
                if keep is None:
                    keep = [True] * len(text)
                first = match.start() + 2 * drop
                for p in range(first + 1, match.end(), 2):
                    keep[p] = False
                break
    return units if keep is None else _compress(units, keep)


def _collapse_word(word: str) -> str:
    out: list[str] = []
    for ch in word:
        if not (out and ch == out[-1] and "a" <= ch <= "z"):
            out.append(ch)
    return "".join(out)


_REPEATED_LETTER = re.compile(r"([a-z])\1+")


def _collapse_repeats(units: Units) -> Units:
    """Runs of one letter become that letter, standing for the original span of the run."""
    text, starts, ends = units
    runs = [match.span() for match in _REPEATED_LETTER.finditer(text)]
    if not runs:
        return units
    keep = [True] * len(text)
    ends = list(ends)
    for first, stop in runs:
        ends[first] = max(ends[first:stop])  # the kept letter now stands for the whole run
        for p in range(first + 1, stop):
            keep[p] = False
    return _compress((text, starts, ends), keep)


def _finish(original: str, units: Units) -> NormalizedText:
    return NormalizedText(original, units[0], tuple(units[1]), tuple(units[2]))


@functools.lru_cache(maxsize=4096)
def normalize_words(text: str) -> NormalizedText:
    """The *words* view (see the module docstring)."""
    units = _base_units(text, words=True)
    units = _unleet(units)
    units = _join_spaced(units)
    units = _collapse_repeats(units)
    units = _collapse_spaces(units)
    return _finish(text, units)


@functools.lru_cache(maxsize=4096)
def normalize_plain(text: str) -> NormalizedText:
    """The *plain* view (see the module docstring)."""
    return _finish(text, _collapse_spaces(_base_units(text, words=False)))


# --------------------------------------------------------------------------- pattern tables


def _collapse_pattern(src: str) -> str:
    """Collapse doubled literal letters in a regex the way the words view collapses text."""
    out: list[str] = []
    prev: str | None = None
    i = 0
    in_class = False
    while i < len(src):
        ch = src[i]
        if ch == "\\":
            out.append(src[i : i + 2])
            i += 2
            prev = None
            continue
        if in_class:
            in_class = ch != "]"
            out.append(ch)
        elif ch == "[":
            in_class = True
            out.append(ch)
            prev = None
        elif "a" <= ch <= "z":
            if ch != prev:
                out.append(ch)
            prev = ch
        else:
            out.append(ch)
            prev = None
        i += 1
    return "".join(out)


# Building blocks, substituted into the tables with str.format-like {NAME} markers.
_MACROS: dict[str, str] = {
    "AMOUNT": (
        r"(?:(?:₦|#|ngn|n|\$|usd|£|gbp|€|eur)\s?\d[\d,.]*(?:\s?(?:k|m|million|thousand|grand))?"
        r"|\d[\d,.]*\s?(?:k|kk|m|million|thousand|grand|naira|bucks|dollars?|usd|usdt|pounds?"
        r"|euros?|cedis|btc)\b"
        r"|\d{1,3}(?:,\d{3})+|\d{4,}"
        r"|(?:one|two|three|four|five|ten|twenty|thirty|forty|fifty|hundred)\s(?:thousand|k|grand))"
    ),
    "YOU": r"(?:you|u|yu|ya)",
    "YOUR": r"(?:your|ur|yur|yor)",
    "ME": r"(?:me|mi|us)",
    "IWILL": (
        r"(?:i\s?(?:will|ll|go|wil|shall|would|am going to|m going to|am gonna|m gonna|gonna"
        r"|dey go|go come|must))"
    ),
    "MONEY": r"(?:money|cash|funds|kudi|owo|ego|moni|mula|bread|fee|fees|bail|ransom)",
    "BANKS": (
        r"(?:opay|palmpay|palm pay|kuda|moniepoint|gtb|gtbank|zenith|uba|access|first ?bank|fcmb"
        r"|wema|sterling|union bank|fidelity|polaris|ecobank|stanbic|keystone|providus|carbon)"
    ),
    "PLATFORMS": (
        r"(?:whatsapp|whats app|watsapp|wasap|wassap|telegram|telegran|snapchat|snap|ig|insta"
        r"|instagram|kik|wechat|viber|skype|facebook|fb|messenger|tiktok|twitter|x dm|imessage"
        r"|google chat|hangouts)"
    ),
    "LEAKVERB": (
        r"(?:release|post|share|send|leak|upload|expose|show|tag|forward|publish|circulate"
        r"|put|broadcast|drop)"
    ),
    "MEDIA_STRONG": (
        r"(?:pictures?|pics?|pix|photos?|nudes?|videos?|vids?|chats?|messages?|screenshots?"
        r"|recordings?|nakedness|video call|dms?|sex tape)"
    ),
    "MEDIA": (
        r"(?:pictures?|pics?|pix|photos?|nudes?|videos?|vids?|chats?|messages?|screenshots?"
        r"|recordings?|them|it|everything|the tape|nakedness)"
    ),
    "AUDIENCE": (
        r"(?:family|husband|wife|boss|pastor|imam|parents?|papa|mama|dad|mum|mom|followers"
        r"|friends|everyone|everybody|church|mosque|school|office|colleagues|facebook|instagram"
        r"|youtube|internet|online|twitter|tiktok|status|whatsapp|social media|the world|blogs?"
        r"|contacts?|every contact|contact list)"
    ),
    "NUDEOBJ": (
        r"(?:nudes?|nudez|noodz|noods|nods|nude pic\w*|naked|nakd|unclad|topless|nyash|yansh"
        r"|bumbum|breasts?|boobs?|tits?|titties|pussy|puna|toto|dick|cock|preek|prick"
        r"|private parts?|privates|nipples?|booty|nsfw|sexy pic\w*"
        r"|something (?:spicy|sexy|naughty|hot)"
        r"|without (?:your |ur |any )?(?:clothes|cloth|pant|pants|bra|dress|clothing)"
        r"|in (?:the |your )?(?:shower|bath|bathroom|pant|pants|panties|underwear|bra|boxers"
        r"|uniform|school uniform)|with (?:no|out) (?:bra|clothes|cloth|pant|pants|panties"
        r"|underwear|shirt|top))"
    ),
    "INSULT": (
        r"(?:idiot|stupid|stupd|fool|foolish|moron|dumb|dumbass|loser|ugly|bitch|b\*tch|b\*\*ch"
        r"|slut|whore|hoe|skank|bastard|asshole|dickhead|retard|retarded|worthless|pathetic"
        r"|useless|disgusting|trash|freak|imbecile|cunt|twat|jerk|scumbag|clown|olodo|mumu"
        r"|werey|ode|oloriburuku|agbaya|ashawo|olosho|ewu|goat|ugly thing|fat cow|fat pig"
        r"|gold ?diggers?|catfish|st\*pid|f\*ck|f\*\*k|f\*\*\*|fuck|fucker|motherfucker|mf"
        r"|dumbest|stupidest|ugliest|brainless|senseless|coward|nitwit|dimwit|halfwit|cretin"
        r"|pervert|weirdo|creep|psycho|lowlife|low life|nonentity|scum|filth|garbage|pig|dog"
        r"|prostitute|thot|agbero|mugu|maga|yeye|oloshi|efulefu|ofe mmanu|onye nzuzu|barawo"
        r"|waste of (?:space|time|oxygen|sperm)|bloody fool|big fool|mad (?:man|woman|person))"
    ),
}


def _expand(src: str) -> str:
    for name, value in _MACROS.items():
        src = src.replace("{" + name + "}", value)
    return src


@dataclass(frozen=True, slots=True)
class Pattern:
    """One row of a pattern table: ``regex`` raises ``signal`` with ``score``.

    ``signal`` names starting with ``ctx:`` are context cues, not signals. ``tag`` refines
    a signal for the scorer: ``switch`` is a venue change that may be harmless, ``channel`` a
    payment by gift card, crypto or wire that no context makes ordinary.
    """

    signal: str
    score: float
    regex: str
    tag: str = ""
    #: The pattern spans a free gap ("I will ... hurt you"), so a negation inside the match
    #: ("I would never hurt you") also cancels it.
    inner_negation: bool = False


# The tables. Patterns are written in plain spelling; doubled letters are collapsed
# automatically. They run on the words view, so: lower case, no apostrophes, emoji as words.
PATTERNS: tuple[Pattern, ...] = (
    # ---- financial_request: a request for money, not a mention of it
    Pattern(
        "financial_request",
        0.85,
        r"\b(?:send|transfer|pay|wire|lend|loan|borrow|dash|credit|drop|fund|give|sen)"
        r"(?:\s(?:me|mi|us|am|it|him|her|the|some|small|just|only|even|at least|a|an|like|about"
        r"|another|extra|my|to me|abeg|pls|please)){0,3}\s?{AMOUNT}",
    ),
    Pattern(
        "financial_request",
        0.8,
        r"\b(?:send|transfer|pay|wire|lend|give|dash|borrow|drop)(?:\s(?:me|us|am|mi))?"
        r"\s(?:the |some |small |a little |that |your |my )?(?:\w+ )?{MONEY}\b"
        r"|\b(?:you|u) owe me\s{AMOUNT}",
    ),
    Pattern(
        "financial_request",
        0.8,
        r"\b(?:i need|i dey need|i wan|need|im short|i am short|short of|short by|help me with"
        r"|assist me with|borrow me|loan me|lend me|i beg you for|spare me|help me|help with"
        r"|assist with|support me with|contribute)(?:\s\w+){0,2}\s{AMOUNT}",
    ),
    Pattern(
        "financial_request",
        0.7,
        r"\b(?:help me with|assist me with|i need|i dey need|borrow me|lend me|loan me"
        r"|help me with some|help with|support me with)\s(?:some |small |a little |little |the )?"
        r"(?:\w+ )?(?:{MONEY}|something small|small thing|small help|a small help)\b",
    ),
    Pattern("financial_request", 0.6, r"\bi need (?:a |your )?(?:small |little )?help\b"),
    Pattern(
        "financial_request",
        0.6,
        r"(?:^|[,.!?:]\s?|\bjust\s|\bonly\s|\bthen\s){AMOUNT}\s(?:by|before|within|latest"
        r"|today|tomorrow|tonight|now|or)\b|\b{AMOUNT}\s(?:to|for)\s(?:open|start|activate"
        r"|register|unlock|release|clear|process|book|renew|verify)\b",
    ),
    Pattern(
        "financial_request",
        0.85,
        r"\b(?:buy|get|send)(?: me)?(?: an?)?(?:\s\w+){0,2}\sgift\s?cards?\b"
        r"|\b(?:itunes|steam|amazon|google play|apple|vanilla|razer|ebay) (?:gift )?cards?\b",
        "channel",
    ),
    Pattern("financial_request", 0.6, r"\bscratch (?:it|the card)\b", "channel"),
    Pattern(
        "financial_request",
        0.75,
        r"\b(?:send|put|invest|deposit|transfer|buy|pay)\b[^.!?]{0,40}"
        r"\b(?:usdt|bitcoin|btc|crypto|ethereum|eth|binance|wallet|forex|western union|moneygram"
        r"|gift card)\b",
        "channel",
    ),
    Pattern(
        "financial_request",
        0.65,
        r"\b(?:to|into|through|via)\s(?:my|this|the|my friends?|our|the usual|his|her)"
        r"(?:\s\w+)?\s(?:account|acct|acc|wallet|cashapp|cash app|paypal|zelle|venmo|{BANKS})\b",
    ),
    Pattern(
        "financial_request",
        0.55,
        r"\b(?:here is|heres|this is|na|use|send to|send it to|my)\s(?:my\s)?(?:friends?\s)?"
        r"(?:account|acct|acc no|account number|account details|{BANKS})\b",
    ),
    Pattern(
        "financial_request",
        0.55,
        r"\b{BANKS}\b\s?:?\s?\d{10}\b|\b\d{10}\s?,?\s?{BANKS}\b",
    ),
    Pattern(
        "financial_request",
        0.7,
        r"\b(?:registration|clearance|processing|activation|delivery|customs|release|transfer"
        r"|verification|membership|admin|insurance|shipping|visa|ticket)\sfees?\b"
        r"|\bfor (?:my |the )?bail\b|\bbail money\b",
    ),
    Pattern(
        "financial_request",
        0.75,
        r"\b(?:transfer|dash)\s(?:am\s|something\s|small\s)?give me\b"
        r"|\bdo me (?:transfer|something)\b|\bfund my (?:account|wallet)\b"
        r"|\bsend me something (?:small|for (?:data|transport|food|airtime))\b"
        r"|\bsend me something\s?$|\bbuy me (?:data|airtime|recharge card|credit)\b",
    ),
    Pattern(
        "financial_request",
        0.6,
        r"\bpay (?:me|up|now)\b|\b{YOU} (?:go|will|must|have to|need to|should|gonna) pay\b",
    ),
    # ---- urgency
    Pattern(
        "urgency",
        0.6,
        r"\b(?:urgent|urgently|asap|right now|now now|immediately|hurry|hurry up|sharp sharp"
        r"|quick quick|fast fast|as soon as possible|no time to (?:waste|explain)|no time"
        r"|this minute|before it expires|before it is too late|last chance|you have till"
        r"|you get till|it has to be tonight|it must be today|before midnight|chop chop|right away"
        r"|time is running out|dont delay|no delay|within the hour)\b"
        r"|\b(?:no dey|dont|stop) wast(?:e|ing) (?:my |our )?time\b"
        r"|\b(?:will be|go|would be) (?:closed|blocked|suspended|deleted|deactivated|frozen)"
        r" (?:today|now|in \d+ (?:hours?|minutes?)|within)\b",
    ),
    Pattern(
        "urgency",
        0.5,
        r"\b(?:send|come|do|pay|transfer|reply|answer|go|move|leave|bring|call)\b[^.!?]{0,25}"
        r"\b(?:now|quick|quickly|fast|today|tonight|sharp)\b",
    ),
    Pattern(
        "urgency",
        0.35,
        r"\b(?:by tomorrow|by tonight|latest today|(?:before|by) \d{1,2}(?::\d\d)?\s?(?:am|pm)?)\b",
    ),
    Pattern("urgency", 0.3, r"\bhurry\b"),
    # ---- secrecy
    Pattern(
        "secrecy",
        0.7,
        r"\b(?:dont|do not|dnt|no|never|make you no|make u no)\s(?:tell|inform|let)"
        r"\s(?:any ?one|any ?body|nobody|no one|(?:{YOUR}|my) (?:friends?|family|parents?|mum|mom"
        r"|dad|people|sister|brother|husband|wife|pastor|mama|papa)|mama|papa|mummy|daddy|them"
        r"|him|her|people)\b",
    ),
    Pattern(
        "secrecy",
        0.5,
        r"\b(?:dont|do not|no)\stell\s(?:[a-ln-z]\w*|m[a-df-z]\w*|me\w+)\s(?:anything|about|say)\b",
    ),
    Pattern(
        "secrecy",
        0.7,
        r"\bkeep (?:it|this|that|am|everything|our \w+|us) (?:between us|a secret|secret|to"
        r" yourself|quiet|private|on the low|low ?key|hidden)\b",
    ),
    Pattern("secrecy", 0.7, r"\b(?:our|na our|its our|it is our) (?:little )?secret\b"),
    Pattern(
        "secrecy",
        0.55,
        r"\bbetween (?:me and you|you and me|us two|the two of us|you and i)\b|\b(?:na|is|its)"
        r" between us\b",
    ),
    Pattern(
        "secrecy",
        0.65,
        r"\b(?:delete|clear|erase|wipe)\s(?:our|the|this|these|all|my|all our)\s(?:chats?"
        r"|messages?|conversations?|texts?|pictures|pics|call logs?|dms?)\b",
    ),
    Pattern(
        "secrecy",
        0.7,
        r"\b(?:nobody|no one|no body|nobody else)\s(?:must|should|will|go|fit|need to|needs to"
        r"|dey|has to|have to|gets to)\s(?:know|hear|find out)\b|\btell (?:no ?one|nobody)\b",
    ),
    Pattern("secrecy", 0.4, r"\bshh\b"),
    Pattern(
        "secrecy",
        0.7,
        r"\b(?:dont|do not|no|never) (?:mention|say|talk about|post|share|show|forward)"
        r" (?:\w+ ){0,4}(?:to|with|for) (?:any ?one|any ?body|nobody|{YOUR} \w+)\b",
    ),
    # ---- isolation
    Pattern("isolation", 0.85, r"\bcome alone\b|\bcome by yourself\b|\bcome (?:and )?be alone\b"),
    Pattern(
        "isolation",
        0.75,
        r"\b(?:come|be|meet me|dey come|make sure you|make sure say you)\b[^.!?]{0,20}"
        r"\b(?:alone|by yourself|on your own)\b",
    ),
    Pattern(
        "isolation",
        0.85,
        r"\b(?:dont|do not|no|never)\s(?:bring|carry|come with|invite)\s(?:any ?one|any ?body"
        r"|nobody|person|somebody|{YOUR} (?:friends?|sister|brother|cousin|people|guy|babe"
        r"|paddy))\b",
    ),
    Pattern(
        "isolation",
        0.75,
        r"\bleave {YOUR} (?:friends?|sister|cousin|people|paddy|guy|phone)\b"
        r"|\b(?:nobody|no one|no body)\s(?:should|must|go)\s(?:follow|come with|escort) {YOU}\b",
    ),
    Pattern(
        "isolation",
        0.8,
        r"\b(?:switch|turn|put) off (?:{YOUR} )?(?:location|gps|phone|data|live location)\b",
    ),
    Pattern(
        "isolation",
        0.6,
        r"\b(?:dont|do not|no)\s(?:call|text|inform)\s(?:any ?one|any ?body|nobody)\b",
    ),
    Pattern(
        "isolation",
        0.55,
        r"\bi (?:dont|no|do not) like (?:crowds|crowd|public places?|public|people around"
        r"|restaurants?)\b",
    ),
    Pattern("isolation", 0.45, r"\bjust (?:you|yourself)\b(?:[^.!?]{0,10}\bcome\b)?"),
    Pattern(
        "isolation",
        0.75,
        r"\b(?:come|be) only (?:you|u)\b|\bonly (?:you|u) (?:come|should come|fit come)\b"
        r"|\bif (?:you|u) (?:bring|carry|come with) (?:person|any ?body|any ?one|somebody|someone"
        r"|{YOUR} (?:friends?|sister|people|guy))\b",
    ),
    Pattern(
        "isolation",
        0.75,
        r"\b(?:dont|do not|no|never) (?:tell|inform|let) (?:\w+ ){0,2}(?:know )?where (?:you|u)"
        r"(?:re| are| dey)? (?:going|go|dey go|heading)\b|\b(?:dont|do not|no|never) let"
        r" (?:\w+ ){0,2}know (?:you|u)(?:re| are| dey)? (?:coming|going|meeting)\b",
    ),
    Pattern(
        "isolation", 0.45, r"\b(?:its|it is|e) (?:quiet|private|secluded|isolated) (?:there|here)\b"
    ),
    Pattern("isolation", 0.4, r"\bmake e be only (?:two of us|me and you|you and me)\b"),
    # ---- location_change: the meeting moves somewhere private or unknown
    Pattern(
        "location_change",
        0.65,
        r"\b(?:come|meet me|meet|see me|come over|visit me|make we meet|lets meet|let us meet"
        r"|come meet me|carry you|bring you|take you|pick you|we go|go to|lets go|going)\b"
        r"[^.!?]{0,35}\b(?:my (?:place|house"
        r"|apartment|flat|room|hotel|crib|side|compound|office|yard|area)|my friends? (?:place"
        r"|house|apartment|side)|(?:the|a) hotel|hotel room|room \d+|my guys? (?:place|house)"
        r"|(?:uncompleted|abandoned|unfinished|uncomplete) building|lodge|guest ?house"
        r"|short ?let)\b",
    ),
    Pattern(
        "location_change",
        0.6,
        r"\b(?:uncompleted|abandoned|unfinished) building\b|\bi (?:don|have|ve) book(?:ed)?"
        r" (?:a )?(?:hotel|room|short ?let)\b|\bmy (?:place|house) is\b[^.!?]{0,20}\b(?:away|close"
        r"|near|around)\b",
    ),
    Pattern(
        "location_change",
        0.55,
        r"\b(?:lets|let us|make we) go (?:somewhere|someplace)\b|\bsomewhere (?:quiet|quieter"
        r"|private|more private|else)\b|\bquieter (?:place|spot)\b",
    ),
    Pattern(
        "location_change", 0.55, r"\bchange (?:of|in) (?:plan|plans|location|venue)\b", "switch"
    ),
    Pattern(
        "location_change",
        0.5,
        r"\b(?:back of|behind|back side of|backyard of) (?:the |that )?(?:estate|club|church|school"
        r"|building|mall|market|station|hotel|bar|filling station|garage|field)\b|\b(?:dark|lonely"
        r"|isolated|deserted|secluded|bushy|abandoned)\s(?:place|spot|area|road|street|corner|side"
        r"|building|house)\b|\bthe place (?:dark|quiet|lonely|isolated)\b",
    ),
    Pattern(
        "location_change",
        0.45,
        r"\b(?:meet|come|see)\b[^.!?]{0,40}\b(?:at|by|around) (?:midnight|[1-4]\s?am)\b",
    ),
    Pattern(
        "location_change",
        0.45,
        r"\b(?:new|different|another) (?:address|location|venue)\b|\b(?:different|another)"
        r" (?:place|spot)\b|\bthis address\b",
        "switch",
    ),
    Pattern(
        "location_change",
        0.5,
        r"\b(?:come|meet|go|take a \w+|lets go|let us go|move)\b[^.!?]{0,50}\binstead\b",
        "switch",
    ),
    Pattern("location_change", 0.4, r"\b{IWILL} send (?:you )?the address\b", "switch"),
    # ---- off_platform (phone numbers, handles and links are found in code)
    Pattern(
        "off_platform",
        0.6,
        r"\b(?:chat|text|message|call|add|hit|reach|find|talk|continue|move|switch|join|dm|follow"
        r"|ping|holla|contact)\b[^.!?]{0,25}\b{PLATFORMS}\b",
    ),
    Pattern(
        "off_platform",
        0.5,
        r"\b{PLATFORMS}\b[^.!?]{0,12}\b(?:number|handle|username|user name|id|is|na|contact)\b"
        r"|\bwhats {YOUR} (?:{PLATFORMS}|number|handle|username)\b",
    ),
    Pattern(
        "off_platform",
        0.45,
        r"\b(?:get|have|send|drop|give me|share)(?: me)?\s{YOUR}\s(?:number|digits|contact|line"
        r"|phone number|handle|username|{PLATFORMS})\b",
    ),
    Pattern(
        "off_platform",
        0.6,
        r"\b(?:wa\.me|t\.me|chat\.whatsapp\.com|instagram\.com|snapchat\.com|telegram\.me)/",
    ),
    Pattern(
        "off_platform",
        0.55,
        r"\b(?:download|install|get|use) (?:this|that|the|an?other|my) (?:\w+ )?app\b"
        r"|\b(?:this|the) app (?:is|dey) (?:monitored|watched|boring|not safe|reading|spying)\b"
        r"|\bchat (?:privately|in private|somewhere else)\b",
    ),
    # ---- explicit_request
    Pattern(
        "explicit_request",
        0.85,
        r"\b(?:send|snap|show|share|drop|take|give|post|snap am|record)\b[^.!?]{0,25}"
        r"\b{NUDEOBJ}\b",
    ),
    Pattern(
        "explicit_request",
        0.8,
        r"\b(?:take off|remove|pull off|comot|remove all|take off all|strip)\s(?:{YOUR} |all )?"
        r"(?:clothes|cloth|pant|pants|bra|dress|top|shirt|boxers|underwear)\b|\bstrip for me\b"
        r"|\bopen (?:{YOUR} )?legs\b|\bshow (?:me )?(?:{YOUR}|ur) (?:body|naked body)\b",
    ),
    Pattern(
        "explicit_request",
        0.6,
        r"\b(?:want|wan|wanna|need|like) (?:to )?see (?:{YOUR}|all of {YOU}|you|u)\s?(?:body"
        r"|naked|everything|private)?\b",
    ),
    Pattern(
        "explicit_request",
        0.75,
        r"\b(?:send|show|share|drop|snap)\b[^.!?]{0,12}\b(?:pic|pics|picture|photo|video|vid"
        r"|snap)\b[^.!?]{0,20}\bnsfw\b|\bnsfw\b[^.!?]{0,20}\b(?:send|show|snap)\b",
    ),
    Pattern(
        "explicit_request",
        0.45,
        r"\b(?:show|send) me (?:more|something)\b|\bsee all of (?:you|u)\b"
        r"|\bvideo call\b[^.!?]{0,30}\b(?:body|naked|nsfw)\b",
    ),
    # ---- threat
    Pattern(
        "threat",
        0.85,
        r"{IWILL}\b[^.!?]{0,20}\b(?:kill|hurt|beat|deal with|finish|destroy|stab|shoot|burn"
        r"|kidnap|slap|wound|waste|come for|come after|show you pepper|teach you a lesson"
        r"|make you regret|ruin|disgrace|punish)\b[^.!?]{0,12}\b(?:you|u|yu|your|ur)\b",
        inner_negation=True,
    ),
    Pattern(
        "threat",
        0.55,
        r"{IWILL}\b[^.!?]{0,12}\b(?:find|visit|locate|track|get)\s(?:you|u)\b",
        inner_negation=True,
    ),
    Pattern(
        "threat",
        0.85,
        r"\b(?:my boys|my guys|my people|the boys|my gang)\s(?:go|will|dey|would|gonna|ll)\s"
        r"(?:visit|deal with|come for|find|beat|handle|show|teach|locate)\b",
    ),
    Pattern(
        "threat",
        0.75,
        r"\bi (?:know|sabi|don know|have|get) (?:where {YOU} (?:live|stay|dey stay|dey|work|school"
        r"|sleep)|{YOUR} (?:house|address|office|school|workplace|place|street|family|mama|papa"
        r"|parents|hostel|church|mosque|department))\b",
    ),
    Pattern(
        "threat",
        0.6,
        r"\b(?:you|u|yu) (?:will|ll|go|gonna|shall) (?:regret|see|pay for|suffer|cry)\b"
        r"|\bi know people\b|\bwatch your back\b|\bmark my words\b",
    ),
    Pattern("threat", 0.5, r"\bi (?:go |will |ll )?wait (?:for )?(?:you|u) (?:there|outside|at)\b"),
    Pattern(
        "threat",
        0.7,
        r"\bi dey (?:outside|for) {YOUR} (?:gate|house|door|office|school)\b"
        r"|\bi am (?:outside|at) {YOUR} (?:gate|house|door|office|school)\b",
    ),
    Pattern("threat", 0.6, r"\b(?:kill|beat|hurt|stab|shoot|kidnap|rape|waste) (?:you|u)\b"),
    Pattern("threat", 0.45, r"\bweapon\b|\bor else\b"),
    Pattern(
        "threat",
        0.6,
        r"\be go bad for (?:you|u)\b|\b(?:it|things|this) (?:will|would|go|gonna) (?:get|be|go"
        r"|turn) (?:bad|ugly|messy) for (?:you|u)\b|\bsend (?:my )?(?:boys|guys|people) (?:to|after"
        r"|for) (?:you|u|your)\b",
    ),
    # ---- blackmail
    Pattern(
        "blackmail",
        0.9,
        r"\b(?:{IWILL}|or i|else i|if not i|or|otherwise)\b[^.!?]{0,25}\b{LEAKVERB}\b[^.!?]{0,40}"
        r"\b{MEDIA}\b[^.!?]{0,40}\b(?:to|with|for|on|and tag|tag)\s(?:{YOUR} |all {YOUR} |the )?"
        r"{AUDIENCE}\b",
        inner_negation=True,
    ),
    Pattern(
        "blackmail",
        0.75,
        r"\b(?:{IWILL}|or i|else i|if not i|otherwise i)\b[^.!?]{0,25}\b{LEAKVERB}\b[^.!?]{0,10}"
        r"\b(?:(?:{YOUR}|our|these|those|all {YOUR}|all our)\s(?:\w+\s)?{MEDIA_STRONG}"
        r"|the {MEDIA_STRONG}\s(?:wey|that|which|you|u))\b",
        inner_negation=True,
    ),
    Pattern(
        "blackmail",
        0.85,
        r"\b(?:or|else|if not|otherwise)\b[^.!?]{0,20}\b{YOUR} {AUDIENCE}\b[^.!?]{0,20}"
        r"\b(?:gets?|sees?|go see|will see|hears?|knows?|finds? out|receives?)\b"
        r"|\bor (?:it|they|them|its|it is|theyre|they are|the (?:pics|video|pictures|photos))\s?"
        r"(?:goes|go|will go|go dey|are going|going|will be|be)?\s(?:on|to|online|viral|everywhere"
        r"|public)\b|\b{YOUR} (?:{MEDIA_STRONG}|nakedness)\s(?:will|go|are going to|gonna|would)"
        r"\s(?:be|go|end up|land|appear)\s(?:on|online|everywhere|viral|all over|in)\b"
        r"|\bdo (?:you|u) want {YOUR} {AUDIENCE} to (?:see|know|find out|watch)\b",
    ),
    Pattern(
        "blackmail",
        0.7,
        r"\b(?:i have|ive|i get|i got|ive got|i still have|i don get|i don screenshot|i screenshot"
        r"|i screenshoted|i recorded|i record|i saved|i save|i kept|i don record|i don save)\b"
        r"[^.!?]{0,20}\b(?:{YOUR} (?:nudes?|pictures?|pics|photos?|videos?|chats?|messages"
        r"|video call)|everything|(?:the|a) (?:video|videos|pictures|pics|photos|nudes|recording"
        r"|screenshots?)(?: of (?:you|u))?|our chats|screenshots?)\b",
    ),
    Pattern(
        "blackmail",
        0.8,
        r"\bif (?:you|u) (?:dont|do not|no|refuse|fail|fail to|block me|try|dey)\b[^.!?]{0,40}"
        r"{IWILL}\b[^.!?]{0,15}\b(?:tell|post|release|share|send|leak|expose|show|upload|report"
        r"|forward)\b",
    ),
    Pattern("blackmail", 0.7, r"{IWILL}\s(?:expose|disgrace|shame|leak)\s(?:you|u)\b"),
    Pattern(
        "blackmail",
        0.55,
        r"{IWILL}\s(?:tell|show|inform)\s(?:{YOUR} {AUDIENCE}|every ?one|every ?body|all {YOUR})\b",
    ),
    # ---- personal_info
    Pattern(
        "personal_info",
        0.8,
        r"\b(?:send|give|tell|share|drop|provide|forward|read|need|want|what is|whats)\b"
        r"(?:\s(?:me|us))?\s(?:{YOUR}|the|that)\s(?:\d+ digit |six digit |4 digit )?(?:bvn|nin|otp"
        r"|pin|atm pin|card number|card details|cvv|password|passcode|login|code|verification code"
        r"|token|bank details|bank login|security question)\b",
    ),
    Pattern(
        "personal_info",
        0.8,
        r"\b(?:send|give|share|drop|need|want|provide|forward|read|tell)\b[^.!?]{0,40}"
        r"\b(?:bvn|otp|cvv|atm pin|card pin|pin number|one time password)\b",
    ),
    Pattern(
        "personal_info",
        0.75,
        r"\b(?:bring|come with|carry)\b[^.!?]{0,25}\b(?:atm|atm card|debit card|bank card"
        r"|card and pin|pin)\b",
    ),
    Pattern(
        "personal_info",
        0.45,
        r"\b(?:send|give|tell|share|drop)(?:\s(?:me|us))?\s{YOUR}\s(?:house |home |exact )?"
        r"(?:address|location|live location)\b",
    ),
    # ---- age_concern
    Pattern(
        "age_concern",
        0.7,
        r"\b(?:i am|im|i m|am|i dey|i be|she is|he is|shes|hes)\s(?:only\s|just\s)?(?:1[0-7]|[89]"
        r"|thirteen|fourteen|fifteen|sixteen|seventeen)(?:\s?(?:years?|yrs?|yo)(?:\sold)?\b|\s?$"
        r"|\s?[,.!?])",
    ),
    Pattern(
        "age_concern",
        0.7,
        r"\b(?:you are|youre|ur|u r|you be|she is|shes)\s(?:only\s|just\s)?(?:1[0-7]|thirteen"
        r"|fourteen|fifteen|sixteen|seventeen)\b|\bi like (?:them )?(?:young|younger|small)"
        r" (?:girls|boys|ones)\b|\b(?:in|wearing) (?:{YOUR} )?school uniform\b",
    ),
    Pattern(
        "age_concern",
        0.6,
        r"\b(?:i am|im|i dey|i be)\s(?:in\s)?(?:jss ?[1-3]|sss? ?[1-3]|primary (?:school|[1-6])"
        r"|junior secondary|year (?:7|8|9|10)|grade (?:[6-9]|10))\b|\bage is just a number\b",
    ),
    # ---- insult
    Pattern(
        "insult",
        0.75,
        r"\b(?:you|u|ur|youre|you are|u r|you be|na you be|you dey|una|you look like)\b"
        r"[^.!?]{0,15}\b{INSULT}\b",
    ),
    Pattern("insult", 0.55, r"\b{INSULT}\b"),
    Pattern(
        "insult",
        0.8,
        r"\bfuck (?:you|u|off)\b|\bf\*+ (?:you|u|off)\b|\bgo to hell\b|\byour (?:mama|papa|mother)"
        r"(?: and papa)?!?$|\byour mama\b|\byou no get sense\b|\byour head no correct\b"
        r"|\bnobody (?:wants|will ever love|likes|loves) you\b|\bno one (?:wants|will ever love"
        r"|likes|loves) you\b|\b(?:should have|shouldve|should of) (?:been )?aborted\b"
        r"|\b(?:your|ur) (?:mother|mum|mom|mama|papa|father) (?:is|na|be) (?:a |an )?\w+\b",
    ),
    Pattern("insult", 0.3, r"\bshut up\b|\bsharrap\b"),
    Pattern(
        "insult",
        0.6,
        r"\bshut (?:{YOUR}|that) (?:dirty |stupid |smelly |big )?(?:mouth|trap|gob)\b"
        r"|\bsee (?:{YOUR}|ur) (?:face|head|life)\b",
    ),
    # ---- harassment
    Pattern(
        "harassment",
        0.85,
        r"\b(?:go |just |pls |please )?(?:kill|hang) (?:your ?self|urself)\b|\bkys\b",
    ),
    Pattern(
        "harassment", 0.35, r"\b(?:answer|reply|respond to|talk to) me\b|\bpick (?:up )?my call\b"
    ),
    Pattern(
        "harassment",
        0.45,
        r"\bwhy (?:are you|you dey|you no dey|are u|r u|you|u|do you keep)\s(?:ignoring|ignore"
        r"|not replying|no dey reply|not answering|dey ignore|blocking|block|reply)\b",
    ),
    Pattern(
        "harassment",
        0.6,
        r"\bi (?:know|can see) (?:youre|you are|u r|ur|you dey) online\b|\bi can see you\b",
    ),
    Pattern(
        "harassment",
        0.7,
        r"\b(?:you|u) (?:cant|canot|can not|no fit|will never) (?:ignore|escape|block|run from"
        r"|avoid|hide from|get rid of) me\b",
    ),
    Pattern(
        "harassment",
        0.7,
        r"\bi (?:wont|will not|no go|will never|go|am not going to) stop\b[^.!?]{0,25}"
        r"\b(?:until|till|unless)\b",
    ),
    Pattern(
        "harassment",
        0.65,
        r"\bi\s?(?:will|ll|go|wil)?\s?(?:keep|dey)\s(?:messaging|message|texting|text|calling|call"
        r"|making|disturbing|disturb|coming)\b",
    ),
    Pattern("harassment", 0.7, r"\b(?:blocked|block) me\b[^.!?]{0,40}\bnew account\b"),
    Pattern(
        "harassment",
        0.45,
        r"\b(?:pick up|answer) (?:{YOUR}|the|my) (?:phone|calls?)\b|\bi (?:have|ve) called"
        r" (?:you )?\d+ times\b|\b(?:not going anywhere|wont leave|no go comot) (?:till|until)\b",
    ),
    Pattern("harassment", 0.6, r"\bdont you dare (?:ignore|block|leave|unmatch|walk away)\b"),
    Pattern(
        "harassment",
        0.65,
        r"\b(?:keep|dey|will be) (?:showing up|coming|turning up|waiting|hanging around)\s"
        r"(?:at|to|for|outside|around) {YOUR}\b|\bfollow(?:ing)? {YOU} (?:home|everywhere)\b",
    ),
    Pattern(
        "harassment",
        0.6,
        r"\bi bet (?:you|u)(?:re| are)? (?:wild|good|freaky|a freak|nasty) in bed\b|\bi know (?:you"
        r"|u) want (?:it|me)\b|\bdont act shy\b",
    ),
    # ---- sob_story
    Pattern(
        "sob_story",
        0.5,
        r"\b(?:i am|im|ive been|i have been|i was|i dey|i don|i|i just|i got)\s(?:\w+\s)?"
        r"(?:stranded|stuck|arrested|robbed|kidnapped|in (?:the )?hospital|admitted|broke|detained"
        r"|hungry)\b|\b(?:funds|money|salary|account|accounts|savings|inheritance|payment)"
        r" (?:is |are |has been |have been |was |were |got )?(?:frozen|blocked|seized|on hold"
        r"|held|restricted|locked)\b|\b(?:with|for) the (?:un|united nations)\b|\b(?:deployed"
        r"|stationed) (?:in|to|at)\b|\boffshore\b",
    ),
    Pattern(
        "sob_story",
        0.5,
        r"\bmy (?:mum|mom|mother|mama|dad|father|papa|sister|brother|son|daughter|uncle|aunty)"
        r"\s(?:is\s)?(?:in (?:the )?hospital|sick|admitted|ill|dying|dey hospital)\b"
        r"|\bhospital bills?\b|\bcustoms (?:seized|held|holding|collected)\b|\bstuck at the"
        r" airport\b|\b(?:my )?(?:account|card|cards) (?:is |are |has been |was )?(?:blocked"
        r"|frozen|restricted|unblocked|dont work|do not work|not working)\b|\bmy phone don spoil\b"
        r"|\blandlord (?:is )?on my neck\b|\bmy rent is due\b|\bleave papers?\b|\bpeacekeeping\b"
        r"|\boil rig\b|\bhas been held\b|\bheld at the airport\b",
    ),
    # ---- emotional_pressure
    Pattern(
        "emotional_pressure",
        0.55,
        r"\bif (?:you|u) (?:really |truly )?(?:love|loved|care about|cared about) me\b|\bprove"
        r" (?:that )?(?:you|u) love me\b|\b(?:you|u) no love me\b|\bafter all i (?:have )?done"
        r" for (?:you|u)\b|\bi have (?:nobody|no one) else\b|\byou are my only hope\b"
        r"|\bdont you trust me\b",
    ),
    # ---- get_rich_quick
    Pattern(
        "get_rich_quick",
        0.6,
        r"\b(?:you|u)(?:ll| will| go| would)? (?:get|make|earn|receive|collect)\s{AMOUNT}"
        r"[^.!?]{0,30}\b(?:week|days?|hours?|month|weekly)\b"
        r"|\b(?:double|triple) (?:your|ur) money\b"
        r"|\b\d+x (?:every|each|in a) (?:week|day|month)\b|\bguaranteed (?:returns?|profit)\b"
        r"|\bbusiness proposal\b|\binvestment (?:opportunity|plan|platform)\b"
        r"|\bi (?:made|make|earn|earned|got)\s{AMOUNT}[^.!?]{0,20}\b(?:in|within|every|each|per)"
        r" (?:a |one |just )?(?:day|days|week|weeks|month)\b|\b(?:forex|binary options?"
        r"|crypto trading|trading account|mining pool|account manager)\b"
        r"|\b(?:repay|pay (?:you )?back|return it|refund you)\s(?:you\s)?"
        r"(?:double|twice|triple|with interest)\b",
    ),
    # ---- context cues (not signals)
    Pattern(
        "ctx:repayment",
        1.0,
        r"\b(?:your share|you owe|u owe|(?:wey|that|which) (?:you|u) borrow\w*|you borrowed"
        r"|thanks for (?:lending|covering|helping|the loan)|so (?:i|that i) (?:can|fit) pay you"
        r" back|i (?:just )?got paid|split (?:the|it))\b",
    ),
    Pattern(
        "ctx:business",
        1.0,
        r"\b(?:invoice|receipt|teller|pay on delivery|ltd|limited|ventures|enterprises|procurement"
        r"|quotation|purchase order|our accounts team|the usual account|same account|rider)\b",
    ),
    Pattern(
        "ctx:collective",
        1.0,
        r"\b(?:each|everyone|everybody|contribut\w*|building fund|brethren|per head"
        r"|for the trip)\b",
    ),
    Pattern(
        "ctx:celebration",
        1.0,
        r"\b(?:surprise|birthday|propose|proposal|anniversary|gift for (?:him|her|\w+))\b",
    ),
    Pattern(
        "ctx:public",
        1.0,
        r"\b(?:public place|mall|restaurant|cafe|cinema|club|park|food court|museum|gallery)\b",
    ),
    Pattern(
        "ctx:jest",
        1.0,
        r"\b(?:lol|lmao|lmfao|haha\w*|hehe\w*|jk|just kidding|joking|love you (?:bro|guy|though"
        r"|sha)|no vex|mate)\b",
    ),
    Pattern(
        "ctx:refusal",
        1.0,
        r"^(?:no|nope|nah|mba|abeg no|no thanks|no o|never)\s?(?:$|[.!,]|i\b|thanks|abeg|please"
        r"|pls|sorry)|\bi (?:wont|will not|cant|canot"
        r"|can not|no go|no fit|dont want to|refuse to|am not|m not|no dey|dont) (?:send|do|come"
        r"|pay|give|sending|doing|coming|paying)\b|\bnot comfortable\b|\bnot sending\b",
    ),
    Pattern(
        "ctx:rebuff",
        1.0,
        r"\b(?:stop|quit) (?:messaging|texting|calling|contacting|disturbing|bothering) me\b"
        r"|\bleave me alone\b|\bi said no\b|\bunmatch\w*|\bblocking you\b|\bi will block you\b"
        r"|\bplease stop\b|^stop\b",
    ),
    Pattern(
        "ctx:household",
        1.0,
        r"\b(?:netflix|wifi|wi fi|showmax|spotify|dstv|gotv|prime|disney|hbo|router|gate|door"
        r"|alarm|locker)\s(?:account\s)?(?:password|code|pin)\b|\b(?:password|code|pin) (?:for|to)"
        r" (?:the )?(?:netflix|wifi|wi fi|showmax|spotify|dstv|gotv|router|gate|door|alarm)\b",
    ),
    Pattern(
        "ctx:family",
        1.0,
        r"^(?:sis|sister|bro|brother|mum|mummy|mom|mama|dad|daddy|papa|aunty|auntie|uncle|cuz"
        r"|cousin)\b|\bmy allowance\b|\bpocket money\b",
    ),
    Pattern(
        "ctx:apology",
        1.0,
        r"\b(?:sorry|my bad|i understand|no problem|okay|ok|alright|no wahala|i apologi[sz]e"
        r"|no vex)\b",
    ),
    Pattern(
        "ctx:push",
        1.0,
        r"\b(?:just send|oya|come on|dont be (?:boring|shy|stingy|like that|a baby)|no dey form"
        r"|stop forming|send (?:it|am)|do (?:it|am)|no time|just do)\b",
    ),
)

# Words the spaced-letter joiner may form: every word the tables use, plus a few.
_EXTRA_WORDS = (
    "nude nudes naked money cash send idiot fool stupid whatsapp telegram snapchat account"
    " transfer bitch slut whore loser ugly alone secret pay urgent"
)
VOCABULARY: frozenset[str] = frozenset(
    w
    for p in PATTERNS
    for w in re.findall(r"[a-z]{3,}", _expand(p.regex).replace("\\b", " ").replace("\\s", " "))
) | frozenset(_EXTRA_WORDS.split(" "))


def _compile_builtin(src: str) -> re2._Regexp:
    options = re2.Options()
    options.log_errors = False
    return re2.compile(_collapse_pattern(_expand(src)), options)


_COMPILED: tuple[tuple[Pattern, re2._Regexp], ...] = tuple(
    (p, _compile_builtin(p.regex)) for p in PATTERNS
)


def _compile_table_filter(patterns: Sequence[Pattern]) -> re2.Filter:
    """A prefilter of the table: ``Match(text)`` gives the indices of ``patterns`` that
    match somewhere in ``text``, exactly, in one call into RE2.

    It is RE2's ``FilteredRE2``: one pass of a literal ``re2.Set`` over the text finds the
    words each pattern needs ("atoms"), and only the patterns whose atoms are all there (or
    that need none) are run, in C++, to confirm. A single ``re2.Set`` of all the patterns
    would do it in one DFA pass, but that DFA has too many states: on varied chat text it
    keeps flushing its cache and is no faster than running every pattern.
    """
    options = re2.Options()
    options.log_errors = False
    table = re2.Filter()
    for position, pattern in enumerate(patterns):
        if table.Add(_collapse_pattern(_expand(pattern.regex)), options) != position:
            raise RuntimeError("re2.Filter numbered the table patterns out of order")
    table.Compile()
    return table


#: The prefilter of the tables (words view); immutable once compiled, so thread-safe.
_TABLE_FILTER = _compile_table_filter(PATTERNS)
_ALL_PATTERNS: tuple[int, ...] = tuple(range(len(PATTERNS)))

# Negation/reporting just before a hit (checked on the hit's clause, words view).
_NEGATION_TAIL = _compile_builtin(
    r"(?:^|\s)(?:not|never|no|dont|didnt|doesnt|wont|wouldnt|cant|canot|cannot|couldnt|shouldnt"
    r"|isnt|arent|wasnt|aint|nor|refuse to|why would i|why should i|stop|asked me to|told me to"
    r"|wanted me to|tried to make me|asking me to|asking me for|asked me for|was told to)"
    r"(?:\s(?:i|you|u|we|will|wil|go|fit|dey|be|ever|even|want|wan|to|going|gonna|wana|need|have"
    r"|got|am|is|are|really|just|the|a|any|more|again|would|should|let|like|make|do|anybody"
    r"|anyone|gon|be able to)){0,3}\s?$"
)
_CONDITIONAL_TAIL = _compile_builtin(
    r"\bif (?:you|u) (?:dont|do not|no|fail to|refuse to|didnt)\s?$"
)
_INNER_NEGATION = _compile_builtin(
    r"\b(?:not|never|dont|wont|cant|canot|cannot|wouldnt|shouldnt|aint|no go|no fit)\b"
)
_CLAUSE_BREAK = re.compile(r"[.!?;,\n]| but | and then | abeg ")
_LOOKBACK_CHARS = 48

# Numbers right after/before these words are bank/wallet account numbers, not phone contacts.
_PAYMENT_WORDS = re.compile(
    r"(?:account|acct|acc|a/c|opay|palmpay|palm pay|kuda|moniepoint|bank|gtb|zenith|uba|access"
    r"|first ?bank|fcmb|wema|sterling|fidelity|union|polaris|ecobank|stanbic|wallet)",
    re.IGNORECASE,
)
_HANDLE = re.compile(r"(?<![\w.@])@[A-Za-z0-9_](?:[A-Za-z0-9_.]{0,28}[A-Za-z0-9_])?")
_EMAIL = re.compile(r"\b[\w.+-]{1,64}@[\w-]{1,63}\.[\w.]{2,20}\b")
_SPACED_DIGITS = re.compile(r"\+?\d(?:[ .\-]{1,2}\d){9,14}")


# --------------------------------------------------------------------------- detection


def _is_negated(view: NormalizedText, start: int) -> bool:
    before = view.text[max(0, start - _LOOKBACK_CHARS) : start]
    parts = _CLAUSE_BREAK.split(before)
    clause = parts[-1] if parts else ""
    if _CONDITIONAL_TAIL.search(clause):
        return False
    return _NEGATION_TAIL.search(clause) is not None


def _trim(original: str, start: int, end: int) -> tuple[int, int]:
    """``(start, end)`` without the whitespace at either end of ``original[start:end]``."""
    while start < end and original[start].isspace():
        start += 1
    while end > start and original[end - 1].isspace():
        end -= 1
    return start, end


def _make_hit(
    name: str,
    score: float,
    msg: Message,
    start: int,
    end: int,
    source: str = "builtin",
    negated: bool = False,
    tag: str = "",
) -> SignalHit:
    original = msg.text
    start, end = _trim(original, start, end)
    return SignalHit(
        name, round(score, 4), msg.index, original[start:end], start, end, source, negated, tag
    )


def _phone_hits(msg: Message) -> list[SignalHit]:
    text = msg.text[:MAX_MESSAGE_CHARS]
    hits: list[SignalHit] = []
    seen: list[tuple[int, int]] = []
    candidates: list[tuple[int, int, bool]] = []
    for m in phonenumbers.PhoneNumberMatcher(text, "NG", leniency=phonenumbers.Leniency.POSSIBLE):
        ok = phonenumbers.is_valid_number(m.number) or (
            m.raw_string.startswith("+") and phonenumbers.is_possible_number(m.number)
        )
        candidates.append((m.start, m.end, ok))
    for m in _SPACED_DIGITS.finditer(text):
        try:
            number = phonenumbers.parse(re.sub(r"[ .\-]", "", m.group()), "NG")
        except phonenumbers.NumberParseException:
            continue
        candidates.append((m.start(), m.end(), phonenumbers.is_valid_number(number)))
    for start, end, ok in candidates:
        if not ok or any(s < end and start < e for s, e in seen):
            continue
        seen.append((start, end))
        around = text[max(0, start - 30) : start] + " " + text[end : end + 20]
        if _PAYMENT_WORDS.search(around):
            # An Opay/Palmpay "number" is an account number: payment details, not a contact.
            hits.append(_make_hit("financial_request", 0.55, msg, start, end))
        else:
            hits.append(_make_hit("off_platform", 0.55, msg, start, end))
    return hits


def _contact_hits(msg: Message) -> list[SignalHit]:
    text = msg.text[:MAX_MESSAGE_CHARS]
    hits = [
        _make_hit("off_platform", 0.45, msg, m.start(), m.end()) for m in _HANDLE.finditer(text)
    ]
    hits += [
        _make_hit("off_platform", 0.35, msg, m.start(), m.end()) for m in _EMAIL.finditer(text)
    ]
    return hits + _phone_hits(msg)


#: A table hit of one message text: the :class:`SignalHit` fields except ``message_index``
#: (``source`` is always "builtin"), or the :class:`ContextHit` fields except the index.
_SignalRow = tuple[str, float, str, int, int, bool, str]
_ContextRow = tuple[str, str, int, int]
_TableRows = tuple[tuple[_SignalRow, ...], tuple[_ContextRow, ...]]


def _matching_patterns(view: str) -> tuple[int, ...]:
    """Indices (ascending) of the table patterns that match somewhere in ``view``."""
    found = _TABLE_FILTER.Match(view)
    return tuple(sorted(found)) if found else ()


def _scan_table(text: str, indices: Iterable[int]) -> _TableRows:
    """Run the table patterns ``indices`` (ascending) on the words view of ``text``."""
    view = normalize_words(text)
    normalized = view.text
    signal_rows: list[_SignalRow] = []
    context_rows: list[_ContextRow] = []
    for index in indices:
        pattern, regex = _COMPILED[index]
        is_context = pattern.signal.startswith("ctx:")
        for count, m in enumerate(regex.finditer(normalized)):
            if count >= MAX_HITS_PER_PATTERN:
                break
            m_start, m_end = m.span()
            if m_end == m_start:
                continue
            start, end = view.span(m_start, m_end)
            if is_context:
                context_rows.append((pattern.signal[4:], text[start:end], start, end))
                continue
            negated = _is_negated(view, m_start) or (
                pattern.inner_negation
                and _INNER_NEGATION.search(m.group().replace("if not", "")) is not None
            )
            start, end = _trim(text, start, end)
            signal_rows.append(
                (
                    pattern.signal,
                    round(pattern.score, 4),
                    text[start:end],
                    start,
                    end,
                    negated,
                    pattern.tag,
                )
            )
    return tuple(signal_rows), tuple(context_rows)


@functools.lru_cache(maxsize=4096)
def _table_rows(text: str) -> _TableRows:
    """Table hits of one message text, cached: ``detect_signals`` and ``detect_context``
    both need them, and they depend on the text alone. Only the patterns the prefilter
    reports are run; the rows are exactly those of running every pattern."""
    return _scan_table(text, _matching_patterns(normalize_words(text).text))


def _table_hits(msg: Message) -> list[SignalHit]:
    index = msg.index
    return [
        SignalHit(name, score, index, evidence, start, end, "builtin", negated, tag)
        for name, score, evidence, start, end, negated, tag in _table_rows(msg.text)[0]
    ]


def _context_hits(msg: Message) -> list[ContextHit]:
    index = msg.index
    return [
        ContextHit(name, index, evidence, start, end)
        for name, evidence, start, end in _table_rows(msg.text)[1]
    ]


def _rule_hits(msg: Message, rules: Sequence[CustomRule]) -> list[SignalHit]:
    hits: list[SignalHit] = []
    for rule in rules:
        compiled = rule.compiled
        view = normalize_words(msg.text) if compiled.view == "words" else normalize_plain(msg.text)
        for count, m in enumerate(compiled.regex.finditer(view.text)):
            if count >= MAX_HITS_PER_PATTERN:
                break
            if m.end() == m.start():
                continue
            start, end = view.span(m.start(), m.end())
            negated = compiled.view == "words" and _is_negated(view, m.start())
            score = min(1.0, max(0.0, float(rule.weight)))
            hits.append(
                _make_hit(rule.signal, score, msg, start, end, f"rule:{rule.name}", negated)
            )
    return hits


def _dedupe(hits: list[SignalHit]) -> list[SignalHit]:
    """Within one message and signal, keep the strongest of overlapping hits."""
    groups: dict[tuple[int, str, bool], list[SignalHit]] = {}
    for hit in hits:
        groups.setdefault((hit.message_index, hit.name, hit.negated), []).append(hit)
    kept: list[SignalHit] = []
    for group in groups.values():
        starts: list[int] = []  # kept spans of this group, sorted and disjoint
        ends: list[int] = []
        for hit in sorted(group, key=lambda h: (-h.score, h.start - h.end, h.start)):
            i = bisect.bisect_left(starts, hit.start)
            overlaps = (i > 0 and ends[i - 1] > hit.start) or (
                i < len(starts) and starts[i] < hit.end
            )
            # a zero-width span still collides with a span that contains its position
            if overlaps or (i < len(starts) and starts[i] == hit.start):
                continue
            starts.insert(i, hit.start)
            ends.insert(i, hit.end)
            kept.append(hit)
    return sorted(kept, key=lambda h: (h.message_index, h.start, h.name))


def detect_signals(
    messages: Sequence[Message], rules: Sequence[CustomRule] = ()
) -> list[SignalHit]:
    """All signal hits in ``messages`` (built-in tables, contacts, admin rules), in order.

    Negated or reported hits are included with ``negated=True``.
    """
    hits: list[SignalHit] = []
    for msg in messages:
        hits += _table_hits(msg) + _contact_hits(msg) + _rule_hits(msg, rules)
    return _dedupe(hits)


def detect_context(messages: Sequence[Message]) -> list[ContextHit]:
    """Context cues (banter, repayment, refusal, rebuff...) the scorer uses to read signals."""
    out: list[ContextHit] = []
    for msg in messages:
        out += _context_hits(msg)
    return out


# --------------------------------------------------------------------------- admin rules


def _re2_message(exc: Exception) -> str:
    raw = exc.args[0] if exc.args else exc
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    if "invalid escape sequence: \\" in text and any(ch.isdigit() for ch in text[-2:]):
        return "backreferences such as \\1 are not supported (patterns must run in linear time)"
    if "invalid perl operator: (?=" in text or "invalid perl operator: (?!" in text:
        return "lookahead (?= / (?! is not supported (patterns must run in linear time)"
    if "invalid perl operator: (?<" in text:
        return "lookbehind (?<= / (?<! is not supported (patterns must run in linear time)"
    if "pattern too large" in text:
        return "pattern is too complex"
    return f"invalid regular expression: {text}"


def compile_rule(kind: str, pattern: str) -> CompiledRule:
    """Compile an admin rule, raising :class:`InvalidRule` with a human message.

    ``keyword``: the words are normalised like messages (case, leetspeak, repeated letters)
    and matched on the words view at word boundaries, spaces matching any whitespace.
    ``regex``: RE2 syntax, case-insensitive, matched on the plain view.
    """
    if kind not in ("keyword", "regex"):
        raise InvalidRule("kind must be 'keyword' or 'regex'")
    if not isinstance(pattern, str) or not pattern.strip():
        raise InvalidRule("pattern must not be empty")
    if len(pattern) > MAX_RULE_CHARS:
        raise InvalidRule(f"pattern is longer than {MAX_RULE_CHARS} characters")
    options = re2.Options()
    options.log_errors = False
    options.case_sensitive = False
    options.max_mem = RULE_MAX_MEM
    if kind == "keyword":
        words = normalize_words(pattern.strip()).text
        if not any(ch.isalnum() for ch in words):
            raise InvalidRule("keyword has no letters or digits left after normalisation")
        body = r"\s+".join(re2.escape(w) for w in words.split(" "))
        prefix = r"\b" if words[0].isalnum() else ""
        suffix = r"\b" if words[-1].isalnum() else ""
        source, view = prefix + body + suffix, "words"
    else:
        source, view = pattern, "plain"
    try:
        regex = re2.compile(source, options)
    except re2.error as exc:
        raise InvalidRule(_re2_message(exc)) from None
    if regex.search("") is not None:
        raise InvalidRule("pattern matches empty text, so it would match every message")
    return CompiledRule(kind, pattern, regex, view)
