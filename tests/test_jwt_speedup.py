"""The fast base64url segment check behaves exactly like PyJWT's own."""

from __future__ import annotations

import random

import jwt
import pytest
from jwt.exceptions import DecodeError

from kitodeck.common import jwt_speedup

ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
JUNK = b"=+/!. \x00\xff\n{}\"'"


def outcome(function, segment: bytes):
    try:
        return ("ok", function(segment, "payload"))
    except DecodeError as error:
        return ("error", str(error))


def segments() -> list[bytes]:
    rng = random.Random(1234)
    out = [
        b"",
        b"=",
        b"==",
        b"===",
        b"A",
        b"AA",
        b"AAA",
        b"AAAA",
        b"AA==",
        b"AAA=",
        b"A===",
        b"!!!!",
        b"eyJhbGciOiJIUzI1NiJ9",
        b"eyJhbGciOiJIUzI1NiJ9==",
        b"ab+/",
        b"ab_-",
    ]
    for _ in range(20_000):
        length = rng.randint(0, 40)
        pool = ALPHABET if rng.random() < 0.7 else ALPHABET + JUNK
        body = bytes(rng.choice(pool) for _ in range(length))
        out.append(body + b"=" * rng.choice([0, 0, 0, 1, 2, 3]))
    return out


def test_fast_check_matches_pyjwt_on_random_and_hostile_segments() -> None:
    for segment in segments():
        expected = outcome(jwt_speedup.original_decode_base64url_segment, segment)
        assert outcome(jwt_speedup.decode_base64url_segment, segment) == expected, segment


def test_installed_for_the_pinned_version_and_tokens_still_verified(app) -> None:
    assert jwt.__version__ == jwt_speedup.MIRRORED_VERSION  # pinned in requirements.txt
    token = jwt.encode({"sub": "1"}, "k" * 32, algorithm="HS256")
    assert jwt.decode(token, "k" * 32, algorithms=["HS256"]) == {"sub": "1"}
    head, payload, signature = token.split(".")
    with pytest.raises(DecodeError):
        jwt.decode(f"{head}.{payload}!.{signature}", "k" * 32, algorithms=["HS256"])
