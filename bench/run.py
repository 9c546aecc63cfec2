"""`make bench`: KitoDeck's endpoints beside the framework's and the models' own ceilings.

Every number is measured in this run, on this machine: the bare Flask app and the bare engines
run under the same gunicorn settings / in the same process count as KitoDeck, so the ratios
say what KitoDeck itself costs. Read README "Benchmarks".
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Callable

from bench.harness import Result, free_port, gunicorn, postgres, production_env, table, wrk

SECTIONS: dict[str, Callable[[argparse.Namespace, dict], list[str]]] = {}


def section(name: str) -> Callable:
    def register(function: Callable) -> Callable:
        SECTIONS[name] = function
        return function

    return register


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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=int(os.environ.get("BENCH_SECONDS", 10)))
    parser.add_argument("--workers", type=int, default=int(os.environ.get("BENCH_WORKERS", 2)))
    parser.add_argument("--only", nargs="*", help="run only these sections")
    args = parser.parse_args()
    # Importing the sections registers them.
    from bench import sections  # noqa: F401

    print(f"KitoDeck benchmark: {args.workers} gunicorn workers, wrk -t2 -c32 -d{args.seconds}s")
    print(f"machine: {os.cpu_count()} cores\n")
    failed = False
    with postgres() as database_url:
        env = production_env(database_url)
        from bench.sections import prepare_database

        prepare_database(env)
        with gunicorn("wsgi:app", env, args.workers, free_port()) as base:
            ctx = {"base": base, "env": env, "database_url": database_url}
            for name, run in SECTIONS.items():
                if args.only and name not in args.only:
                    continue
                try:
                    for block in run(args, ctx):
                        print(block + "\n", flush=True)
                except Exception:
                    failed = True
                    print(f"[{name}] failed:\n{traceback.format_exc()}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
