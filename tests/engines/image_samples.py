"""Test images built in memory: real scikit-image photos and hand-made hostile files."""

from __future__ import annotations

import functools
import io
import struct
import zipfile
import zlib
from typing import Any

import numpy as np
from PIL import Image
from skimage import data

MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000

#: Where Eileen Collins' face is in skimage's 512x512 astronaut, (x0, y0, x1, y1): forehead
#: under the hair to the chin, cheek to cheek (checked by eye on the photo).
ASTRONAUT_FACE = (170, 75, 280, 185)


@functools.cache
def _photo(name: str) -> np.ndarray:
    pixels = getattr(data, name)()
    pixels.flags.writeable = False
    return pixels


def photo(name: str) -> np.ndarray:
    """A scikit-image sample photo: astronaut, coffee, chelsea (RGB) or camera (greyscale)."""
    return _photo(name)


def rgb_photo(name: str) -> np.ndarray:
    """The photo as (H, W, 3) RGB."""
    pixels = photo(name)
    if pixels.ndim == 2:
        pixels = np.repeat(pixels[:, :, np.newaxis], 3, axis=2)
    return np.ascontiguousarray(pixels)


def encode(pixels: np.ndarray | Image.Image, fmt: str, **params: Any) -> bytes:
    """Encode with Pillow into bytes."""
    image = pixels if isinstance(pixels, Image.Image) else Image.fromarray(pixels)
    buffer = io.BytesIO()
    image.save(buffer, fmt, **params)
    return buffer.getvalue()


def resized(pixels: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Resize to (width, height) with Lanczos."""
    return np.asarray(Image.fromarray(pixels).resize(size, Image.Resampling.LANCZOS))


def exif_jpeg(upright: np.ndarray, orientation: int) -> bytes:
    """A JPEG whose stored pixels are turned so that EXIF ``orientation`` shows ``upright``.

    Orientation 6 means "rotate 90 degrees clockwise to display", so the stored pixels are
    the upright image turned 90 degrees counter-clockwise; 8 is the reverse.
    """
    turns = {6: 1, 8: -1, 3: 2, 1: 0}[orientation]
    stored = np.ascontiguousarray(np.rot90(upright, k=turns))
    exif = Image.Exif()
    exif[0x0112] = orientation
    return encode(stored, "JPEG", quality=95, exif=exif.tobytes())


def png_chunk(kind: bytes, payload: bytes) -> bytes:
    """One PNG chunk with a valid CRC."""
    return (
        struct.pack(">I", len(payload))
        + kind
        + payload
        + struct.pack(">I", zlib.crc32(kind + payload))
    )


def png_with_chunks(pixels: np.ndarray, chunks: list[bytes]) -> bytes:
    """A real PNG with extra chunks inserted right after IHDR (before the pixels)."""
    png = encode(pixels, "PNG")
    ihdr_end = 8 + 25  # signature + IHDR (4 length, 4 type, 13 data, 4 CRC)
    return png[:ihdr_end] + b"".join(chunks) + png[ihdr_end:]


def png_header_only(width: int, height: int) -> bytes:
    """A 60-byte PNG claiming ``width`` x ``height`` with one byte of pixel data."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + png_chunk(b"IDAT", zlib.compress(b"\x00"))
        + png_chunk(b"IEND", b"")
    )


def gif_header_only(width: int, height: int) -> bytes:
    """A GIF whose logical screen is ``width`` x ``height``, holding one 1x1 frame."""
    screen = struct.pack("<HHBBB", width, height, 0x80, 0, 0)  # 2-colour global table
    palette = b"\x00\x00\x00\xff\xff\xff"
    frame = b"," + struct.pack("<HHHHB", 0, 0, 1, 1, 0) + b"\x02\x02\x44\x01\x00"
    return b"GIF89a" + screen + palette + frame + b";"


def webp_header_only(width: int, height: int) -> bytes:
    """An extended-format (VP8X) WebP header declaring a ``width`` x ``height`` canvas."""
    vp8x = (
        b"\x00\x00\x00\x00" + (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
    )
    body = b"WEBP" + b"VP8X" + struct.pack("<I", len(vp8x)) + vp8x
    return b"RIFF" + struct.pack("<I", len(body)) + body


def bmp_header_only(width: int, height: int) -> bytes:
    """A BMP file and info header declaring ``width`` x ``height`` at 24 bits, no pixels."""
    info = struct.pack("<IiiHHIIiiII", 40, width, height, 1, 24, 0, 0, 2835, 2835, 0, 0)
    return b"BM" + struct.pack("<IHHI", 14 + len(info), 0, 0, 14 + len(info)) + info


def jpeg_with_size(width: int, height: int) -> bytes:
    """A real small JPEG whose SOF0 marker is patched to claim ``width`` x ``height``."""
    jpeg = bytearray(encode(rgb_photo("chelsea")[:64, :64], "JPEG"))
    sof = jpeg.index(b"\xff\xc0")
    jpeg[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(jpeg)


def gif_js_polyglot() -> bytes:
    """A GIF that is also JavaScript: width bytes '/*' open a comment, '*/=1;' closes it.

    Its logical screen is 0x2A2F x 10 = 10799 x 10 pixels, a real (thin) GIF.
    """
    screen = b"/*" + struct.pack("<HBBB", 10, 0x80, 0, 0)
    palette = b"\x00\x00\x00\xff\xff\xff"
    frame = b"," + struct.pack("<HHHHB", 0, 0, 1, 1, 0) + b"\x02\x02\x44\x01\x00"
    return b"GIF89a" + screen + palette + frame + b";*/=1;alert(document.domain);\n"


def jpeg_zip_polyglot() -> bytes:
    """The astronaut JPEG with a ZIP archive appended."""
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("payload.html", "<script>alert(1)</script>")
    return encode(rgb_photo("astronaut"), "JPEG", quality=90) + archive.getvalue()


def jpeg_html_polyglot() -> bytes:
    """The astronaut JPEG followed by an HTML document."""
    html = b"<html><body><script>alert(1)</script></body></html>"
    return encode(rgb_photo("astronaut"), "JPEG", quality=90) + html


def animated(fmt: str, frames: list[np.ndarray]) -> bytes:
    """An animated GIF or WebP of ``frames`` (first frame first)."""
    images = [Image.fromarray(frame) for frame in frames]
    return encode(images[0], fmt, save_all=True, append_images=images[1:], duration=100, loop=0)
