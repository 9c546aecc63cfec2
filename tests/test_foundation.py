"""The platform: errors in one shape, docs, operations endpoints, headers, migrations."""

from __future__ import annotations

import json
import logging

import pytest
from flask import Flask, request
from sqlalchemy import text

from tests.conftest import make_app

ERROR_KEYS = {"code", "status"}


def assert_error_shape(response, code: int) -> dict:
    assert response.status_code == code
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) >= ERROR_KEYS
    assert body["code"] == code
    assert set(body) <= {"code", "status", "message", "errors"}
    assert "Traceback" not in response.get_data(as_text=True)
    return body


@pytest.fixture(scope="module")
def probe_app(database_url: str, smtp_server) -> Flask:
    """An app with a few extra routes that fail on purpose."""
    from kitodeck.extensions import db, limiter

    app = make_app(database_url, smtp_server)

    @app.route("/_probe/boom")
    def boom() -> str:
        raise RuntimeError("secret internal detail")

    @app.route("/_probe/json", methods=["POST"])
    def echo_json() -> dict:
        return {"received": request.get_json()}

    @app.route("/_probe/limited")
    @limiter.limit("2/minute")
    def limited() -> dict:
        return {"ok": True}

    @app.route("/_probe/db")
    def query() -> dict:
        return {"users": db.session.execute(text("SELECT count(*) FROM users")).scalar_one()}

    return app


def test_unknown_route_is_json_404(client) -> None:
    body = assert_error_shape(client.get("/no/such/route"), 404)
    assert body["status"] == "Not Found"


def test_wrong_method_is_405_with_allow(client) -> None:
    response = client.delete("/healthz")
    assert_error_shape(response, 405)
    assert set(response.headers["Allow"].split(", ")) >= {"GET", "HEAD"}


def test_unhandled_exception_is_500_without_traceback(probe_app, caplog) -> None:
    with caplog.at_level(logging.ERROR, logger="kitodeck.errors"):
        response = probe_app.test_client().get("/_probe/boom")
    body = assert_error_shape(response, 500)
    assert "secret internal detail" not in json.dumps(body)
    assert any("unhandled exception" in r.getMessage() for r in caplog.records)


def test_body_too_large_is_413(probe_app) -> None:
    too_big = probe_app.config["MAX_CONTENT_LENGTH"] + 1
    response = probe_app.test_client().post(
        "/_probe/json", data=b"x" * too_big, content_type="application/json"
    )
    assert_error_shape(response, 413)


def test_json_over_its_own_limit_is_413(probe_app) -> None:
    payload = json.dumps({"text": "a" * probe_app.config["MAX_JSON_BYTES"]})
    response = probe_app.test_client().post(
        "/_probe/json", data=payload, content_type="application/json"
    )
    assert_error_shape(response, 413)


def test_wrong_content_type_is_415(probe_app) -> None:
    response = probe_app.test_client().post(
        "/_probe/json", data="email=a@b.c", content_type="application/x-www-form-urlencoded"
    )
    body = assert_error_shape(response, 415)
    assert "application/json" in body["message"]


def test_malformed_json_is_400(probe_app) -> None:
    response = probe_app.test_client().post(
        "/_probe/json", data=b'{"a": ', content_type="application/json"
    )
    assert_error_shape(response, 400)


def test_deeply_nested_json_is_422_not_a_crash(probe_app) -> None:
    payload = "[" * 100_000 + "]" * 100_000
    response = probe_app.test_client().post(
        "/_probe/json", data=payload, content_type="application/json"
    )
    assert_error_shape(response, 422)


def test_rate_limit_is_429_with_retry_after(probe_app) -> None:
    from kitodeck.extensions import limiter

    client = probe_app.test_client()
    with probe_app.app_context():
        limiter.reset()
    assert client.get("/_probe/limited").status_code == 200
    assert client.get("/_probe/limited").status_code == 200
    response = client.get("/_probe/limited")
    assert_error_shape(response, 429)
    assert int(response.headers["Retry-After"]) > 0


def test_database_outage_is_503(database_url: str, smtp_server) -> None:
    # A port where nothing listens: every connection attempt fails at once.
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    app = make_app(f"postgresql+psycopg://nobody@127.0.0.1:{port}/none", smtp_server)
    client = app.test_client()
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["components"]["database"]["status"] == "error"
    assert client.get("/healthz").status_code == 200


def test_database_outage_in_a_view_is_503_in_contract_shape(smtp_server) -> None:
    import socket

    from kitodeck.extensions import db

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    app = make_app(f"postgresql+psycopg://nobody@127.0.0.1:{port}/none", smtp_server)

    @app.route("/_probe/db")
    def query() -> dict:
        return {"n": db.session.execute(text("SELECT 1")).scalar_one()}

    response = app.test_client().get("/_probe/db")
    body = assert_error_shape(response, 503)
    assert "temporarily unavailable" in body["message"]
    assert response.headers["Retry-After"] == "5"


