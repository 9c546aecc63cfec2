"""Upload validation and decoding with Pillow, before any model sees the bytes.

``decode_image`` turns untrusted bytes into an upright RGB ``uint8`` array or raises
``ImageRejected`` with an HTTP status and a machine ``code``:

==========================================  ======  =====================
case                                        status  code
==========================================  ======  =====================
no bytes                                    422     ``empty``
more than ``max_bytes``                     413     ``too_large``
not JPEG/PNG/WebP/GIF/BMP by content        415     ``unsupported_format``
width x height over the pixel limit         413     ``too_many_pixels``
(also Pillow's decompression bomb checks)
allowed format but unreadable, truncated,   422     ``corrupt``
zero-sized, or malformed metadata chunks
==========================================  ======  =====================

The pixel limit is ``min(max_pixels, PIL.Image.MAX_IMAGE_PIXELS)`` and is checked on the
declared size before any pixel is decoded (for PNG, GIF, WebP and BMP straight from the header
bytes, before Pillow's own WebP decoder allocates its canvas), so a 30000 x 30000 header is
refused in microseconds. Pillow's ``DecompressionBombError`` and, where warnings are errors,
``DecompressionBombWarning`` map to the same 413. No global Pillow setting is changed and
``LOAD_TRUNCATED_IMAGES`` is never set.

There is no minimum side length: a 1 x 1 or 20000 x 10 image is decoded and scanned (the
detector letterboxes any shape with bounded memory). Animated GIF/WebP/PNG: the first frame
only (an APNG whose default image is not part of its animation, which browsers never show,
is read at its first animation frame). EXIF orientation is applied; alpha is composited on
white; palette, greyscale, CMYK and 16-bit images become 8-bit RGB. Trailing bytes after the
image (polyglots) are ignored: only the decoded pixels are used, and the upload itself is
never stored or served.
"""

from __future__ import annotations

import hashlib
import io
import math
import struct
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import ExifTags, Image

#: Pillow format name -> the name reported in scan results.
FORMATS: dict[str, str] = {
    "JPEG": "jpeg",
    "MPO": "jpeg",  # phone JPEGs with a second picture (depth map, preview) open as MPO
    "PNG": "png",
    "WEBP": "webp",
    "GIF": "gif",
    "BMP": "bmp",
}
_PIL_FORMATS = ("JPEG", "PNG", "WEBP", "GIF", "BMP")
ALLOWED_DESCRIPTION = "JPEG, PNG, WebP, GIF or BMP"

#: JPEGs are decoded at a reduced DCT scale only while the result keeps at least this many
#: times the model's input size on its longest side (see ``target_size``).
DRAFT_MIN_FACTOR = 2

_TRANSPOSE: dict[int, Image.Transpose] = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}

_SIGNATURES: tuple[tuple[int, bytes, str], ...] = (
    (0, b"\xff\xd8\xff", "jpeg"),
    (0, b"\x89PNG\r\n\x1a\n", "png"),
    (0, b"GIF87a", "gif"),
    (0, b"GIF89a", "gif"),
    (8, b"WEBP", "webp"),
    (0, b"BM", "bmp"),
)
# Only used to word the 415 message; these bytes never reach a parser.
_UNSUPPORTED: tuple[tuple[int, bytes, str], ...] = (
    (0, b"II*\x00", "TIFF"),
    (0, b"MM\x00*", "TIFF"),
    (0, b"%PDF", "PDF"),
    (0, b"\x00\x00\x01\x00", "ICO"),
    (0, b"\x00\x00\x02\x00", "CUR"),
    (4, b"ftypheic", "HEIC"),
    (4, b"ftypheix", "HEIC"),
    (4, b"ftypmif1", "HEIF"),
    (4, b"ftypavif", "AVIF"),
    (0, b"\x00\x00\x00\x0cjP  ", "JPEG 2000"),
    (0, b"\xff\x4f\xff\x51", "JPEG 2000"),
    (0, b"\xff\x0a", "JPEG XL"),
    (0, b"8BPS", "PSD"),
    (0, b"PK\x03\x04", "ZIP"),
)


