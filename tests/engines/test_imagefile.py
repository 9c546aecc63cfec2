"""Upload validation and decoding: formats, limits, orientation, colour modes, hostile files."""

from __future__ import annotations

import hashlib
import io
import resource
import time
import warnings
import zlib
from collections.abc import Callable

import numpy as np
import pytest
from PIL import Image

from kitodeck.engines.imagefile import (
    DecodedImage,
    ImageRejected,
    decode_image,
    sniff_format,
)
from tests.engines import image_samples as samples


def decode(payload: bytes, **kwargs: int) -> DecodedImage:
    options = {"max_bytes": samples.MAX_BYTES, "max_pixels": samples.MAX_PIXELS, **kwargs}
    return decode_image(payload, **options)


def rejected(payload: bytes, **kwargs: int) -> ImageRejected:
    with pytest.raises(ImageRejected) as info:
        decode(payload, **kwargs)
    error = info.value
    assert isinstance(error.message, str)
    assert error.message
    assert str(error) == error.message
    return error


def mean_abs_diff(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a.astype(np.int16) - b.astype(np.int16)).mean())


# --- the allowed formats -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pil_format", "name", "params", "tolerance"),
    [
        ("JPEG", "jpeg", {"quality": 95}, 4.0),
        ("PNG", "png", {}, 0.0),
        ("WEBP", "webp", {"lossless": True}, 0.0),
        ("BMP", "bmp", {}, 0.0),
        ("GIF", "gif", {}, 12.0),  # 256-colour palette
    ],
)
@pytest.mark.parametrize("photo", ["astronaut", "coffee", "chelsea", "camera"])
def test_real_photos_decode_in_every_format(
    photo: str, pil_format: str, name: str, params: dict[str, object], tolerance: float
) -> None:
    pixels = samples.rgb_photo(photo)
    source = samples.photo(photo)  # camera stays greyscale: mode L in every encoder
    payload = samples.encode(source, pil_format, **params)
    decoded = decode(payload)
    assert decoded.format == name
    assert (decoded.width, decoded.height) == (pixels.shape[1], pixels.shape[0])
    assert decoded.rgb.shape == pixels.shape
    assert decoded.rgb.dtype == np.uint8
    assert decoded.rgb.flags.c_contiguous
    assert not decoded.rgb.flags.writeable
    assert decoded.sha256 == hashlib.sha256(payload).hexdigest()
    assert decoded.scale == (1.0, 1.0)
    assert not decoded.animated
    assert mean_abs_diff(decoded.rgb, pixels) <= tolerance
    assert decoded.to_dict() == {
        "width": pixels.shape[1],
        "height": pixels.shape[0],
        "format": name,
        "sha256": decoded.sha256,
    }


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (b"\xff\xd8\xff\xe0", "jpeg"),
        (b"\x89PNG\r\n\x1a\n", "png"),
        (b"GIF87a", "gif"),
        (b"GIF89a", "gif"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "webp"),
        (b"RIFF\x00\x00\x00\x00WAVEfmt ", None),
        (b"BM", "bmp"),
        (b"II*\x00", None),
        (b"", None),
    ],
)
def test_sniff_format_reads_content_not_names(payload: bytes, expected: str | None) -> None:
    assert sniff_format(payload) == expected


def test_format_comes_from_content_whatever_the_first_guess() -> None:
    # A BMP's content decides, even though any name or content type could be claimed.
    assert decode(samples.encode(samples.rgb_photo("coffee"), "BMP")).format == "bmp"


def test_mpo_phone_jpeg_is_a_jpeg_and_uses_its_first_picture() -> None:
    first, second = samples.rgb_photo("astronaut"), samples.rgb_photo("chelsea")
    payload = samples.encode(
        Image.fromarray(first), "MPO", save_all=True, append_images=[Image.fromarray(second)]
    )
    decoded = decode(payload)
    assert decoded.format == "jpeg"
    assert decoded.rgb.shape == first.shape
    assert mean_abs_diff(decoded.rgb, first) < 4


@pytest.mark.parametrize("fmt", ["GIF", "WEBP"])
def test_animated_images_use_the_first_frame(fmt: str) -> None:
    first = samples.rgb_photo("astronaut")
    second = samples.resized(samples.rgb_photo("chelsea"), (512, 512))
    decoded = decode(samples.animated(fmt, [first, second]))
    assert decoded.animated
    assert decoded.format == fmt.lower()
    assert mean_abs_diff(decoded.rgb, first) < 12
    assert mean_abs_diff(decoded.rgb, second) > 40


# --- orientation and colour modes ---------------------------------------------------------


