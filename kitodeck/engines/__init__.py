"""Scan engines: NudeNet, Detoxify / fallback, kito signals and scoring.

Nothing in this package imports Flask, so the engines run unchanged in a web worker,
a Celery worker, a CLI command or a notebook.
"""
