"""Benchmark sections beyond the framework: accounts, scans, reports."""

from __future__ import annotations

import subprocess

from bench.harness import PYTHON, ROOT


def prepare_database(env: dict[str, str]) -> None:
    """Apply migrations to the benchmark database."""
    subprocess.run(
        [PYTHON, "-m", "flask", "--app", "wsgi", "db", "upgrade"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
