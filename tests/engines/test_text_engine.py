"""Text engines for real: Detoxify on a tiny offline checkpoint, and alt-profanity-check."""

from __future__ import annotations

import importlib.metadata
import logging
import random
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import torch

from kitodeck.engines import text
from kitodeck.engines.text import (
    DetoxifyDownloadError,
    DetoxifyEngine,
    FallbackEngine,
    TextEngine,
    TextEngineUnavailable,
    download_detoxify,
    get_text_engine,
    load_text_engine,
    prepare_checkpoint,
    reset_text_engine,
)
from tests.engines.tiny_detoxify import ORIGINAL_CLASSES, TinyDetoxify, build_tiny_detoxify

TOL = 1e-5
# Generous: only there to catch a load that waits on the network.
FAST_S = 30.0
SHORT_TEXTS = [
    "hello you",
    "send money now please",
    "i will kill you",
    "",
    "what is your phone number and address",
    "you are a stupid idiot",
    "love",
    "come over here tomorrow and tell no one, it is a secret",
]


@pytest.fixture(autouse=True)
def offline(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No network and an empty torch hub cache for every test."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch-home"))


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> TinyDetoxify:
    return build_tiny_detoxify(tmp_path_factory.mktemp("tiny-detoxify"))


@pytest.fixture(scope="module")
def engine(tiny: TinyDetoxify) -> Iterator[DetoxifyEngine]:
    # Small windows and batches so that windowing and multi-batch sorting are exercised.
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HF_HUB_OFFLINE", "1")
        mp.setenv("TRANSFORMERS_OFFLINE", "1")
        yield DetoxifyEngine(
            checkpoint=tiny.checkpoint,
            config_dir=tiny.config_dir,
            batch_size=3,
            max_tokens=24,
            window_overlap=6,
            threads=1,
        )


@pytest.fixture
def fallback() -> FallbackEngine:
    return FallbackEngine()


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    reset_text_engine()
    yield
    reset_text_engine()


def assert_close(a: list[dict[str, float]], b: list[dict[str, float]], tol: float = TOL) -> None:
    assert len(a) == len(b)
    for x, y in zip(a, b, strict=True):
        assert x.keys() == y.keys()
        for key in x:
            assert abs(x[key] - y[key]) <= tol, (key, x[key], y[key])


def long_text(words: int, seed: int = 1) -> str:
    rng = random.Random(seed)
    vocab = ["hello", "nice", "day", "we", "meet", "today", "good", "very", "the", "park"]
    return " ".join(rng.choice(vocab) for _ in range(words))


# --------------------------------------------------------------------------- detoxify


def test_model_urls_mirror_detoxify() -> None:
    from detoxify import detoxify

    assert detoxify.MODEL_URLS == text.DETOXIFY_MODEL_URLS
    assert set(text.DETOXIFY_BASE_MODELS) == set(detoxify.MODEL_URLS)


def test_detoxify_loads_tiny_checkpoint_offline(engine: DetoxifyEngine) -> None:
    from detoxify import Detoxify

    assert isinstance(engine, TextEngine)
    assert isinstance(engine.detoxify, Detoxify)
    assert engine.classes == ORIGINAL_CLASSES == tuple(engine.detoxify.class_names)
    assert engine.info == {
        "name": "detoxify",
        "model": "tiny-detoxify",
        "version": importlib.metadata.version("detoxify"),
    }


def test_detoxify_scores_shape_and_range(engine: DetoxifyEngine) -> None:
    scores = engine.score(SHORT_TEXTS)
    assert len(scores) == len(SHORT_TEXTS)
    for row in scores:
        assert tuple(row) == ORIGINAL_CLASSES
        assert all(isinstance(v, float) and 0.0 <= v <= 1.0 for v in row.values())
    assert engine.score([]) == []
    with pytest.raises(TypeError):
        engine.score("a single string")


def test_detoxify_matches_detoxify_predict(engine: DetoxifyEngine) -> None:
    """Short texts (one window each) score as Detoxify's own ``predict`` does."""
    ours = engine.score(SHORT_TEXTS)
    theirs = engine.detoxify.predict(SHORT_TEXTS)
    expected = [{c: theirs[c][i] for c in engine.classes} for i in range(len(SHORT_TEXTS))]
    assert_close(ours, expected)


