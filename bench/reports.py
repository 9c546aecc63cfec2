"""History and reports under load, on a database seeded with 100,000 realistic scans.

``seed_for_bench(app_or_db_url, count=100_000)`` bulk-inserts the scans (one INSERT ... SELECT
over generate_series, a few seconds) and runs VACUUM ANALYZE, so that the planner has the
statistics and visibility map that autovacuum gives a live database.

The wrk scenarios (``reports_section`` runs them; ``python -m bench.reports`` runs them
standalone on a throwaway PostgreSQL). By hand, with ``TOKEN`` a moderator's or admin's access
token and the Lua files this module writes (``write_lua(folder)``)::

    wrk -t2 -c32 -d10s --latency -H "Authorization: Bearer $TOKEN" \\
        -s scans_list.lua http://127.0.0.1:8000
    wrk -t2 -c32 -d10s --latency -H "Authorization: Bearer $TOKEN" \\
        http://127.0.0.1:8000/api/v1/reports/overview
    wrk -t2 -c32 -d10s --latency -H "Authorization: Bearer $TOKEN" \\
        -s overview_uncached.lua http://127.0.0.1:8000
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.harness import Result, table, wrk

LIST_PAGES = 50

# GET /api/v1/scans/?scope=all, walking pages 1..50 of 20 (every page is a real query; only
# the moderators' total is cached between writes).
SCANS_LIST_LUA = f"""
local page = 0
request = function()
  page = page % {LIST_PAGES} + 1
  return wrk.format("GET", "/api/v1/scans/?scope=all&page_size=20&page=" .. page)
end
"""

# GET /api/v1/reports/overview with a different 30-day window on every request (its end moves
# back one second per request, per thread), so none is answered from the report cache.
OVERVIEW_UNCACHED_LUA = """
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("id", threads)
end
local n = 0
request = function()
  n = n + 1
  local to = os.date("!%Y-%m-%dT%H:%M:%SZ", os.time() - (id or 0) * 1000000 - n)
  return wrk.format("GET", "/api/v1/reports/overview?to=" .. to)
end
"""

HEADER = ["scenario", "req/s", "p50 ms", "p99 ms", "requests", "errors"]


def write_lua(folder: Path) -> dict[str, Path]:
    """Write the Lua scripts into ``folder``; returns their paths by name."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {
        "scans_list": folder / "scans_list.lua",
        "overview_uncached": folder / "overview_uncached.lua",
    }
    paths["scans_list"].write_text(SCANS_LIST_LUA)
    paths["overview_uncached"].write_text(OVERVIEW_UNCACHED_LUA)
    return paths


def seed_for_bench(
    app_or_db_url: Any, count: int = 100_000, *, users: int = 1000, days: int = 90
) -> dict[str, Any]:
    """Seed ``count`` scans (and ``users`` users) into the app's database or a DATABASE_URL."""
    from flask import Flask
    from sqlalchemy import text

    from kitodeck.extensions import db
    from kitodeck.scans.history_services import seed_scans

    if isinstance(app_or_db_url, Flask):
        app = app_or_db_url
    else:
        from config import normalise_database_url
        from kitodeck import create_app

        # The testing config carries fixed secrets and touches nothing but the database.
        app = create_app("testing", SQLALCHEMY_DATABASE_URI=normalise_database_url(app_or_db_url))
    with app.app_context():
        started = time.perf_counter()
        result = seed_scans(count, users=users, days=days)
        seeded = time.perf_counter() - started
        with db.engine.connect() as connection:
            autocommit = connection.execution_options(isolation_level="AUTOCOMMIT")
            autocommit.execute(text("VACUUM ANALYZE scans"))
            autocommit.execute(text("VACUUM ANALYZE users"))
    return {**result, "seconds": round(seeded, 2)}


def reports_section(base: str, token: str, seconds: int = 10) -> str:
    """wrk the moderators' list and the overview; a printable table."""
    auth = [f"Authorization: Bearer {token}"]
    with tempfile.TemporaryDirectory(prefix="kitodeck-bench-lua-") as folder:
        lua = write_lua(Path(folder))
        results: list[Result] = [
            wrk(
                f"GET /api/v1/scans/?scope=all (pages 1-{LIST_PAGES})",
                base,
                seconds=seconds,
                script=str(lua["scans_list"]),
                headers=auth,
            ),
            wrk(
                "GET /api/v1/reports/overview (cached)",
                base + "/api/v1/reports/overview",
                seconds=seconds,
                headers=auth,
            ),
            wrk(
                "GET /api/v1/reports/overview (uncached)",
                base,
                seconds=seconds,
                script=str(lua["overview_uncached"]),
                headers=auth,
            ),
        ]
    rows = [
        [
            r.name,
            f"{r.rps:,.1f}",
            f"{r.p50_ms:.2f}",
            f"{r.p99_ms:.2f}",
            str(r.requests),
            str(r.errors),
        ]
        for r in results
    ]
    return table("History and reports (100,000 scans)", rows, HEADER)


def main() -> int:
    """Seed a throwaway database, serve it with gunicorn, run the scenarios."""
    from bench.harness import free_port, gunicorn, postgres, production_env
    from bench.scans import access_token
    from bench.sections import prepare_database

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--seconds", type=int, default=int(os.environ.get("BENCH_SECONDS", 10)))
    parser.add_argument("--workers", type=int, default=int(os.environ.get("BENCH_WORKERS", 2)))
    args = parser.parse_args()
    with postgres() as database_url:
        env = production_env(database_url)
        prepare_database(env)
        seeded = seed_for_bench(database_url, args.count)
        print(
            f"seeded {seeded['scans']:,} scans for {seeded['users']:,} users "
            f"in {seeded['seconds']} s"
        )
        token = access_token(env)
        with gunicorn("wsgi:app", env, args.workers, free_port()) as base:
            print(reports_section(base, token, args.seconds))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
