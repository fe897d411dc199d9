"""Uploading a profile photo: what is accepted and how it is cleaned, what is refused and why."""

from __future__ import annotations

import io
import random
import struct
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.shortcuts import resolve_url
from django.test import Client
from django.utils.html import escape
from PIL import ExifTags, Image, ImageFile, PngImagePlugin
from pytest_django import DjangoCaptureOnCommitCallbacks

from profiles import services
from profiles.models import Profile, User

pytestmark = pytest.mark.django_db

URL = "/me/photo/"
RED, WHITE, BLUE = (255, 0, 0), (255, 255, 255), (0, 0, 255)

NOT_AN_IMAGE = "This file is not an image we can read. Please upload a JPEG, PNG or WebP photo."
MARKUP = "This file contains web page or SVG code. Please upload a plain photo."
TOO_MANY_PIXELS = "The image has too many pixels. Please upload a smaller picture."
TOO_LARGE = "The file is too large: at most {size}, please."
UNSUPPORTED = "Please upload a JPEG, PNG or WebP image."


def picture(fmt: str, size: tuple[int, int] = (64, 48), mode: str = "RGB", **save: Any) -> bytes:
    image = Image.new(mode, size, "white")
    out = io.BytesIO()
    image.save(out, format=fmt, **save)
    return out.getvalue()


def noise_png(size: tuple[int, int]) -> bytes:
    """Incompressible, so the file is about 3 bytes a pixel."""
    pixels = random.Random(7).randbytes(size[0] * size[1] * 3)
    out = io.BytesIO()
    Image.frombytes("RGB", size, pixels).save(out, format="PNG")
    return out.getvalue()


