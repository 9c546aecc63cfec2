"""Checks on request bodies that must run before any parser sees them."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import Flask, current_app, request
from werkzeug.exceptions import RequestEntityTooLarge, UnprocessableEntity, UnsupportedMediaType

F = TypeVar("F", bound=Callable[..., object])

_BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def accepts(*mimetypes: str) -> Callable[[F], F]:
    """Declare the body types a view accepts (default: JSON only)."""

    def decorate(view: F) -> F:
        view._kitodeck_accepts = frozenset(mimetypes)  # type: ignore[attr-defined]
        return view

    return decorate


def json_depth_exceeds(data: bytes, limit: int) -> bool:
    """True when arrays/objects nest deeper than ``limit`` (strings are skipped)."""
    depth = 0
    in_string = False
    escaped = False
    for byte in data:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            if depth > limit:
                return True
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return False


def _guard_body() -> None:
    if request.method not in _BODY_METHODS or request.endpoint is None:
        return
    length = request.content_length
    has_body = bool(length) or request.headers.get("Transfer-Encoding") == "chunked"
    if not has_body:
        return
    view = current_app.view_functions.get(request.endpoint)
    allowed = getattr(view, "_kitodeck_accepts", None)
    if allowed is None:
        view_class = getattr(view, "view_class", None)
        method_view = getattr(view_class, request.method.lower(), None)
        allowed = getattr(method_view, "_kitodeck_accepts", frozenset({"application/json"}))
    if request.mimetype not in allowed:
        raise UnsupportedMediaType(
            f"Send the body as {' or '.join(sorted(allowed))} (got {request.mimetype or 'none'})."
        )
    if request.mimetype == "application/json":
        limit = current_app.config["MAX_JSON_BYTES"]
        if length is not None and length > limit:
            raise RequestEntityTooLarge(f"JSON bodies are limited to {limit} bytes.")
        data = request.get_data(cache=True)
        if len(data) > limit:
            raise RequestEntityTooLarge(f"JSON bodies are limited to {limit} bytes.")
        if json_depth_exceeds(data, current_app.config["MAX_JSON_DEPTH"]):
            raise UnprocessableEntity("The JSON body is nested too deeply.")


def register_request_guards(app: Flask) -> None:
    """Install the body checks."""
    app.before_request(_guard_body)
