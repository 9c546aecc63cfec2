"""factory_boy factories for accounts.

``UserFactory()`` makes an active, unverified ``user`` whose password is ``DEFAULT_PASSWORD``;
``UserFactory(password="...")``, ``UserFactory(verified=True)``, ``UserFactory(role="admin")``.
Rows are flushed into the test's transaction (the ``db`` fixture rolls them back).

Hashes are real argon2id hashes made through ``kitodeck.common.passwords`` with the app's
parameters; the hash of a given password is computed once per process and reused, so
creating many users stays cheap.
"""

from __future__ import annotations

import re
import uuid
from functools import lru_cache
from typing import Any

import factory
from factory.alchemy import SQLAlchemyModelFactory

from kitodeck.common.passwords import hash_password, hasher
from kitodeck.common.timeutil import utcnow
from kitodeck.extensions import db
from kitodeck.users.models import User

DEFAULT_PASSWORD = "Correct-Horse-Battery-42"


@lru_cache(maxsize=64)
def _cached_hash(password: str, params: tuple[int, int, int]) -> str:
    return hash_password(password)


def password_hash_for(password: str) -> str:
    """A real argon2id hash of ``password`` with the current app's parameters (memoised)."""
    h = hasher()
    return _cached_hash(password, (h.time_cost, h.memory_cost, h.parallelism))


class UserFactory(SQLAlchemyModelFactory):
    """An active account with a known password."""

    class Meta:
        model = User
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731
        sqlalchemy_session_persistence = "flush"

    class Params:
        verified = factory.Trait(email_verified_at=factory.LazyFunction(utcnow))

    id = factory.LazyFunction(uuid.uuid4)
    username = factory.Sequence(lambda n: f"user_{n}_{uuid.uuid4().hex[:6]}")
    email = factory.LazyAttribute(lambda o: f"{o.username.lower()}@example.com")
    role = "user"
    is_active = True
    email_verified_at = None
    password_hash = factory.LazyFunction(lambda: password_hash_for(DEFAULT_PASSWORD))

    @factory.post_generation
    def password(obj: User, create: bool, extracted: str | None, **kwargs: Any) -> None:
        """``UserFactory(password="...")`` hashes that password instead of the default."""
        if extracted is not None:
            obj.password_hash = password_hash_for(extracted)


# --- helpers for account tests ----------------------------------------------------------

TOKEN_IN_LINK = re.compile(r"token=([A-Za-z0-9_\-]+)")


def unique_email(prefix: str = "person") -> str:
    """A fresh address nobody uses yet."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}@example.com"


def unique_username(prefix: str = "person") -> str:
    """A fresh valid username."""
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


def bearer(token: str) -> dict[str, str]:
    """The Authorization header for ``token``."""
    return {"Authorization": f"Bearer {token}"}


def login(client: Any, email: str, password: str = DEFAULT_PASSWORD, **kwargs: Any) -> Any:
    """POST /api/v1/auth/login."""
    return client.post("/api/v1/auth/login", json={"email": email, "password": password}, **kwargs)


def token_from_mail(text: str) -> str:
    """The token of the first link in an email's text."""
    match = TOKEN_IN_LINK.search(text)
    assert match is not None, f"no token link in: {text!r}"
    return match.group(1)


def assert_error(response: Any, code: int) -> dict[str, Any]:
    """The response is a JSON error in the contract's shape with ``code``."""
    assert response.status_code == code, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert body["code"] == code
    assert set(body) <= {"code", "status", "message", "errors"}
    return body
