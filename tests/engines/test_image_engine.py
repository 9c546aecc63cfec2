"""The NudeNet engine on real photos, checked against NudeNet's own NudeDetector."""

from __future__ import annotations

import importlib.metadata
import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from nudenet import NudeDetector
from nudenet import nudenet as nudenet_module

from kitodeck.engines import image as image_module
from kitodeck.engines.image import (
    LABELS,
    Detection,
    NudeNetEngine,
    default_model_path,
    get_image_engine,
    reset_image_engine,
)
from kitodeck.engines.image_policy import evaluate
from kitodeck.engines.imagefile import DecodedImage, decode_image
from tests.engines import image_samples as samples

pytestmark = pytest.mark.slow

PHOTOS = ["astronaut", "coffee", "chelsea", "camera"]
FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "GIF": "gif", "BMP": "bmp"}


@pytest.fixture(scope="module")
def engine() -> Iterator[NudeNetEngine]:
    reset_image_engine()
    yield get_image_engine()
    reset_image_engine()


@pytest.fixture(scope="module")
def reference() -> NudeDetector:
    return NudeDetector()


def decode(payload: bytes, target_size: int | None = None) -> DecodedImage:
    return decode_image(
        payload,
        max_bytes=samples.MAX_BYTES,
        max_pixels=samples.MAX_PIXELS,
        target_size=target_size,
    )


def as_reference(detections: list[Detection]) -> list[tuple[str, float, list[int]]]:
    return [(d.label, d.score, list(d.box)) for d in detections]


def assert_same_as_nudenet(mine: list[Detection], theirs: list[dict[str, object]]) -> None:
    assert len(mine) == len(theirs)
    for got, want in zip(mine, theirs, strict=True):
        assert got.label == want["class"]
        assert got.score == pytest.approx(want["score"], abs=1e-5)
        assert list(got.box) == pytest.approx(want["box"], abs=1)


def face_iou(
    box: tuple[float, float, float, float], face: tuple[float, float, float, float]
) -> float:
    x, y, w, h = box
    x0, y0, x1, y1 = face
    ix = max(0, min(x + w, x1) - max(x, x0))
    iy = max(0, min(y + h, y1) - max(y, y0))
    inter = ix * iy
    return inter / (w * h + (x1 - x0) * (y1 - y0) - inter)


def faces(detections: list[Detection]) -> list[Detection]:
    return [d for d in detections if d.label == "FACE_FEMALE"]


# --- identity with NudeNet -----------------------------------------------------------------


def test_labels_match_nudenet_and_the_model_metadata(engine: NudeNetEngine) -> None:
    assert list(LABELS) == nudenet_module.__dict__["__labels"]
    assert engine.labels == LABELS
    assert len(set(LABELS)) == 18


def test_info_names_the_model_and_version(engine: NudeNetEngine) -> None:
    assert engine.info == {
        "name": "nudenet",
        "model": "320n",
        "version": importlib.metadata.version("nudenet"),
    }
    assert Path(default_model_path()).is_file()
    engine.info["model"] = "changed"  # a copy: the engine's own stays
    assert engine.info["model"] == "320n"


@pytest.mark.parametrize("fmt", sorted(FORMATS))
@pytest.mark.parametrize("photo", PHOTOS)
def test_same_detections_as_nudedetector_on_the_same_file(
    engine: NudeNetEngine, reference: NudeDetector, tmp_path: Path, photo: str, fmt: str
) -> None:
    payload = samples.encode(samples.photo(photo), fmt)
    path = tmp_path / f"{photo}.{FORMATS[fmt]}"
    path.write_bytes(payload)
    assert_same_as_nudenet(engine.detect(decode(payload)), reference.detect(str(path)))


@pytest.mark.parametrize("scale", [0.3, 1.0, 2.0, 3.7])
@pytest.mark.parametrize("photo", PHOTOS)
def test_same_detections_as_nudedetector_on_arrays(
    engine: NudeNetEngine, reference: NudeDetector, photo: str, scale: float
) -> None:
    pixels = samples.rgb_photo(photo)
    if scale != 1.0:
        height, width = pixels.shape[:2]
        pixels = samples.resized(pixels, (round(width * scale), round(height * scale)))
    bgr = np.ascontiguousarray(pixels[:, :, ::-1])
    theirs = reference.detect(bgr)
    assert as_reference(engine.detect(pixels)) == [
        (d["class"], d["score"], d["box"]) for d in theirs
    ]


