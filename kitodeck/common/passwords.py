"""Password hashing (argon2id) and the password policy (SECURITY.md items 1, 6, 7).

Hashes use argon2-cffi's ``PasswordHasher`` with the parameters from the config
(``ARGON2_TIME_COST``, ``ARGON2_MEMORY_COST`` in KiB, ``ARGON2_PARALLELISM``; at least
t=2, m=19456, p=1). A hash made with other parameters is upgraded at the next successful
login (``needs_rehash``).

Passwords are used exactly as typed: no trimming, no Unicode normalisation, no truncation
(argon2 hashes the full UTF-8 bytes).
"""

from __future__ import annotations

import contextlib
import threading
from functools import lru_cache

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import current_app, has_app_context
from zxcvbn import zxcvbn
from zxcvbn.frequency_lists import FREQUENCY_LISTS

DEFAULTS = {
    "ARGON2_TIME_COST": 2,
    "ARGON2_MEMORY_COST": 19456,
    "ARGON2_PARALLELISM": 1,
    "PASSWORD_MIN_LENGTH": 8,
    "PASSWORD_MAX_LENGTH": 128,
    "PASSWORD_MIN_SCORE": 2,
}

# zxcvbn refuses inputs longer than this; the first 72 characters are what it scores.
_ZXCVBN_MAX = 72
_COMMON_PASSWORDS = frozenset(FREQUENCY_LISTS["passwords"])


def _setting(name: str) -> int:
    if has_app_context():
        return int(current_app.config.get(name, DEFAULTS[name]))
    return DEFAULTS[name]


@lru_cache(maxsize=8)
def _hasher_for(time_cost: int, memory_cost: int, parallelism: int) -> PasswordHasher:
    return PasswordHasher(
        time_cost=time_cost,
        memory_cost=memory_cost,
        parallelism=parallelism,
        hash_len=32,
        salt_len=16,
        type=Type.ID,
    )


def hasher() -> PasswordHasher:
    """The argon2id hasher configured for the current app (defaults outside one)."""
    return _hasher_for(
        _setting("ARGON2_TIME_COST"),
        _setting("ARGON2_MEMORY_COST"),
        _setting("ARGON2_PARALLELISM"),
    )


def hash_password(password: str) -> str:
    """An argon2id hash of ``password`` (PHC string with its parameters and salt)."""
    return hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether ``password`` matches ``password_hash``; False for a malformed hash.

    A malformed or unusable hash (an account that cannot log in) still costs one real
    verification, so its answer takes as long as any other.
    """
    try:
        return hasher().verify(password_hash, password)
    except (VerifyMismatchError, VerificationError):
        return False
    except InvalidHashError:
        return verify_dummy(password)


def needs_rehash(password_hash: str) -> bool:
    """Whether the hash was made with other parameters than the configured ones."""
    try:
        return hasher().check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


_dummy_lock = threading.Lock()
_dummy_hashes: dict[tuple[int, int, int], str] = {}


def _dummy_hash() -> str:
    h = hasher()
    key = (h.time_cost, h.memory_cost, h.parallelism)
    with _dummy_lock:
        if key not in _dummy_hashes:
            _dummy_hashes[key] = h.hash("kitodeck-dummy-password-for-unknown-accounts")
        return _dummy_hashes[key]


def verify_dummy(password: str) -> bool:
    """Spend the time of a real verification (unknown account); always False."""
    with contextlib.suppress(VerifyMismatchError, VerificationError, InvalidHashError):
        hasher().verify(_dummy_hash(), password)
    return False


def password_problems(password: str, *, email: str = "", username: str = "") -> list[str]:
    """Why ``password`` is refused (empty when it is acceptable).

    Rules: length between PASSWORD_MIN_LENGTH (8) and PASSWORD_MAX_LENGTH (128) characters;
    not on zxcvbn's list of common passwords; not the email, its local part or the username;
    a zxcvbn score of at least PASSWORD_MIN_SCORE (2) with the email and username as
    context. Spaces and any Unicode are allowed and kept exactly.
    """
    minimum, maximum = _setting("PASSWORD_MIN_LENGTH"), _setting("PASSWORD_MAX_LENGTH")
    if len(password) < minimum:
        return [f"Use at least {minimum} characters."]
    if len(password) > maximum:
        return [f"Use at most {maximum} characters."]
    lowered = password.lower()
    personal = {value.lower() for value in (email, username) if value}
    if email and "@" in email:
        personal.add(email.rsplit("@", 1)[0].lower())
    if lowered in personal or lowered.strip() in personal:
        return ["The password must not be your email address or username."]
    if lowered in _COMMON_PASSWORDS:
        return ["This password is on a list of commonly used passwords. Choose another one."]
    inputs = [value for value in personal if value]
    result = zxcvbn(password[:_ZXCVBN_MAX], user_inputs=inputs)
    if result["score"] < _setting("PASSWORD_MIN_SCORE"):
        feedback = result.get("feedback") or {}
        hint = feedback.get("warning") or "It would be easy to guess."
        return [f"This password is too weak. {hint}".strip()]
    return []
