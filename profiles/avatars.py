"""Turn an uploaded file into a safe avatar, or refuse it with a reason a person understands.

Only raster images Pillow really decodes are accepted; the result is a fresh JPEG encoded by
us, square, at most AVATAR_SIZE pixels a side, with no metadata (EXIF, GPS, comments).
"""

from __future__ import annotations

import io
import struct
import uuid
import warnings
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError

# Pillow names a JPEG carrying a second picture (an MPF depth map or preview, common from
# phones and cameras) "MPO"; the first picture is an ordinary JPEG.
ACCEPTED_FORMATS = {"JPEG", "MPO", "PNG", "WEBP"}

# Markup that has no business inside a photo: its presence means a file built to be read
# as HTML, SVG or script by something other than an image decoder (a polyglot). Not "<?xml":
# cameras' XMP metadata may carry it.
MARKUP_SIGNATURES = (
    b"<html",
    b"<script",
    b"<svg",
    b"<!doctype",
    b"<body",
    b"<iframe",
    b"<object",
    b"<embed",
    b"<?php",
    b"javascript:",
)


@dataclass(eq=False)
class AvatarError(Exception):
    message: str | Promise
    code: str


def _read_limited(upload: UploadedFile) -> bytes:
    upload.seek(0)
    data = upload.read(settings.AVATAR_MAX_BYTES + 1)
    if len(data) > settings.AVATAR_MAX_BYTES:
        raise AvatarError(
            _("The file is too large: at most %(size)s, please.")
            % {"size": filesizeformat(settings.AVATAR_MAX_BYTES)},
            "too_large",
        )
    return data


# EXIF orientation -> the transposition that makes the picture upright.
UPRIGHT = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def _upright(image: Image.Image) -> Image.Image:
    # Not ImageOps.exif_transpose: it re-serialises the whole EXIF block, which raises on
    # malformed tags, and we throw EXIF away anyway. Only the orientation matters here.
    try:
        orientation = image.getexif().get(ExifTags.Base.Orientation)
    except (SyntaxError, ValueError, TypeError, OSError, struct.error):
        # A PNG or WebP may carry any bytes as "EXIF"; the pixels decoded fine, keep them.
        return image
    method = UPRIGHT.get(orientation) if isinstance(orientation, int) else None
    return image.transpose(method) if method is not None else image


def process_avatar(upload: UploadedFile) -> ContentFile:
    data = _read_limited(upload)
    lowered = data.lower()
    if any(signature in lowered for signature in MARKUP_SIGNATURES):
        raise AvatarError(
            _("This file contains web page or SVG code. Please upload a plain photo."), "markup"
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            opened = Image.open(io.BytesIO(data))
            if opened.format not in ACCEPTED_FORMATS:
                raise AvatarError(
                    _("Please upload a JPEG, PNG or WebP image."), "unsupported_format"
                )
            width, height = opened.size
            if width * height > settings.AVATAR_MAX_PIXELS:
                raise AvatarError(
                    _("The image has too many pixels. Please upload a smaller picture."),
                    "too_many_pixels",
                )
            opened.load()
    except AvatarError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise AvatarError(
            _("The image has too many pixels. Please upload a smaller picture."),
            "too_many_pixels",
        ) from error
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        raise AvatarError(
            _("This file is not an image we can read. Please upload a JPEG, PNG or WebP photo."),
            "not_an_image",
        ) from error

    image = _upright(opened)
    if image.mode not in ("RGB", "L"):
        background = Image.new("RGB", image.size, (255, 255, 255))
        rgba = image.convert("RGBA")
        background.paste(rgba, mask=rgba.getchannel("A"))
        image = background
    size = settings.AVATAR_SIZE
    image = ImageOps.fit(
        image.convert("RGB"), (min(size, *image.size),) * 2, Image.Resampling.LANCZOS
    )
    # Pillow carries `info` through every transform and its JPEG writer re-emits a source
    # JPEG's comment from it; start the output with none of the upload's metadata.
    image.info = {}
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=85, optimize=True)
    return ContentFile(out.getvalue(), name=f"{uuid.uuid4().hex}.jpg")
