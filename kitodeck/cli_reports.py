"""CLI: ``flask reports overview``, ``flask scans purge``, ``flask seed scans``."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import AppGroup

reports_cli = AppGroup("reports", help="Analytics in the terminal.")
scans_cli = AppGroup("scans", help="Scan data: retention.")
seed_cli = AppGroup("seed", help="Generate realistic data for benchmarks and demos.")


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _fmt_rate(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"


def _table(headers: list[str], rows: list[list[Any]]) -> str:
    """A plain aligned table: numbers right-aligned, text left-aligned."""
    cells = [[str(c) for c in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]

    def line(values: list[str], raw: list[Any] | None = None) -> str:
        out = []
        for i, value in enumerate(values):
            numeric = raw is not None and isinstance(raw[i], int | float)
            out.append(value.rjust(widths[i]) if numeric else value.ljust(widths[i]))
        return "  ".join(out).rstrip()

    rule = "  ".join("-" * w for w in widths)
    body = [line(c, r) for c, r in zip(cells, rows, strict=True)]
    return "\n".join([line(headers), rule, *body])


def format_overview(report: dict[str, Any]) -> str:
    """The overview as readable text tables."""
    start = report["from"].astimezone(UTC)
    end = report["to"].astimezone(UTC)
    totals = report["totals"]
    reviews = report["reviews"]
    users = report["users"]
    parts = [
        f"KitoDeck overview  {start:%Y-%m-%d %H:%M} -> {end:%Y-%m-%d %H:%M} UTC  "
        f"(per {report['interval']})",
        "",
        f"Scans {totals['scans']}  flagged {totals['flagged']} "
        f"({_fmt_rate(totals['flagged_rate'])})  "
        + "  ".join(f"{k} {v}" for k, v in totals["by_kind"].items()),
        "Verdicts  " + "  ".join(f"{k} {v}" for k, v in totals["by_verdict"].items()),
        f"Reviews  reviewed {reviews['reviewed']}  confirmed {reviews['confirmed']}  "
        f"false positive {reviews['false_positive']} "
        f"({_fmt_rate(reviews['false_positive_rate'])})  pending {reviews['pending']}",
        f"Users  signups {users['signups']}  active {users['active']}  "
        f"scanning {users['scanning']}",
        "",
        _table(
            ["bucket", "scans", "flagged", "rate", "image", "chat", "signups"],
            [
                [
                    f"{p['start'].astimezone(UTC):%Y-%m-%d}",
                    p["scans"],
                    p["flagged"],
                    _fmt_rate(p["flagged_rate"]),
                    p["image"],
                    p["chat"],
                    p["signups"],
                ]
                for p in report["series"]
            ],
        ),
    ]
    for title, entries in (("signal", report["signals"]), ("image label", report["categories"])):
        if entries:
            parts += [
                "",
                _table(
                    [title, "count", "reviewed", "confirmed", "false pos.", "FP rate"],
                    [
                        [
                            e["name"],
                            e["count"],
                            e["reviewed"],
                            e["confirmed"],
                            e["false_positive"],
                            _fmt_rate(e["false_positive_rate"]),
                        ]
                        for e in entries
                    ],
                ),
            ]
    if report["durations"]:
        parts += [
            "",
            _table(
                ["kind", "engine", "scans", "p50 ms", "p95 ms"],
                [
                    [
                        d["kind"],
                        d["engine"],
                        d["scans"],
                        round(d["p50_ms"], 1),
                        round(d["p95_ms"], 1),
                    ]
                    for d in report["durations"]
                ],
            ),
        ]
    return "\n".join(parts)


@reports_cli.command("overview")
@click.option("--from", "date_from", type=click.DateTime(), help="Start (UTC), default to-30d.")
@click.option("--to", "date_to", type=click.DateTime(), help="End (UTC, exclusive), default now.")
@click.option("--interval", type=click.Choice(["day", "week"]), default="day", show_default=True)
def reports_overview(date_from: datetime | None, date_to: datetime | None, interval: str) -> None:
    """Print the moderators' overview as tables."""
    from kitodeck.reports.services import ReportWindowError, compute_overview, resolve_window

    try:
        window = resolve_window(_utc(date_from), _utc(date_to), interval)
    except ReportWindowError as error:
        raise click.BadParameter(str(error)) from error
    click.echo(format_overview(compute_overview(window)))


@scans_cli.command("purge")
@click.option(
    "--older-than",
    "older_than",
    type=click.IntRange(min=1),
    default=None,
    help="Age in days (default: SCAN_RETENTION_DAYS, 365).",
)
@click.option("--dry-run", is_flag=True, help="Only count what would be deleted.")
def scans_purge(older_than: int | None, dry_run: bool) -> None:
    """Delete scans older than the retention period."""
    from kitodeck.scans.history_services import purge_scans

    days = older_than or int(current_app.config.get("SCAN_RETENTION_DAYS", 365))
    count = purge_scans(days, dry_run=dry_run)
    if dry_run:
        click.echo(f"{count} scans older than {days} days would be deleted (dry run).")
    else:
        click.echo(f"Deleted {count} scans older than {days} days.")


@seed_cli.command("scans")
@click.option("--count", type=click.IntRange(min=1), default=100_000, show_default=True)
@click.option("--users", type=click.IntRange(min=1), default=100, show_default=True)
@click.option("--days", type=click.IntRange(min=1), default=90, show_default=True)
def seed_scans_command(count: int, users: int, days: int) -> None:
    """Bulk-insert realistic scans (and new seed users who cannot log in)."""
    from kitodeck.scans.history_services import seed_scans

    started = time.perf_counter()
    result = seed_scans(count, users=users, days=days)
    elapsed = time.perf_counter() - started
    click.echo(
        f"Seeded {result['scans']} scans for {result['users']} new users over {days} days "
        f"in {elapsed:.1f} s."
    )


def register_report_commands(app: Flask) -> None:
    """Attach the ``reports``, ``scans`` and ``seed`` command groups."""
    for group in (reports_cli, scans_cli, seed_cli):
        existing = app.cli.commands.get(group.name or "")
        if isinstance(existing, click.Group) and existing is not group:
            # Another module already made this group: add our commands to it.
            for name, command in group.commands.items():
                existing.add_command(command, name)
        else:
            app.cli.add_command(group)