class ImageRejected(Exception):
    """An upload that will not be scanned; ``status`` is the HTTP status to answer."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message

    def to_dict(self) -> dict[str, Any]:
        return {"status": self.status, "code": self.code, "message": self.message}


@dataclass(frozen=True, eq=False, slots=True)
class DecodedImage:
    """An upright RGB image ready for the detector.

    ``width``/``height`` are the full-resolution size after EXIF orientation; ``rgb`` may be
    smaller when a JPEG was decoded in draft mode (``scale`` > 1); boxes are always reported
    in ``width`` x ``height`` pixels. ``rgb`` is read-only: copy it before drawing on it.
    """

    rgb: np.ndarray
    width: int
    height: int
    format: str
    sha256: str
    animated: bool = False

    @property
    def scale(self) -> tuple[float, float]:
        """Original pixels per decoded pixel, (x, y); (1.0, 1.0) unless drafted."""
        return self.width / self.rgb.shape[1], self.height / self.rgb.shape[0]

    def to_dict(self) -> dict[str, Any]:
        """The contract's ``image`` object."""
        return {
            "width": self.width,
            "height": self.height,
            "format": self.format,
            "sha256": self.sha256,
        }


def sniff_format(data: bytes) -> str | None:
    """The allowed format the leading bytes claim (``"jpeg"``...), or None."""
    for offset, magic, name in _SIGNATURES:
        if data[offset : offset + len(magic)] == magic and (name != "webp" or data[:4] == b"RIFF"):
            return name
    return None


def decode_image(
    data: bytes, *, max_bytes: int, max_pixels: int, target_size: int | None = None
) -> DecodedImage:
    """Validate and decode an upload (first frame, upright, RGB); see the module docstring.

    ``target_size`` (the detector's input size, e.g. 320) lets a large JPEG decode at 1/2,
    1/4 or 1/8 scale while its longest side stays >= ``DRAFT_MIN_FACTOR * target_size``;
    leave it None when full-resolution pixels are needed (censoring).
    """
    if not data:
        raise ImageRejected(422, "empty", "The upload is empty.")
    if len(data) > max_bytes:
        raise ImageRejected(
            413, "too_large", f"The image is larger than the {max_bytes / 2**20:g} MiB limit."
        )
    claimed = sniff_format(data)
    if claimed is None:
        raise ImageRejected(415, "unsupported_format", _unsupported_message(data))
    limit = max_pixels
    if Image.MAX_IMAGE_PIXELS is not None:
        limit = min(limit, Image.MAX_IMAGE_PIXELS)
    declared = _declared_size(data, claimed)
    if declared is not None:
        _check_pixels(*declared, limit)
    if claimed == "png":
        _check_png_chunks(data)

    try:
        with Image.open(io.BytesIO(data), formats=_PIL_FORMATS) as im:
            width, height = im.size
            _check_pixels(width, height, limit)
            fmt = FORMATS.get(im.format or "", claimed)
            animated = bool(getattr(im, "is_animated", False))
            if animated and getattr(im, "default_image", False):
                # An APNG whose IDAT image is not part of the animation: browsers never show
                # it, so scan the first animation frame instead.
                im.seek(1)
            if target_size and im.format in ("JPEG", "MPO"):
                _draft(im, target_size)
            im.load()
            upright, swapped = _exif_upright(im)
            rgb = _to_rgb_array(upright)
    except ImageRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageRejected(
            413, "too_many_pixels", "The image has too many pixels to be scanned."
        ) from exc
    except MemoryError:
        raise
    except Exception as exc:
        # Pillow signals bad input with OSError, ValueError, SyntaxError, EOFError,
        # struct.error, ... depending on the plugin; all of them mean "unreadable".
        message = f"The {claimed.upper()} file is damaged or truncated."
        if "MAX_TEXT" in str(exc):  # PngImagePlugin's limits on text and ICC chunks
            message = "The PNG file's metadata (text or colour profile) is too large."
        raise ImageRejected(422, "corrupt", message) from exc

    if swapped:
        width, height = height, width
    rgb.flags.writeable = False
    return DecodedImage(rgb, width, height, fmt, hashlib.sha256(data).hexdigest(), animated)


def _unsupported_message(data: bytes) -> str:
    for offset, magic, name in _UNSUPPORTED:
        if data[offset : offset + len(magic)] == magic:
            return f"{name} files are not supported; send {ALLOWED_DESCRIPTION}."
    return f"The upload is not a supported image; send {ALLOWED_DESCRIPTION}."


