"""Scan endpoints against the bare engines, same images/texts, same number of processes."""

from __future__ import annotations

import json
import multiprocessing
import subprocess
from typing import Any

from bench.clients import closed_loop, jpeg_variant, multipart
from bench.harness import PYTHON, ROOT, Result, table

HEADER = [
    "scenario",
    "req/s",
    "p50 ms",
    "p99 ms",
    "bare engine",
    "per s",
    "p50 ms",
    "p99 ms",
    "rps ratio",
    "p50 ratio",
]


def access_token(env: dict[str, str]) -> str:
    """A verified admin's access token, minted by the server's own config."""
    output = subprocess.run(
        [PYTHON, "-m", "bench.make_token"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return output.strip().splitlines()[-1]


def _bare_image(args: tuple[dict[str, bytes], float]) -> dict[str, Any]:
    from bench.engine_image import bench_bare_engine
    from kitodeck.engines.image import get_image_engine

    images, seconds = args
    return bench_bare_engine(images, seconds, engine=get_image_engine(threads=1))


def _bare_text(args: tuple[list[list[str]], float]) -> dict[str, Any]:
    from bench.engine_text import bench_bare_text_engine
    from kitodeck.engines.text import load_text_engine

    conversations, seconds = args
    return bench_bare_text_engine(load_text_engine("auto", threads=1), conversations, seconds)


def _parallel(function: Any, job: Any, processes: int) -> list[dict[str, Any]]:
    context = multiprocessing.get_context("spawn")  # no ONNX/torch state crosses a fork
    with context.Pool(processes) as pool:
        return pool.map(function, [job] * processes)


def _row(ours: Result, bare_name: str, rate: float, p50: float, p99: float) -> list[str]:
    return [
        ours.name,
        f"{ours.rps:,.1f}",
        f"{ours.p50_ms:.1f}",
        f"{ours.p99_ms:.1f}",
        bare_name,
        f"{rate:,.1f}",
        f"{p50:.1f}",
        f"{p99:.1f}",
        f"{ours.rps / rate:.2f}",
        f"{ours.p50_ms / p50:.2f}",
    ]


def image_section(base: str, env: dict[str, str], seconds: float, workers: int) -> str:
    """POST /api/v1/scans/image on fresh bytes per request vs decode+detect+policy in-process."""
    from bench.engine_image import sample_images

    headers = {"Authorization": f"Bearer {access_token(env)}"}
    images = sample_images()
    rows = []
    for size, jpeg in images.items():
        bare = _parallel(_bare_image, ({size: jpeg}, seconds), workers)
        stats = [b["results"][size] for b in bare]
        rate = sum(s["images_per_s"] for s in stats)
        p50 = sum(s["p50_ms"] for s in stats) / len(stats)
        p99 = max(s["p99_ms"] for s in stats)
        ours = closed_loop(
            f"image {size}",
            base + "/api/v1/scans/image",
            lambda i, jpeg=jpeg: multipart(
                "image", "photo.jpg", jpeg_variant(jpeg, i), "image/jpeg"
            ),
            headers,
            seconds=seconds,
            concurrency=workers,
        )
        rows.append(_row(ours, f"NudeNet x{workers} procs", rate, p50, p99))
    repeated = images["1280x960"]
    cached = closed_loop(
        "image 1280x960, same bytes (cache hit)",
        base + "/api/v1/scans/image",
        lambda i: multipart("image", "photo.jpg", repeated, "image/jpeg"),
        headers,
        seconds=seconds,
        concurrency=workers,
    )
    bare_1280 = rows[1]
    rows.append(
        _row(
            cached,
            "NudeNet (no cache)",
            float(bare_1280[5].replace(",", "")),
            float(bare_1280[6]),
            float(bare_1280[7]),
        )
    )
    return table("Image scans (distinct bytes per request; JPEG of astronaut)", rows, HEADER)


def chat_section(base: str, env: dict[str, str], seconds: float, workers: int) -> str:
    """POST /api/v1/scans/chat for 10- and 100-message conversations vs the bare text engine."""
    from bench.engine_text import make_conversations

    headers = {"Authorization": f"Bearer {access_token(env)}"}
    rows = []
    for size in (10, 100):
        conversations = make_conversations(20, size)
        bare = _parallel(_bare_text, (conversations, seconds), workers)
        rate = sum(b["conversations_per_s"] for b in bare)
        p50 = sum(b["p50_ms"] for b in bare) / len(bare)
        p99 = max(b["p99_ms"] for b in bare)
        bodies = [
            json.dumps(
                {
                    "messages": [
                        {"sender": "A" if k % 2 else "B", "text": text}
                        for k, text in enumerate(conversation)
                    ]
                }
            ).encode()
            for conversation in conversations
        ]
        ours = closed_loop(
            f"chat {size} messages",
            base + "/api/v1/scans/chat",
            lambda i, bodies=bodies: (bodies[i % len(bodies)], "application/json"),
            headers,
            seconds=seconds,
            concurrency=workers,
        )
        engine = bare[0]["engine"]["name"]
        rows.append(_row(ours, f"{engine} x{workers} procs", rate, p50, p99))
    return table("Chat scans (engine score + kito analysis + persistence)", rows, HEADER)