def test_detoxify_batch_equals_one_by_one(engine: DetoxifyEngine) -> None:
    texts = [*SHORT_TEXTS, long_text(40), long_text(7, seed=3)]
    random.Random(5).shuffle(texts)
    assert_close(engine.score(texts), [engine.score([t])[0] for t in texts])


def test_detoxify_order_preserved_after_length_sorting(engine: DetoxifyEngine) -> None:
    texts = sorted(SHORT_TEXTS, key=len, reverse=True)  # the opposite of the engine's order
    forward = engine.score(texts)
    backward = engine.score(texts[::-1])
    assert_close(forward, backward[::-1])
    # Distinct texts score distinctly, so a mix-up could not hide within the tolerance.
    for i in range(len(texts)):
        for j in range(i + 1, len(texts)):
            gap = max(abs(forward[i][c] - forward[j][c]) for c in engine.classes)
            assert gap > 100 * TOL, (texts[i], texts[j])


def test_detoxify_deterministic(engine: DetoxifyEngine, tmp_path: Path) -> None:
    texts = [*SHORT_TEXTS, long_text(60)]
    assert engine.score(texts) == engine.score(texts)
    # The builder is seeded: a second build, loaded afresh, gives the same scores.
    rebuilt = build_tiny_detoxify(tmp_path / "again")
    again = DetoxifyEngine(
        checkpoint=rebuilt.checkpoint,
        config_dir=rebuilt.config_dir,
        batch_size=3,
        max_tokens=24,
        window_overlap=6,
    )
    assert again.score(texts) == engine.score(texts)


def test_detoxify_threads_share_one_engine(engine: DetoxifyEngine) -> None:
    texts = [*SHORT_TEXTS, long_text(50)]
    expected = engine.score(texts)
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: engine.score(texts), range(8)))
    for result in results:
        assert_close(result, expected)


def test_token_windows_cover_long_text_with_overlap(engine: DetoxifyEngine) -> None:
    message = long_text(100)
    windows, owners = engine.token_windows([message])
    tokenizer = engine.detoxify.tokenizer
    body = tokenizer(message, add_special_tokens=False)["input_ids"]
    assert len(body) > 3 * engine.max_tokens
    assert owners == [0] * len(windows)
    step = engine.max_tokens - 2 - engine.window_overlap
    assert len(windows) == 1 + -(-(len(body) - (engine.max_tokens - 2)) // step)
    rebuilt: list[int] = []
    for k, window in enumerate(windows):
        assert len(window) <= engine.max_tokens
        assert window[0] == tokenizer.cls_token_id and window[-1] == tokenizer.sep_token_id
        inner = window[1:-1]
        if k:
            assert inner[: engine.window_overlap] == rebuilt[-engine.window_overlap :]
            inner = inner[engine.window_overlap :]
        rebuilt.extend(inner)
    assert rebuilt == body


def test_long_message_is_max_over_windows(engine: DetoxifyEngine) -> None:
    message = long_text(80)
    windows, _ = engine.token_windows([message])
    per_window = engine._score_windows(windows)
    expected = dict(zip(engine.classes, per_window.max(dim=0).values.tolist(), strict=True))
    assert_close(engine.score([message]), [expected])


def test_long_message_tail_is_not_lost(engine: DetoxifyEngine) -> None:
    """Texts that differ only after the first window score differently (no truncation)."""
    filler = long_text(60)
    assert len(engine.token_windows([filler])[0]) > 1
    threat, calm = f"{filler} i will kill you", f"{filler} have a nice day"
    a, b = engine.score([threat, calm])
    assert max(abs(a[c] - b[c]) for c in engine.classes) > 100 * TOL
    # ...whereas the first window, all that truncation would keep, is the same.
    first_a = engine.token_windows([threat])[0][0]
    first_b = engine.token_windows([calm])[0][0]
    assert first_a == first_b


def test_max_windows_keeps_first_and_last(tiny: TinyDetoxify) -> None:
    capped = DetoxifyEngine(
        checkpoint=tiny.checkpoint,
        config_dir=tiny.config_dir,
        max_tokens=16,
        window_overlap=4,
        max_windows=3,
    )
    uncapped = DetoxifyEngine(
        checkpoint=tiny.checkpoint, config_dir=tiny.config_dir, max_tokens=16, window_overlap=4
    )
    message = long_text(120)
    all_windows, _ = uncapped.token_windows([message, "hi"])
    kept, owners = capped.token_windows([message, "hi"])
    assert len(all_windows) > 4
    assert owners == [0, 0, 0, 1]
    assert kept[0] == all_windows[0] and kept[2] == all_windows[-2] and kept[3] == all_windows[-1]


# --------------------------------------------------------------------------- fallback


def test_fallback_scores_profanity(fallback: FallbackEngine) -> None:
    assert isinstance(fallback, TextEngine)
    assert fallback.classes == ("profanity",)
    assert fallback.info == {
        "name": "alt-profanity-check",
        "model": "profanity-svm",
        "version": importlib.metadata.version("alt-profanity-check"),
    }
    clean, profane = fallback.score(
        ["Would you like to get coffee on Saturday?", "you are a fucking piece of shit"]
    )
    assert set(clean) == set(profane) == {"profanity"}
    assert profane["profanity"] > 0.9 > 0.5 > clean["profanity"]
    assert fallback.score([]) == []
    with pytest.raises(TypeError):
        fallback.score("a single string")


def test_fallback_batch_equals_one_by_one(fallback: FallbackEngine) -> None:
    texts = [*SHORT_TEXTS, "shit", "what the hell", long_text(200)]
    batched = fallback.score(texts)
    assert_close(batched, [fallback.score([t])[0] for t in texts], tol=1e-9)
    small_batches = FallbackEngine(batch_size=3)
    assert_close(small_batches.score(texts), batched, tol=1e-9)


# --------------------------------------------------------------------------- loading


def _warnings(caplog: pytest.LogCaptureFixture, name: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == name and r.levelno >= logging.WARNING]


def test_auto_without_weights_falls_back_fast_with_one_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    logger = logging.getLogger("test.text.auto")
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger=logger.name):
        engine = load_text_engine("auto", logger=logger)
    assert time.monotonic() - started < FAST_S
    assert isinstance(engine, FallbackEngine)
    assert engine.info["name"] == "alt-profanity-check"
    (record,) = _warnings(caplog, logger.name)
    assert "Detoxify unavailable" in record.getMessage()
    assert "offline" in record.getMessage()


