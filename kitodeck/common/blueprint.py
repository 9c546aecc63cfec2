"""The flask-smorest Blueprint every KitoDeck blueprint uses."""

from __future__ import annotations

from typing import Any

import flask_smorest


class Blueprint(flask_smorest.Blueprint):
    """flask-smorest's Blueprint, documenting X-Pagination as what it is: a JSON string.

    flask-smorest documents the header with an object schema, which a header (a string) can
    never satisfy; schema-driven clients and checkers (schemathesis) then reject every page.
    """

    def _document_pagination_metadata(self, spec: Any, resp_doc: dict[str, Any]) -> None:
        resp_doc.setdefault("headers", {})[self.PAGINATION_HEADER_NAME] = {
            "description": (
                "Pagination metadata as JSON: total, total_pages, first_page, last_page, "
                "page, and previous_page/next_page when they exist."
            ),
            "schema": {
                "type": "string",
                "example": '{"total": 42, "total_pages": 5, "first_page": 1, '
                '"last_page": 5, "page": 1, "next_page": 2}',
            },
        }
