"""POST /api/v1/scans/image (and the seed alias /image-scan/): the real NudeNet model."""

from __future__ import annotations

import base64
import hashlib
import io
import os
import zlib

import pytest
from PIL import Image
from werkzeug.test import EnvironBuilder

from kitodeck.scans.models import Scan
from tests.engines import image_samples as samples

pytestmark = pytest.mark.slow

URL = "/api/v1/scans/image"


def post_multipart(client, url: str, payload: dict, headers: dict):
    """POST a multipart body; the builder's spooled temp file is closed afterwards."""
    builder = EnvironBuilder(
        path=url, method="POST", data=payload, headers=headers, content_type="multipart/form-data"
    )
    environ = builder.get_environ()
    try:
        return client.open(environ)
    finally:
        # Bodies over 500 KiB are spooled to a temporary file that nobody else closes.
        environ["wsgi.input"].close()
        builder.close()


def upload(client, headers, data: bytes, *, name: str = "photo.jpg", url: str = URL, **form):
    payload = {"image": (io.BytesIO(data), name), **{k: str(v) for k, v in form.items()}}
    return post_multipart(client, url, payload, headers)


@pytest.fixture
def headers(auth_headers, verified_user) -> dict[str, str]:
    return auth_headers(verified_user)


def astronaut_jpeg() -> bytes:
    return samples.encode(samples.rgb_photo("astronaut"), "JPEG", quality=92)


def test_astronaut_is_safe_with_a_face_over_her_face(client, headers, db) -> None:
    data = astronaut_jpeg()
    response = upload(client, headers, data)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["kind"] == "image"
    assert body["verdict"] == "safe"
    assert body["flagged"] is False
    assert body["risk_level"] == "low"
    assert body["engine"] == {"name": "nudenet", "model": "320n", "version": "3.4.2"}
    assert body["image"] == {
        "width": 512,
        "height": 512,
        "format": "jpeg",
        "sha256": hashlib.sha256(data).hexdigest(),
    }
    faces = [d for d in body["detections"] if d["label"] == "FACE_FEMALE"]
    assert faces, body["detections"]
    x, y, w, h = faces[0]["box"]
    cx, cy = x + w / 2, y + h / 2
    left, top, right, bottom = samples.ASTRONAUT_FACE
    assert left <= cx <= right and top <= cy <= bottom
    assert body["categories"]["face"] >= 0.5
    assert body["categories"]["explicit_nudity"] == 0
    assert body["created_at"].endswith("Z")
    assert body["review"] is None
    stored = db.session.get(Scan, body["id"])
    assert stored.sha256 == body["image"]["sha256"]
    assert "censored" not in stored.details
    assert not any(isinstance(v, str) and len(v) > 1000 for v in stored.details.values())


@pytest.mark.parametrize("name", ["coffee", "chelsea", "camera"])
@pytest.mark.parametrize("fmt", ["PNG", "WEBP", "GIF", "BMP"])
def test_real_photos_in_every_format_are_not_flagged(client, headers, name, fmt) -> None:
    data = samples.encode(samples.rgb_photo(name), fmt)
    response = upload(client, headers, data, name=f"x.{fmt.lower()}")
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["flagged"] is False
    assert body["image"]["format"] == fmt.lower()


def test_boxes_are_in_original_pixels_after_resizing(client, headers) -> None:
    small = upload(client, headers, astronaut_jpeg()).get_json()
    big_pixels = samples.resized(samples.rgb_photo("astronaut"), (1536, 1536))
    big = upload(client, headers, samples.encode(big_pixels, "JPEG", quality=92)).get_json()
    assert big["image"]["width"] == 1536
    face_small = next(d for d in small["detections"] if d["label"] == "FACE_FEMALE")
    face_big = next(d for d in big["detections"] if d["label"] == "FACE_FEMALE")
    for a, b in zip(face_small["box"], face_big["box"], strict=True):
        assert abs(a * 3 - b) <= 30


def test_exif_rotation_is_applied(client, headers) -> None:
    data = samples.exif_jpeg(samples.rgb_photo("astronaut"), 6)
    body = upload(client, headers, data).get_json()
    face = next(d for d in body["detections"] if d["label"] == "FACE_FEMALE")
    x, y, w, h = face["box"]
    left, top, right, bottom = samples.ASTRONAUT_FACE
    assert left <= x + w / 2 <= right and top <= y + h / 2 <= bottom


def test_same_bytes_reuse_the_analysis(client, headers, db) -> None:
    data = samples.encode(samples.rgb_photo("chelsea"), "PNG")
    first = upload(client, headers, data).get_json()
    second = upload(client, headers, data).get_json()
    assert first["cached"] is False
    assert second["cached"] is True
    assert second["id"] != first["id"]
    assert second["detections"] == first["detections"]
    assert db.session.query(Scan).filter_by(sha256=first["image"]["sha256"]).count() == 2


def test_censored_copy_is_returned_not_stored(client, headers, db) -> None:
    response = upload(client, headers, astronaut_jpeg(), censor="true", censor_style="black")
    body = response.get_json()
    assert response.status_code == 201
    assert body["censored"]["style"] == "black"
    image = Image.open(io.BytesIO(base64.b64decode(body["censored"]["data"])))
    assert image.size == (512, 512)
    stored = db.session.get(Scan, body["id"])
    assert "censored" not in stored.details


