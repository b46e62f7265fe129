"""One raster image in, its published variants out: upright, without metadata, in a few widths,
in its own format and in WebP.

A phone photo carries EXIF (the camera, the owner's name, often the GPS position where it was
taken — a customer's home), XMP, IPTC and maker notes. Nothing of that may reach a reader, so
no byte of the source is passed through: the pixels are decoded, turned upright by the EXIF
orientation, converted to sRGB when they carry a colour profile, copied into a fresh image that
has no ``info`` at all, and only then encoded. Pure function of the bytes and the settings, so
it runs in worker processes and its result is cached by the source's content hash.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PIL.Image import Image as Picture

#: the formats made for the web; what is read is whatever Pillow (and its plugins) can open
WEB_FORMATS = {"JPEG": ("jpg", "image/jpeg"), "PNG": ("png", "image/png"), "WEBP": ("webp", "image/webp")}
#: source suffixes processed as images (HEIC when the optional reader is installed: ``heic_support``)
RASTER_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp")
HEIC_SUFFIXES = (".heic", ".heif")
#: bumped when the processing changes what it writes (part of the image cache's key)
PROCESS_VERSION = "2"


class UnreadableImage(Exception):
    """The bytes are not an image this build can read."""


@dataclass(frozen=True)
class Variant:
    """One file made from the source: its display width, the format's suffix and MIME type, bytes."""

    width: int
    height: int
    suffix: str
    mime: str
    data: bytes


@dataclass(frozen=True)
class Processed:
    """The source's upright size and every variant made, the largest of each format last."""

    width: int
    height: int
    variants: tuple[Variant, ...]


def heic_support() -> bool:
    """Whether HEIC photos (iPhones') can be read: the optional ``pillow-heif`` plugin."""
    try:
        from pillow_heif import register_heif_opener  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return False
    register_heif_opener()
    return True


def process(data: bytes, source_suffix: str, widths: tuple[int, ...], quality: int) -> Processed:
    """The variants of one image. ``widths``: the widths wanted (only those narrower than the
    image are made, and the image's own width, capped at the largest, always); the image keeps
    its format (HEIC becomes JPEG, which browsers show) and gains a WebP of each width."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    if source_suffix in HEIC_SUFFIXES:
        heic_support()
    try:
        with Image.open(io.BytesIO(data)) as opened:
            source_format = opened.format or ""
            largest = max(widths)
            if source_format == "JPEG":
                opened.draft("RGB", (largest, largest * 8))  # decode a huge photo at a fraction of its size
            upright = ImageOps.exif_transpose(opened)
            pixels = _clean(_in_srgb(upright))
    except UnidentifiedImageError:
        raise UnreadableImage("not an image format this build can read") from None
    except Image.DecompressionBombError:
        raise UnreadableImage("too many pixels to be a photo") from None
    except (OSError, ValueError, SyntaxError) as exc:
        raise UnreadableImage(f"damaged: {exc}") from None
    own_format = source_format if source_format in ("JPEG", "PNG", "WEBP") else "JPEG"
    formats = [own_format] if own_format == "WEBP" else [own_format, "WEBP"]
    full_width = min(pixels.width, largest)
    chosen = sorted({w for w in widths if w < full_width} | {full_width})
    variants = []
    current = pixels
    for width in reversed(chosen):  # largest first, each smaller one from the one before
        height = max(1, round(pixels.height * width / pixels.width))
        if (width, height) != current.size:
            current = current.resize((width, height), Image.Resampling.LANCZOS, reducing_gap=3.0)
        for fmt in formats:
            suffix, mime = WEB_FORMATS[fmt]
            variants.append(Variant(width, height, suffix, mime, _encode(current, fmt, quality)))
    variants.sort(key=lambda v: (v.suffix, v.width))
    return Processed(pixels.width, pixels.height, tuple(variants))


def _in_srgb(image: Picture) -> Picture:
    """Pixels with a colour profile (a phone's Display P3) converted to sRGB, so dropping the
    profile with the rest of the metadata does not dull the colours."""
    icc = image.info.get("icc_profile")
    if not icc or image.mode not in ("RGB", "RGBA", "CMYK"):
        return image
    from PIL import ImageCms

    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        mode = "RGBA" if image.mode == "RGBA" else "RGB"
        converted = ImageCms.profileToProfile(image, source, ImageCms.createProfile("sRGB"), outputMode=mode)
    except (OSError, ValueError, ImageCms.PyCMSError):
        return image  # a broken profile: the pixels as they are
    return converted if converted is not None else image


def _clean(image: Picture) -> Picture:
    """A fresh RGB or RGBA image holding the pixels and nothing else (no EXIF, XMP, IPTC, ICC,
    comments: an image made with ``Image.new`` has an empty ``info``)."""
    from PIL import Image

    has_alpha = image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)
    mode = "RGBA" if has_alpha else "RGB"
    pixels = image.convert(mode)
    fresh = Image.new(mode, pixels.size)
    fresh.paste(pixels)
    return fresh


def _encode(image: Picture, fmt: str, quality: int) -> bytes:
    """One variant's bytes. The encoder settings are chosen for build time as much as for size:
    WebP's method 2 is three times faster than its default on a large photo for some 6 % more
    bytes (small images, cheap either way, get the thorough method); an optimized baseline JPEG
    is as small as a progressive one, in half the time."""
    out = io.BytesIO()
    if fmt == "JPEG":
        flat = image if image.mode == "RGB" else image.convert("RGB")
        flat.save(out, "JPEG", quality=quality, optimize=True)
    elif fmt == "PNG":
        image.save(out, "PNG", optimize=True)
    else:
        image.save(out, "WEBP", quality=quality, method=4 if image.width * image.height <= 400_000 else 2)
    return out.getvalue()
