"""Cache access that never breaks a request: a cache outage (Redis down) is a cache miss.

PostgreSQL stays the source of truth for everything cached, so callers fall back to it.
"""

from __future__ import annotations

import logging
from typing import Any

from kitodeck.extensions import cache

log = logging.getLogger("kitodeck.cache")


def cache_get(key: str) -> Any:
    """The cached value, or None when absent or the cache is unreachable."""
    try:
        return cache.get(key)
    except Exception as error:
        log.warning("cache unavailable (get %s): %s", key, type(error).__name__)
        return None


def cache_set(key: str, value: Any, timeout: int | None = None) -> bool:
    """Store a value; False when the cache is unreachable."""
    try:
        cache.set(key, value, timeout=timeout)
        return True
    except Exception as error:
        log.warning("cache unavailable (set %s): %s", key, type(error).__name__)
        return False
