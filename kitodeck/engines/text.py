"""Text toxicity engines: Detoxify (transformers) with alt-profanity-check as the fallback.

Every engine answers ``score(texts) -> [{class: 0..1}, ...]`` (one dict per text, same
order) and reports in ``info`` what really produced the scores. ``load_text_engine`` picks
one (``TEXT_ENGINE=auto|detoxify|fallback``); ``get_text_engine`` caches it per process.

Long messages (Detoxify): a message longer than ``max_tokens`` is split into overlapping
token windows of at most ``max_tokens`` tokens (special tokens included), consecutive
windows sharing ``window_overlap`` tokens so that a phrase cut by a window edge is still
seen whole in one of them. Each window is scored on its own and the message gets, for each
class independently, the highest score of its windows: a threat at the end of a long
message counts as much as one at the start. Past ``max_windows`` windows, evenly spaced
windows are kept, always including the first and the last.

Offline: Detoxify's release checkpoints name a Hugging Face model (``bert-base-uncased``,
...) in ``config.arch.args.model_type`` and Detoxify loads its config from there even when
given ``huggingface_config_path``. ``download_detoxify`` (on a machine with internet)
fetches everything and ``prepare_checkpoint`` rewrites that field to the local folder, so
``DETOXIFY_CHECKPOINT`` + ``DETOXIFY_CONFIG_DIR`` then load with no network at all.
Checkpoints are unpickled (Detoxify uses ``torch.load(weights_only=False)``): load only
trusted files.

Nothing here imports Flask; torch, transformers and scikit-learn are imported lazily.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import logging
import os
import sys
import threading
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

if TYPE_CHECKING:
    import torch

__all__ = [
    "DETOXIFY_BASE_MODELS",
    "DETOXIFY_MODEL_URLS",
    "DetoxifyDownloadError",
    "DetoxifyEngine",
    "DetoxifyFiles",
    "FallbackEngine",
    "TextEngine",
    "TextEngineUnavailable",
    "download_detoxify",
    "get_text_engine",
    "load_text_engine",
    "prepare_checkpoint",
    "reset_text_engine",
]

Mode = Literal["auto", "detoxify", "fallback"]
MODES: tuple[str, ...] = ("auto", "detoxify", "fallback")

_log = logging.getLogger(__name__)

#: Detoxify 0.5.4's own ``MODEL_URLS`` (detoxify/detoxify.py), copied so that the offline
#: checks run without importing torch (~4 s); a test asserts that both stay equal.
DETOXIFY_MODEL_URLS: dict[str, str] = {
    "original": "https://github.com/unitaryai/detoxify/releases/download/v0.1-alpha/"
    "toxic_original-c1212f89.ckpt",
    "unbiased": "https://github.com/unitaryai/detoxify/releases/download/v0.3-alpha/"
    "toxic_debiased-c7548aa0.ckpt",
    "multilingual": "https://github.com/unitaryai/detoxify/releases/download/v0.4-alpha/"
    "multilingual_debiased-0b549669.ckpt",
    "original-small": "https://github.com/unitaryai/detoxify/releases/download/v0.1.2/"
    "original-albert-0e1d6498.ckpt",
    "unbiased-small": "https://github.com/unitaryai/detoxify/releases/download/v0.1.2/"
    "unbiased-albert-c8519128.ckpt",
}
#: The Hugging Face model each release checkpoint names (Detoxify's training configs).
DETOXIFY_BASE_MODELS: dict[str, str] = {
    "original": "bert-base-uncased",
    "unbiased": "roberta-base",
    "multilingual": "xlm-roberta-base",
    "original-small": "albert-base-v2",
    "unbiased-small": "albert-base-v2",
}
_CHECKPOINT_MODEL_TYPES = {url.rsplit("/", 1)[1]: kind for kind, url in DETOXIFY_MODEL_URLS.items()}
_GITHUB_URL = "https://github.com"
_PROBE_TIMEOUT_S = 3.0
_META_KEY = "kitodeck"  # extra top-level checkpoint key; Detoxify reads only config/state_dict


class TextEngineUnavailable(RuntimeError):
    """The requested text engine cannot be loaded (missing weights, no network, ...)."""


class DetoxifyDownloadError(RuntimeError):
    """``download_detoxify`` could not fetch or prepare the files."""


@runtime_checkable
class TextEngine(Protocol):
    """What the scan service needs from a text engine."""

    name: str
    classes: tuple[str, ...]

    @property
    def info(self) -> dict[str, str]:
        """``{"name", "model", "version"}`` of what produces the scores."""
        ...

    def score(self, texts: Sequence[str]) -> list[dict[str, float]]:
        """One ``{class: 0..1}`` per text, in the order given."""
        ...


def _check_texts(texts: Sequence[str]) -> list[str]:
    if isinstance(texts, str):
        raise TypeError("score() takes a sequence of texts, not a single string")
    return [str(text) for text in texts]


def _version(distribution: str) -> str:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


# --------------------------------------------------------------------------- fallback


class FallbackEngine:
    """alt-profanity-check's shipped model (TF-IDF + calibrated linear SVM), batched.

    It has one class, ``profanity``; it knows nothing of threats or insults as such.
    """

    name = "alt-profanity-check"
    classes: tuple[str, ...] = ("profanity",)

    def __init__(self, batch_size: int = 1000) -> None:
        # Importing it loads the vectorizer and model (~1.3 s, scikit-learn).
        from profanity_check import predict_prob

        self._predict_prob = predict_prob
        self.batch_size = batch_size
        self._info = {
            "name": self.name,
            "model": "profanity-svm",
            "version": _version("alt-profanity-check"),
        }

    @property
    def info(self) -> dict[str, str]:
        """``{"name": "alt-profanity-check", "model": "profanity-svm", "version"}``."""
        return dict(self._info)

    def score(self, texts: Sequence[str]) -> list[dict[str, float]]:
        """``[{"profanity": p}, ...]``; one vectorised call per ``batch_size`` texts."""
        items = _check_texts(texts)
        out: list[dict[str, float]] = []
        for start in range(0, len(items), self.batch_size):
            probs = self._predict_prob(items[start : start + self.batch_size])
            out.extend({"profanity": float(p)} for p in probs)
        return out


# --------------------------------------------------------------------------- detoxify


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


def _offline() -> bool:
    """Hugging Face offline mode, from the environment or huggingface_hub if imported."""
    if _truthy(os.environ.get("HF_HUB_OFFLINE")) or _truthy(os.environ.get("TRANSFORMERS_OFFLINE")):
        return True
    constants = sys.modules.get("huggingface_hub.constants")
    return bool(getattr(constants, "HF_HUB_OFFLINE", False))


def _hf_endpoint() -> str:
    return os.environ.get("HF_ENDPOINT", "https://huggingface.co").rstrip("/")


def _torch_hub_dir() -> Path:
    """``torch.hub.get_dir()`` without importing torch when it is not loaded yet."""
    if "torch" in sys.modules:
        return Path(sys.modules["torch"].hub.get_dir())
    cache = os.environ.get("XDG_CACHE_HOME", os.path.join("~", ".cache"))
    torch_home = os.environ.get("TORCH_HOME", os.path.join(cache, "torch"))
    return Path(torch_home).expanduser() / "hub"


def _reachable(url: str, timeout: float = _PROBE_TIMEOUT_S) -> bool:
    """True when ``url`` answers an HTTP HEAD within ``timeout`` seconds.

    torch.hub's download has no timeout and huggingface_hub retries for ~25 s when DNS
    fails (measured), so both are only attempted after this probe. It runs in a daemon
    thread because name resolution ignores socket timeouts.
    """
    if not url.startswith(("https://", "http://")):
        return False
    answer: list[bool] = []

    def attempt() -> None:
        request = urllib.request.Request(url, method="HEAD")  # noqa: S310 (scheme checked)
        try:
            with urllib.request.urlopen(request, timeout=timeout):  # noqa: S310
                answer.append(True)
        except urllib.error.HTTPError:
            answer.append(True)  # the server answered, even if not with 200
        except (OSError, ValueError):
            answer.append(False)

    thread = threading.Thread(target=attempt, name="kitodeck-net-probe", daemon=True)
    thread.start()
    thread.join(timeout + 0.5)
    return bool(answer and answer[0])


def _hf_cached(repo_id: str) -> bool:
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:
        return False
    return isinstance(try_to_load_from_cache(repo_id, "config.json"), str)


def _hub_problem(model_type: str) -> str | None:
    """Why Detoxify's own download path would fail or hang now, or None."""
    cached = _torch_hub_dir() / "checkpoints" / DETOXIFY_MODEL_URLS[model_type].rsplit("/", 1)[1]
    base = DETOXIFY_BASE_MODELS[model_type]
    offline = _offline()
    if not cached.is_file():
        if offline:
            return f"Hugging Face offline mode is on and {cached} is not downloaded"
        if not _reachable(_GITHUB_URL):
            return (
                f"no DETOXIFY_CHECKPOINT configured, {cached} is not downloaded and "
                f"{_GITHUB_URL} does not answer"
            )
    if offline:
        if not _hf_cached(base):
            return f"offline mode is on and {base}'s config is not in the Hugging Face cache"
    elif not _reachable(_hf_endpoint()):
        return (
            f"{_hf_endpoint()} does not answer (Detoxify loads {base}'s config from it; "
            "set HF_HUB_OFFLINE=1 to use the local cache, or DETOXIFY_CHECKPOINT)"
        )
    return None


