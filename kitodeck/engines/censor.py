"""Hide detected regions of a decoded image and re-encode it, in memory only."""

from __future__ import annotations

import io
import math
from collections.abc import Collection, Iterable
from typing import Literal, Protocol

import cv2
import numpy as np
from PIL import Image

from kitodeck.engines.imagefile import DecodedImage

#: Boxes grow by this fraction of their size on each side: NudeNet boxes are tight.
BOX_MARGIN = 0.1
#: The blur keeps about this many mosaic blocks across a box's shorter side.
BLUR_BLOCKS = 6


class _Box(Protocol):
    @property
    def label(self) -> str: ...

    @property
    def box(self) -> tuple[int, int, int, int]: ...


def censor_image(
    decoded: DecodedImage,
    detections: Iterable[_Box],
    labels_to_hide: Collection[str],
    style: Literal["blur", "black"] = "blur",
    fmt: Literal["png", "jpeg"] = "png",
) -> bytes:
    """The image with the boxes of ``labels_to_hide`` blurred or blacked out, encoded.

    Works on a copy of ``decoded.rgb``; boxes are in original pixels and are mapped onto the
    decoded array, so a draft-decoded image is censored (and returned) at its decoded size:
    decode without ``target_size`` for a full-resolution result. The output carries no
    metadata (no EXIF, GPS or ICC), and nothing touches the disk.
    """
    if style not in ("blur", "black"):
        raise ValueError(f"style must be 'blur' or 'black', not {style!r}")
    if fmt not in ("png", "jpeg"):
        raise ValueError(f"fmt must be 'png' or 'jpeg', not {fmt!r}")
    pixels = np.array(decoded.rgb, dtype=np.uint8, copy=True)
    height, width = pixels.shape[:2]
    sx, sy = decoded.scale
    hide = set(labels_to_hide)
    for detection in detections:
        if detection.label not in hide:
            continue
        x, y, w, h = detection.box
        mx, my = w * BOX_MARGIN, h * BOX_MARGIN
        x0 = max(0, math.floor((x - mx) / sx))
        y0 = max(0, math.floor((y - my) / sy))
        x1 = min(width, math.ceil((x + w + mx) / sx))
        y1 = min(height, math.ceil((y + h + my) / sy))
        if x1 <= x0 or y1 <= y0:
            continue
        if style == "black":
            pixels[y0:y1, x0:x1] = 0
        else:
            pixels[y0:y1, x0:x1] = _obliterate(pixels[y0:y1, x0:x1])
    buffer = io.BytesIO()
    image = Image.fromarray(pixels, "RGB")
    if fmt == "jpeg":
        image.save(buffer, "JPEG", quality=90)
    else:
        image.save(buffer, "PNG")
    return buffer.getvalue()


def _obliterate(region: np.ndarray) -> np.ndarray:
    """A mosaic of about ``BLUR_BLOCKS`` blocks across, then smoothed: not reversible."""
    h, w = region.shape[:2]
    block = max(1, math.ceil(min(h, w) / BLUR_BLOCKS))
    small = cv2.resize(
        region, (max(1, w // block), max(1, h // block)), interpolation=cv2.INTER_AREA
    )
    mosaic = cv2.resize(small, (w, h), interpolation=cv2.INTER_NEAREST)
    sigma = block / 2
    return cv2.GaussianBlur(mosaic, (0, 0), sigmaX=sigma, sigmaY=sigma)
