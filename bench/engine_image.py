"""Bare image engine throughput: decode + NudeNet + policy, no HTTP.

``python -m bench.engine_image [--seconds 5] [--threads 1]`` prints a JSON report for
scikit-image's astronaut as JPEG at 320x320, 1280x960 and 4000x3000; ``make bench`` imports
``bench_bare_engine`` to compare the HTTP endpoint against the same numbers.
"""

from __future__ import annotations

import argparse
import io
import json
import time
from typing import Any

import numpy as np

from kitodeck.engines.image import NudeNetEngine, get_image_engine
from kitodeck.engines.image_policy import evaluate
from kitodeck.engines.imagefile import decode_image

SIZES: dict[str, tuple[int, int]] = {
    "320x320": (320, 320),
    "1280x960": (1280, 960),
    "4000x3000": (4000, 3000),
}
MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000


def sample_images(sizes: dict[str, tuple[int, int]] = SIZES) -> dict[str, bytes]:
    """Astronaut resized to each size, as JPEG (quality 90)."""
    from PIL import Image
    from skimage import data

    astronaut = Image.fromarray(data.astronaut())
    out: dict[str, bytes] = {}
    for name, size in sizes.items():
        buffer = io.BytesIO()
        astronaut.resize(size, Image.Resampling.LANCZOS).save(buffer, "JPEG", quality=90)
        out[name] = buffer.getvalue()
    return out


def bench_bare_engine(
    images: dict[str, bytes],
    seconds: float,
    *,
    engine: NudeNetEngine | None = None,
    draft: bool = True,
) -> dict[str, Any]:
    """Run decode + detect + evaluate on each image for ``seconds``, one call at a time.

    Returns ``{"engine": info, "threads": n, "results": {name: {"images_per_s", "p50_ms",
    "p99_ms", "count", "bytes", "width", "height"}}}``. ``draft`` lets large JPEGs decode
    at reduced scale, as the scan endpoint does.
    """
    engine = engine or get_image_engine()
    target = engine.resolution if draft else None
    results: dict[str, Any] = {}
    for name, payload in images.items():
        for _ in range(2):  # warm-up: first-run allocations, page faults
            engine.detect(
                decode_image(
                    payload, max_bytes=MAX_BYTES, max_pixels=MAX_PIXELS, target_size=target
                )
            )
        latencies: list[float] = []
        started = time.perf_counter()
        while True:
            t0 = time.perf_counter()
            decoded = decode_image(
                payload, max_bytes=MAX_BYTES, max_pixels=MAX_PIXELS, target_size=target
            )
            evaluate(engine.detect(decoded))
            t1 = time.perf_counter()
            latencies.append(t1 - t0)
            if t1 - started >= seconds:
                break
        elapsed = time.perf_counter() - started
        ms = np.array(latencies) * 1000.0
        results[name] = {
            "count": len(latencies),
            "images_per_s": round(len(latencies) / elapsed, 1),
            "p50_ms": round(float(np.percentile(ms, 50)), 2),
            "p99_ms": round(float(np.percentile(ms, 99)), 2),
            "bytes": len(payload),
            "width": decoded.width,
            "height": decoded.height,
        }
    return {"engine": engine.info, "threads": engine.intra_op_threads, "results": results}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=5.0, help="per image size")
    parser.add_argument("--threads", type=int, default=1, help="ONNX intra-op threads")
    parser.add_argument("--model", default=None, help="ONNX file (default: NudeNet's 320n)")
    parser.add_argument("--resolution", type=int, default=320, help="model input size")
    parser.add_argument("--no-draft", action="store_true", help="always decode full size")
    args = parser.parse_args()
    engine = get_image_engine(args.model, args.resolution, args.threads)
    report = bench_bare_engine(
        sample_images(), args.seconds, engine=engine, draft=not args.no_draft
    )
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
