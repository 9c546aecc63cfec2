"""KitoDeck: a self-hostable safety API for dating and social apps.

``create_app`` is imported lazily so that ``kitodeck.engines`` can be used without Flask
(a Celery worker, a notebook).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from kitodeck.factory import create_app


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from kitodeck.factory import create_app

        return create_app
    raise AttributeError(f"module 'kitodeck' has no attribute {name!r}")


__all__ = ["__version__", "create_app"]