def _peek_checkpoint(path: Path) -> dict[str, Any] | None:
    """The checkpoint minus its tensors, memory-mapped (cheap); None if it cannot be mapped."""
    import torch

    try:
        loaded = torch.load(path, map_location="cpu", weights_only=False, mmap=True)
    except (RuntimeError, OSError, ValueError):
        return None  # e.g. a legacy (non-zip) file: Detoxify's own load reports problems
    if not isinstance(loaded, dict):
        return None
    return {key: value for key, value in loaded.items() if key != "state_dict"}


@contextlib.contextmanager
def _quiet_transformers() -> Iterator[None]:
    """Hide transformers' "Loading weights" progress bar while a model loads."""
    from transformers.utils import logging as hf_logging

    was_enabled = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        if was_enabled:
            hf_logging.enable_progress_bar()


class DetoxifyEngine:
    """The real ``detoxify.Detoxify`` model, run batched by similar length, windowed.

    ``checkpoint`` (+ ``config_dir``) loads a local checkpoint exactly as
    ``Detoxify(checkpoint=..., huggingface_config_path=...)``; without it the release
    weights for ``model_type`` come from torch.hub's cache or GitHub. ``threads`` calls
    ``torch.set_num_threads`` (process-wide): keep workers x threads <= cores.
    Raises ``TextEngineUnavailable`` when the weights cannot be loaded; it checks first,
    so that it never waits on an unreachable network.
    """

    name = "detoxify"

    def __init__(
        self,
        model_type: str = "original",
        checkpoint: str | os.PathLike[str] | None = None,
        config_dir: str | os.PathLike[str] | None = None,
        device: str = "cpu",
        threads: int | None = None,
        batch_size: int = 32,
        max_tokens: int = 256,
        window_overlap: int = 32,
        max_windows: int = 32,
    ) -> None:
        if batch_size < 1 or max_windows < 1 or window_overlap < 0:
            raise ValueError("batch_size and max_windows must be >= 1, window_overlap >= 0")
        ckpt = Path(checkpoint).expanduser().resolve() if checkpoint else None
        hf_dir = Path(config_dir).expanduser().resolve() if config_dir else None
        meta: dict[str, Any] | None = None
        if ckpt is None:
            if model_type not in DETOXIFY_MODEL_URLS:
                raise TextEngineUnavailable(
                    f"unknown Detoxify model type {model_type!r}; "
                    f"one of {', '.join(DETOXIFY_MODEL_URLS)}"
                )
            problem = _hub_problem(model_type)
            if problem:
                raise TextEngineUnavailable(f"Detoxify {model_type!r} weights: {problem}")
        else:
            if not ckpt.is_file():
                raise TextEngineUnavailable(f"Detoxify checkpoint {ckpt} does not exist")
            if hf_dir is not None and not (hf_dir / "config.json").is_file():
                raise TextEngineUnavailable(f"Detoxify config dir {hf_dir} has no config.json")
        try:
            import torch
            from detoxify import Detoxify
        except ImportError as exc:
            raise TextEngineUnavailable(f"detoxify/torch are not installed: {exc}") from exc

        if ckpt is not None:
            meta = _peek_checkpoint(ckpt)
            base = _arch_args(meta).get("model_type") if meta else None
            # Detoxify fetches this model's config even when given a config dir.
            if isinstance(base, str) and not Path(base).is_dir():
                fix = f"run prepare_checkpoint({str(ckpt)!r}, <config dir>) once"
                if _offline():
                    raise TextEngineUnavailable(
                        f"checkpoint {ckpt.name} names hub model {base!r} and offline mode "
                        f"is on; {fix}"
                    )
                if not _reachable(_hf_endpoint()):
                    raise TextEngineUnavailable(
                        f"checkpoint {ckpt.name} names hub model {base!r} and "
                        f"{_hf_endpoint()} does not answer; {fix}"
                    )
        if threads:
            torch.set_num_threads(threads)
        try:
            with _quiet_transformers():
                detox = Detoxify(
                    model_type=model_type,
                    checkpoint=str(ckpt) if ckpt else None,
                    device=device,
                    huggingface_config_path=str(hf_dir) if hf_dir else None,
                )
        except Exception as exc:  # whatever the cause, the engine is unavailable: say why
            source = ckpt or DETOXIFY_MODEL_URLS[model_type]
            raise TextEngineUnavailable(f"Detoxify could not load {source}: {exc}") from exc

        self._model = detox.model.eval()
        self._tokenizer = detox.tokenizer
        self._device = torch.device(device)
        self._tokenizer_lock = threading.Lock()  # a Rust tokenizer is not re-entrant
        self.classes: tuple[str, ...] = tuple(detox.class_names)
        self.detoxify = detox
        self.checkpoint = ckpt
        self.batch_size = batch_size
        self.max_windows = max_windows
        self.max_tokens = min(max_tokens, self._position_limit())
        specials = self._tokenizer.num_special_tokens_to_add(pair=False)
        if self.max_tokens - specials < 2:
            raise ValueError(f"max_tokens={max_tokens} leaves no room for text")
        self.window_overlap = min(window_overlap, (self.max_tokens - specials) // 2)
        if ckpt is None:
            model = model_type
        else:
            model = (meta or {}).get(_META_KEY, {}).get("model_type") or (
                _CHECKPOINT_MODEL_TYPES.get(ckpt.name, ckpt.stem)
            )
        self._info = {"name": self.name, "model": str(model), "version": _version("detoxify")}

    @property
    def info(self) -> dict[str, str]:
        """``{"name": "detoxify", "model": <model type or checkpoint>, "version"}``."""
        return dict(self._info)

    def _position_limit(self) -> int:
        config = self._model.config
        limit = int(config.max_position_embeddings)
        if config.model_type in {"roberta", "xlm-roberta", "camembert"}:
            limit -= 2  # positions start after padding_idx
        tokenizer_limit = int(getattr(self._tokenizer, "model_max_length", limit) or limit)
        return min(limit, tokenizer_limit)

    def token_windows(self, texts: Sequence[str]) -> tuple[list[list[int]], list[int]]:
        """Token ids of every window (special tokens included) and the text each belongs to."""
        items = _check_texts(texts)
        if not items:
            return [], []
        with self._tokenizer_lock:
            encoded = self._tokenizer(
                items,
                add_special_tokens=True,
                truncation=True,
                max_length=self.max_tokens,
                stride=self.window_overlap,
                return_overflowing_tokens=True,
                return_attention_mask=False,
                return_token_type_ids=False,
            )
        ids: list[list[int]] = encoded["input_ids"]
        owners: list[int] = list(encoded["overflow_to_sample_mapping"])
        if len(ids) <= self.max_windows or max(Counter(owners).values()) <= self.max_windows:
            return ids, owners
        return self._thin(ids, owners)

    def _thin(self, ids: list[list[int]], owners: list[int]) -> tuple[list[list[int]], list[int]]:
        """Keep at most ``max_windows`` evenly spaced windows per text, first and last kept."""
        by_owner: dict[int, list[int]] = {}
        for index, owner in enumerate(owners):
            by_owner.setdefault(owner, []).append(index)
        keep: list[int] = []
        k = self.max_windows
        for indices in by_owner.values():
            n = len(indices)
            if n <= k:
                keep.extend(indices)
            elif k == 1:
                keep.append(indices[0])
            else:
                keep.extend(indices[round(i * (n - 1) / (k - 1))] for i in range(k))
        keep.sort()
        return [ids[i] for i in keep], [owners[i] for i in keep]

    def _score_windows(self, windows: Sequence[list[int]]) -> torch.Tensor:
        """Sigmoid scores (windows x classes), batching windows of similar length together."""
        import torch

        n_classes = len(self.classes)
        out = torch.empty((len(windows), n_classes), dtype=torch.float32)
        order = sorted(range(len(windows)), key=lambda i: len(windows[i]))
        pad_id = self._tokenizer.pad_token_id or 0
        with torch.inference_mode():
            for start in range(0, len(order), self.batch_size):
                chunk = order[start : start + self.batch_size]
                width = max(len(windows[i]) for i in chunk)
                input_ids = torch.full((len(chunk), width), pad_id, dtype=torch.long)
                mask = torch.zeros((len(chunk), width), dtype=torch.long)
                for row, i in enumerate(chunk):
                    length = len(windows[i])
                    input_ids[row, :length] = torch.tensor(windows[i], dtype=torch.long)
                    mask[row, :length] = 1
                logits = self._model(
                    input_ids=input_ids.to(self._device), attention_mask=mask.to(self._device)
                ).logits
                out[torch.tensor(chunk)] = torch.sigmoid(logits[:, :n_classes]).float().cpu()
        return out

    def score(self, texts: Sequence[str]) -> list[dict[str, float]]:
        """One ``{class: 0..1}`` per text, same order; long texts windowed (max per class)."""
        import torch

        items = _check_texts(texts)
        if not items:
            return []
        windows, owners = self.token_windows(items)
        window_scores = self._score_windows(windows)
        per_text = torch.full((len(items), len(self.classes)), float("-inf"))
        index = torch.tensor(owners).unsqueeze(1).expand_as(window_scores)
        per_text.scatter_reduce_(0, index, window_scores, "amax")
        return [dict(zip(self.classes, row, strict=True)) for row in per_text.tolist()]


def _arch_args(loaded: dict[str, Any] | None) -> dict[str, Any]:
    try:
        return dict(loaded["config"]["arch"]["args"])  # type: ignore[index]
    except (KeyError, TypeError):
        return {}


# --------------------------------------------------------------------------- loading


def load_text_engine(
    mode: str = "auto",
    model_type: str = "original",
    checkpoint: str | os.PathLike[str] | None = None,
    config_dir: str | os.PathLike[str] | None = None,
    threads: int | None = None,
    logger: logging.Logger | None = None,
    **detoxify_options: Any,
) -> TextEngine:
    """Load the text engine for ``mode`` (``auto``, ``detoxify`` or ``fallback``).

    ``auto`` tries Detoxify (the local checkpoint when given, else the release weights)
    and falls back to alt-profanity-check with one warning saying why; ``detoxify``
    raises ``TextEngineUnavailable`` instead. Extra keywords go to ``DetoxifyEngine``.
    """
    log = logger or _log
    if mode not in MODES:
        raise ValueError(f"TEXT_ENGINE must be one of {', '.join(MODES)}, not {mode!r}")
    if mode == "fallback":
        return FallbackEngine()
    try:
        return DetoxifyEngine(
            model_type=model_type,
            checkpoint=checkpoint,
            config_dir=config_dir,
            threads=threads,
            **detoxify_options,
        )
    except TextEngineUnavailable as exc:
        if mode == "detoxify":
            raise
        log.warning("text engine: Detoxify unavailable (%s); using alt-profanity-check", exc)
        return FallbackEngine()


_engines: dict[tuple[Any, ...], TextEngine] = {}
_engines_lock = threading.Lock()


def get_text_engine(
    mode: str = "auto",
    model_type: str = "original",
    checkpoint: str | os.PathLike[str] | None = None,
    config_dir: str | os.PathLike[str] | None = None,
    threads: int | None = None,
    logger: logging.Logger | None = None,
    **detoxify_options: Any,
) -> TextEngine:
    """``load_text_engine`` once per process and configuration; later calls reuse it."""
    key = (
        mode,
        model_type,
        str(checkpoint) if checkpoint else None,
        str(config_dir) if config_dir else None,
        threads,
        tuple(sorted(detoxify_options.items())),
    )
    engine = _engines.get(key)
    if engine is not None:
        return engine
    with _engines_lock:  # one load even when several threads ask at once
        engine = _engines.get(key)
        if engine is None:
            engine = load_text_engine(
                mode, model_type, checkpoint, config_dir, threads, logger, **detoxify_options
            )
            _engines[key] = engine
        return engine


def reset_text_engine() -> None:
    """Forget the cached engines (tests, or after changing the configuration)."""
    with _engines_lock:
        _engines.clear()


# --------------------------------------------------------------------------- preparation


@dataclass(frozen=True)
class DetoxifyFiles:
    """A Detoxify checkpoint and the folder holding its HF config and tokenizer."""

    checkpoint: Path
    config_dir: Path


def prepare_checkpoint(
    checkpoint: str | os.PathLike[str],
    config_dir: str | os.PathLike[str],
    out: str | os.PathLike[str] | None = None,
    model_type: str | None = None,
) -> DetoxifyFiles:
    """Point ``config.arch.args.model_type`` at ``config_dir`` so Detoxify loads offline.

    ``config_dir`` must hold ``config.json`` (with the checkpoint's ``num_labels``) and
    the tokenizer files. Writes ``out`` (default: rewrite ``checkpoint`` in place)
    atomically and records the original hub name and ``model_type`` under a
    ``kitodeck`` key, which Detoxify ignores.
    """
    import torch

    source = Path(checkpoint).expanduser().resolve()
    target = Path(out).expanduser().resolve() if out else source
    folder = Path(config_dir).expanduser().resolve()
    if not (folder / "config.json").is_file():
        raise DetoxifyDownloadError(f"{folder} has no config.json")
    loaded = torch.load(source, map_location="cpu", weights_only=False)
    args = _arch_args(loaded)
    if "model_type" not in args:
        raise DetoxifyDownloadError(f"{source} is not a Detoxify checkpoint (no arch args)")
    meta = dict(loaded.get(_META_KEY) or {})
    if not Path(str(args["model_type"])).is_dir():
        meta.setdefault("base_model", args["model_type"])
    meta["model_type"] = (
        model_type
        or meta.get("model_type")
        or _CHECKPOINT_MODEL_TYPES.get(source.name, source.stem)
    )
    loaded["config"]["arch"]["args"]["model_type"] = str(folder)
    loaded[_META_KEY] = meta
    partial = target.with_name(target.name + ".partial")
    torch.save(loaded, partial)
    os.replace(partial, target)
    return DetoxifyFiles(target, folder)


def _fetch(url: str, dest: Path, timeout: float) -> None:
    partial = dest.with_name(dest.name + ".partial")
    request = urllib.request.Request(url, headers={"User-Agent": "kitodeck"})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response, open(partial, "wb") as f:  # noqa: S310
            while block := response.read(1 << 20):
                f.write(block)
    except (OSError, ValueError) as exc:
        partial.unlink(missing_ok=True)
        raise DetoxifyDownloadError(f"cannot download {url}: {exc}") from exc
    os.replace(partial, dest)


def download_detoxify(
    model_type: str,
    dest_dir: str | os.PathLike[str],
    *,
    url: str | None = None,
    timeout: float = 30.0,
) -> DetoxifyFiles:
    """Fetch a Detoxify model for offline use (needs internet) and prepare it.

    Downloads the checkpoint Detoxify itself uses for ``model_type`` (or ``url``, e.g. a
    mirror) into ``dest_dir``, saves the Hugging Face config (with the checkpoint's
    ``num_labels``) and tokenizer of the model it names into ``dest_dir/<name>-hf/``, then
    ``prepare_checkpoint``. Point ``DETOXIFY_CHECKPOINT`` and ``DETOXIFY_CONFIG_DIR`` at
    the returned paths. Raises ``DetoxifyDownloadError`` on any network failure.
    """
    if model_type not in DETOXIFY_MODEL_URLS and url is None:
        raise ValueError(f"unknown Detoxify model type {model_type!r}")
    if _offline():
        raise DetoxifyDownloadError("Hugging Face offline mode is on; downloading needs network")
    source = url or DETOXIFY_MODEL_URLS[model_type]
    if not source.startswith(("https://", "http://")):
        raise ValueError(f"not an http(s) URL: {source}")
    dest = Path(dest_dir).expanduser().resolve()
    dest.mkdir(parents=True, exist_ok=True)
    name = source.rsplit("/", 1)[1] or f"{model_type}.ckpt"
    checkpoint = dest / name
    raw = dest / (name + ".download")
    if not raw.is_file():  # a complete earlier download (``_fetch`` renames when done)
        _fetch(source, raw, timeout)

    import torch
    import transformers

    try:
        args = _arch_args(torch.load(raw, map_location="cpu", weights_only=False))
        base = str(args["model_type"])
        model_class = getattr(transformers, args["model_name"])
        tokenizer_class = getattr(transformers, args["tokenizer_name"])
        num_classes = int(args["num_classes"])
    except Exception as exc:  # unpickling errors, missing keys, unknown classes
        raise DetoxifyDownloadError(f"{source} is not a usable Detoxify checkpoint: {exc}") from exc
    config_dir = Path(base) if Path(base).is_dir() else dest / f"{Path(name).stem}-hf"
    if not Path(base).is_dir():
        if not _reachable(_hf_endpoint()):
            raise DetoxifyDownloadError(f"{_hf_endpoint()} does not answer; cannot fetch {base}")
        try:
            with _quiet_transformers():
                model_class.config_class.from_pretrained(
                    base, num_labels=num_classes
                ).save_pretrained(config_dir)
                tokenizer_class.from_pretrained(base).save_pretrained(config_dir)
        except Exception as exc:  # OSError, or huggingface_hub's HTTP errors
            raise DetoxifyDownloadError(f"cannot fetch {base} config/tokenizer: {exc}") from exc
    files = prepare_checkpoint(raw, config_dir, out=checkpoint, model_type=model_type)
    raw.unlink(missing_ok=True)
    return files