def test_auto_without_weights_and_unreachable_network_falls_back(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Not in offline mode but the network is down: decided by the probe, not a hang."""
    probed: list[str] = []

    def unreachable(url: str, timeout: float = 0.0) -> bool:
        probed.append(url)
        return False

    monkeypatch.setattr(text, "_offline", lambda: False)
    monkeypatch.setattr(text, "_reachable", unreachable)
    logger = logging.getLogger("test.text.unreachable")
    with caplog.at_level(logging.WARNING, logger=logger.name):
        engine = load_text_engine("auto", logger=logger)
    assert isinstance(engine, FallbackEngine)
    assert probed == ["https://github.com"]
    (record,) = _warnings(caplog, logger.name)
    assert "does not answer" in record.getMessage()


def test_reachable_probe_is_bounded() -> None:
    started = time.monotonic()
    assert text._reachable("http://127.0.0.1:9/", timeout=1.0) is False
    assert text._reachable("ftp://example.invalid/", timeout=1.0) is False
    assert time.monotonic() - started < FAST_S


def test_detoxify_mode_without_weights_raises() -> None:
    started = time.monotonic()
    with pytest.raises(TextEngineUnavailable, match="offline"):
        load_text_engine("detoxify")
    with pytest.raises(TextEngineUnavailable, match="does not exist"):
        load_text_engine("detoxify", checkpoint="/nonexistent/model.ckpt")
    with pytest.raises(TextEngineUnavailable, match="unknown Detoxify model type"):
        load_text_engine("detoxify", model_type="gigantic")
    assert time.monotonic() - started < FAST_S


def test_unreadable_checkpoint_is_unavailable(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    garbage = tmp_path / "garbage.ckpt"
    garbage.write_bytes(b"not a checkpoint")
    with pytest.raises(TextEngineUnavailable, match="could not load"):
        load_text_engine("detoxify", checkpoint=garbage)
    logger = logging.getLogger("test.text.garbage")
    with caplog.at_level(logging.WARNING, logger=logger.name):
        engine = load_text_engine("auto", checkpoint=garbage, logger=logger)
    assert isinstance(engine, FallbackEngine)
    assert len(_warnings(caplog, logger.name)) == 1


def test_auto_with_tiny_checkpoint_uses_detoxify(
    tiny: TinyDetoxify, caplog: pytest.LogCaptureFixture
) -> None:
    logger = logging.getLogger("test.text.tiny")
    with caplog.at_level(logging.WARNING, logger=logger.name):
        engine = load_text_engine(
            "auto",
            checkpoint=str(tiny.checkpoint),
            config_dir=str(tiny.config_dir),
            threads=1,
            logger=logger,
        )
    assert isinstance(engine, DetoxifyEngine)
    assert engine.info["name"] == "detoxify"
    assert engine.classes == ORIGINAL_CLASSES
    assert _warnings(caplog, logger.name) == []


def test_fallback_mode_and_bad_mode(tiny: TinyDetoxify) -> None:
    forced = load_text_engine("fallback", checkpoint=tiny.checkpoint, config_dir=tiny.config_dir)
    assert isinstance(forced, FallbackEngine)
    with pytest.raises(ValueError, match="TEXT_ENGINE"):
        load_text_engine("bert")


def test_hub_named_checkpoint_needs_preparing_offline(tiny: TinyDetoxify, tmp_path: Path) -> None:
    """A release-style checkpoint names 'bert-base-uncased'; prepare_checkpoint fixes that."""
    loaded = torch.load(tiny.checkpoint, map_location="cpu", weights_only=False)
    loaded["config"]["arch"]["args"]["model_type"] = "bert-base-uncased"
    release_like = tmp_path / "toxic_original-c1212f89.ckpt"
    torch.save(loaded, release_like)

    started = time.monotonic()
    with pytest.raises(TextEngineUnavailable, match="prepare_checkpoint"):
        DetoxifyEngine(checkpoint=release_like, config_dir=tiny.config_dir)
    assert time.monotonic() - started < FAST_S

    files = prepare_checkpoint(release_like, tiny.config_dir)
    assert files.checkpoint == release_like.resolve()
    rewritten = torch.load(files.checkpoint, map_location="cpu", weights_only=False)
    assert rewritten["config"]["arch"]["args"]["model_type"] == str(tiny.config_dir)
    assert rewritten["kitodeck"] == {"base_model": "bert-base-uncased", "model_type": "original"}
    assert not list(tmp_path.glob("*.partial"))

    engine = DetoxifyEngine(checkpoint=files.checkpoint, config_dir=files.config_dir)
    assert engine.info["model"] == "original"
    assert engine.classes == ORIGINAL_CLASSES


def test_get_text_engine_caches_per_process(tiny: TinyDetoxify) -> None:
    first = get_text_engine("fallback")
    assert get_text_engine("fallback") is first
    with ThreadPoolExecutor(max_workers=6) as pool:
        engines = list(
            pool.map(
                lambda _: get_text_engine(
                    "auto", checkpoint=str(tiny.checkpoint), config_dir=str(tiny.config_dir)
                ),
                range(6),
            )
        )
    assert all(e is engines[0] for e in engines)
    assert isinstance(engines[0], DetoxifyEngine)
    reset_text_engine()
    assert get_text_engine("fallback") is not first


def test_get_text_engine_loads_once_under_contention(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    gate = threading.Event()

    def slow_load(*args: object, **kwargs: object) -> TextEngine:
        calls.append(1)
        gate.wait(5)
        return FallbackEngine()

    monkeypatch.setattr(text, "load_text_engine", slow_load)
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = [pool.submit(get_text_engine, "fallback") for _ in range(4)]
        time.sleep(0.2)
        gate.set()
        engines = [f.result() for f in futures]
    assert len(calls) == 1
    assert all(e is engines[0] for e in engines)


# --------------------------------------------------------------------------- download


def test_download_refuses_in_offline_mode(tmp_path: Path) -> None:
    with pytest.raises(DetoxifyDownloadError, match="offline"):
        download_detoxify("original", tmp_path)
    with pytest.raises(ValueError, match="unknown"):
        download_detoxify("gigantic", tmp_path)


def test_download_network_failure_is_a_clean_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(text, "_offline", lambda: False)
    started = time.monotonic()
    # Port 9 (discard) on loopback: refused at once, whatever the machine's network.
    with pytest.raises(DetoxifyDownloadError, match="cannot download"):
        download_detoxify(
            "original", tmp_path / "models", url="http://127.0.0.1:9/x.ckpt", timeout=5
        )
    assert time.monotonic() - started < FAST_S
    assert list((tmp_path / "models").iterdir()) == []
