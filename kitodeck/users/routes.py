"""HTTP routes of the users blueprint: your own account, and user management for admins."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask.views import MethodView
from flask_jwt_extended import current_user, get_current_user
from flask_smorest import abort
from flask_smorest.pagination import PaginationParameters

from kitodeck.auth import limits
from kitodeck.common.auth import auth_required
from kitodeck.common.blueprint import Blueprint
from kitodeck.users import services
from kitodeck.users.models import User
from kitodeck.users.schemas import (
    AdminUserPatchSchema,
    DeleteMeSchema,
    UserPatchSchema,
    UserQuerySchema,
    UserSchema,
)

blp = Blueprint(
    "users",
    __name__,
    url_prefix="/api/v1/users",
    description="Your profile, and user management for admins.",
)

MAX_PAGE_SIZE = 100


@contextmanager
def account_errors() -> Iterator[None]:
    """Turn a refused account operation into the contract's error response."""
    try:
        yield
    except services.AccountError as error:
        abort(error.status, message=error.message, errors=error.errors)


# --- your own account -------------------------------------------------------------------


@blp.route("/me", methods=["GET"])
@auth_required()
@blp.response(200, UserSchema)
@blp.alt_response(401, response="UNAUTHORIZED")
def get_me() -> User:
    """Your account."""
    return get_current_user()  # the User itself: serialising through the proxy costs more


@blp.route("/me", methods=["PATCH"])
@auth_required()
@blp.arguments(UserPatchSchema)
@blp.response(200, UserSchema)
@blp.alt_response(401, response="UNAUTHORIZED")
@blp.alt_response(409, response="CONFLICT")
def patch_me(changes: dict[str, Any]) -> User:
    """Change your username (role, verification and status are not yours to change)."""
    with account_errors():
        return services.update_profile(current_user, changes)


@blp.route("/me", methods=["DELETE"])
@auth_required()
@limits.password_check
@blp.arguments(DeleteMeSchema)
@blp.response(204)
@blp.alt_response(400, response="BAD_REQUEST")
@blp.alt_response(401, response="UNAUTHORIZED")
@blp.alt_response(409, response="CONFLICT")
@blp.alt_response(429, response="TOO_MANY_REQUESTS")
def delete_me(body: dict[str, Any]) -> None:
    """Delete your account, its sessions and all its scans (needs your password)."""
    with account_errors():
        services.delete_own_account(current_user, body["password"])


# --- admin ------------------------------------------------------------------------------


@blp.route("/", methods=["GET"])
@auth_required("admin")
@blp.arguments(UserQuerySchema, location="query")
@blp.response(200, UserSchema(many=True))
@blp.paginate(max_page_size=MAX_PAGE_SIZE)
@blp.alt_response(401, response="UNAUTHORIZED")
@blp.alt_response(403, response="FORBIDDEN")
def list_users(filters: dict[str, Any], pagination_parameters: PaginationParameters) -> list[User]:
    """List accounts (admin), newest first; filter by ``q``, ``role`` and ``is_active``."""
    items, total = services.page_of_users(
        filters, pagination_parameters.page, pagination_parameters.page_size
    )
    pagination_parameters.item_count = total
    return items


def _user_or_404(user_id: uuid.UUID) -> User:
    user = services.get_user(user_id)
    if user is None:
        abort(404, message="No such user.")
    return user


@blp.route("/<uuid:user_id>")
class UserById(MethodView):
    """One account (admin)."""

    decorators = [auth_required("admin")]

    @blp.response(200, UserSchema)
    @blp.alt_response(401, response="UNAUTHORIZED")
    @blp.alt_response(403, response="FORBIDDEN")
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.doc(security=[{"bearerAuth": []}])
    def get(self, user_id: uuid.UUID) -> User:
        """Read an account (admin)."""
        return _user_or_404(user_id)

    @blp.arguments(AdminUserPatchSchema)
    @blp.response(200, UserSchema)
    @blp.alt_response(401, response="UNAUTHORIZED")
    @blp.alt_response(403, response="FORBIDDEN")
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    @blp.doc(security=[{"bearerAuth": []}])
    def patch(self, changes: dict[str, Any], user_id: uuid.UUID) -> User:
        """Change an account's role or status (admin); deactivating ends all its sessions."""
        user = _user_or_404(user_id)
        with account_errors():
            return services.admin_update(user, changes, actor=current_user)

    @blp.response(204)
    @blp.alt_response(401, response="UNAUTHORIZED")
    @blp.alt_response(403, response="FORBIDDEN")
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    @blp.doc(security=[{"bearerAuth": []}])
    def delete(self, user_id: uuid.UUID) -> None:
        """Delete an account with its sessions and scans (admin)."""
        user = _user_or_404(user_id)
        with account_errors():
            services.admin_delete(user, actor=current_user)