def test_same_detections_as_nudedetector_at_640(reference: NudeDetector) -> None:
    # 320n takes any multiple of 32: exercise the resolution path the 640m model uses.
    at_640 = NudeNetEngine(resolution=640)
    reference_640 = NudeDetector(inference_resolution=640)
    for photo in PHOTOS:
        pixels = samples.rgb_photo(photo)
        theirs = reference_640.detect(np.ascontiguousarray(pixels[:, :, ::-1]))
        assert_same_as_nudenet(at_640.detect(pixels), theirs)


@pytest.mark.parametrize(
    "shape", [(1, 1), (2, 3), (7, 5), (300, 451), (451, 300), (640, 640), (641, 17), (10, 5000)]
)
def test_model_input_is_bit_identical_to_nudenet(shape: tuple[int, int]) -> None:
    rgb = np.random.default_rng(sum(shape)).integers(0, 256, (*shape, 3), dtype=np.uint8)
    for resolution in (320, 640):
        theirs = nudenet_module._read_image(np.ascontiguousarray(rgb[:, :, ::-1]), resolution)[0]
        assert np.array_equal(image_module._letterbox_blob(rgb, resolution), theirs)


# --- real photos ---------------------------------------------------------------------------


def test_astronaut_face_is_found_over_her_face(engine: NudeNetEngine) -> None:
    detections = engine.detect(decode(samples.encode(samples.photo("astronaut"), "PNG")))
    assert [d.label for d in detections] == ["FACE_FEMALE"]
    face = detections[0]
    assert 0.6 < face.score < 0.85
    assert face_iou(face.box, samples.ASTRONAUT_FACE) > 0.7
    assert face.to_dict() == {
        "label": "FACE_FEMALE",
        "score": round(face.score, 4),
        "box": [*face.box],
    }


@pytest.mark.parametrize("fmt", sorted(FORMATS))
@pytest.mark.parametrize("photo", PHOTOS)
def test_no_sample_photo_is_flagged(engine: NudeNetEngine, photo: str, fmt: str) -> None:
    decoded = decode(samples.encode(samples.photo(photo), fmt))
    verdict = evaluate(engine.detect(decoded))
    assert verdict.verdict == "safe"
    assert not verdict.flagged
    assert verdict.risk_level == "low"
    if photo == "astronaut":
        assert verdict.categories["face"] > 0.5


def test_boxes_scale_with_the_image(engine: NudeNetEngine) -> None:
    pixels = samples.rgb_photo("astronaut")
    (small,) = faces(engine.detect(decode(samples.encode(pixels, "PNG"))))
    big = samples.resized(pixels, (1024, 1024))
    (large,) = faces(engine.detect(decode(samples.encode(big, "PNG"))))
    assert list(large.box) == pytest.approx([2 * v for v in small.box], abs=6)
    # x3 and x1.5: each axis maps on its own (the stretched face changes the model's box a
    # little, so compare with the face region rather than the first box).
    wide = samples.resized(pixels, (1536, 768))
    (stretched,) = faces(engine.detect(decode(samples.encode(wide, "PNG"))))
    x0, y0, x1, y1 = samples.ASTRONAUT_FACE
    assert face_iou(stretched.box, (3 * x0, 1.5 * y0, 3 * x1, 1.5 * y1)) > 0.6


@pytest.mark.parametrize("orientation", [6, 8])
def test_boxes_land_on_the_face_after_exif_rotation(
    engine: NudeNetEngine, orientation: int
) -> None:
    upright = samples.rgb_photo("astronaut")
    decoded = decode(samples.exif_jpeg(upright, orientation))
    assert (decoded.width, decoded.height) == (512, 512)
    (face,) = faces(engine.detect(decoded))
    assert face_iou(face.box, samples.ASTRONAUT_FACE) > 0.7
    # Non-square, so a missed rotation could not land on the face by symmetry.
    wide = samples.resized(upright, (1024, 512))
    decoded = decode(samples.exif_jpeg(wide, orientation))
    assert (decoded.width, decoded.height) == (1024, 512)
    (face,) = faces(engine.detect(decoded))
    x0, y0, x1, y1 = samples.ASTRONAUT_FACE
    assert face_iou(face.box, (2 * x0, y0, 2 * x1, y1)) > 0.6


def test_draft_decoded_jpeg_reports_boxes_in_original_pixels(engine: NudeNetEngine) -> None:
    big = samples.resized(samples.rgb_photo("astronaut"), (4000, 3000))
    payload = samples.encode(big, "JPEG", quality=90)
    full = decode(payload)
    drafted = decode(payload, target_size=engine.resolution)
    assert drafted.rgb.shape[1] < full.rgb.shape[1]
    (want,) = faces(engine.detect(full))
    (got,) = faces(engine.detect(drafted))
    assert got.score == pytest.approx(want.score, abs=0.08)
    assert list(got.box) == pytest.approx(list(want.box), abs=40)  # 1% of 4000
    x, y, w, h = got.box
    x0, y0, x1, y1 = samples.ASTRONAUT_FACE
    assert face_iou((x, y, w, h), (x0 * 7.8125, y0 * 5.859, x1 * 7.8125, y1 * 5.859)) > 0.7


