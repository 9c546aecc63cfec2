"""The embedded default: a private PostgreSQL under instance/ when DATABASE_URL is unset.

It uses the PostgreSQL server shipped in the ``pgserver`` wheel (pinned in requirements.txt),
so nothing but PyPI is needed, and it works as root (pgserver runs postgres as its own system
user). The server listens on a unix socket only. Several processes may share it: ``make run``
holds it while gunicorn serves, and ``flask --app wsgi ...`` beside it reuses it; the last
process to leave stops it, and the data stays for the next start.

This module must not import ``config`` or the app at import time: it sets DATABASE_URL first.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import warnings
from pathlib import Path

log = logging.getLogger("kitodeck.db_embedded")

ROOT = Path(__file__).resolve().parent.parent
DATABASE_NAME = "kitodeck"


def instance_dir() -> Path:
    """The folder for local state (``KITODECK_INSTANCE_DIR``, default ``instance/``)."""
    return Path(os.environ.get("KITODECK_INSTANCE_DIR") or ROOT / "instance")


def _prune_dead_handles(pgdata: Path) -> None:
    """Forget processes that held the server and died without saying so (kill -9)."""
    import psutil

    handles = pgdata / ".handle_pids.json"
    if not handles.exists():
        return
    try:
        pids = json.loads(handles.read_text() or "[]")
    except ValueError:
        pids = []
    alive = [pid for pid in pids if psutil.pid_exists(pid) and pid != os.getpid()]
    if alive != pids:
        handles.write_text(json.dumps(alive))


def _import_pgserver():
    # platformdirs warns when XDG_RUNTIME_DIR is unset (CI, root shells) and falls back to
    # /tmp/runtime-<uid>, which is what we want; the warning is noise.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
        import pgserver
    return pgserver


def start_embedded(pgdata: Path | None = None, *, cleanup_mode: str | None = "stop") -> str:
    """Start (or join) the private server and return a SQLAlchemy URL to its database."""
    pgserver = _import_pgserver()

    pgdata = (pgdata or instance_dir() / "pgdata").resolve()
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    if pgdata.exists():
        _prune_dead_handles(pgdata)
    server = pgserver.get_server(pgdata, cleanup_mode=cleanup_mode)
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE_NAME}';")  # noqa: S608
    if "(1 row)" not in exists:
        server.psql(f"CREATE DATABASE {DATABASE_NAME};")
    uri = server.get_uri(DATABASE_NAME)
    return uri.replace("postgresql://", "postgresql+psycopg://", 1)


def ensure_database_url() -> str | None:
    """Set DATABASE_URL to the embedded server unless it is set or we are in production."""
    if os.environ.get("DATABASE_URL"):
        return os.environ["DATABASE_URL"]
    if (os.environ.get("KITODECK_ENV") or "development").lower() == "production":
        return None  # production must be told where its database is
    url = start_embedded()
    os.environ["DATABASE_URL"] = url
    return url


def serve() -> int:
    """`make run`: embedded database if needed, migrations, then gunicorn until Ctrl-C."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    from dotenv import load_dotenv

    load_dotenv(ROOT / ".env")
    url = ensure_database_url()
    port = os.environ.get("PORT") or "8000"
    env = dict(os.environ)
    if url:
        env["DATABASE_URL"] = url
    python = sys.executable
    log.info("applying migrations")
    subprocess.run(  # noqa: S603
        [python, "-m", "flask", "--app", "wsgi", "db", "upgrade"], check=True, cwd=ROOT, env=env
    )
    log.info("serving KitoDeck on http://127.0.0.1:%s (Ctrl-C stops it)", port)
    gunicorn = subprocess.Popen(  # noqa: S603
        [python, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"], cwd=ROOT, env=env
    )
    try:
        return gunicorn.wait()
    except KeyboardInterrupt:
        # The terminal sent SIGINT to the whole group; let gunicorn finish its requests.
        gunicorn.send_signal(signal.SIGTERM)
        try:
            return gunicorn.wait(timeout=30)
        except subprocess.TimeoutExpired:
            gunicorn.kill()
            return gunicorn.wait()
    finally:
        log.info("stopping (the database stops when its last user leaves)")


if __name__ == "__main__":
    raise SystemExit(serve())
