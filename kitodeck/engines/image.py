"""NudeNet detector on decoded numpy arrays.

A re-implementation of ``nudenet.NudeDetector.detect`` (nudenet 3.4.2) around an
``onnxruntime.InferenceSession`` that we configure ourselves (NudeDetector takes no session
options). Pre- and post-processing reproduce NudeNet's arithmetic exactly (same float32
operations, same OpenCV resize and NMS), so on the same pixels the detections are identical,
with three differences that only change cost:

* The input is an RGB ``uint8`` array already decoded and validated (see ``imagefile``);
  nothing is read from disk and no bytes reach OpenCV's decoders.
* NudeNet pads the image to a ``max(w, h)`` square before resizing, which allocates
  ``max(w, h)**2`` pixels (a 20000x10 strip would need 1.2 GB). Here only a thin zero margin
  is added and ``cv2.resize`` is called with NudeNet's scale factor, which yields the same
  model input bit for bit with memory bounded by the image itself.
* The per-row Python loop of ``_postprocess`` is vectorised with numpy.

Boxes are reported in the pixels of the ORIGINAL image: when the array was decoded at a
reduced size (JPEG draft mode), pass the original size and boxes are scaled back.
"""

from __future__ import annotations

import ast
import importlib.metadata
import importlib.resources
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import cv2
import numpy as np
import onnxruntime

#: NudeNet's class names, in the order of the 320n/640m model outputs (nudenet.nudenet.__labels).
LABELS: tuple[str, ...] = (
    "FEMALE_GENITALIA_COVERED",
    "FACE_FEMALE",
    "BUTTOCKS_EXPOSED",
    "FEMALE_BREAST_EXPOSED",
    "FEMALE_GENITALIA_EXPOSED",
    "MALE_BREAST_EXPOSED",
    "ANUS_EXPOSED",
    "FEET_EXPOSED",
    "BELLY_COVERED",
    "FEET_COVERED",
    "ARMPITS_COVERED",
    "ARMPITS_EXPOSED",
    "FACE_MALE",
    "BELLY_EXPOSED",
    "MALE_GENITALIA_EXPOSED",
    "ANUS_COVERED",
    "FEMALE_BREAST_COVERED",
    "BUTTOCKS_COVERED",
)

#: NudeNet keeps rows whose best class score is >= 0.2, then NMS drops scores <= 0.25.
CANDIDATE_SCORE = 0.2
NMS_SCORE_THRESHOLD = 0.25
NMS_IOU_THRESHOLD = 0.45
#: Extra pixels the exact letterbox may allocate beyond the image itself (see _letterbox_blob).
EXACT_PAD_BUDGET = 16_000_000
#: Images per ONNX run in detect_batch (bounds the input tensor's memory).
MAX_BATCH = 8


@dataclass(frozen=True, slots=True)
class Detection:
    """One NudeNet detection; ``box`` is ``(x, y, w, h)`` in original image pixels."""

    label: str
    score: float
    box: tuple[int, int, int, int]

    def to_dict(self) -> dict[str, Any]:
        """The contract's detection shape."""
        return {"label": self.label, "score": round(self.score, 4), "box": list(self.box)}


class _HasPixels(Protocol):
    """What ``detect`` needs from an ``imagefile.DecodedImage``."""

    rgb: np.ndarray
    width: int
    height: int


ImageInput = np.ndarray | _HasPixels


@dataclass(frozen=True, slots=True)
class _Prepared:
    blob: np.ndarray  # (1, 3, R, R) float32
    width: int  # array width/height (the frame NudeNet's math runs in)
    height: int
    original_width: int
    original_height: int


def default_model_path() -> str:
    """The 320n model shipped inside the nudenet wheel."""
    return str(importlib.resources.files("nudenet").joinpath("320n.onnx"))