@pytest.mark.parametrize("orientation", [6, 8, 3])
def test_exif_orientation_is_applied(orientation: int) -> None:
    upright = samples.resized(samples.rgb_photo("astronaut"), (512, 384))  # not square
    decoded = decode(samples.exif_jpeg(upright, orientation))
    assert (decoded.width, decoded.height) == (512, 384)
    assert decoded.rgb.shape == upright.shape
    assert mean_abs_diff(decoded.rgb, upright) < 4


def test_exif_orientation_with_draft_reports_full_upright_size() -> None:
    upright = samples.resized(samples.rgb_photo("astronaut"), (2000, 1500))
    decoded = decode(samples.exif_jpeg(upright, 6), target_size=320)
    assert (decoded.width, decoded.height) == (2000, 1500)
    assert decoded.rgb.shape == (750, 1000, 3)  # 1/2 scale: longest side stays >= 640
    assert decoded.scale == (2.0, 2.0)


def test_alpha_is_composited_on_white() -> None:
    rgba = np.zeros((64, 64, 4), np.uint8)
    rgba[:, :, 0] = 200  # red everywhere, but only the left half is opaque
    rgba[:, :32, 3] = 255
    decoded = decode(samples.encode(rgba, "PNG"))
    assert (decoded.rgb[:, :32] == [200, 0, 0]).all()
    assert (decoded.rgb[:, 32:] == 255).all()


def test_palette_transparency_and_grey_alpha_are_composited_on_white() -> None:
    palette = Image.new("P", (16, 16), 1)
    palette.putpalette([0, 0, 0, 10, 20, 30] + [0] * 762)
    palette.info["transparency"] = 1
    assert (decode(samples.encode(palette, "PNG")).rgb == 255).all()
    assert (decode(samples.encode(palette, "GIF", transparency=1)).rgb == 255).all()
    grey_alpha = Image.new("LA", (16, 16), (40, 0))
    assert (decode(samples.encode(grey_alpha, "PNG")).rgb == 255).all()


def test_sixteen_bit_greyscale_png_keeps_its_tones() -> None:
    camera = samples.photo("camera")
    payload = samples.encode(Image.fromarray(camera.astype(np.uint16) * 257), "PNG")
    with Image.open(io.BytesIO(payload)) as im:
        assert im.mode == "I;16"
    decoded = decode(payload)
    assert mean_abs_diff(decoded.rgb, samples.rgb_photo("camera")) <= 1


def test_cmyk_jpeg_becomes_rgb() -> None:
    pixels = samples.rgb_photo("coffee")
    payload = samples.encode(Image.fromarray(pixels).convert("CMYK"), "JPEG", quality=95)
    decoded = decode(payload)
    assert decoded.rgb.shape == pixels.shape
    assert mean_abs_diff(decoded.rgb, pixels) < 6


def test_one_bit_bmp_becomes_rgb() -> None:
    bits = Image.fromarray(samples.photo("camera")).convert("1")
    decoded = decode(samples.encode(bits, "BMP"))
    assert set(np.unique(decoded.rgb)) <= {0, 255}


# --- sizes ---------------------------------------------------------------------------------


def test_over_max_bytes_is_413_before_decoding() -> None:
    payload = samples.encode(samples.rgb_photo("astronaut"), "PNG")
    error = rejected(payload, max_bytes=len(payload) - 1)
    assert (error.status, error.code) == (413, "too_large")
    assert decode(payload, max_bytes=len(payload)).format == "png"


def test_empty_upload_is_422() -> None:
    error = rejected(b"")
    assert (error.status, error.code) == (422, "empty")


@pytest.mark.parametrize(
    "payload",
    [
        samples.png_header_only(30000, 30000),
        samples.gif_header_only(30000, 30000),
        samples.webp_header_only(30000, 30000),
        samples.bmp_header_only(30000, 30000),
        samples.jpeg_with_size(30000, 30000),
        samples.jpeg_with_size(8000, 6000),  # 48 MP: over our 40 MP, under Pillow's limits
    ],
    ids=["png", "gif", "webp", "bmp", "jpeg", "jpeg-48mp"],
)
def test_huge_declared_size_is_rejected_fast_with_bounded_memory(payload: bytes) -> None:
    assert len(payload) < 2000
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    error = rejected(payload)
    elapsed = time.perf_counter() - started
    rss_growth_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before
    assert (error.status, error.code) == (413, "too_many_pixels")
    assert elapsed < 0.05
    assert rss_growth_kib < 50 * 1024  # a decoded 30000x30000 would be 2.7 GB


