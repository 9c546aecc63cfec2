"""The admin CLI: ``flask --app wsgi users|sessions|tokens|scans|engines|reports ...``."""

from __future__ import annotations

from flask import Flask


def register_cli(app: Flask) -> None:
    """Attach the command groups."""
