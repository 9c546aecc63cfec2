"""Accounts: creation, profile changes, deletion and admin management.

Rules live here; views only parse and respond. Functions commit their own transactions.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import Select, delete, func, or_, select
from sqlalchemy.exc import IntegrityError

from kitodeck.auth.sessions import revoke_user_sessions
from kitodeck.common.audit import audit
from kitodeck.common.passwords import hash_password, password_problems, verify_password
from kitodeck.common.timeutil import utcnow
from kitodeck.extensions import db
from kitodeck.users.models import ROLES, User


@dataclass
class AccountError(Exception):
    """A refused account operation, with the HTTP status the API answers with."""

    status: int
    message: str
    errors: dict[str, Any] | None = field(default=None)

    def __str__(self) -> str:
        return self.message


class InvalidEmail(ValueError):
    """Not a syntactically valid email address."""


def validate_email_address(value: str) -> str:
    """The address normalised for storage (lower-case, IDNA domain), or ``InvalidEmail``.

    Syntax only: no DNS lookup.
    """
    try:
        result = validate_email(value.strip(), check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError as error:
        raise InvalidEmail(str(error)) from error
    normalised = (result.ascii_email or result.normalized).lower()
    if len(normalised) > 254:
        raise InvalidEmail("The email address is too long.")
    return normalised


def normalise_email(value: str) -> str:
    """How an email typed at login or forgot-password is looked up (never raises)."""
    try:
        return validate_email_address(value)
    except InvalidEmail:
        return value.strip().lower()


def get_user(user_id: uuid.UUID) -> User | None:
    """The user with this id."""
    return db.session.get(User, user_id)


def get_by_email(email: str) -> User | None:
    """The user with this (normalised) email."""
    return db.session.scalars(select(User).where(User.email == email)).first()


def username_taken(username: str, *, exclude: uuid.UUID | None = None) -> bool:
    """Whether another account uses ``username``."""
    query = select(User.id).where(User.username == username)
    if exclude is not None:
        query = query.where(User.id != exclude)
    return db.session.scalars(query.limit(1)).first() is not None


def check_new_password(password: str, *, email: str, username: str, field: str) -> None:
    """Apply the password policy; 422 in the contract's shape when it is refused."""
    problems = password_problems(password, email=email, username=username)
    if problems:
        raise AccountError(422, "The password was refused.", {"json": {field: problems}})


def username_taken_error() -> AccountError:
    """409 for a username in use (a new instance each time: exceptions carry tracebacks)."""
    return AccountError(
        409, "This username is taken.", {"json": {"username": ["This username is taken."]}}
    )


def create_user(
    *,
    email: str,
    username: str,
    password: str | None = None,
    password_hash: str | None = None,
    role: str = "user",
    verified: bool = False,
    check_policy: bool = True,
) -> User:
    """A new account (committed). 409 for a taken username or email."""
    if role not in ROLES:
        raise AccountError(422, f"Unknown role {role!r}; choose one of {', '.join(ROLES)}.")
    if password_hash is None:
        if password is None:
            raise ValueError("create_user needs a password or a password_hash")
        if check_policy:
            check_new_password(password, email=email, username=username, field="password")
        password_hash = hash_password(password)
    if username_taken(username):
        raise username_taken_error()
    if get_by_email(email) is not None:
        raise AccountError(409, "An account with this email already exists.")
    user = User(
        id=uuid.uuid4(),
        email=email,
        username=username,
        password_hash=password_hash,
        role=role,
        is_active=True,
        email_verified_at=utcnow() if verified else None,
    )
    db.session.add(user)
    try:
        db.session.commit()
    except IntegrityError as error:
        db.session.rollback()
        if "username" in str(error.orig):
            raise username_taken_error() from error
        raise AccountError(409, "An account with this email already exists.") from error
    return user


def update_profile(user: User, changes: Mapping[str, Any]) -> User:
    """Change one's own profile (username)."""
    username = changes.get("username")
    if username is not None and username != user.username:
        if username_taken(username, exclude=user.id):
            raise username_taken_error()
        user.username = username
        try:
            db.session.commit()
        except IntegrityError as error:
            db.session.rollback()
            raise username_taken_error() from error
    return user


