"""Avatar uploads: check that the file is a real image of sane size, then re-encode it.

Nothing a member uploads is ever stored as uploaded. The file is

1. refused when larger than ``settings.AVATAR_MAX_BYTES``;
2. opened by Pillow with a closed list of decoders (PNG, JPEG, GIF, WebP) -- only the header is read, so a
   "decompression bomb" (a tiny file that declares a huge canvas) is refused before any pixel is decoded,
   both by our own limit ``settings.AVATAR_MAX_PIXELS`` and by Pillow's bomb check, whose warning is turned
   into an error;
3. ``verify()``-ed (which consumes the image object), then opened again and fully decoded;
4. turned upright (EXIF orientation), cropped to a centred square, scaled to ``settings.AVATAR_SIZE`` and
   encoded afresh as WebP (PNG where Pillow lacks WebP) from raw pixels, so no metadata (EXIF, GPS, ICC,
   comments) survives;
5. named with ``secrets.token_hex`` -- never the uploaded name.
"""

from __future__ import annotations

import io
import secrets
import warnings
from typing import IO

from django.conf import settings
from django.core.files.base import ContentFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError, features

from accounts.errors import AvatarError

ACCEPTED_FORMATS = ("PNG", "JPEG", "GIF", "WEBP")


def output_format() -> tuple[str, str]:
    """(Pillow format, file extension) of stored avatars."""
    return ("WEBP", "webp") if features.check("webp") else ("PNG", "png")


def _too_many_pixels() -> AvatarError:
    side = int(settings.AVATAR_MAX_PIXELS ** 0.5)
    return AvatarError(
        _("This image has too many pixels. Please upload a picture of at most %(side)s × %(side)s pixels.")
        % {"side": side},
        code="avatar_pixels",
    )


def _not_an_image() -> AvatarError:
    return AvatarError(
        _("This file is not an image we can read. Please upload a PNG, JPEG, GIF or WebP picture."),
        code="avatar_invalid",
    )


def _open_checked(data: bytes) -> Image.Image:
    """Open from the header only, refusing unknown formats and oversized canvases."""
    try:
        image = Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_many_pixels() from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        raise _not_an_image() from None
    width, height = image.size
    if width < 1 or height < 1:
        raise _not_an_image()
    if width * height > settings.AVATAR_MAX_PIXELS:
        raise _too_many_pixels()
    return image


def _read_upload(upload: IO[bytes]) -> bytes:
    limit = settings.AVATAR_MAX_BYTES
    size = getattr(upload, "size", None)
    if size is not None and size > limit:
        raise _too_large(limit)
    if hasattr(upload, "seek"):
        upload.seek(0)
    data = upload.read(limit + 1)  # never read more than one byte past the limit
    if len(data) > limit:
        raise _too_large(limit)
    if not data:
        raise AvatarError(_("The file is empty. Please choose a picture."), code="avatar_empty")
    return data


def _too_large(limit: int) -> AvatarError:
    return AvatarError(
        _("This file is too large. Avatars may be at most %(size)s.") % {"size": filesizeformat(limit)},
        code="avatar_bytes",
    )


def process_avatar(upload: IO[bytes]) -> ContentFile:
    """Check and re-encode an uploaded avatar; the result carries a fresh random name.

    Raises AvatarError with a message for the member when the upload is refused.
    """
    data = _read_upload(upload)
    with warnings.catch_warnings():
        # Pillow warns (rather than fails) between MAX_IMAGE_PIXELS and twice that: treat it as the error it is.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        image = _open_checked(data)
        try:
            image.verify()
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise _too_many_pixels() from None
        except Exception:  # verify() raises a variety of types for broken files
            raise _not_an_image() from None
        # verify() leaves the object unusable: open again and decode for real.
        image = _open_checked(data)
        try:
            image.seek(0)  # the first frame of an animation
            image.load()
            image = ImageOps.exif_transpose(image)
            image = _square(image)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise _too_many_pixels() from None
        except Exception:  # truncated or corrupt pixel data
            raise _not_an_image() from None

    pillow_format, extension = output_format()
    # Rebuild from raw pixels: nothing of the original file's metadata (info, EXIF, ICC) comes along.
    clean = Image.frombytes(image.mode, image.size, image.tobytes())
    buffer = io.BytesIO()
    if pillow_format == "WEBP":
        clean.save(buffer, format="WEBP", quality=85, method=4)
    else:
        clean.save(buffer, format="PNG", optimize=True)
    return ContentFile(buffer.getvalue(), name=f"{secrets.token_hex(16)}.{extension}")


def _square(image: Image.Image) -> Image.Image:
    size = settings.AVATAR_SIZE
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)
    image = image.convert("RGBA" if has_alpha else "RGB")
    return ImageOps.fit(image, (size, size), method=Image.Resampling.LANCZOS, centering=(0.5, 0.5))
