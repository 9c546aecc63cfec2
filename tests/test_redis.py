"""REDIS_URL: shared cache and rate limits across workers, and what happens when Redis is down."""

from __future__ import annotations

import logging

import pytest
import redis

from tests.conftest import make_app
from tests.factories import DEFAULT_PASSWORD


@pytest.fixture
def redis_apps(database_url, smtp_server, redis_server):
    """Two apps on one Redis: two gunicorn workers, as far as shared state goes.

    Flask-Limiter keeps one storage per Limiter object, not per app: the session app's
    in-memory storage is put back afterwards.
    """
    from kitodeck.extensions import limiter

    saved = (limiter._storage, limiter._limiter)
    settings = {
        "REDIS_URL": redis_server.url,
        "CACHE_TYPE": "RedisCache",
        "CACHE_REDIS_URL": redis_server.url,
        "RATELIMIT_STORAGE_URI": redis_server.url,
        "RATELIMIT_LOGIN_ACCOUNT": "3/minute",
    }
    try:
        yield (
            make_app(database_url, smtp_server, **settings),
            make_app(database_url, smtp_server, **settings),
        )
    finally:
        limiter._storage, limiter._limiter = saved


def test_cache_and_readiness_use_redis(redis_apps, committed) -> None:
    first, _ = redis_apps
    body = first.test_client().get("/readyz").get_json()
    assert body["components"]["cache"] == {"backend": "RedisCache", "status": "ok"}


def test_login_limits_are_shared_between_workers(redis_apps, redis_server, committed) -> None:
    committed.create_user("shared", DEFAULT_PASSWORD)
    wrong = {"email": committed.email("shared"), "password": "not the password at all"}
    first, second = (app.test_client() for app in redis_apps)
    statuses = [
        client.post("/api/v1/auth/login", json=wrong).status_code
        for client in (first, second, first, second)
    ]
    assert statuses[:3] == [401, 401, 401]
    assert statuses[3] == 429  # the fourth failure, on the other worker, is over 3/minute
    # The counters live in Redis (what another process or host would read).
    keys = redis.Redis.from_url(redis_server.url).keys("LIMITS*")
    assert keys, "no rate-limit counters in Redis"


def test_redis_down_fails_open_for_limits_and_cache_never_for_tokens(
    redis_apps, redis_server, committed, caplog
) -> None:
    committed.create_user("outage", DEFAULT_PASSWORD)
    app, _ = redis_apps
    client = app.test_client()
    login = client.post(
        "/api/v1/auth/login",
        json={"email": committed.email("outage"), "password": DEFAULT_PASSWORD},
    )
    headers = {"Authorization": f"Bearer {login.get_json()['access']}"}

    redis_server.stop()
    with caplog.at_level(logging.WARNING):
        assert client.get("/healthz").status_code == 200
        # Readiness says the cache is gone.
        ready = client.get("/readyz")
        assert ready.status_code == 503
        assert ready.get_json()["components"]["cache"]["status"] == "error"
        # Token checks read PostgreSQL: a valid token works, a logged-out one never does.
        assert client.get("/api/v1/users/me", headers=headers).status_code == 200
        chat = client.post(
            "/api/v1/scans/chat",
            json={"messages": [{"sender": "a", "text": "send me 50k now"}]},
            headers=headers,
        )
        assert chat.status_code == 201, chat.get_json()
        assert client.post("/api/v1/auth/logout", headers=headers).status_code == 200
        assert client.get("/api/v1/users/me", headers=headers).status_code == 401
        # Logins still answer (unthrottled while Redis is down), with the right result.
        again = client.post(
            "/api/v1/auth/login",
            json={"email": committed.email("outage"), "password": DEFAULT_PASSWORD},
        )
        assert again.status_code == 200
    assert any("cache unavailable" in r.getMessage() for r in caplog.records)

    redis_server.start()
    assert client.get("/readyz").status_code == 200
