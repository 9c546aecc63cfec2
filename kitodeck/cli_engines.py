"""`flask engines check|download-detoxify`: what is loaded, and offline installs of Detoxify."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup

SAMPLE_IMAGE = Path(__file__).resolve().parent / "engines" / "samples" / "astronaut.jpg"
SAMPLE_CHAT = [
    ("Ada", "hey! how was your day?"),
    ("Sam", "good. my phone is spoilt, add me on whatsapp 0803 123 4567"),
    ("Sam", "come alone to my place tonight and don't tell anybody"),
]

engines_cli = AppGroup("engines", help="Inspect and install the scan engines.")


@engines_cli.command("check")
def check() -> None:
    """Load each engine, run it once on a built-in sample, and print what is active."""
    from kitodeck.engines.conversation import Message
    from kitodeck.engines.image_policy import evaluate
    from kitodeck.engines.imagefile import decode_image
    from kitodeck.engines.scoring import analyze_conversation
    from kitodeck.scans.engines import image_engine, image_policy, text_engine

    failed = False
    try:
        started = time.perf_counter()
        engine = image_engine()
        decoded = decode_image(
            SAMPLE_IMAGE.read_bytes(),
            max_bytes=current_app.config["MAX_IMAGE_BYTES"],
            max_pixels=current_app.config["MAX_IMAGE_PIXELS"],
            target_size=engine.resolution,
        )
        detections = engine.detect(decoded)
        verdict = evaluate(detections, image_policy())
        elapsed = (time.perf_counter() - started) * 1000
        labels = ", ".join(f"{d.label} {d.score:.2f}" for d in detections) or "none"
        click.echo(f"image engine: {json.dumps(engine.info)}")
        click.echo(
            f"  sample {SAMPLE_IMAGE.name}: {labels} -> {verdict.verdict} ({elapsed:.0f} ms)"
        )
    except Exception as error:
        failed = True
        click.echo(f"image engine: FAILED: {error}", err=True)
    try:
        started = time.perf_counter()
        engine = text_engine()
        messages = [Message(i, sender, text) for i, (sender, text) in enumerate(SAMPLE_CHAT)]
        scores = engine.score([m.text for m in messages])
        analysis = analyze_conversation(messages, scores, engine.classes).to_dict()
        elapsed = (time.perf_counter() - started) * 1000
        mode = current_app.config["TEXT_ENGINE"]
        click.echo(f"text engine: {json.dumps(engine.info)} (TEXT_ENGINE={mode})")
        if engine.info["name"] != "detoxify":
            click.echo("  Detoxify weights are not installed: the fallback model is answering.")
        signals = ", ".join(s["name"] for s in analysis["signals"]) or "none"
        click.echo(
            f"  sample chat: signals {signals} -> {analysis['verdict']} "
            f"({analysis['risk_level']}, {elapsed:.0f} ms)"
        )
    except Exception as error:
        failed = True
        click.echo(f"text engine: FAILED: {error}", err=True)
    if failed:
        sys.exit(1)


@engines_cli.command("download-detoxify")
@click.option(
    "--model",
    "model_type",
    default=None,
    help="Detoxify model type (default: DETOXIFY_MODEL).",
)
@click.option(
    "--dest",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Folder to write the checkpoint and its config/tokenizer into.",
)
def download_detoxify_command(model_type: str | None, dest: Path) -> None:
    """Fetch Detoxify's weights, config and tokenizer for offline use (needs internet)."""
    from kitodeck.engines.text import DetoxifyDownloadError, download_detoxify

    model_type = model_type or current_app.config["DETOXIFY_MODEL"]
    try:
        files = download_detoxify(model_type, dest)
    except DetoxifyDownloadError as error:
        click.echo(f"Download failed: {error}", err=True)
        sys.exit(1)
    click.echo("Detoxify is ready for offline use. Set:")
    click.echo(f"  DETOXIFY_CHECKPOINT={files.checkpoint}")
    click.echo(f"  DETOXIFY_CONFIG_DIR={files.config_dir}")


def register_engine_commands(app: Flask) -> None:
    """Attach ``flask engines``."""
    app.cli.add_command(engines_cli)