def _check_pixels(width: int, height: int, limit: int) -> None:
    if width <= 0 or height <= 0:
        raise ImageRejected(422, "corrupt", "The image declares a zero width or height.")
    if width * height > limit:
        raise ImageRejected(
            413,
            "too_many_pixels",
            f"The image is {width} x {height} pixels; the limit is {limit} pixels.",
        )


def _declared_size(data: bytes, kind: str) -> tuple[int, int] | None:
    """Width and height from the fixed-offset header fields, without Pillow."""
    try:
        if kind == "png" and data[12:16] == b"IHDR":
            return struct.unpack(">II", data[16:24])
        if kind == "gif":
            return struct.unpack("<HH", data[6:10])
        if kind == "bmp":
            (header_size,) = struct.unpack("<I", data[14:18])
            if header_size == 12:
                return struct.unpack("<HH", data[18:22])
            width, height = struct.unpack("<ii", data[18:26])
            return abs(width), abs(height)
        if kind == "webp":
            chunk = data[12:16]
            if chunk == b"VP8X":
                return (
                    int.from_bytes(data[24:27], "little") + 1,
                    int.from_bytes(data[27:30], "little") + 1,
                )
            if chunk == b"VP8 " and data[23:26] == b"\x9d\x01\x2a":
                w, h = struct.unpack("<HH", data[26:30])
                return w & 0x3FFF, h & 0x3FFF
            if chunk == b"VP8L" and data[20:21] == b"\x2f":
                (bits,) = struct.unpack("<I", data[21:25])
                return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    except struct.error:
        return None  # too short to say; Pillow will reject it
    return None


def _check_png_chunks(data: bytes) -> None:
    """Refuse a PNG with more than one iCCP chunk before its pixels.

    Pillow inflates every iCCP chunk (each up to ``MAX_TEXT_CHUNK``, 1 MiB, from ~1 KiB) and
    keeps only the last: thousands of them in a 10 MiB upload cost seconds of CPU. The PNG
    specification allows at most one.
    """
    pos, iccp = 8, 0
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        if kind in (b"IDAT", b"IEND"):
            return
        if kind == b"iCCP":
            iccp += 1
            if iccp > 1:
                raise ImageRejected(422, "corrupt", "The PNG file has more than one iCCP chunk.")
        pos += 12 + length


def _draft(im: Image.Image, target_size: int) -> None:
    """Ask libjpeg for a 1/2, 1/4 or 1/8 scale decode when the image is much larger.

    Pillow picks the largest scale that keeps both sides >= the requested size, so asking for
    the image shrunk to ``DRAFT_MIN_FACTOR * target_size`` on its longest side keeps at least
    that many pixels there.
    """
    width, height = im.size
    keep = DRAFT_MIN_FACTOR * target_size
    longest = max(width, height)
    if longest < 2 * keep:
        return
    ratio = keep / longest
    im.draft(None, (max(1, math.ceil(width * ratio)), max(1, math.ceil(height * ratio))))


def _exif_upright(im: Image.Image) -> tuple[Image.Image, bool]:
    """The image turned per its EXIF Orientation, and whether width and height swapped.

    A malformed EXIF block is ignored (phones write odd ones) rather than rejected.
    """
    try:
        orientation = im.getexif().get(ExifTags.Base.Orientation, 1)
        method = _TRANSPOSE.get(orientation)
    except Exception:
        return im, False
    if method is None:
        return im, False
    return im.transpose(method), orientation in (5, 6, 7, 8)


def _to_rgb_array(im: Image.Image) -> np.ndarray:
    """8-bit RGB pixels; transparency is composited on white."""
    mode = im.mode
    if mode.startswith("I") or mode == "F":
        values = np.asarray(im)
        if mode.startswith("I;16") or values.max(initial=0) > 255:
            grey = (np.clip(values, 0, 65535) >> 8).astype(np.uint8)
        else:
            grey = np.clip(values, 0, 255).astype(np.uint8)
        return np.ascontiguousarray(np.repeat(grey[:, :, np.newaxis], 3, axis=2))
    if mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in im.info:
        rgba = im.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return np.asarray(Image.alpha_composite(white, rgba).convert("RGB"))
    if mode != "RGB":
        im = im.convert("RGB")
    return np.asarray(im)
