"""Turn an uploaded file into a safe avatar, or refuse it with a reason a person understands.

Only raster images Pillow really decodes are accepted; the result is a fresh JPEG encoded by
us, square, at most AVATAR_SIZE pixels a side, with no metadata (EXIF, GPS, comments).
"""

from __future__ import annotations

import io
import uuid
import warnings
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps, UnidentifiedImageError

ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP"}

# Markup that has no business inside a photo: its presence means a file built to be read
# as HTML, SVG or script by something other than an image decoder (a polyglot).
MARKUP_SIGNATURES = (
    b"<html",
    b"<script",
    b"<svg",
    b"<!doctype",
    b"<?xml",
    b"<body",
    b"<iframe",
    b"<object",
    b"<embed",
    b"<?php",
    b"javascript:",
)


@dataclass
class AvatarError(Exception):
    message: str | Promise
    code: str


def _read_limited(upload: UploadedFile) -> bytes:
    upload.seek(0)
    data = upload.read(settings.AVATAR_MAX_BYTES + 1)
    if len(data) > settings.AVATAR_MAX_BYTES:
        raise AvatarError(_("The file is too large: at most 5 MB, please."), "too_large")
    return data


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

    image: Image.Image = ImageOps.exif_transpose(opened)
    if image.mode not in ("RGB", "L"):
        background = Image.new("RGB", image.size, (255, 255, 255))
        rgba = image.convert("RGBA")
        background.paste(rgba, mask=rgba.getchannel("A"))
        image = background
    size = settings.AVATAR_SIZE
    image = ImageOps.fit(
        image.convert("RGB"), (min(size, *image.size),) * 2, Image.Resampling.LANCZOS
    )
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=85, optimize=True)  # no exif= : nothing carried over
    return ContentFile(out.getvalue(), name=f"{uuid.uuid4().hex}.jpg")
