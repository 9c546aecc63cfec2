"""Bare text-engine benchmark: ``engine.score(texts)`` per conversation, no HTTP, no DB.

    .venv/bin/python -m bench.engine_text [--seconds 5] [--mode auto] [--threads N]

Uses the same settings as the app (``TEXT_ENGINE``, ``DETOXIFY_MODEL``,
``DETOXIFY_CHECKPOINT``, ``DETOXIFY_CONFIG_DIR``) and prints one JSON line per
conversation size (10 and 100 messages).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kitodeck.engines.text import TextEngine, get_text_engine

_LINES = [
    "hey! how was your weekend?",
    "haha I love that place, the tacos are amazing",
    "are you free on saturday for coffee?",
    "I'm a nurse, working nights this week unfortunately",
    "that sounds lovely, send me a pic of the view",
    "my account is frozen, can you send me $200 in gift cards? I'll pay you back",
    "let's move to whatsapp, this app is buggy",
    "don't tell your friends about us yet, they won't understand",
    "you're such a stupid idiot, answer me",
    "if you don't reply I will come to your house",
    "abeg send me small money for transport, I go pay you back",
    "I've been thinking about you all day",
    "what kind of music are you into?",
    "ok see you at 7 at the station then",
]


def make_conversations(count: int, messages: int, seed: int = 0) -> list[list[str]]:
    """``count`` synthetic conversations of ``messages`` dating-app lines."""
    rng = random.Random(seed)
    return [[rng.choice(_LINES) for _ in range(messages)] for _ in range(count)]


def _percentile(sorted_values: Sequence[float], q: float) -> float:
    index = min(len(sorted_values) - 1, max(0, round(q * (len(sorted_values) - 1))))
    return sorted_values[index]


def bench_bare_text_engine(
    engine: TextEngine, conversations: list[list[str]], seconds: float
) -> dict[str, Any]:
    """Score whole conversations back to back for ``seconds``; throughput and latency."""
    if not conversations:
        raise ValueError("no conversations to score")
    engine.score(conversations[0])  # warm-up: lazy allocations, first-call overheads
    latencies: list[float] = []
    messages = 0
    started = time.perf_counter()
    deadline = started + seconds
    i = 0
    while True:
        conversation = conversations[i % len(conversations)]
        t0 = time.perf_counter()
        engine.score(conversation)
        latencies.append(time.perf_counter() - t0)
        messages += len(conversation)
        i += 1
        if time.perf_counter() >= deadline:
            break
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "engine": engine.info,
        "conversations": len(latencies),
        "messages_per_conversation": round(messages / len(latencies), 1),
        "seconds": round(elapsed, 3),
        "conversations_per_s": round(len(latencies) / elapsed, 2),
        "messages_per_s": round(messages / elapsed, 1),
        "p50_ms": round(_percentile(latencies, 0.50) * 1000, 2),
        "p99_ms": round(_percentile(latencies, 0.99) * 1000, 2),
        "mean_ms": round(statistics.fmean(latencies) * 1000, 2),
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="per conversation size")
    parser.add_argument("--mode", default=os.environ.get("TEXT_ENGINE", "auto"))
    parser.add_argument("--threads", type=int, default=None, help="torch threads (Detoxify)")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    engine = get_text_engine(
        args.mode,
        model_type=os.environ.get("DETOXIFY_MODEL", "original"),
        checkpoint=os.environ.get("DETOXIFY_CHECKPOINT") or None,
        config_dir=os.environ.get("DETOXIFY_CONFIG_DIR") or None,
        threads=args.threads,
    )
    print(json.dumps({"load_s": round(time.perf_counter() - started, 2), "engine": engine.info}))
    for size in (10, 100):
        result = bench_bare_text_engine(engine, make_conversations(50, size), args.seconds)
        print(json.dumps({"messages": size, **result}))


if __name__ == "__main__":
    main()