def test_pixel_limit_is_configurable() -> None:
    payload = samples.encode(samples.rgb_photo("astronaut"), "PNG")
    assert (rejected(payload, max_pixels=512 * 512 - 1).code) == "too_many_pixels"
    assert decode(payload, max_pixels=512 * 512).width == 512


def test_pillow_bomb_warning_is_an_error_whether_or_not_warnings_are() -> None:
    payload = samples.jpeg_with_size(10000, 10000)  # 100 MP: Pillow warns, does not raise
    big = {"max_pixels": 200_000_000}  # even an operator limit above Pillow's is capped
    # pytest turns warnings into errors here: Pillow raises the warning, we map it.
    assert rejected(payload, **big).status == 413
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        with pytest.warns(Image.DecompressionBombWarning):
            error = rejected(payload, **big)
    assert (error.status, error.code) == (413, "too_many_pixels")


def test_zero_sized_header_is_422() -> None:
    for payload in (samples.gif_header_only(0, 0), samples.png_header_only(0, 5)):
        error = rejected(payload)
        assert (error.status, error.code) == (422, "corrupt")


@pytest.mark.parametrize("shape", [(1, 1, 3), (10, 20000, 3), (20000, 10, 3), (2, 3, 3)])
def test_tiny_and_thin_images_decode(shape: tuple[int, int, int]) -> None:
    pixels = np.random.default_rng(1).integers(0, 256, shape, dtype=np.uint8)
    decoded = decode(samples.encode(pixels, "PNG"))
    assert (decoded.height, decoded.width) == shape[:2]
    assert np.array_equal(decoded.rgb, pixels)


def test_draft_only_shrinks_large_jpegs() -> None:
    small = samples.encode(samples.resized(samples.rgb_photo("astronaut"), (1000, 750)), "JPEG")
    assert decode(small, target_size=320).rgb.shape == (750, 1000, 3)
    large = samples.encode(samples.resized(samples.rgb_photo("astronaut"), (4000, 3000)), "JPEG")
    drafted = decode(large, target_size=320)
    assert (drafted.width, drafted.height) == (4000, 3000)
    assert drafted.rgb.shape == (750, 1000, 3)
    assert max(drafted.rgb.shape) >= 640
    assert decode(large).rgb.shape == (3000, 4000, 3)
    png = samples.encode(samples.resized(samples.rgb_photo("astronaut"), (1600, 1200)), "PNG")
    assert decode(png, target_size=320).rgb.shape == (1200, 1600, 3)


# --- hostile and unsupported input ---------------------------------------------------------


def test_random_bytes_are_415() -> None:
    payload = np.random.default_rng(7).integers(0, 256, 4096, dtype=np.uint8).tobytes()
    assert sniff_format(payload) is None
    error = rejected(payload)
    assert (error.status, error.code) == (415, "unsupported_format")


def test_text_file_is_415() -> None:
    error = rejected(b"This is not a photo, just a text file named photo.jpg\n" * 20)
    assert (error.status, error.code) == (415, "unsupported_format")


