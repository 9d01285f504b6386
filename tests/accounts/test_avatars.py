"""accounts.avatars: only real, sane images are accepted, and they are re-encoded."""

from __future__ import annotations

import io
import re
import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from accounts import actions
from accounts.avatars import output_format, process_avatar
from accounts.errors import AvatarError


def _image_bytes(size=(300, 200), fmt="PNG", color="blue", **save) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format=fmt, **save)
    return buffer.getvalue()


def _upload(data: bytes, name="photo.png", content_type="image/png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def _png_declaring(width: int, height: int) -> bytes:
    """A tiny, valid-looking PNG whose header declares a huge canvas (a decompression bomb)."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    # One compressed row of zeros stands in for gigabytes of image data.
    data = zlib.compress(b"\x00" * 1024, 9)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")


def test_text_file_refused():
    with pytest.raises(AvatarError) as info:
        process_avatar(_upload(b"hello, I am not a picture", name="evil.png"))
    assert "not an image we can read" in info.value.messages[0]


def test_svg_refused():
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    with pytest.raises(AvatarError) as info:
        process_avatar(_upload(svg, name="a.svg", content_type="image/svg+xml"))
    assert "not an image we can read" in info.value.messages[0]


def test_truncated_image_refused():
    data = _image_bytes((400, 400), fmt="JPEG")
    with pytest.raises(AvatarError):
        process_avatar(_upload(data[: len(data) // 3], name="cut.jpg"))


def test_empty_file_refused():
    with pytest.raises(AvatarError) as info:
        process_avatar(_upload(b""))
    assert "empty" in info.value.messages[0]


def test_file_over_byte_limit_refused(settings):
    settings.AVATAR_MAX_BYTES = 1000
    data = _image_bytes((64, 64), fmt="BMP")  # an uncompressed 12 kB file
    with pytest.raises(AvatarError) as info:
        process_avatar(_upload(data, name="big.bmp"))
    assert "too large" in info.value.messages[0]
    assert "1000" in info.value.messages[0] or "KB" in info.value.messages[0] or "bytes" in info.value.messages[0]


def test_image_over_pixel_limit_refused(settings):
    settings.AVATAR_MAX_PIXELS = 100 * 100
    with pytest.raises(AvatarError) as info:
        process_avatar(_upload(_image_bytes((101, 100))))
    assert "too many pixels" in info.value.messages[0]


def test_decompression_bomb_refused():
    bomb = _png_declaring(100_000, 100_000)
    assert len(bomb) < 200
    with pytest.raises(AvatarError) as info:
        process_avatar(_upload(bomb, name="bomb.png"))
    assert "too many pixels" in info.value.messages[0]


def test_bomb_under_pillow_limit_but_over_ours_refused(settings):
    # 20000 x 20000 = 400 M pixels: over 2 x Pillow's default limit -> DecompressionBombError, and over ours.
    with pytest.raises(AvatarError) as info:
        process_avatar(_upload(_png_declaring(20_000, 20_000)))
    assert "too many pixels" in info.value.messages[0]


def test_pillow_warning_zone_is_an_error(settings, monkeypatch):
    """Between Pillow's MAX_IMAGE_PIXELS and twice that Pillow only warns: we refuse."""
    settings.AVATAR_MAX_PIXELS = 10**9  # our own limit out of the way
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 5000)
    with pytest.raises(AvatarError) as info:
        process_avatar(_upload(_image_bytes((80, 80))))  # 6400 pixels: in the warning zone
    assert "too many pixels" in info.value.messages[0]


@pytest.mark.parametrize("fmt,name", [("PNG", "a.png"), ("JPEG", "a.jpg"), ("GIF", "a.gif"), ("WEBP", "a.webp")])
def test_valid_image_is_reencoded_square_with_random_name(settings, fmt, name):
    result = process_avatar(_upload(_image_bytes((300, 200), fmt=fmt), name=name))
    pillow_format, extension = output_format()
    assert re.fullmatch(rf"[0-9a-f]{{32}}\.{extension}", result.name)
    image = Image.open(io.BytesIO(result.read()))
    assert image.format == pillow_format
    assert image.size == (settings.AVATAR_SIZE, settings.AVATAR_SIZE)


def test_metadata_is_stripped():
    exif = Image.Exif()
    exif[0x010F] = "SpyCam Inc."  # Make
    exif[0x8825] = {2: (51.0, 30.0, 0.0)}  # a GPS block
    data = _image_bytes((120, 120), fmt="JPEG", exif=exif.tobytes(), comment=b"secret")
    assert b"SpyCam" in data
    result = process_avatar(_upload(data, name="gps.jpg"))
    body = result.read()
    assert b"SpyCam" not in body and b"secret" not in body
    image = Image.open(io.BytesIO(body))
    assert not image.getexif()
    assert "icc_profile" not in image.info


def test_names_are_never_reused():
    data = _image_bytes((50, 50))
    assert process_avatar(_upload(data)).name != process_avatar(_upload(data)).name


@pytest.mark.django_db
def test_avatar_set_replaces_and_deletes_old_file(member, django_capture_on_commit_callbacks):
    storage = member._meta.get_field("avatar").storage
    with django_capture_on_commit_callbacks(execute=True):
        actions.avatar_set(user=member, upload=_upload(_image_bytes()))
    first = member.avatar.name
    assert first.startswith("avatars/") and storage.exists(first)
    assert "photo" not in first
    with django_capture_on_commit_callbacks(execute=True):
        actions.avatar_set(user=member, upload=_upload(_image_bytes(color="green")))
    member.refresh_from_db()
    assert member.avatar.name != first
    assert storage.exists(member.avatar.name) and not storage.exists(first)
    with django_capture_on_commit_callbacks(execute=True):
        actions.avatar_remove(user=member)
    member.refresh_from_db()
    assert not member.avatar


@pytest.mark.django_db
def test_refused_avatar_leaves_the_old_one(member):
    actions.avatar_set(user=member, upload=_upload(_image_bytes()))
    before = member.avatar.name
    with pytest.raises(AvatarError):
        actions.avatar_set(user=member, upload=_upload(b"GIF89a nonsense", name="x.gif"))
    member.refresh_from_db()
    assert member.avatar.name == before
