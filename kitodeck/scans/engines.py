"""The scan engines of this process, configured from the app: loading, readiness, warm-up.

The engines themselves (kitodeck/engines) know nothing of Flask; this module reads the
config, keeps one instance per process, and reports them in /readyz and ``engines check``.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, current_app

from kitodeck.engines.image import NudeNetEngine, get_image_engine
from kitodeck.engines.image_policy import ImagePolicy
from kitodeck.engines.text import TextEngine, TextEngineUnavailable, get_text_engine
from kitodeck.engines_runtime import register_warmup
from kitodeck.readiness import register_check

log = logging.getLogger("kitodeck.engines")


def image_engine() -> NudeNetEngine:
    """NudeNet with the configured model, resolution and threads (once per process)."""
    config = current_app.config
    return get_image_engine(
        config["NUDENET_MODEL_PATH"], config["NUDENET_RESOLUTION"], config["ENGINE_THREADS"]
    )


def image_policy() -> ImagePolicy:
    """The image scoring policy with the configured overrides (IMAGE_POLICY)."""
    cached = current_app.extensions.get("kitodeck_image_policy")
    if cached is None:
        cached = ImagePolicy.from_mapping(current_app.config.get("IMAGE_POLICY") or {})
        current_app.extensions["kitodeck_image_policy"] = cached
    return cached


def text_engine() -> TextEngine:
    """Detoxify or the fallback, as TEXT_ENGINE says (once per process)."""
    config = current_app.config
    return get_text_engine(
        mode=config["TEXT_ENGINE"],
        model_type=config["DETOXIFY_MODEL"],
        checkpoint=config["DETOXIFY_CHECKPOINT"],
        config_dir=config["DETOXIFY_CONFIG_DIR"],
        threads=config["ENGINE_THREADS"],
        logger=log,
    )


def check_image_engine() -> dict[str, Any]:
    """Readiness of NudeNet."""
    engine = image_engine()
    return {"status": "ok", "engine": engine.info}


def check_text_engine() -> dict[str, Any]:
    """Readiness of the text engine, saying which one is active and why."""
    engine = text_engine()
    info = engine.info
    mode = current_app.config["TEXT_ENGINE"]
    result: dict[str, Any] = {"status": "ok", "engine": info, "mode": mode}
    if info["name"] != "detoxify":
        result["status"] = "degraded"
        result["message"] = (
            "Detoxify weights are not installed: the fallback model "
            "(alt-profanity-check) is answering. See README, 'Detoxify offline'."
            if mode == "auto"
            else "TEXT_ENGINE=fallback: alt-profanity-check is answering."
        )
    return result


def _warm_text() -> None:
    try:
        text_engine()
    except TextEngineUnavailable as error:
        # TEXT_ENGINE=detoxify without weights must not serve: fail the worker's boot.
        log.critical("TEXT_ENGINE=detoxify but its weights cannot be loaded; refusing to start")
        error.fatal = True  # type: ignore[attr-defined]
        raise


def _warm_signals() -> None:
    """Compile the kito pattern tables before the first chat scan pays for it."""
    from kitodeck.engines.conversation import Message
    from kitodeck.engines.scoring import analyze_conversation

    sample = [Message(0, "a", "hello, send me your number"), Message(1, "b", "no thanks")]
    analyze_conversation(sample, [{}, {}], ())


def register_scan_engines(app: Flask) -> None:
    """Add the engines to /readyz and to the per-worker warm-up."""
    register_check(app, "image_engine", check_image_engine)
    register_check(app, "text_engine", check_text_engine)
    register_warmup(app, "image", image_engine)
    register_warmup(app, "text", _warm_text)
    register_warmup(app, "signals", _warm_signals)
