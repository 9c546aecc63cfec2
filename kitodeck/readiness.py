"""Readiness checks: database, migrations, cache, and the engines that register themselves."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask, current_app
from sqlalchemy import text

from kitodeck.extensions import cache, db

log = logging.getLogger("kitodeck.readiness")

Check = Callable[[], dict[str, Any]]
MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def register_check(app: Flask, name: str, check: Check) -> None:
    """Add a named component to /readyz; ``check`` returns a dict with ``status``."""
    app.extensions.setdefault("kitodeck_readiness", {})[name] = check


def migration_heads() -> set[str]:
    """Revision ids at the head of the migration scripts."""
    return set(ScriptDirectory(str(MIGRATIONS_DIR)).get_heads())


def check_database() -> dict[str, Any]:
    """The database answers a query."""
    started = time.perf_counter()
    db.session.execute(text("SELECT 1"))
    return {"status": "ok", "latency_ms": round((time.perf_counter() - started) * 1000, 2)}


def check_migrations() -> dict[str, Any]:
    """The database schema is at the head revision."""
    with db.engine.connect() as connection:
        current = set(MigrationContext.configure(connection).get_current_heads())
    heads = current_app.extensions.setdefault("kitodeck_migration_heads", migration_heads())
    status = "ok" if current == heads else "error"
    result: dict[str, Any] = {"status": status, "current": sorted(current), "head": sorted(heads)}
    if status != "ok":
        result["message"] = "Run `flask --app wsgi db upgrade`."
    return result


def check_cache() -> dict[str, Any]:
    """The cache stores and returns a value."""
    key = f"readyz:{uuid.uuid4().hex}"
    cache.set(key, "1", timeout=5)
    ok = cache.get(key) == "1"
    cache.delete(key)
    backend = current_app.config.get("CACHE_TYPE")
    return {"status": "ok" if ok else "error", "backend": backend}


def run_checks(app: Flask) -> tuple[bool, dict[str, Any]]:
    """Run every registered check; a failing or raising check makes the service not ready."""
    components: dict[str, Any] = {}
    ready = True
    for name, check in app.extensions.get("kitodeck_readiness", {}).items():
        try:
            result = check()
        except Exception as error:  # a broken dependency must answer 503, not 500
            log.warning("readiness check %s failed: %s", name, error)
            if name == "database":
                db.session.rollback()
            result = {"status": "error", "message": f"{type(error).__name__}"}
        components[name] = result
        if result.get("status") not in ("ok", "degraded"):
            ready = False
    return ready, components


def register_core_checks(app: Flask) -> None:
    """Database, migrations and cache; engines add theirs when they load."""
    register_check(app, "database", check_database)
    register_check(app, "migrations", check_migrations)
    register_check(app, "cache", check_cache)
