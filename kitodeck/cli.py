"""The admin CLI: ``flask --app wsgi users|sessions|tokens|scans|engines|reports ...``."""

from __future__ import annotations

from flask import Flask


def register_cli(app: Flask) -> None:
    """Attach the command groups."""
    from kitodeck.cli_accounts import register_account_commands
    from kitodeck.cli_engines import register_engine_commands
    from kitodeck.cli_reports import register_report_commands

    register_account_commands(app)
    register_report_commands(app)
    register_engine_commands(app)