def test_array_with_original_size_maps_boxes_back(engine: NudeNetEngine) -> None:
    pixels = samples.rgb_photo("astronaut")
    (face,) = faces(engine.detect(pixels))
    (mapped,) = faces(engine.detect(pixels, original_size=(2048, 1024)))
    x, y, w, h = face.box
    assert list(mapped.box) == pytest.approx([4 * x, 2 * y, 4 * w, 2 * h], abs=5)
    assert mapped.score == face.score


# --- batches, threads, odd shapes ----------------------------------------------------------


def test_detect_batch_matches_detect(engine: NudeNetEngine) -> None:
    images: list[np.ndarray | DecodedImage] = [samples.rgb_photo(p) for p in PHOTOS]
    images += [decode(samples.encode(samples.photo(p), "JPEG")) for p in PHOTOS]
    images += [samples.resized(samples.rgb_photo("astronaut"), (900, 300))] * 3  # 11 > 8
    batched = engine.detect_batch(images)
    assert len(batched) == len(images)
    for image, result in zip(images, batched, strict=True):
        single = engine.detect(image)
        assert [d.label for d in result] == [d.label for d in single]
        assert [d.box for d in result] == pytest.approx([d.box for d in single], abs=1)
        for a, b in zip(result, single, strict=True):
            assert a.score == pytest.approx(b.score, abs=1e-4)
    assert engine.detect_batch([]) == []


def test_concurrent_calls_give_the_same_results(engine: NudeNetEngine) -> None:
    images = [samples.rgb_photo(p) for p in PHOTOS] * 4
    expected = [engine.detect(image) for image in images]
    with ThreadPoolExecutor(max_workers=4) as pool:
        got = list(pool.map(engine.detect, images))
    assert got == expected


@pytest.mark.parametrize(
    "shape", [(1, 1, 3), (10, 20000, 3), (20000, 10, 3), (8, 200_000, 3), (3, 2, 3)]
)
def test_tiny_and_extreme_shapes_do_not_crash(
    engine: NudeNetEngine, shape: tuple[int, int, int]
) -> None:
    # (8, 200000) is beyond the exact letterbox's memory budget: the fallback path.
    pixels = np.random.default_rng(5).integers(0, 256, shape, dtype=np.uint8)
    for detection in engine.detect(pixels):
        x, y, w, h = detection.box
        assert 0 <= x <= shape[1]
        assert 0 <= y <= shape[0]
        assert x + w <= shape[1]
        assert y + h <= shape[0]


def test_thin_image_from_bytes_scans(engine: NudeNetEngine) -> None:
    for payload in (
        samples.gif_js_polyglot(),
        samples.encode(np.zeros((10, 20000, 3), np.uint8), "PNG"),
    ):
        assert engine.detect(decode(payload)) == []


@pytest.mark.parametrize(
    "bad",
    [
        np.zeros((10, 10), np.uint8),
        np.zeros((10, 10, 4), np.uint8),
        np.zeros((10, 10, 3), np.float32),
        np.zeros((0, 10, 3), np.uint8),
    ],
)
def test_wrong_arrays_are_refused(engine: NudeNetEngine, bad: np.ndarray) -> None:
    with pytest.raises(ValueError):
        engine.detect(bad)


def test_constructor_validates_settings() -> None:
    with pytest.raises(ValueError):
        NudeNetEngine(resolution=300)
    with pytest.raises(ValueError):
        NudeNetEngine(intra_op_threads=0)


def test_engine_is_cached_per_process_and_settings() -> None:
    reset_image_engine()
    first = get_image_engine()
    assert get_image_engine() is first
    assert get_image_engine(None, 320, 1) is first
    other = get_image_engine(None, 320, 2)
    assert other is not first
    assert other.intra_op_threads == 2
    key = next(iter(image_module._engines))
    assert key[0] == os.getpid()
    reset_image_engine()
    assert get_image_engine() is not first
    reset_image_engine()


def test_detection_is_frozen() -> None:
    detection = Detection("FACE_MALE", 0.5, (1, 2, 3, 4))
    with pytest.raises(AttributeError):
        detection.score = 0.9  # type: ignore[misc]
    assert detection.to_dict() == {"label": "FACE_MALE", "score": 0.5, "box": [1, 2, 3, 4]}