class NudeNetEngine:
    """NudeNet object detector; thread-safe, one ONNX session per instance.

    ``resolution`` is the model's square input size (320 for 320n, 640 for 640m).
    ``intra_op_threads`` bounds ONNX Runtime's threads so that workers x threads does not
    oversubscribe the cores.
    """

    def __init__(
        self, model_path: str | None = None, resolution: int = 320, intra_op_threads: int = 1
    ) -> None:
        if resolution <= 0 or resolution % 32:
            raise ValueError(f"resolution must be a positive multiple of 32, not {resolution}")
        if intra_op_threads < 1:
            raise ValueError("intra_op_threads must be >= 1")
        path = model_path or default_model_path()
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = intra_op_threads
        options.inter_op_num_threads = 1
        self._session = onnxruntime.InferenceSession(
            path, sess_options=options, providers=["CPUExecutionProvider"]
        )
        self._input_name = self._session.get_inputs()[0].name
        self._labels = _model_labels(self._session)
        channels = self._session.get_outputs()[0].shape[1]
        if isinstance(channels, int) and channels != 4 + len(self._labels):
            raise ValueError(
                f"{path}: {channels - 4} classes in the output, {len(self._labels)} labels known"
            )
        self.resolution = resolution
        self.intra_op_threads = intra_op_threads
        self.model_path = path
        self._info = {
            "name": "nudenet",
            "model": Path(path).stem,
            "version": importlib.metadata.version("nudenet"),
        }

    @property
    def info(self) -> dict[str, str]:
        """``{"name", "model", "version"}`` as reported in scan results."""
        return dict(self._info)

    @property
    def labels(self) -> tuple[str, ...]:
        """Class names of the loaded model, in output order."""
        return self._labels

    def detect(
        self, image: ImageInput, original_size: tuple[int, int] | None = None
    ) -> list[Detection]:
        """Detections for one RGB ``uint8`` array (H, W, 3) or ``DecodedImage``.

        ``original_size`` (width, height) is the size boxes are reported in when ``image`` is
        an array decoded at reduced scale; a ``DecodedImage`` carries it.
        """
        prepared = self._prepare(image, original_size)
        output = self._session.run(None, {self._input_name: prepared.blob})[0]
        return self._postprocess(output[0], prepared)

    def detect_batch(self, images: Sequence[ImageInput]) -> list[list[Detection]]:
        """Detections for each image, running up to ``MAX_BATCH`` images per ONNX call."""
        results: list[list[Detection]] = []
        for start in range(0, len(images), MAX_BATCH):
            prepared = [self._prepare(image, None) for image in images[start : start + MAX_BATCH]]
            blob = np.concatenate([p.blob for p in prepared])
            output = self._session.run(None, {self._input_name: blob})[0]
            results.extend(self._postprocess(output[i], p) for i, p in enumerate(prepared))
        return results

    def _prepare(self, image: ImageInput, original_size: tuple[int, int] | None) -> _Prepared:
        if isinstance(image, np.ndarray):
            rgb = image
            size = original_size
        else:
            rgb = image.rgb
            size = (image.width, image.height)
        if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
            raise ValueError(f"expected an RGB uint8 array (H, W, 3), got {rgb.dtype} {rgb.shape}")
        height, width = rgb.shape[:2]
        if width == 0 or height == 0:
            raise ValueError("empty image")
        original_width, original_height = size or (width, height)
        return _Prepared(
            _letterbox_blob(rgb, self.resolution), width, height, original_width, original_height
        )

    def _postprocess(self, output: np.ndarray, prepared: _Prepared) -> list[Detection]:
        """NudeNet's ``_postprocess`` for one image's (4 + classes, anchors) output."""
        class_scores = output[4:]
        best = class_scores.max(axis=0)
        rows = np.flatnonzero(best >= CANDIDATE_SCORE)
        if rows.size == 0:
            return []
        scores = best[rows]
        class_ids = class_scores[:, rows].argmax(axis=0)
        cx, cy, w, h = output[0, rows], output[1, rows], output[2, rows], output[3, rows]
        width, height = prepared.width, prepared.height
        # Same float32 operations, in the same order, as NudeNet's per-row loop: the padded
        # square's side is width + x_pad == height + y_pad == max(width, height).
        side = max(width, height)
        res = self.resolution
        x = (cx - w / 2) * side / res
        y = (cy - h / 2) * side / res
        w = w * side / res
        h = h * side / res
        x = np.maximum(0, np.minimum(x, width))
        y = np.maximum(0, np.minimum(y, height))
        w = np.minimum(w, width - x)
        h = np.minimum(h, height - y)
        boxes = np.stack([x, y, w, h], axis=1).astype(np.float64)
        keep = cv2.dnn.NMSBoxes(boxes, scores, NMS_SCORE_THRESHOLD, NMS_IOU_THRESHOLD)
        keep = np.asarray(keep, dtype=np.intp).reshape(-1)
        if keep.size == 0:
            return []
        boxes = boxes[keep]
        if (prepared.original_width, prepared.original_height) != (width, height):
            boxes = _rescale(boxes, prepared)
        ints = np.trunc(boxes).astype(np.int64)
        labels = self._labels
        return [
            Detection(labels[int(class_ids[i])], float(scores[i]), tuple(int(v) for v in ints[n]))
            for n, i in enumerate(keep)
        ]


