"""Accounts benchmark: ``POST /api/v1/auth/login`` and ``GET /api/v1/users/me``.

- Login is dominated by argon2id on purpose. Its p50 (sequential requests, one at a time) is
  reported beside the bare ``PasswordHasher.verify`` time measured in this process with the
  server's parameters (``ARGON2_*``); the ratio says what the rest of the login costs.
- ``/users/me`` is the cheapest authenticated read (JWT decode + one indexed query); wrk gives
  its requests/s and p99, to put beside the bare Flask app.

Needs a running server on a real PostgreSQL and that server's ``DATABASE_URL`` (the bench user
is created in the database directly, verified). The server must not throttle the benchmark:
``RATELIMIT_ENABLED=false`` (as ``bench.harness.production_env`` sets) or a high
``RATELIMIT_LOGIN_IP``.

    DATABASE_URL=... .venv/bin/python -m bench.accounts --base-url http://127.0.0.1:8000

The wrk command it runs (printed in the result) is::

    wrk -t2 -c32 -d10s --latency -H "Authorization: Bearer $ACCESS" $BASE/api/v1/users/me
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import secrets
import statistics
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import PYTHON, ROOT, percentile, table, wrk

LOGIN_PATH = "/api/v1/auth/login"
ME_PATH = "/api/v1/users/me"


def create_verified_user(env: dict[str, str] | None = None) -> tuple[str, str]:
    """A verified benchmark account in the server's database; returns (email, password).

    Runs in a subprocess with the server's environment (``DATABASE_URL``...); the password
    goes through stdin, never argv.
    """
    email = f"bench-{secrets.token_hex(5)}@bench.example.com"
    password = "Bench-" + secrets.token_urlsafe(18)
    result = subprocess.run(
        [PYTHON, "-m", "bench.accounts", "_create-user", email],
        input=password,
        text=True,
        cwd=ROOT,
        env=dict(env or os.environ, PYTHONPATH=str(ROOT)),
        capture_output=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"could not create the bench user: {result.stderr.strip()}")
    return email, password


def delete_user(email: str, env: dict[str, str] | None = None) -> None:
    """Remove the benchmark account (and its sessions)."""
    subprocess.run(
        [PYTHON, "-m", "bench.accounts", "_delete-user", email],
        cwd=ROOT,
        env=dict(env or os.environ, PYTHONPATH=str(ROOT)),
        capture_output=True,
        check=False,
    )


def _create_user_here(email: str, password: str) -> None:
    from kitodeck.users.services import create_user
    from wsgi import app

    with app.app_context():
        create_user(
            email=email,
            username="bench_" + email.split("@")[0].split("-")[1],
            password=password,
            verified=True,
            check_policy=False,
        )


def _delete_user_here(email: str) -> None:
    from sqlalchemy import delete

    from kitodeck.extensions import db
    from kitodeck.users.models import User
    from wsgi import app

    with app.app_context():
        db.session.execute(delete(User).where(User.email == email))
        db.session.commit()


def argon2_verify_ms(password: str, runs: int = 30) -> float:
    """Median of the bare ``PasswordHasher.verify`` with the server's parameters, in ms."""
    from argon2 import PasswordHasher

    from config import env_int

    hasher = PasswordHasher(
        time_cost=env_int("ARGON2_TIME_COST", 2),
        memory_cost=env_int("ARGON2_MEMORY_COST", 19456),
        parallelism=env_int("ARGON2_PARALLELISM", 1),
    )
    stored = hasher.hash(password)
    durations = []
    for _ in range(runs):
        started = time.perf_counter()
        hasher.verify(stored, password)
        durations.append((time.perf_counter() - started) * 1000)
    return statistics.median(durations)


def _post_json(connection: http.client.HTTPConnection, path: str, body: dict) -> tuple[int, Any]:
    payload = json.dumps(body).encode()
    connection.request("POST", path, body=payload, headers={"Content-Type": "application/json"})
    response = connection.getresponse()
    data = response.read()
    return response.status, json.loads(data) if data else None


