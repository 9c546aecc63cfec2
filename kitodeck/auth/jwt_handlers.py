"""Every flask-jwt-extended error answered as 401 in the contract shape."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask_jwt_extended import JWTManager

from kitodeck.errors import error_response

_BEARER = {"WWW-Authenticate": 'Bearer realm="kitodeck"'}


def _unauthorized(message: str) -> Response:
    return error_response(401, message, headers=_BEARER)


def register_jwt_error_handlers(jwt: JWTManager) -> None:
    """Missing, invalid, expired, revoked and wrong-type tokens all give 401."""

    @jwt.unauthorized_loader
    def missing_token(reason: str) -> Response:
        return _unauthorized("Authentication required: send 'Authorization: Bearer <token>'.")

    @jwt.invalid_token_loader
    def invalid_token(reason: str) -> Response:
        return _unauthorized("The token is invalid.")

    @jwt.expired_token_loader
    def expired_token(header: dict[str, Any], payload: dict[str, Any]) -> Response:
        return _unauthorized("The token has expired.")

    @jwt.revoked_token_loader
    def revoked_token(header: dict[str, Any], payload: dict[str, Any]) -> Response:
        return _unauthorized("The session has ended. Please log in again.")

    @jwt.needs_fresh_token_loader
    def needs_fresh(header: dict[str, Any], payload: dict[str, Any]) -> Response:
        return _unauthorized("A fresh login is required.")

    @jwt.user_lookup_error_loader
    def user_lookup_error(header: dict[str, Any], payload: dict[str, Any]) -> Response:
        return _unauthorized("The session has ended. Please log in again.")

    @jwt.token_verification_failed_loader
    def verification_failed(header: dict[str, Any], payload: dict[str, Any]) -> Response:
        return _unauthorized("The token is invalid.")