def test_healthz(client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_readyz_reports_each_component(client) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok"
    for component in ("database", "migrations", "cache"):
        assert body["components"][component]["status"] == "ok"
    assert body["components"]["migrations"]["current"] == body["components"]["migrations"]["head"]


def test_metrics_counts_requests_per_endpoint(client) -> None:
    client.get("/healthz")
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    text_body = response.get_data(as_text=True)
    assert (
        'kitodeck_http_requests_total{endpoint="/healthz",method="GET",status="200"}' in text_body
    )
    assert "kitodeck_http_request_duration_seconds_bucket" in text_body


def test_request_id_is_generated_or_kept(client) -> None:
    generated = client.get("/healthz").headers["X-Request-ID"]
    assert len(generated) == 32
    kept = client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert kept.headers["X-Request-ID"] == "abc-123"
    hostile = client.get("/healthz", headers={"X-Request-ID": "<script>alert(1)</script>"})
    assert "<" not in hostile.headers["X-Request-ID"]
    assert (
        len(client.get("/healthz", headers={"X-Request-ID": "a" * 500}).headers["X-Request-ID"])
        == 32
    )


def test_security_headers(client) -> None:
    response = client.get("/api/v1/users/me")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert "Server" not in response.headers
    assert "Strict-Transport-Security" not in response.headers
    secure = client.get("/healthz", base_url="https://kitodeck.test")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=")


def test_docs_pages_have_relaxed_csp_and_local_assets(client) -> None:
    for path in ("/api/schema/swagger-ui/", "/api/schema/redoc/"):
        response = client.get(path)
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        assert "https://" not in html.replace("https://kitodeck", "")  # no CDN
        assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    for asset in (
        "/static/docs/swagger-ui/swagger-ui-bundle.js",
        "/static/docs/swagger-ui/swagger-ui-standalone-preset.js",
        "/static/docs/swagger-ui/swagger-ui.css",
        "/static/docs/redoc/redoc.standalone.js",
    ):
        response = client.get(asset)
        assert response.status_code == 200, asset
        response.close()


def test_openapi_document(client) -> None:
    spec = client.get("/api/schema/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    assert spec["info"]["title"] == "KitoDeck API"
    assert spec["info"]["version"]
    assert "description" in spec["info"]
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    tags = {tag["name"] for tag in spec["tags"]}
    assert {"auth", "users", "scans", "reports", "ops"} <= tags
    assert "/healthz" in spec["paths"]


def test_cors_only_for_configured_origins(database_url, smtp_server) -> None:
    app = make_app(database_url, smtp_server, CORS_ORIGINS=["https://app.example"])
    client = app.test_client()
    allowed = client.get("/healthz", headers={"Origin": "https://app.example"})
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://app.example"
    denied = client.get("/healthz", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in denied.headers
    default = make_app(database_url, smtp_server).test_client()
    response = default.get("/healthz", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in response.headers


def test_request_log_line_is_json_with_context(client, caplog) -> None:
    from kitodeck.observability import JsonFormatter

    with caplog.at_level(logging.INFO, logger="kitodeck.request"):
        client.get("/healthz", headers={"X-Request-ID": "req-42"})
    records = [r for r in caplog.records if getattr(r, "request_id", None) == "req-42"]
    assert len(records) == 1
    line = JsonFormatter().format(records[0])
    assert "\n" not in line
    record = json.loads(line)
    assert record["time"].endswith("Z")
    assert record["method"] == "GET"
    assert record["path"] == "/healthz"
    assert record["status"] == 200
    assert record["request_id"] == "req-42"
    assert "duration_ms" in record


def test_production_refuses_to_start_without_secrets(monkeypatch) -> None:
    from config import ProductionConfig
    from kitodeck import create_app

    monkeypatch.setattr(ProductionConfig, "SECRET_KEY", None)
    monkeypatch.setattr(ProductionConfig, "JWT_SECRET_KEY", None)
    monkeypatch.setattr(ProductionConfig, "SQLALCHEMY_DATABASE_URI", None)
    with pytest.raises(RuntimeError) as error:
        create_app(ProductionConfig)
    message = str(error.value)
    for name in ("SECRET_KEY", "JWT_SECRET_KEY", "DATABASE_URL"):
        assert name in message


def test_models_and_migrations_agree(app, db) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with app.app_context():
        connection = db.session.connection()
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, db.metadata)
    assert diff == [], f"models and migrations differ: {diff}"


def test_recovers_from_dropped_database_connections_without_restart(
    app, database_url: str, smtp_server
) -> None:
    """A database restart kills every pooled connection; pre-ping replaces them (SECURITY 26)."""
    import psycopg

    probe = make_app(database_url, smtp_server)
    client = probe.test_client()
    for _ in range(3):
        assert client.get("/readyz").status_code == 200
    plain = database_url.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(plain, autocommit=True) as admin:
        killed = admin.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid() "
            "AND backend_type = 'client backend'"
        ).fetchone()[0]
    assert killed >= 1
    for _ in range(3):
        response = client.get("/readyz")
        assert response.status_code == 200, str(response.get_json())
