"""Benchmark sections beyond the framework: accounts, scans, reports."""

from __future__ import annotations

import argparse
import os
import subprocess

from bench.harness import (
    PYTHON,
    ROOT,
    Result,
    free_port,
    gunicorn,
    section,
    table,
    wrk,
)


def prepare_database(env: dict[str, str]) -> None:
    """Apply migrations to the benchmark database."""
    subprocess.run(
        [PYTHON, "-m", "flask", "--app", "wsgi", "db", "upgrade"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )


def ratio_rows(pairs: list[tuple[Result, Result]]) -> list[list[str]]:
    rows = []
    for ours, ceiling in pairs:
        rows.append(
            [
                ours.name,
                f"{ours.rps:,.0f}",
                f"{ours.p50_ms:.2f}",
                f"{ours.p99_ms:.2f}",
                ceiling.name,
                f"{ceiling.rps:,.0f}",
                f"{ceiling.p99_ms:.2f}",
                f"{ours.rps / ceiling.rps:.2f}",
                f"{ours.p50_ms / ceiling.p50_ms:.2f}" if ceiling.p50_ms else "-",
            ]
        )
    return rows


RATIO_HEADER = [
    "KitoDeck",
    "req/s",
    "p50 ms",
    "p99 ms",
    "ceiling",
    "req/s",
    "p99 ms",
    "rps ratio",
    "p50 ratio",
]


@section("framework")
def framework(args: argparse.Namespace, ctx: dict) -> list[str]:
    """/healthz against a bare Flask app under the same gunicorn settings."""
    with gunicorn("bench.bare_app:app", dict(os.environ), args.workers, free_port()) as bare:
        ceiling = wrk("bare Flask /healthz", bare + "/healthz", seconds=args.seconds)
    ctx["bare_flask"] = ceiling
    ours = wrk("GET /healthz", ctx["base"] + "/healthz", seconds=args.seconds)
    return [table("Framework", ratio_rows([(ours, ceiling)]), RATIO_HEADER)]


@section("accounts")
def accounts(args: argparse.Namespace, ctx: dict) -> list[str]:
    """Login against the bare argon2 verify; /users/me against the bare Flask app."""
    from bench.accounts import bench_accounts, report

    result = bench_accounts(ctx["base"], args.seconds, env=ctx["env"])
    return [report(result, ctx.get("bare_flask"))]


@section("scans")
def scans(args: argparse.Namespace, ctx: dict) -> list[str]:
    """Image and chat scan endpoints against the bare engines."""
    from bench.scans import chat_section, image_section

    return [
        image_section(ctx["base"], ctx["env"], args.seconds, args.workers),
        chat_section(ctx["base"], ctx["env"], args.seconds, args.workers),
    ]


@section("reports")
def reports(args: argparse.Namespace, ctx: dict) -> list[str]:
    """History and reports on the 100,000 seeded scans."""
    from bench.reports import reports_section
    from bench.scans import access_token

    return [reports_section(ctx["base"], access_token(ctx["env"]), args.seconds)]
