"""Property-based contract test: every documented operation, in-process (WSGI), authenticated.

schemathesis loads the app's own OpenAPI document, so every endpoint added later is covered
automatically. Checks: no server errors, status codes, content types, headers and response
bodies conform to what the document declares.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture
def api_schema(app, db):
    """The app's OpenAPI document, loaded through its WSGI interface."""
    return schemathesis.openapi.from_wsgi("/api/schema/openapi.json", app)


@pytest.fixture
def credentials(request: pytest.FixtureRequest):
    """Fresh admin headers for each generated request, when the accounts fixtures exist."""
    try:
        make_headers = request.getfixturevalue("auth_headers")
        admin = request.getfixturevalue("admin")
    except pytest.FixtureLookupError:
        return dict
    return lambda: make_headers(admin)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(
    max_examples=15,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_api_conforms_to_its_schema(case, credentials) -> None:
    """No 5xx, and every response matches the documented status, type, headers and schema."""
    case.call_and_validate(headers=credentials(), checks=CHECKS)
