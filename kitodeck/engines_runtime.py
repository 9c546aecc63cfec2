"""Per-process engine start-up, called from gunicorn's ``post_worker_init``.

Blueprints register warm-up callables with ``register_warmup``; a worker loads its engines
after the fork, so requests never pay the model load and ONNX/torch are not forked.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import Flask

log = logging.getLogger("kitodeck.engines")

Warmup = Callable[[], object]


def register_warmup(app: Flask, name: str, warmup: Warmup) -> None:
    """Register an engine loader to run once per worker process."""
    app.extensions.setdefault("kitodeck_warmups", {})[name] = warmup


def warm_up_engines(app: Flask | None) -> None:
    """Load every registered engine in this process; failures are logged, not fatal."""
    if app is None:
        return
    with app.app_context():
        for name, warmup in app.extensions.get("kitodeck_warmups", {}).items():
            try:
                warmup()
                log.info("engine %s loaded", name)
            except Exception as error:
                if getattr(error, "fatal", False):
                    raise
                log.exception("engine %s failed to load; /readyz will report it", name)
