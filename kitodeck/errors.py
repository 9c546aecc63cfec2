"""One JSON error shape for every layer: werkzeug, smorest/webargs, JWT, SQLAlchemy, 500s.

``{"code": 422, "status": "Unprocessable Entity", "message": "...", "errors": {...}}``
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

import psycopg
from flask import Flask, Response, jsonify
from sqlalchemy import exc as sa_exc
from werkzeug.exceptions import HTTPException

from kitodeck.extensions import db

log = logging.getLogger("kitodeck.errors")

# Headers of a werkzeug exception that are worth passing on (Allow on 405, etc.).
_PASSED_HEADERS = {"allow", "retry-after", "www-authenticate"}


def error_body(
    code: int, message: str | None = None, errors: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The contract's error payload."""
    body: dict[str, Any] = {"code": code, "status": HTTPStatus(code).phrase}
    if message:
        body["message"] = message
    if errors:
        body["errors"] = errors
    return body


def error_response(
    code: int,
    message: str | None = None,
    errors: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """A JSON error response in the contract shape."""
    response = jsonify(error_body(code, message, errors))
    response.status_code = code
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def handle_http_exception(error: HTTPException) -> Response:
    """Werkzeug, webargs and smorest aborts."""
    code = error.code or 500
    data = getattr(error, "data", None) or {}
    message = data.get("message")
    if message is None and code != 500:
        message = error.description
    errors = data.get("errors") or data.get("messages")
    headers = {
        name: value for name, value in error.get_headers() if name.lower() in _PASSED_HEADERS
    }
    headers.update(data.get("headers") or {})
    if code == 500:
        message = "The server hit an unexpected error. It has been logged."
    return error_response(code, message, errors, headers)


def _rollback() -> None:
    try:
        db.session.rollback()
    except Exception:  # the connection may be gone; the pool will replace it
        log.debug("rollback after a database error failed", exc_info=True)


def handle_database_unavailable(error: Exception) -> Response:
    """The database cannot be reached: 503, the client may retry."""
    _rollback()
    log.error("database unavailable: %s", type(error).__name__, exc_info=error)
    return error_response(
        503,
        "The service is temporarily unavailable. Please retry shortly.",
        headers={"Retry-After": "5"},
    )


def handle_unexpected(error: Exception) -> Response:
    """Anything else: 500 without a traceback in the response."""
    if _is_connection_error(error):
        return handle_database_unavailable(error)
    _rollback()
    log.exception("unhandled exception", exc_info=error)
    return error_response(500, "The server hit an unexpected error. It has been logged.")


def _is_connection_error(error: BaseException) -> bool:
    if isinstance(error, sa_exc.TimeoutError | psycopg.OperationalError):
        return True
    if isinstance(error, sa_exc.DBAPIError):
        if error.connection_invalidated:
            return True
        return isinstance(error.orig, psycopg.OperationalError)
    return False


def register_error_handlers(app: Flask) -> None:
    """Route every error through the contract shape."""
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(sa_exc.TimeoutError, handle_database_unavailable)
    app.register_error_handler(psycopg.OperationalError, handle_database_unavailable)
    app.register_error_handler(Exception, handle_unexpected)
