"""Censoring real detections on a real photo, in memory."""

from __future__ import annotations

import io

import cv2
import numpy as np
import pytest
from PIL import Image

from kitodeck.engines.censor import BOX_MARGIN, censor_image
from kitodeck.engines.image import Detection, get_image_engine
from kitodeck.engines.imagefile import DecodedImage, decode_image
from tests.engines import image_samples as samples


def decode(payload: bytes, target_size: int | None = None) -> DecodedImage:
    return decode_image(
        payload,
        max_bytes=samples.MAX_BYTES,
        max_pixels=samples.MAX_PIXELS,
        target_size=target_size,
    )


def read(payload: bytes) -> tuple[str, np.ndarray, dict[str, object]]:
    with Image.open(io.BytesIO(payload)) as im:
        return im.format or "", np.asarray(im.convert("RGB")), dict(im.info)


def sharpness(pixels: np.ndarray) -> float:
    grey = cv2.cvtColor(np.ascontiguousarray(pixels), cv2.COLOR_RGB2GRAY)
    return float(cv2.Laplacian(grey, cv2.CV_64F).var())


def grown(box: tuple[int, int, int, int], shape: tuple[int, ...]) -> tuple[int, int, int, int]:
    """The (x0, y0, x1, y1) region censor_image touches for a box, at scale 1."""
    x, y, w, h = box
    return (
        max(0, int(np.floor(x - w * BOX_MARGIN))),
        max(0, int(np.floor(y - h * BOX_MARGIN))),
        min(shape[1], int(np.ceil(x + w + w * BOX_MARGIN))),
        min(shape[0], int(np.ceil(y + h + h * BOX_MARGIN))),
    )


@pytest.fixture(scope="module")
def astronaut() -> tuple[DecodedImage, list[Detection]]:
    decoded = decode(samples.encode(samples.photo("astronaut"), "PNG"))
    detections = get_image_engine().detect(decoded)
    assert [d.label for d in detections] == ["FACE_FEMALE"]
    return decoded, detections


@pytest.mark.slow
def test_blur_hides_the_box_and_nothing_else(
    astronaut: tuple[DecodedImage, list[Detection]],
) -> None:
    decoded, detections = astronaut
    fmt, pixels, info = read(censor_image(decoded, detections, {"FACE_FEMALE"}))
    assert fmt == "PNG"
    assert pixels.shape == decoded.rgb.shape
    x0, y0, x1, y1 = grown(detections[0].box, pixels.shape)
    inside, original = pixels[y0:y1, x0:x1], decoded.rgb[y0:y1, x0:x1]
    assert sharpness(inside) < sharpness(original) / 20
    assert np.abs(inside.astype(int) - original.astype(int)).mean() > 10
    outside = np.ones(pixels.shape[:2], bool)
    outside[y0:y1, x0:x1] = False
    assert np.array_equal(pixels[outside], decoded.rgb[outside])
    assert "exif" not in info
    assert "icc_profile" not in info


@pytest.mark.slow
def test_black_box(astronaut: tuple[DecodedImage, list[Detection]]) -> None:
    decoded, detections = astronaut
    _, pixels, _ = read(censor_image(decoded, detections, ["FACE_FEMALE"], style="black"))
    x0, y0, x1, y1 = grown(detections[0].box, pixels.shape)
    assert (pixels[y0:y1, x0:x1] == 0).all()
    assert (pixels[:y0] == decoded.rgb[:y0]).all()


@pytest.mark.slow
def test_jpeg_output(astronaut: tuple[DecodedImage, list[Detection]]) -> None:
    decoded, detections = astronaut
    fmt, pixels, info = read(censor_image(decoded, detections, {"FACE_FEMALE"}, fmt="jpeg"))
    assert fmt == "JPEG"
    assert pixels.shape == decoded.rgb.shape
    assert "exif" not in info


@pytest.mark.slow
def test_other_labels_are_left_alone(astronaut: tuple[DecodedImage, list[Detection]]) -> None:
    decoded, detections = astronaut
    _, pixels, _ = read(censor_image(decoded, detections, {"FEMALE_BREAST_EXPOSED"}))
    assert np.array_equal(pixels, decoded.rgb)
    _, pixels, _ = read(censor_image(decoded, [], {"FACE_FEMALE"}))
    assert np.array_equal(pixels, decoded.rgb)


@pytest.mark.slow
def test_input_is_not_modified(astronaut: tuple[DecodedImage, list[Detection]]) -> None:
    decoded, detections = astronaut
    before = decoded.rgb.copy()
    censor_image(decoded, detections, {"FACE_FEMALE"}, style="black")
    assert np.array_equal(decoded.rgb, before)


@pytest.mark.slow
def test_draft_decoded_image_is_censored_where_the_face_is() -> None:
    big = samples.resized(samples.rgb_photo("astronaut"), (2048, 2048))
    decoded = decode(samples.encode(big, "JPEG", quality=92), target_size=320)
    assert decoded.scale == (2.0, 2.0)
    detections = get_image_engine().detect(decoded)
    face = next(d for d in detections if d.label == "FACE_FEMALE")
    assert face.box[0] > 512  # original pixels
    _, pixels, _ = read(censor_image(decoded, detections, {"FACE_FEMALE"}, style="black"))
    assert pixels.shape == decoded.rgb.shape  # the decoded size, documented
    x, y, w, h = (v // 2 for v in face.box)
    assert (pixels[y + 2 : y + h - 2, x + 2 : x + w - 2] == 0).all()


def test_boxes_at_the_edges_and_empty_boxes_are_safe() -> None:
    decoded = decode(samples.encode(samples.photo("coffee"), "PNG"))
    height, width = decoded.rgb.shape[:2]
    boxes = [
        Detection("ANUS_EXPOSED", 0.9, (0, 0, 5, 5)),
        Detection("ANUS_EXPOSED", 0.9, (width - 3, height - 3, 3, 3)),
        Detection("ANUS_EXPOSED", 0.9, (10, 10, 0, 0)),
        Detection("ANUS_EXPOSED", 0.9, (width, height, 0, 0)),
        Detection("ANUS_EXPOSED", 0.9, (0, 0, width, height)),
    ]
    _, pixels, _ = read(censor_image(decoded, boxes, {"ANUS_EXPOSED"}))
    assert pixels.shape == decoded.rgb.shape
    assert sharpness(pixels) < sharpness(decoded.rgb) / 20


def test_tiny_image() -> None:
    decoded = decode(samples.encode(np.full((1, 1, 3), 200, np.uint8), "PNG"))
    payload = censor_image(
        decoded, [Detection("ANUS_EXPOSED", 0.9, (0, 0, 1, 1))], {"ANUS_EXPOSED"}
    )
    assert read(payload)[1].shape == (1, 1, 3)


@pytest.mark.parametrize(("style", "fmt"), [("pixelate", "png"), ("blur", "gif")])
def test_bad_options_are_refused(style: str, fmt: str) -> None:
    decoded = decode(samples.encode(samples.photo("coffee"), "PNG"))
    with pytest.raises(ValueError):
        censor_image(decoded, [], set(), style=style, fmt=fmt)  # type: ignore[arg-type]
