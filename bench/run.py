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

from bench.harness import SECTIONS, free_port, gunicorn, postgres, production_env


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
        if not args.only or "reports" in args.only:
            # Every section then runs on a realistically sized database (100,000 scans).
            from bench.reports import seed_for_bench

            seeded = seed_for_bench(database_url, 100_000)
            print(f"database: {seeded['scans']:,} seeded scans ({seeded['seconds']} s)\n")
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