@pytest.mark.parametrize(("pil_format", "name"), [("TIFF", "TIFF"), ("ICO", "ICO"), ("PDF", "PDF")])
def test_other_image_formats_are_415(pil_format: str, name: str) -> None:
    error = rejected(samples.encode(samples.rgb_photo("coffee"), pil_format))
    assert (error.status, error.code) == (415, "unsupported_format")
    assert name in error.message
    assert "JPEG, PNG, WebP, GIF or BMP" in error.message


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "GIF", "BMP"])
def test_truncated_files_are_422(fmt: str) -> None:
    payload = samples.encode(samples.rgb_photo("astronaut"), fmt)
    error = rejected(payload[: len(payload) // 2])
    assert (error.status, error.code) == (422, "corrupt")


@pytest.mark.parametrize("keep", [3, 20, 100])
def test_files_cut_inside_the_header_are_4xx(keep: int) -> None:
    for fmt in ("JPEG", "PNG", "WEBP", "GIF", "BMP"):
        payload = samples.encode(samples.rgb_photo("chelsea"), fmt)[:keep]
        assert rejected(payload).status in (415, 422)


def test_signature_followed_by_garbage_is_4xx_not_415() -> None:
    garbage = np.random.default_rng(3).integers(0, 256, 2048, dtype=np.uint8).tobytes()
    for magic in (b"\xff\xd8\xff\xe0", b"\x89PNG\r\n\x1a\n", b"GIF89a", b"BM"):
        error = rejected(magic + garbage)
        # GIF and BMP read a size from the garbage: huge ones are 413, the rest 422.
        assert (error.status, error.code) in {(422, "corrupt"), (413, "too_many_pixels")}
    assert rejected(b"\xff\xd8\xff\xe0" + garbage).code == "corrupt"


def test_flipped_bytes_never_escape_as_other_errors() -> None:
    payload = bytearray(samples.encode(samples.rgb_photo("chelsea"), "JPEG"))
    rng = np.random.default_rng(11)
    for _ in range(30):
        damaged = bytearray(payload)
        for index in rng.integers(2, len(damaged), 20):
            damaged[index] = int(rng.integers(0, 256))
        try:
            decode(bytes(damaged))
        except ImageRejected as error:
            assert error.status in (413, 415, 422)


def test_png_with_iccp_bomb_is_422() -> None:
    profile = b"icc\x00\x00" + zlib.compress(b"\x00" * (8 << 20), 9)
    payload = samples.png_with_chunks(
        samples.rgb_photo("coffee"), [samples.png_chunk(b"iCCP", profile)]
    )
    assert len(payload) < samples.MAX_BYTES
    error = rejected(payload)
    assert (error.status, error.code) == (422, "corrupt")


def test_png_with_thousands_of_iccp_chunks_is_422_without_inflating_them() -> None:
    profile = b"icc\x00\x00" + zlib.compress(b"\x00" * ((1 << 20) - 64), 9)
    chunk = samples.png_chunk(b"iCCP", profile)
    payload = samples.png_with_chunks(samples.rgb_photo("coffee"), [chunk] * 4000)
    assert len(payload) < samples.MAX_BYTES
    started = time.perf_counter()
    error = rejected(payload)
    assert time.perf_counter() - started < 0.5  # Pillow alone spends seconds inflating them
    assert (error.status, error.code) == (422, "corrupt")


def test_png_with_ztxt_bomb_is_422() -> None:
    text = b"Comment\x00\x00" + zlib.compress(b"a" * (16 << 20), 9)
    payload = samples.png_with_chunks(
        samples.rgb_photo("coffee"), [samples.png_chunk(b"zTXt", text)]
    )
    error = rejected(payload)
    assert (error.status, error.code) == (422, "corrupt")


def test_png_with_big_text_chunk_scans_normally() -> None:
    text = b"Comment\x00" + b"x" * (5 << 20)
    payload = samples.png_with_chunks(
        samples.rgb_photo("coffee"), [samples.png_chunk(b"tEXt", text)]
    )
    decoded = decode(payload)
    assert np.array_equal(decoded.rgb, samples.rgb_photo("coffee"))


def test_png_with_a_normal_icc_profile_is_fine() -> None:
    profile = b"icc\x00\x00" + zlib.compress(b"\x00" * 3000)
    payload = samples.png_with_chunks(
        samples.rgb_photo("coffee"), [samples.png_chunk(b"iCCP", profile)]
    )
    assert decode(payload).format == "png"


@pytest.mark.parametrize("build", [samples.jpeg_zip_polyglot, samples.jpeg_html_polyglot])
def test_jpeg_polyglots_are_scanned_as_the_jpeg_they_start_with(
    build: Callable[[], bytes],
) -> None:
    payload = build()
    decoded = decode(payload)
    assert decoded.format == "jpeg"
    assert decoded.sha256 == hashlib.sha256(payload).hexdigest()  # of all the bytes sent
    assert mean_abs_diff(decoded.rgb, samples.rgb_photo("astronaut")) < 4


def test_gif_javascript_polyglot_is_a_thin_gif() -> None:
    decoded = decode(samples.gif_js_polyglot())
    assert decoded.format == "gif"
    assert (decoded.width, decoded.height) == (0x2A2F, 10)
    assert decoded.rgb.shape == (10, 0x2A2F, 3)


def test_apng_hidden_default_image_is_skipped_for_the_first_animation_frame() -> None:
    # Browsers never show an APNG's default image when it is not part of the animation:
    # scanning it would let a harmless decoy hide what recipients actually see.
    decoy = samples.resized(samples.rgb_photo("chelsea"), (512, 512))
    shown = samples.rgb_photo("astronaut")
    payload = samples.encode(
        Image.fromarray(decoy),
        "PNG",
        save_all=True,
        append_images=[Image.fromarray(shown), Image.fromarray(decoy)],
        default_image=True,
    )
    with Image.open(io.BytesIO(payload)) as im:
        assert im.default_image  # type: ignore[attr-defined]
    decoded = decode(payload)
    assert decoded.animated
    assert np.array_equal(decoded.rgb, shown)
    plain_apng = samples.encode(
        Image.fromarray(shown), "PNG", save_all=True, append_images=[Image.fromarray(decoy)]
    )
    assert np.array_equal(decode(plain_apng).rgb, shown)
