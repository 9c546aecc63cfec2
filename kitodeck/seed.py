"""Seed compatibility: the paths of the product's original README.

Each alias is served by the same view function as its /api/v1 twin, so it answers exactly the
same way, draws on the same rate-limit budget and is documented in the OpenAPI document.
"""

from __future__ import annotations

from kitodeck.auth.routes import login
from kitodeck.common.blueprint import Blueprint
from kitodeck.scans.routes import scan_image
from kitodeck.users.routes import get_me

blp = Blueprint(
    "seed",
    __name__,
    url_prefix="/",
    description=(
        "Aliases kept for clients of the original README: each is served by the same view, "
        "with the same limits, as its /api/v1 twin."
    ),
)
blp.add_url_rule("/auth/login/", "login", view_func=login, methods=["POST"])
blp.add_url_rule("/user/details/", "user_details", view_func=get_me, methods=["GET"])
blp.add_url_rule("/image-scan/", "image_scan", view_func=scan_image, methods=["POST"])
