"""A faster, equivalent base64url segment check for PyJWT 2.15.1.

PyJWT 2.15 validates every character of every token segment with a Python-level
``any(c not in ALPHABET for c in segment)`` (its fix for GHSA-hxm8-2xgr-2p9m). With
flask-jwt-extended reading each token more than once, that loop cost ~0.4 ms of a ~1.1 ms
authenticated request. This module installs the same check done with ``bytes.translate``
(C speed), for exactly the PyJWT version whose code it mirrors; any other version is left
untouched. ``tests/test_jwt_speedup.py`` compares both on random and hostile segments.
"""

from __future__ import annotations

import binascii
import logging

import jwt
from jwt import api_jws
from jwt.exceptions import DecodeError
from jwt.utils import base64url_decode, base64url_encode

log = logging.getLogger("kitodeck.jwt")

MIRRORED_VERSION = "2.15.1"
_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
_original = api_jws.PyJWS.__dict__["_decode_base64url_segment"]


def decode_base64url_segment(segment: bytes, name: str) -> bytes:
    """PyJWS._decode_base64url_segment with the alphabet scan done by ``bytes.translate``."""
    padding = 0
    stripped = segment
    while stripped.endswith(b"="):
        stripped = stripped[:-1]
        padding += 1
        if padding > 2:
            raise DecodeError(f"Invalid {name} padding")
    if padding and len(segment) % 4 != 0:
        raise DecodeError(f"Invalid {name} padding")
    if len(stripped) % 4 == 1 or stripped.translate(None, _ALPHABET):
        raise DecodeError(f"Invalid {name} padding")
    try:
        decoded = base64url_decode(stripped)
    except (TypeError, binascii.Error) as err:
        raise DecodeError(f"Invalid {name} padding") from err
    if base64url_encode(decoded) != stripped:
        raise DecodeError(f"Invalid {name} padding")
    return decoded


def original_decode_base64url_segment(segment: bytes, name: str) -> bytes:
    """PyJWT's own implementation (for the equivalence test)."""
    return _original.__func__(segment, name)


def install() -> bool:
    """Use the fast check when PyJWT is the mirrored version; True when installed."""
    if jwt.__version__ != MIRRORED_VERSION:
        log.info("PyJWT %s: keeping its own segment check", jwt.__version__)
        return False
    api_jws.PyJWS._decode_base64url_segment = staticmethod(decode_base64url_segment)  # type: ignore[method-assign]
    return True