def _letterbox_blob(rgb: np.ndarray, res: int) -> np.ndarray:
    """NudeNet's model input: pad right/bottom to a square, resize to res, scale to 0..1.

    ``cv2.resize`` with explicit ``fx``/``fy`` uses exactly that factor for the pixel mapping,
    so resizing the image plus a zero margin wider than one source step gives the same pixels
    as resizing the whole padded square; the rest of the square is zeros either way.
    """
    height, width = rgb.shape[:2]
    side = max(width, height)
    factor = res / side
    margin = 2 + -(-side // res)
    padded_w = min(side, width + margin)
    padded_h = min(side, height + margin)
    canvas = np.zeros((res, res, 3), np.uint8)
    if padded_w * padded_h <= width * height + EXACT_PAD_BUDGET:
        padded = cv2.copyMakeBorder(
            rgb, 0, padded_h - height, 0, padded_w - width, cv2.BORDER_CONSTANT, value=0
        )
        small = cv2.resize(padded, (0, 0), fx=factor, fy=factor, interpolation=cv2.INTER_LINEAR)
    else:
        # Aspect ratios far beyond res:1 (e.g. 1,000,000 x 40): NudeNet itself would need
        # side**2 pixels. Shrink the image alone; the content is a sliver of the input anyway.
        size = (max(1, round(width * factor)), max(1, round(height * factor)))
        small = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
    h, w = min(res, small.shape[0]), min(res, small.shape[1])
    canvas[:h, :w] = small[:h, :w]
    # NudeNet's reader swaps channels twice (cvtColor RGBA2BGR on BGR, then swapRB): the
    # network receives B, G, R planes.
    blob = canvas[:, :, ::-1].transpose(2, 0, 1).astype(np.float32)
    blob *= np.float32(1 / 255.0)
    return blob[np.newaxis]


def _rescale(boxes: np.ndarray, prepared: _Prepared) -> np.ndarray:
    """Map (x, y, w, h) from the decoded array's pixels to the original image's."""
    sx = prepared.original_width / prepared.width
    sy = prepared.original_height / prepared.height
    out = boxes * np.array([sx, sy, sx, sy])
    out[:, 0] = np.clip(out[:, 0], 0, prepared.original_width)
    out[:, 1] = np.clip(out[:, 1], 0, prepared.original_height)
    out[:, 2] = np.minimum(out[:, 2], prepared.original_width - out[:, 0])
    out[:, 3] = np.minimum(out[:, 3], prepared.original_height - out[:, 1])
    return out


def _model_labels(session: onnxruntime.InferenceSession) -> tuple[str, ...]:
    """Class names from the model's Ultralytics metadata, falling back to NudeNet's list."""
    names = session.get_modelmeta().custom_metadata_map.get("names")
    if names:
        try:
            parsed = ast.literal_eval(names)
        except (ValueError, SyntaxError):
            parsed = None
        if isinstance(parsed, dict) and sorted(parsed) == list(range(len(parsed))):
            return tuple(str(parsed[i]) for i in range(len(parsed)))
    return LABELS


_engines: dict[tuple[int, str | None, int, int], NudeNetEngine] = {}
_engines_lock = threading.Lock()


def get_image_engine(
    model_path: str | None = None, resolution: int = 320, threads: int = 1
) -> NudeNetEngine:
    """The process's engine for these settings, loaded on first use.

    Keyed by process id too, so a worker forked after the parent loaded one builds its own
    session instead of sharing the parent's.
    """
    key = (os.getpid(), model_path or None, resolution, threads)
    engine = _engines.get(key)
    if engine is None:
        with _engines_lock:
            engine = _engines.get(key)
            if engine is None:
                engine = NudeNetEngine(model_path, resolution, threads)
                for stale in [k for k in _engines if k[0] != key[0]]:
                    del _engines[stale]  # inherited from the parent before a fork
                _engines[key] = engine
    return engine


def reset_image_engine() -> None:
    """Forget cached engines (tests, or to reload a model file)."""
    with _engines_lock:
        _engines.clear()