def test_seed_alias_behaves_like_v1(client, headers) -> None:
    data = astronaut_jpeg()
    v1 = upload(client, headers, data).get_json()
    seed = upload(client, headers, data, url="/image-scan/").get_json()
    for key in ("verdict", "flagged", "risk_level", "detections", "image", "engine"):
        assert seed[key] == v1[key]
    assert upload(client, {}, data, url="/image-scan/").status_code == 401


HOSTILE = {
    "random bytes": (os.urandom(4096), 415),
    "text file named .jpg": (b"hello, this is not an image\n" * 50, 415),
    "truncated jpeg": (None, 422),
    "30000x30000 png header": (samples.png_header_only(30000, 30000), 413),
    "30000x30000 gif header": (samples.gif_header_only(30000, 30000), 413),
    "empty file": (b"", 422),
    "tiff": (None, 415),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_uploads_get_their_4xx(client, headers, case) -> None:
    data, status = HOSTILE[case]
    if case == "truncated jpeg":
        data = astronaut_jpeg()[:5000]
    if case == "tiff":
        data = samples.encode(samples.rgb_photo("coffee"), "TIFF")
    response = upload(client, headers, data)
    assert response.status_code == status, response.get_json()
    body = response.get_json()
    assert body["code"] == status and body["message"]
    assert client.get("/healthz").status_code == 200


@pytest.mark.parametrize(
    ("name", "make"),
    [
        ("1x1", lambda: samples.encode(Image.new("RGB", (1, 1), "white"), "PNG")),
        ("20000x10", lambda: samples.encode(Image.new("RGB", (20000, 10), "white"), "PNG")),
        ("jpeg+zip polyglot", samples.jpeg_zip_polyglot),
        ("gif+js polyglot", samples.gif_js_polyglot),
        ("jpeg+html polyglot", samples.jpeg_html_polyglot),
    ],
)
def test_odd_but_valid_images_are_scanned(client, headers, name, make) -> None:
    response = upload(client, headers, make())
    assert response.status_code == 201, (name, response.get_json())


def test_png_with_huge_text_chunk_is_a_clean_answer(client, headers) -> None:
    chunk = samples.png_chunk(b"zTXt", b"comment\x00\x00" + zlib.compress(b"A" * 50_000_000))
    data = samples.png_with_chunks(samples.rgb_photo("coffee")[:64, :64], [chunk])
    response = upload(client, headers, data)
    assert response.status_code == 422, response.get_json()  # Pillow's text-chunk limit
    assert response.get_json()["errors"]["files"]["image"] == ["corrupt"]
    assert client.get("/healthz").status_code == 200


def test_missing_field_two_files_and_zero_byte_field(client, headers) -> None:
    missing = post_multipart(client, URL, {"censor": "false"}, headers)
    assert missing.status_code == 422
    assert "image" in missing.get_json()["errors"]["files"]
    data = astronaut_jpeg()
    two = post_multipart(
        client, URL, {"image": [(io.BytesIO(data), "a.jpg"), (io.BytesIO(data), "b.jpg")]}, headers
    )
    assert two.status_code == 422
    zero = upload(client, headers, b"", name="empty.jpg")
    assert zero.status_code == 422


def test_unknown_form_field_is_rejected(client, headers) -> None:
    response = upload(client, headers, astronaut_jpeg(), user_id="someone-else")
    assert response.status_code == 422


def test_upload_over_the_limit_is_413_before_decoding(client, headers, app) -> None:
    data = os.urandom(app.config["MAX_IMAGE_BYTES"] + 1)
    response = upload(client, headers, b"\xff\xd8\xff" + data)
    assert response.status_code == 413


def test_json_body_is_415(client, headers) -> None:
    response = client.post(URL, json={"image": "aGVsbG8="}, headers=headers)
    assert response.status_code == 415


def test_unverified_user_gets_403_and_anonymous_401(client, auth_headers, user) -> None:
    response = upload(client, auth_headers(user), astronaut_jpeg())
    assert response.status_code == 403
    assert "verify your email" in response.get_json()["message"]
    assert upload(client, {}, astronaut_jpeg()).status_code == 401


def test_scans_are_rate_limited_per_user(client, headers, app, monkeypatch) -> None:
    monkeypatch.setitem(app.config, "RATELIMIT_SCANS_USER", "2/minute")
    data = samples.encode(Image.new("RGB", (32, 32), "white"), "PNG")
    assert upload(client, headers, data).status_code == 201
    chat = client.post(
        "/api/v1/scans/chat", json={"messages": [{"sender": "a", "text": "hi"}]}, headers=headers
    )
    assert chat.status_code == 201  # one budget for image and chat scans
    limited = upload(client, headers, data)
    assert limited.status_code == 429
    assert int(limited.headers["Retry-After"]) > 0
    assert limited.get_json()["code"] == 429


def test_metrics_count_scans_per_engine_and_verdict(client, headers) -> None:
    upload(client, headers, astronaut_jpeg())
    text = client.get("/metrics").get_data(as_text=True)
    assert 'kitodeck_scans_total{engine="nudenet",kind="image",verdict="safe"}' in text
    assert "kitodeck_scan_duration_seconds_bucket" in text