def login_latency(
    base_url: str, email: str, password: str, seconds: float, min_runs: int = 20
) -> dict[str, Any]:
    """Sequential logins over one keep-alive connection for ``seconds``: p50, p99, count."""
    parsed = urllib.parse.urlsplit(base_url)
    connection = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=30)
    durations: list[float] = []
    access = ""
    started = time.perf_counter()
    try:
        while time.perf_counter() - started < seconds or len(durations) < min_runs:
            t0 = time.perf_counter()
            status, body = _post_json(
                connection, LOGIN_PATH, {"email": email, "password": password}
            )
            durations.append((time.perf_counter() - t0) * 1000)
            if status == 429:
                raise RuntimeError(
                    "the server throttled the benchmark: start it with RATELIMIT_ENABLED=false"
                )
            if status != 200:
                raise RuntimeError(f"login answered {status}: {body}")
            access = body["access"]
    finally:
        connection.close()
    return {
        "requests": len(durations),
        "p50_ms": statistics.median(durations),
        "p99_ms": percentile(durations, 99),
        "access": access,
    }


def bench_accounts(
    base_url: str,
    seconds: float,
    *,
    env: dict[str, str] | None = None,
    wrk_threads: int = 2,
    wrk_connections: int = 32,
) -> dict[str, Any]:
    """Measure login (vs bare argon2 verify) and ``/users/me`` (wrk) on a running server.

    ``env`` is the server's environment (for ``DATABASE_URL``); default: this process's.
    Returns ``{"login": {...}, "users_me": {...}}``.
    """
    email, password = create_verified_user(env)
    try:
        verify_ms = argon2_verify_ms(password)
        login = login_latency(base_url, email, password, max(seconds / 2, 2))
        access = login.pop("access")
        header = f"Authorization: Bearer {access}"
        me = wrk(
            "GET /api/v1/users/me",
            base_url + ME_PATH,
            seconds=int(seconds),
            connections=wrk_connections,
            threads=wrk_threads,
            headers=[header],
        )
        command = (
            f"wrk -t{wrk_threads} -c{wrk_connections} -d{int(seconds)}s --latency "
            f'-H "Authorization: Bearer $ACCESS" {base_url}{ME_PATH}'
        )
    finally:
        delete_user(email, env)
    if me.errors:
        raise RuntimeError(f"/users/me answered {me.errors} non-2xx responses under wrk")
    return {
        "login": {
            **login,
            "argon2_verify_ms": verify_ms,
            "ratio_p50_to_argon2": login["p50_ms"] / verify_ms if verify_ms else float("nan"),
        },
        "users_me": {
            "rps": me.rps,
            "p50_ms": me.p50_ms,
            "p99_ms": me.p99_ms,
            "requests": me.requests,
            "errors": me.errors,
            "wrk_command": command,
        },
    }


def report(result: dict[str, Any], bare_flask: Any = None) -> str:
    """Printable tables; ``bare_flask`` is a ``bench.harness.Result`` of the bare app, if any."""
    login, me = result["login"], result["users_me"]
    blocks = [
        table(
            "Accounts: login (sequential, one connection)",
            [
                [
                    "POST /api/v1/auth/login",
                    f"{login['p50_ms']:.1f}",
                    f"{login['p99_ms']:.1f}",
                    f"{login['argon2_verify_ms']:.1f}",
                    f"{login['ratio_p50_to_argon2']:.2f}",
                ]
            ],
            ["endpoint", "p50 ms", "p99 ms", "bare argon2 verify ms", "p50 / argon2"],
        )
    ]
    row = ["GET /api/v1/users/me", f"{me['rps']:,.0f}", f"{me['p99_ms']:.2f}"]
    header = ["endpoint", "req/s", "p99 ms"]
    if bare_flask is not None:
        row += [
            f"{bare_flask.rps:,.0f}",
            f"{bare_flask.p99_ms:.2f}",
            f"{me['rps'] / bare_flask.rps:.2f}",
        ]
        header += ["bare Flask req/s", "bare p99 ms", "rps ratio"]
    blocks.append(table("Accounts: authenticated read (wrk)", [row], header))
    return "\n\n".join(blocks)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["_create-user"]:
        _create_user_here(argv[1], sys.stdin.read())
        return 0
    if argv[:1] == ["_delete-user"]:
        _delete_user_here(argv[1])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--base-url", default=os.environ.get("BENCH_BASE_URL", "http://127.0.0.1:8000")
    )
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--json", action="store_true", help="print the raw result as JSON")
    args = parser.parse_args(argv)
    result = bench_accounts(args.base_url, args.seconds)
    print(json.dumps(result, indent=2) if args.json else report(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
