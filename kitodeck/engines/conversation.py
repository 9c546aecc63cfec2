"""Chat messages and transcript parsing.

A transcript is one message per line, each optionally prefixed with ``Name: `` and, as in
WhatsApp exports, optionally with a timestamp before the name::

    Tunde: hi
    [12/03/2024, 21:15] Ada: hello
    12/03/2024, 21:16 - Tunde: how far

Rules for lines without a ``Name:`` prefix: in a chat export a message that spans several
lines continues the previous speaker, so such a line inherits the sender of the line before
it. Lines before any named line (and every line of a transcript without names at all) get
the sender ``"unknown"``. Blank lines are skipped; message indices count only kept lines.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

UNKNOWN_SENDER = "unknown"

#: Longest name accepted in a ``Name:`` prefix; longer "names" are really sentences.
MAX_NAME_CHARS = 40

# Name: starts with a letter, up to 4 words of letters/digits and a little punctuation.
# Possessive quantifiers are not needed: every part is bounded, so matching is linear.
_PREFIX = re.compile(
    r"""^\s*
    (?:\[?(?P<ts>\d{1,4}[./-]\d{1,2}[./-]\d{1,4},?\s+\d{1,2}:\d{2}(?::\d{2})?(?:\s?[APap][Mm])?)\]?
       \s*(?:-\s*)?)?
    (?P<name>[^\W\d_][\w.'()&-]{0,30}(?:[ ][\w.'()&-]{1,30}){0,3})
    \s*:[ \t]+(?P<text>\S.*)$""",
    re.VERBOSE,
)

_TS_FORMATS = (
    "%d/%m/%Y, %H:%M",
    "%d/%m/%Y, %H:%M:%S",
    "%d/%m/%y, %H:%M",
    "%d/%m/%y, %H:%M:%S",
    "%Y-%m-%d, %H:%M",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y, %I:%M %p",
    "%d/%m/%y, %I:%M %p",
    "%d.%m.%y, %H:%M",
    "%d.%m.%Y, %H:%M",
)


@dataclass(frozen=True, slots=True)
class Message:
    """One chat message; ``index`` is its position in the conversation (0-based)."""

    index: int
    sender: str
    text: str
    timestamp: datetime | None = None


def _parse_timestamp(raw: str | None) -> datetime | None:
    """Parse a chat-export timestamp (day-first, as in Nigerian exports) as UTC, or None."""
    if not raw:
        return None
    raw = " ".join(raw.replace("\u202f", " ").split())
    for fmt in _TS_FORMATS:
        try:
            return datetime.strptime(raw, fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
    return None


def _looks_like_name(name: str, counts: dict[str, int]) -> bool:
    """Tell a speaker name from a sentence that merely contains a colon.

    One word is always a name ("tunde: hi"); several words are a name when each starts
    with a capital ("Customs Officer: ...") or the same prefix occurs on two or more lines,
    so "Here is my account: 0123" stays a message of the previous speaker.
    """
    if len(name) > MAX_NAME_CHARS or name.lower().startswith(("http", "www.")):
        return False
    words = name.split()
    if len(words) == 1 or counts.get(name, 0) >= 2:
        return True
    return all(w[0].isupper() or not w[0].isalpha() for w in words)


def parse_transcript(text: str) -> list[Message]:
    """Split a pasted transcript into messages (see the module docstring for the rules)."""
    lines = [line.strip() for line in text.splitlines()]
    matches = [_PREFIX.match(line) if line else None for line in lines]
    counts: dict[str, int] = {}
    for m in matches:
        if m:
            counts[m["name"]] = counts.get(m["name"], 0) + 1
    messages: list[Message] = []
    sender = UNKNOWN_SENDER
    for stripped, match in zip(lines, matches, strict=True):
        if not stripped:
            continue
        timestamp = None
        if match and _looks_like_name(match["name"], counts):
            sender = match["name"].strip()
            body = match["text"].strip()
            timestamp = _parse_timestamp(match["ts"])
        else:
            body = stripped
        messages.append(Message(len(messages), sender, body, timestamp))
    return messages


def messages_from_dicts(items: list[dict[str, object]]) -> list[Message]:
    """Build messages from ``[{"sender", "text", "timestamp"?}]`` (the JSON chat body).

    ``timestamp`` may be a ``datetime`` or an ISO 8601 string (``Z`` accepted); a missing
    or empty sender becomes ``"unknown"``.
    """
    out: list[Message] = []
    for i, item in enumerate(items):
        raw_ts = item.get("timestamp")
        ts: datetime | None
        if isinstance(raw_ts, datetime):
            ts = raw_ts
        elif isinstance(raw_ts, str) and raw_ts:
            ts = datetime.fromisoformat(raw_ts.replace("Z", "+00:00"))
        else:
            ts = None
        sender = str(item.get("sender") or "").strip() or UNKNOWN_SENDER
        out.append(Message(i, sender, str(item.get("text") or ""), ts))
    return out
