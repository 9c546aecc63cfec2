"""HTTP routes of scan history, deletion, the review queue and reviews (scans blueprint).

Imported at the bottom of ``kitodeck/scans/routes.py`` so that they join its blueprint. Ids
use the ``uuid`` converter, so ``/review-queue`` and ``/rules`` never match ``/<scan_id>``.
"""

from __future__ import annotations

import uuid
from typing import Any

from flask.views import MethodView
from flask_jwt_extended import current_user
from flask_smorest import abort
from flask_smorest.pagination import PaginationParameters

from config import Config
from kitodeck.common.auth import auth_required
from kitodeck.scans import history_services as services
from kitodeck.scans.history_schemas import (
    ReviewQueueItemSchema,
    ReviewRequestSchema,
    ScanListArgsSchema,
)
from kitodeck.scans.routes import blp
from kitodeck.scans.schemas import ScanResultSchema

BEARER = [{"bearerAuth": []}]
MAX_PAGE_SIZE = Config.PAGINATION_MAX_PAGE_SIZE
NOT_FOUND = "No such scan."


@blp.route("/")
class ScanHistory(MethodView):
    """Scan history."""

    @auth_required()
    @blp.doc(security=BEARER)
    @blp.arguments(ScanListArgsSchema, location="query")
    @blp.response(200, ScanResultSchema(many=True))
    @blp.alt_response(403, response="FORBIDDEN")
    @blp.paginate(max_page_size=MAX_PAGE_SIZE)
    def get(self, args: dict[str, Any], pagination_parameters: PaginationParameters) -> Any:
        """List your scans, newest first; moderators and admins may ask for scope=all."""
        owner_id = current_user.id
        if args["scope"] == "all":
            if not services.is_staff(current_user):
                abort(403, message="Only moderators and admins can list every user's scans.")
            owner_id = None
        items, total = services.list_scans(
            services.ScanFilters.from_args(args),
            owner_id,
            offset=pagination_parameters.first_item,
            limit=pagination_parameters.page_size,
        )
        pagination_parameters.item_count = total
        return items


@blp.route("/review-queue")
class ReviewQueue(MethodView):
    """The moderators' review queue."""

    @auth_required("moderator", "admin")
    @blp.doc(security=BEARER)
    @blp.response(200, ReviewQueueItemSchema(many=True))
    @blp.paginate(max_page_size=MAX_PAGE_SIZE)
    def get(self, pagination_parameters: PaginationParameters) -> Any:
        """List flagged scans awaiting review, oldest first, with their evidence only."""
        items, total = services.review_queue(
            offset=pagination_parameters.first_item, limit=pagination_parameters.page_size
        )
        pagination_parameters.item_count = total
        return items


@blp.route("/<uuid:scan_id>")
class ScanById(MethodView):
    """One scan."""

    @auth_required()
    @blp.doc(security=BEARER)
    @blp.response(200, ScanResultSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, scan_id: uuid.UUID) -> Any:
        """Read one of your scans (moderators and admins: any scan)."""
        try:
            return services.get_scan(current_user, scan_id)
        except services.ScanNotFound:
            abort(404, message=NOT_FOUND)

    @auth_required()
    @blp.doc(security=BEARER)
    @blp.response(204)
    @blp.alt_response(403, response="FORBIDDEN")
    @blp.alt_response(404, response="NOT_FOUND")
    def delete(self, scan_id: uuid.UUID) -> None:
        """Delete one of your scans for good (admins: any scan)."""
        try:
            services.delete_scan(current_user, scan_id)
        except services.ScanNotFound:
            abort(404, message=NOT_FOUND)
        except services.ScanForbidden:
            abort(403, message="Only the owner or an admin can delete a scan.")


@blp.route("/<uuid:scan_id>/review")
class ScanReview(MethodView):
    """A moderator's decision on a flagged scan."""

    @auth_required()
    @blp.doc(security=BEARER)
    @blp.arguments(ReviewRequestSchema)
    @blp.response(200, ScanResultSchema)
    @blp.alt_response(403, response="FORBIDDEN")
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    def post(self, body: dict[str, Any], scan_id: uuid.UUID) -> Any:
        """Record a moderator's decision (confirmed or false_positive) on a flagged scan."""
        try:
            return services.review_scan(current_user, scan_id, body["decision"], body["note"])
        except services.ScanNotFound:
            abort(404, message=NOT_FOUND)
        except services.ScanForbidden:
            abort(403, message="Only moderators and admins review scans.")
        except services.ScanNotReviewable as error:
            abort(409, message=error.message)
