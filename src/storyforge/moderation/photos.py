"""A customer's photo, made safe to keep: decoded and re-encoded by Pillow, upright, with nothing
but pixels left.

A photo from a phone carries where it was taken (EXIF GPS), the phone's serial number (maker
notes), sometimes the owner's name (XMP, IPTC) and a thumbnail that may still show what was
cropped away. None of that may reach the inbox, let alone the site, so the file the customer
sent is never stored: its pixels are decoded, turned upright by the EXIF orientation, converted
to sRGB when it carries a colour profile, and written into a fresh JPEG (or PNG, when it has
transparency) that holds nothing else. Decoding is bounded before it starts: the byte size, then
the pixel count read from the header, so a 20,000 × 20,000 "photo bomb" of a few kilobytes is
refused without allocating its gigabyte.

Stored as ``submissions/photos/<submission id>.jpg`` (a name storyforge makes, never the
customer's), readable by its owner only; the submission's ``photo`` field holds the reference
``photos/<file>``.
"""

from __future__ import annotations

import io
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from storyforge.publish.atomic import write_atomic

if TYPE_CHECKING:
    from PIL.Image import Image

PHOTOS = "photos"
MAX_PHOTO_BYTES = 10_000_000
MAX_PHOTO_PIXELS = 40_000_000  # a 48-megapixel phone camera in its usual 12 MP mode and then some
MAX_SIDE = 3000  # stored photos are cut down to this: the site never shows one larger
ACCEPTED = ("JPEG", "PNG", "WEBP", "GIF")
#: a stored photo's reference, as a submission's ``photo`` field holds it
REFERENCE = re.compile(r"photos/[0-9A-Za-z_-]+\.(jpg|png)")


class PhotoError(ValueError):
    """The photo cannot be kept; the message says why, in words for the customer."""


@dataclass(frozen=True)
class CleanPhoto:
    """A re-encoded photo: the bytes to store and their file extension."""

    data: bytes
    extension: str  # "jpg" or "png"
    width: int
    height: int


def clean_photo(data: bytes) -> CleanPhoto:
    """The pixels of ``data`` in a new file with no metadata, upright; PhotoError when it is not a
    photo, too large in bytes or in pixels."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    if len(data) > MAX_PHOTO_BYTES:
        raise PhotoError(f"the photo is {len(data) / 1e6:.1f} MB; the limit is {MAX_PHOTO_BYTES / 1e6:.0f} MB")
    if not data:
        raise PhotoError("the photo file is empty")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))  # reads the header only
            if image.format not in ACCEPTED:
                raise PhotoError(f"a {image.format} file cannot be taken; send a JPEG, PNG, WebP or GIF photo")
            width, height = image.size
            if width * height > MAX_PHOTO_PIXELS:
                raise PhotoError(f"the photo is {width:,} × {height:,} pixels; the limit is "
                                 f"{MAX_PHOTO_PIXELS // 1_000_000} megapixels")
            image.load()
            upright = ImageOps.exif_transpose(image)
    except PhotoError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):  # Pillow's own, far larger limit
        raise PhotoError(f"the photo has far more pixels than the limit of {MAX_PHOTO_PIXELS // 1_000_000} "
                         "megapixels") from None
    except UnidentifiedImageError:
        raise PhotoError("this file is not a photo storyforge can read; send a JPEG, PNG, WebP or GIF") from None
    except (OSError, ValueError, SyntaxError, EOFError):
        raise PhotoError("the photo is damaged or cut short; please send it again") from None
    upright = _to_srgb(upright)
    keep_alpha = upright.mode in ("RGBA", "LA", "PA") or (upright.mode == "P" and "transparency" in upright.info)
    pixels = upright.convert("RGBA" if keep_alpha else "RGB")
    pixels.thumbnail((MAX_SIDE, MAX_SIDE))
    # a fresh image from the raw pixels: no info dict, no EXIF, XMP, IPTC, ICC, comments or thumbnail
    bare = Image.frombytes(pixels.mode, pixels.size, pixels.tobytes())
    out = io.BytesIO()
    if keep_alpha:
        bare.save(out, "PNG", optimize=True)
    else:
        bare.save(out, "JPEG", quality=85, optimize=True, progressive=True)
    return CleanPhoto(out.getvalue(), "png" if keep_alpha else "jpg", bare.width, bare.height)


def _to_srgb(image: Image) -> Image:
    """Pixels in sRGB: a photo's colour profile (Display P3 on many phones) is applied, not kept."""
    from PIL import ImageCms

    icc = image.info.get("icc_profile")
    if not icc or image.mode not in ("RGB", "RGBA"):
        return image
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        converted = ImageCms.profileToProfile(image, source, ImageCms.createProfile("sRGB"), outputMode=image.mode)
    except (ImageCms.PyCMSError, OSError, ValueError):
        return image  # a broken profile: the pixels as they are
    return converted if converted is not None else image


def store_clean(submissions_dir: Path, submission_id: str, photo: CleanPhoto) -> str:
    """Write a cleaned photo as ``photos/<submission id>.<ext>`` (atomically, durably, owner-only)
    and return that reference."""
    if not re.fullmatch(r"[0-9A-Za-z_-]+", submission_id):
        raise ValueError(f"not a submission id: {submission_id!r}")
    reference = f"{PHOTOS}/{submission_id}.{photo.extension}"
    write_atomic(submissions_dir / reference, photo.data, durable=True, mode=0o600)
    return reference


def store_photo(submissions_dir: Path, submission_id: str, data: bytes) -> str:
    """Re-encode ``data`` (see :func:`clean_photo`) and store it beside the submissions; returns the
    reference ``photos/<file>`` for the submission's ``photo`` field. PhotoError when it cannot be."""
    return store_clean(submissions_dir, submission_id, clean_photo(data))
