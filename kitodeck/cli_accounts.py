"""Account commands of the admin CLI: ``flask --app wsgi users|sessions|tokens ...``.

Passwords are always prompted (hidden, typed twice), never taken from the command line.
Exit codes: 0 done, 1 not found or refused (with a message on stderr), 2 usage error.
"""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from kitodeck.users.models import ROLES, User

users_cli = AppGroup("users", help="Create and manage accounts.")
sessions_cli = AppGroup("sessions", help="Manage login sessions.")
tokens_cli = AppGroup("tokens", help="Housekeeping of sessions and emailed tokens.")


def _user_by_email(email: str) -> User:
    from kitodeck.users.services import get_by_email, normalise_email

    user = get_by_email(normalise_email(email))
    if user is None:
        raise click.ClickException(f"No account uses the email {email!r}.")
    return user


def _prompt_password() -> str:
    return click.prompt(
        "Password", hide_input=True, confirmation_prompt=True, err=True, show_default=False
    )


def _create(email: str, username: str, role: str, verified: bool) -> User:
    from kitodeck.users.schemas import UsernameField
    from kitodeck.users.services import (
        AccountError,
        InvalidEmail,
        check_new_password,
        create_user,
        validate_email_address,
    )

    try:
        email = validate_email_address(email)
    except InvalidEmail as error:
        raise click.ClickException(f"Invalid email: {error}") from error
    try:
        UsernameField().deserialize(username)
    except Exception as error:
        raise click.ClickException(
            f"Invalid username {username!r}: use 3 to 32 letters, digits, '_' or '.'."
        ) from error
    password = _prompt_password()
    try:
        check_new_password(password, email=email, username=username, field="password")
        return create_user(
            email=email, username=username, password=password, role=role, verified=verified
        )
    except AccountError as error:
        details = ""
        if error.errors:
            details = " " + " ".join(
                message for field in error.errors.get("json", {}).values() for message in field
            )
        raise click.ClickException(f"{error.message}{details}") from error


@users_cli.command("create-admin")
@click.option("--email", prompt=True, help="The admin's email address.")
@click.option("--username", prompt=True, help="3-32 letters, digits, '_' or '.'.")
def create_admin(email: str, username: str) -> None:
    """Create an admin account (email already confirmed); the password is prompted."""
    user = _create(email, username, "admin", verified=True)
    _audit_created(user)
    click.echo(f"Created admin {user.username} <{user.email}> (id {user.id}).")


@users_cli.command("create")
@click.option("--email", prompt=True, help="The account's email address.")
@click.option("--username", prompt=True, help="3-32 letters, digits, '_' or '.'.")
@click.option("--role", type=click.Choice(ROLES), default="user", show_default=True)
@click.option(
    "--verified/--unverified",
    default=True,
    show_default=True,
    help="Mark the email as already confirmed.",
)
def create(email: str, username: str, role: str, verified: bool) -> None:
    """Create an account; the password is prompted (hidden, twice)."""
    user = _create(email, username, role, verified=verified)
    _audit_created(user)
    state = "verified" if user.email_verified else "unverified"
    click.echo(f"Created {user.role} {user.username} <{user.email}> ({state}, id {user.id}).")


def _audit_created(user: User) -> None:
    from kitodeck.common.audit import audit

    audit("user_created", user_id=user.id, role=user.role, by="cli")


@users_cli.command("list")
@click.option("--role", type=click.Choice(ROLES), help="Only this role.")
@click.option("--active/--inactive", "is_active", default=None, help="Only active/inactive.")
@click.option("--q", "query", help="Substring of the email or username.")
@click.option("--limit", type=click.IntRange(1, 10_000), default=200, show_default=True)
def list_users(role: str | None, is_active: bool | None, query: str | None, limit: int) -> None:
    """List accounts, newest first."""
    from kitodeck.extensions import db
    from kitodeck.users.services import users_query

    users = list(
        db.session.scalars(users_query(q=query, role=role, is_active=is_active).limit(limit))
    )
    if not users:
        click.echo("No accounts.")
        return
    header = f"{'email':<40} {'username':<20} {'role':<10} {'active':<7} {'verified':<9} created"
    click.echo(header)
    for user in users:
        click.echo(
            f"{user.email:<40} {user.username:<20} {user.role:<10} "
            f"{'yes' if user.is_active else 'no':<7} {'yes' if user.email_verified else 'no':<9} "
            f"{user.created_at:%Y-%m-%d %H:%M}"
        )
    click.echo(f"{len(users)} account(s).")


@users_cli.command("set-role")
@click.argument("email")
@click.argument("role", type=click.Choice(ROLES))
def set_role(email: str, role: str) -> None:
    """Give the account EMAIL the role ROLE (user, moderator, admin); effective at once."""
    from kitodeck.users.services import AccountError
    from kitodeck.users.services import set_role as apply_role

    user = _user_by_email(email)
    try:
        changed = apply_role(user, role)
    except AccountError as error:
        raise click.ClickException(error.message) from error
    click.echo(f"{user.email} is now {role}." if changed else f"{user.email} already is {role}.")


@users_cli.command("deactivate")
@click.argument("email")
def deactivate(email: str) -> None:
    """Deactivate the account EMAIL and end all its sessions."""
    from kitodeck.users.services import AccountError, set_active

    user = _user_by_email(email)
    try:
        changed = set_active(user, False)
    except AccountError as error:
        raise click.ClickException(error.message) from error
    if changed:
        click.echo(f"Deactivated {user.email}; its sessions are revoked.")
    else:
        click.echo(f"{user.email} already is deactivated.")


@users_cli.command("activate")
@click.argument("email")
def activate(email: str) -> None:
    """Reactivate the account EMAIL."""
    from kitodeck.users.services import set_active

    user = _user_by_email(email)
    changed = set_active(user, True)
    click.echo(f"Activated {user.email}." if changed else f"{user.email} already is active.")


@users_cli.command("verify")
@click.argument("email")
def verify(email: str) -> None:
    """Mark the email of the account EMAIL as confirmed."""
    from kitodeck.common.audit import audit
    from kitodeck.users.services import mark_verified

    user = _user_by_email(email)
    if mark_verified(user):
        audit("user_verified", user_id=user.id, by="cli")
        click.echo(f"Marked {user.email} as verified.")
    else:
        click.echo(f"{user.email} already is verified.")


@sessions_cli.command("revoke")
@click.argument("email")
def revoke_sessions(email: str) -> None:
    """End every session of the account EMAIL (its tokens stop working at once)."""
    from kitodeck.auth.sessions import revoke_user_sessions

    user = _user_by_email(email)
    count = revoke_user_sessions(user.id, "revoked_by_admin")
    click.echo(f"Revoked {count} session(s) of {user.email}.")


@tokens_cli.command("purge")
def purge_tokens() -> None:
    """Delete expired or revoked sessions and used or expired email tokens."""
    from kitodeck.auth.services import purge_tokens as purge

    sessions, tokens = purge()
    click.echo(f"Deleted {sessions} session(s) and {tokens} email token(s).")


def register_account_commands(app: Flask) -> None:
    """Attach the ``users``, ``sessions`` and ``tokens`` groups."""
    for group in (users_cli, sessions_cli, tokens_cli):
        app.cli.add_command(group)
