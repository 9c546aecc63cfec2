"""HTTP routes of the scans blueprint: image and chat scans, custom rules.

History, review queue and deletion live in ``kitodeck/scans/history.py`` on the same blueprint.
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import current_app, g, request
from flask.views import MethodView
from flask_jwt_extended import current_user
from flask_smorest import abort

from kitodeck.common.auth import auth_required
from kitodeck.common.blueprint import Blueprint
from kitodeck.common.request_guards import accepts
from kitodeck.engines.conversation import messages_from_dicts, parse_transcript
from kitodeck.engines.imagefile import ImageRejected
from kitodeck.extensions import limiter
from kitodeck.scans import services
from kitodeck.scans.request_schemas import (
    ChatScanSchema,
    ImageFileSchema,
    ImageFormSchema,
    RulePatchSchema,
    RuleSchema,
)
from kitodeck.scans.schemas import ScanResultSchema

blp = Blueprint(
    "scans",
    __name__,
    url_prefix="/api/v1/scans",
    description="Image and chat scans, history, moderator reviews and custom rules.",
)

BEARER = [{"bearerAuth": []}]


def _scan_rate_key() -> str:
    return f"user:{getattr(g, 'user_id', None) or request.remote_addr}"


# One budget for image and chat scans together, per user.
scans_limit = limiter.shared_limit(
    lambda: current_app.config["RATELIMIT_SCANS_USER"], scope="scans", key_func=_scan_rate_key
)


def _result(outcome: services.ScanOutcome) -> Any:
    scan = outcome.scan
    scan.transient = {"cached": outcome.cached, "censored": outcome.censored}  # type: ignore[attr-defined]
    return scan


def _abort_input(error: services.ScanInputError) -> None:
    abort(error.status, message=error.message, errors=error.errors)


@blp.route("/image", methods=["POST"])
@blp.doc(security=BEARER)
@auth_required(verified=True)
@accepts("multipart/form-data")
@scans_limit
@blp.arguments(ImageFormSchema, location="form")
@blp.arguments(ImageFileSchema, location="files")
@blp.response(201, ScanResultSchema)
def scan_image(form: dict[str, Any], files: dict[str, Any]) -> Any:
    """Scan an image for nudity with NudeNet; the image itself is never stored."""
    uploads = request.files.getlist("image")
    if len(uploads) != 1:
        abort(422, message="Send exactly one file in the 'image' field.")
    data = uploads[0].read(current_app.config["MAX_IMAGE_BYTES"] + 1)
    try:
        outcome = services.scan_image(
            current_user, data, censor=form["censor"], censor_style=form["censor_style"]
        )
    except ImageRejected as error:
        abort(error.status, message=error.message, errors={"files": {"image": [error.code]}})
    return _result(outcome)


@blp.route("/chat", methods=["POST"])
@blp.doc(security=BEARER)
@auth_required(verified=True)
@scans_limit
@blp.arguments(ChatScanSchema)
@blp.response(201, ScanResultSchema)
def scan_chat(body: dict[str, Any]) -> Any:
    """Analyse a conversation for abuse and the kito (setup) pattern, with a plain summary."""
    if "transcript" in body:
        messages = parse_transcript(body["transcript"])
    else:
        messages = messages_from_dicts(body["messages"])
    try:
        outcome = services.scan_chat(current_user, messages)
    except services.ScanInputError as error:
        _abort_input(error)
    return _result(outcome)


def _signal_names() -> set[str]:
    from kitodeck.engines.signals import SIGNALS

    return set(SIGNALS)


def _check_signal(data: dict[str, Any]) -> None:
    if "signal" in data and data["signal"] not in _signal_names():
        abort(
            422,
            message="Unknown signal.",
            errors={"json": {"signal": [f"Must be one of: {', '.join(sorted(_signal_names()))}"]}},
        )


@blp.route("/rules")
class Rules(MethodView):
    """Custom chat rules (admin)."""

    decorators = [auth_required("admin")]

    @blp.doc(security=BEARER)
    @blp.response(200, RuleSchema(many=True))
    def get(self) -> Any:
        """List the custom rules."""
        return services.list_rules()

    @blp.doc(security=BEARER)
    @blp.arguments(RuleSchema)
    @blp.response(201, RuleSchema)
    def post(self, data: dict[str, Any]) -> Any:
        """Create a keyword or RE2 regex rule that raises a signal."""
        _check_signal(data)
        try:
            return services.create_rule(data, current_user)
        except services.ScanInputError as error:
            _abort_input(error)


@blp.route("/rules/<uuid:rule_id>")
class RuleById(MethodView):
    """One custom rule (admin)."""

    decorators = [auth_required("admin")]

    @blp.doc(security=BEARER)
    @blp.response(200, RuleSchema)
    def get(self, rule_id: uuid.UUID) -> Any:
        """Read a rule."""
        return services.get_rule(rule_id) or abort(404, message="No such rule.")

    @blp.doc(security=BEARER)
    @blp.arguments(RulePatchSchema)
    @blp.response(200, RuleSchema)
    def patch(self, changes: dict[str, Any], rule_id: uuid.UUID) -> Any:
        """Change a rule; the cached rules are refreshed on every worker."""
        rule = services.get_rule(rule_id) or abort(404, message="No such rule.")
        _check_signal(changes)
        try:
            return services.update_rule(rule, changes)
        except services.ScanInputError as error:
            _abort_input(error)

    @blp.doc(security=BEARER)
    @blp.response(204)
    def delete(self, rule_id: uuid.UUID) -> None:
        """Delete a rule."""
        rule = services.get_rule(rule_id) or abort(404, message="No such rule.")
        services.delete_rule(rule)


# History, review queue and deletion: their routes join this blueprint.
import kitodeck.scans.history  # noqa: E402, F401