def png_declaring(width: int, height: int) -> bytes:
    """A real, complete 1-bit PNG of that size: rows of zeros compress to next to nothing."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body)
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    row = bytes(1 + (width + 7) // 8)  # filter byte + packed bits
    compressor = zlib.compressobj(9)
    idat = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def send(
    client: Client, data: bytes, name: str = "photo.jpg", content_type: str = "image/jpeg"
) -> Any:
    return client.post(URL, {"avatar": SimpleUploadedFile(name, data, content_type=content_type)})


def stored_files(settings: Any) -> list[Path]:
    folder = Path(settings.MEDIA_ROOT) / "avatars"
    return sorted(folder.iterdir()) if folder.exists() else []


def avatar_of(user: User) -> Any:
    return Profile.objects.get(pk=user.pk).avatar


def stored_bytes(user: User) -> bytes:
    avatar = avatar_of(user)
    assert avatar, "no photo was stored"
    return Path(avatar.path).read_bytes()


def stored_image(user: User) -> Image.Image:
    return Image.open(io.BytesIO(stored_bytes(user)))


def assert_accepted(response: Any) -> None:
    errors = response.context["form"].errors if response.context else ""
    assert response.status_code == 302, errors
    assert response["Location"] == "/me/edit/#photo"


def assert_refused(response: Any, message: str) -> None:
    assert response.status_code == 400
    assert response.context["form"].errors["avatar"] == [message]
    assert escape(message) in response.content.decode()


def is_red(pixel: Any) -> bool:
    red, green, blue = pixel
    return red > 200 and green < 60 and blue < 60


def is_blue(pixel: Any) -> bool:
    red, green, blue = pixel
    return blue > 200 and red < 60 and green < 60


def is_white(pixel: Any) -> bool:
    return min(pixel) > 220


# --- Accepted and cleaned --------------------------------------------------------------------


def test_jpeg_is_stored_upright_square_small_and_without_metadata(
    alice: User, client_for: Callable[[User], Client]
) -> None:
    # Wide, red on the left; a camera held upright writes orientation 6 ("rotate 90° clockwise
    # to view"), after which the red half is at the top.
    image = Image.new("RGB", (1200, 600), WHITE)
    image.paste(RED, (0, 0, 600, 600))
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "SpyCam"
    exif[ExifTags.Base.Orientation] = 6
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (60.0, 10.0, 12.5)
    out = io.BytesIO()
    image.save(
        out,
        format="JPEG",
        exif=exif,
        comment=b"Home: Rantakatu 5 B 12",
        xmp=b"<x:xmpmeta><dc:creator>Alice</dc:creator></x:xmpmeta>",
    )
    upload = out.getvalue()
    for planted in (b"Exif", b"SpyCam", b"Rantakatu"):
        assert planted in upload

    assert_accepted(send(client_for(alice), upload))

    data = stored_bytes(alice)
    stored = stored_image(alice)
    assert stored.format == "JPEG"
    assert stored.size == (512, 512)
    assert not stored.getexif()
    for leak in (b"Exif", b"SpyCam", b"Rantakatu", b"http://ns.adobe.com/xap", b"Alice"):
        assert leak not in data
    assert "comment" not in stored.info
    rgb = stored.convert("RGB")
    assert is_red(rgb.getpixel((450, 60)))  # the red half is on top now
    assert is_white(rgb.getpixel((60, 450)))  # and the white one below


def test_small_photo_is_cropped_to_a_square_not_enlarged(
    alice: User, client_for: Callable[[User], Client]
) -> None:
    assert_accepted(send(client_for(alice), picture("JPEG", (300, 200))))

    assert stored_image(alice).size == (200, 200)


def test_png_with_transparency_becomes_a_jpeg_on_white(
    alice: User, client_for: Callable[[User], Client]
) -> None:
    image = Image.new("RGBA", (100, 100), (0, 0, 0, 0))  # transparent black
    image.paste((*BLUE, 255), (0, 0, 50, 100))
    out = io.BytesIO()
    image.save(out, format="PNG")

    assert_accepted(send(client_for(alice), out.getvalue(), "photo.png", "image/png"))

    stored = stored_image(alice)
    assert stored.format == "JPEG"
    assert stored.mode == "RGB"
    assert is_blue(stored.getpixel((10, 50)))
    assert is_white(stored.getpixel((90, 50)))  # not black: transparency became white


@pytest.mark.parametrize("lossless", [True, False])
def test_webp_is_converted_to_jpeg(
    alice: User, client_for: Callable[[User], Client], lossless: bool
) -> None:
    upload = picture("WEBP", (80, 80), lossless=lossless)

    assert_accepted(send(client_for(alice), upload, "photo.webp", "image/webp"))

    stored = stored_image(alice)
    assert stored.format == "JPEG"
    assert stored.size == (80, 80)


def test_multi_picture_jpeg_from_a_phone_is_accepted_as_one_picture(
    alice: User, client_for: Callable[[User], Client]
) -> None:
    # Many phones and cameras add a second picture (MPF); Pillow reports such a file as "MPO".
    first, second = Image.new("RGB", (90, 90), RED), Image.new("RGB", (90, 90), BLUE)
    out = io.BytesIO()
    first.save(out, format="MPO", save_all=True, append_images=[second])
    assert Image.open(io.BytesIO(out.getvalue())).format == "MPO"

    assert_accepted(send(client_for(alice), out.getvalue()))

    data = stored_bytes(alice)
    stored = stored_image(alice)
    assert stored.format == "JPEG"
    assert is_red(stored.getpixel((45, 45)))
    assert b"MPF" not in data


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
@pytest.mark.parametrize("exif", [b"not a TIFF header", b"Exif\x00\x00garbage"])
def test_unreadable_exif_is_dropped_not_a_server_error(
    alice: User, client_for: Callable[[User], Client], fmt: str, exif: bytes
) -> None:
    assert_accepted(send(client_for(alice), picture(fmt, exif=exif), "photo.img"))

    assert b"garbage" not in stored_bytes(alice)
    assert not stored_image(alice).getexif()


def test_stored_name_is_ours_whatever_the_upload_was_called(
    alice: User, client_for: Callable[[User], Client]
) -> None:
    assert_accepted(send(client_for(alice), picture("PNG"), "../../evil.html", "text/html"))

    name = avatar_of(alice).name
    assert name.startswith("avatars/")
    assert name.endswith(".jpg")
    assert "evil" not in name


def test_a_large_but_reasonable_picture_is_scaled_down(
    alice: User, client_for: Callable[[User], Client]
) -> None:
    assert_accepted(send(client_for(alice), png_declaring(3000, 2000), "photo.png"))

    assert stored_image(alice).size == (512, 512)


# --- Refused ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("notes.txt", b"Hello! This is not a photo, just some words.\n"),
        ("photo.jpg", random.Random(42).randbytes(4096)),
        ("cv.pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n"),
        ("photo.jpg", noise_png((64, 64))[:3000]),  # a real PNG, cut short
    ],
    ids=["text", "random-bytes", "pdf", "truncated-png"],
)
def test_a_file_that_is_not_an_image_is_refused(
    alice: User, client_for: Callable[[User], Client], settings: Any, name: str, data: bytes
) -> None:
    assert_refused(send(client_for(alice), data, name), NOT_AN_IMAGE)

    assert not avatar_of(alice)
    assert stored_files(settings) == []


SVG_BODY = (
    b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    b'<rect width="10" height="10" fill="red"/><script>alert(1)</script></svg>'
)


@pytest.mark.parametrize(
    ("name", "content_type", "data"),
    [
        ("face.svg", "image/svg+xml", b'<?xml version="1.0" encoding="UTF-8"?>\n' + SVG_BODY),
        ("face.svg", "image/svg+xml", SVG_BODY),
        ("face.png", "image/png", SVG_BODY),
        ("face.png", "image/png", b"\xef\xbb\xbf  \n<SVG" + SVG_BODY[4:]),
    ],
    ids=["with-prolog", "without-prolog", "named-png", "bom-and-uppercase"],
)
def test_svg_is_refused_with_a_clear_message(
    alice: User,
    client_for: Callable[[User], Client],
    settings: Any,
    name: str,
    content_type: str,
    data: bytes,
) -> None:
    assert_refused(send(client_for(alice), data, name, content_type), MARKUP)

    assert not avatar_of(alice)
    assert stored_files(settings) == []


def test_svg_in_utf16_is_refused_as_not_an_image(
    alice: User, client_for: Callable[[User], Client], settings: Any
) -> None:
    data = SVG_BODY.decode().encode("utf-16")

    assert_refused(send(client_for(alice), data, "face.svg", "image/svg+xml"), NOT_AN_IMAGE)

    assert stored_files(settings) == []


def _png_with_html_after_iend() -> bytes:
    return picture("PNG") + b"<html><script>alert(1)</script></html>"


def _png_with_html_in_text_chunk() -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "<html><script>alert(1)</script></html>")
    return picture("PNG", pnginfo=info)


def _jpeg_with_script_in_comment() -> bytes:
    return picture("JPEG", comment=b"<script>alert(1)</script>")


@pytest.mark.parametrize(
    "make", [_png_with_html_after_iend, _png_with_html_in_text_chunk, _jpeg_with_script_in_comment]
)
def test_image_and_html_polyglot_is_refused(
    alice: User, client_for: Callable[[User], Client], settings: Any, make: Callable[[], bytes]
) -> None:
    data = make()
    assert Image.open(io.BytesIO(data)).format in {"PNG", "JPEG"}  # a real image all the same

    assert_refused(send(client_for(alice), data, "photo.png", "image/png"), MARKUP)

    assert not avatar_of(alice)
    assert stored_files(settings) == []


@pytest.mark.parametrize(
    ("width", "height"),
    [(20_000, 20_000), (7_000, 7_000)],
    ids=["beyond-pillows-own-limit", "beyond-ours-only"],
)
def test_decompression_bomb_is_refused_without_decoding_it(
    alice: User,
    client_for: Callable[[User], Client],
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
    width: int,
    height: int,
) -> None:
    data = png_declaring(width, height)
    assert len(data) < 100_000  # tiny on the wire, hundreds of megabytes once decoded
    decoded: list[tuple[int, int]] = []
    load = ImageFile.ImageFile.load

    def spy(image: ImageFile.ImageFile) -> Any:
        decoded.append(image.size)
        return load(image)

    monkeypatch.setattr(ImageFile.ImageFile, "load", spy)

    assert_refused(send(client_for(alice), data, "photo.png", "image/png"), TOO_MANY_PIXELS)

    assert decoded == []
    assert stored_files(settings) == []


def test_file_over_the_size_limit_is_refused(
    alice: User, client_for: Callable[[User], Client], settings: Any
) -> None:
    settings.AVATAR_MAX_BYTES = 20_000
    data = noise_png((100, 100))
    assert len(data) > 20_000

    assert_refused(
        send(client_for(alice), data, "photo.png", "image/png"), TOO_LARGE.format(size="19.5\xa0KB")
    )

    assert stored_files(settings) == []


def test_file_exactly_at_the_size_limit_is_accepted(
    alice: User, client_for: Callable[[User], Client], settings: Any
) -> None:
    settings.AVATAR_MAX_BYTES = 20_000
    png = picture("PNG")
    data = png + bytes(20_000 - len(png))  # decoders ignore what follows the end of a PNG

    assert_accepted(send(client_for(alice), data, "photo.png", "image/png"))

    assert len(stored_files(settings)) == 1


def test_real_upload_over_five_megabytes_is_refused(
    alice: User, client_for: Callable[[User], Client], settings: Any
) -> None:
    data = picture("PNG") + bytes(5 * 1024 * 1024)
    assert len(data) > 5 * 1024 * 1024

    assert_refused(
        send(client_for(alice), data, "photo.png", "image/png"), TOO_LARGE.format(size="5.0\xa0MB")
    )

    assert not avatar_of(alice)
    assert stored_files(settings) == []


@pytest.mark.parametrize(
    ("fmt", "name"), [("GIF", "photo.gif"), ("BMP", "photo.bmp"), ("TIFF", "photo.tiff")]
)
def test_other_image_formats_are_refused_as_unsupported(
    alice: User, client_for: Callable[[User], Client], settings: Any, fmt: str, name: str
) -> None:
    assert_refused(send(client_for(alice), picture(fmt), name), UNSUPPORTED)

    assert stored_files(settings) == []


# --- Replacing, removing, refusing over an existing photo -------------------------------------


def test_replacing_the_photo_deletes_the_old_file_after_commit(
    alice: User,
    client_for: Callable[[User], Client],
    settings: Any,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    client = client_for(alice)
    assert_accepted(send(client, picture("JPEG")))
    old = avatar_of(alice)

    with django_capture_on_commit_callbacks(execute=True):
        assert_accepted(send(client, picture("PNG"), "new.png", "image/png"))

    new = avatar_of(alice)
    assert new.name != old.name
    assert not old.storage.exists(old.name)
    assert stored_files(settings) == [Path(new.path)]


def test_old_photo_is_kept_until_the_transaction_commits(
    alice: User,
    client_for: Callable[[User], Client],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    client = client_for(alice)
    assert_accepted(send(client, picture("JPEG")))
    old = avatar_of(alice)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert_accepted(send(client, picture("PNG"), "new.png", "image/png"))

    assert old.storage.exists(old.name)  # a rollback would still find it
    assert len(callbacks) == 1
    callbacks[0]()
    assert not old.storage.exists(old.name)


def test_removing_the_photo_clears_it_and_deletes_the_file(
    alice: User,
    client_for: Callable[[User], Client],
    settings: Any,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    client = client_for(alice)
    assert_accepted(send(client, picture("JPEG")))
    assert len(stored_files(settings)) == 1

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(URL, {"remove": "1"})

    assert response.status_code == 302
    assert response["Location"] == "/me/edit/#photo"
    assert not avatar_of(alice)
    assert stored_files(settings) == []


def test_an_upload_from_a_stale_page_does_not_orphan_the_previous_file(
    alice: User,
    settings: Any,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    # Two uploads racing: both requests loaded the profile before either saved.
    first_request = Profile.objects.get(pk=alice.pk)
    second_request = Profile.objects.get(pk=alice.pk)
    with django_capture_on_commit_callbacks(execute=True):
        services.set_avatar(profile=first_request, image=ContentFile(picture("JPEG"), name="a.jpg"))
        services.set_avatar(
            profile=second_request, image=ContentFile(picture("JPEG"), name="b.jpg")
        )

    assert stored_files(settings) == [Path(avatar_of(alice).path)]


def test_refused_upload_leaves_the_old_photo_untouched(
    alice: User, client_for: Callable[[User], Client], settings: Any
) -> None:
    client = client_for(alice)
    assert_accepted(send(client, picture("JPEG")))
    old = avatar_of(alice)
    before = Path(old.path).read_bytes()

    assert_refused(send(client, SVG_BODY, "face.svg", "image/svg+xml"), MARKUP)

    assert avatar_of(alice).name == old.name
    assert Path(old.path).read_bytes() == before
    assert stored_files(settings) == [Path(old.path)]


# --- Who may post ----------------------------------------------------------------------------


def test_anonymous_upload_is_sent_to_login(client: Client, settings: Any) -> None:
    response = send(client, picture("JPEG"))

    assert response.status_code == 302
    assert response["Location"].startswith(resolve_url(settings.LOGIN_URL) + "?next=")
    assert stored_files(settings) == []


def test_photo_page_only_takes_posts(alice: User, client_for: Callable[[User], Client]) -> None:
    assert client_for(alice).get(URL).status_code == 405