def delete_own_account(user: User, password: str) -> None:
    """Delete the account after checking its password; its scans and sessions go with it."""
    if not verify_password(user.password_hash, password):
        raise AccountError(
            400,
            "The password is not correct.",
            {"json": {"password": ["The password is not correct."]}},
        )
    _guard_last_admin(user, losing_admin=True)
    user_id = user.id
    db.session.execute(delete(User).where(User.id == user_id))
    db.session.commit()
    audit("user_deleted", user_id=user_id, by="self")


def users_query(
    *, q: str | None = None, role: str | None = None, is_active: bool | None = None
) -> Select[tuple[User]]:
    """Accounts matching the filters, newest first."""
    query = select(User)
    if q:
        pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(
            or_(User.email.ilike(pattern, escape="\\"), User.username.ilike(pattern, escape="\\"))
        )
    if role:
        query = query.where(User.role == role)
    if is_active is not None:
        query = query.where(User.is_active.is_(is_active))
    return query.order_by(User.created_at.desc(), User.id)


def page_of_users(filters: Mapping[str, Any], page: int, page_size: int) -> tuple[list[User], int]:
    """One page of ``users_query`` and the total count."""
    query = users_query(**filters)
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    items = list(db.session.scalars(query.limit(page_size).offset((page - 1) * page_size)))
    return items, int(total or 0)


def _active_admins(exclude: uuid.UUID | None = None) -> int:
    query = select(func.count()).select_from(User).where(User.role == "admin", User.is_active)
    if exclude is not None:
        query = query.where(User.id != exclude)
    return int(db.session.scalar(query) or 0)


def _guard_last_admin(user: User, *, losing_admin: bool) -> None:
    if losing_admin and user.role == "admin" and user.is_active and _active_admins(user.id) == 0:
        raise AccountError(409, "This is the last active admin: promote another admin first.")


def set_role(user: User, role: str, *, actor: User | None = None) -> bool:
    """Change the role (committed); False when it was already that role."""
    if role not in ROLES:
        raise AccountError(422, f"Unknown role {role!r}; choose one of {', '.join(ROLES)}.")
    if user.role == role:
        return False
    _guard_last_admin(user, losing_admin=role != "admin")
    old = user.role
    user.role = role
    db.session.commit()
    audit(
        "role_changed",
        user_id=user.id,
        old_role=old,
        new_role=role,
        by=str(actor.id) if actor else "cli",
    )
    return True


def set_active(user: User, active: bool, *, actor: User | None = None) -> bool:
    """Activate or deactivate (committed); deactivating ends every session."""
    if user.is_active == active:
        return False
    if not active:
        _guard_last_admin(user, losing_admin=True)
    user.is_active = active
    if not active:
        revoke_user_sessions(user.id, "deactivated", commit=False)
    db.session.commit()
    audit(
        "user_activated" if active else "user_deactivated",
        user_id=user.id,
        by=str(actor.id) if actor else "cli",
    )
    return True


def mark_verified(user: User) -> bool:
    """Mark the email as confirmed (committed); False when it already was."""
    if user.email_verified_at is not None:
        return False
    user.email_verified_at = utcnow()
    db.session.commit()
    return True


def admin_update(user: User, changes: Mapping[str, Any], *, actor: User) -> User:
    """Apply an admin's PATCH (role, is_active)."""
    if "role" in changes:
        set_role(user, changes["role"], actor=actor)
    if "is_active" in changes:
        set_active(user, changes["is_active"], actor=actor)
    return user


def admin_delete(user: User, *, actor: User) -> None:
    """Delete an account (admin); its scans and sessions go with it."""
    _guard_last_admin(user, losing_admin=True)
    user_id = user.id
    db.session.execute(delete(User).where(User.id == user_id))
    db.session.commit()
    audit("user_deleted", user_id=user_id, by=str(actor.id))
