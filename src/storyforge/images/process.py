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
import math
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
PROCESS_VERSION = "4"


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


def load_codecs() -> None:
    """Import Pillow with the readers and writers the images need: JPEG, PNG and WebP by name,
    the EXIF reader (Pillow's TIFF module) and the colour profiles' converter.

    Called by the image stage before its workers are forked, so that they start with Pillow in
    place instead of each importing it again (some 60 ms a worker, which on a site whose photos
    are a few dozen faces was a fifth of their whole cost). WebP by name: a save in a format
    Pillow has not imported yet makes it import every one of its forty-odd formats first."""
    from PIL import (  # noqa: F401
        Image,
        ImageCms,
        ImageOps,
        JpegImagePlugin,
        PngImagePlugin,
        TiffImagePlugin,
        WebPImagePlugin,
    )

    Image.preinit()


def heic_support() -> bool:
    """Whether HEIC photos (iPhones') can be read: the optional ``pillow-heif`` plugin."""
    try:
        from pillow_heif import register_heif_opener  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return False
    register_heif_opener()
    return True


def process(data: bytes, source_suffix: str, widths: tuple[int, ...], quality: int, cover: bool = False) -> Processed:
    """The variants of one image. ``widths``: the widths wanted (only those narrower than the
    image are made, and the image's own width, capped at the largest, always); the image keeps
    its format (HEIC becomes JPEG, which browsers show) and gains a WebP of each width.
    ``cover``: the widths are the side of a square the picture fills (a face in its circle), so
    a landscape photo is made wider by its proportions, and nothing wider than that is made.

    Work is spent on the sizes published, not on the source's: a JPEG is decoded at the smallest
    DCT scale (1/2 … 1/8) that still holds the widest variant, a larger image is reduced to that
    width before its colours are converted and its pixels copied, and each narrower variant is
    made from the one before."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    if source_suffix in HEIC_SUFFIXES:
        heic_support()
    try:
        with Image.open(io.BytesIO(data)) as opened:
            source_format = opened.format or ""
            icc = opened.info.get("icc_profile")
            upright_size = _upright_size(opened)
            top = _top_width(widths, upright_size, cover)
            if source_format == "JPEG" and top < upright_size[0]:
                # decode a large photo at a fraction of its size: at least ``top`` wide once upright
                sideways = upright_size != opened.size
                opened.draft("RGB", (1, top) if sideways else (top, 1))
            upright = ImageOps.exif_transpose(opened)
            if top < upright.width:
                height = max(1, round(upright.height * top / upright.width))
                upright = upright.resize((top, height), Image.Resampling.LANCZOS, reducing_gap=3.0)
            if icc:
                upright.info["icc_profile"] = icc
            pixels = _clean(_in_srgb(upright))
    except UnidentifiedImageError:
        raise UnreadableImage("not an image format this build can read") from None
    except Image.DecompressionBombError:
        raise UnreadableImage("too many pixels to be a photo") from None
    except (OSError, ValueError, SyntaxError) as exc:
        raise UnreadableImage(f"damaged: {exc}") from None
    own_format = source_format if source_format in ("JPEG", "PNG", "WEBP") else "JPEG"
    formats = [own_format] if own_format == "WEBP" else [own_format, "WEBP"]
    scale = _cover_scale(upright_size) if cover else 1.0
    chosen = sorted({min(math.ceil(w * scale), top) for w in widths if math.ceil(w * scale) < top} | {top})
    variants = []
    current = pixels
    for width in reversed(chosen):  # largest first, each smaller one from the one before
        height = max(1, round(upright_size[1] * width / upright_size[0]))
        if (width, height) != current.size:
            current = current.resize((width, height), Image.Resampling.LANCZOS, reducing_gap=3.0)
        for fmt in formats:
            suffix, mime = WEB_FORMATS[fmt]
            variants.append(Variant(width, height, suffix, mime, _encode(current, fmt, quality)))
    variants.sort(key=lambda v: (v.suffix, v.width))
    return Processed(upright_size[0], upright_size[1], tuple(variants))


def _upright_size(image: Picture) -> tuple[int, int]:
    """The size once the EXIF orientation is applied (5 to 8 turn the picture on its side)."""
    orientation = image.getexif().get(0x0112, 1)
    return (image.height, image.width) if orientation in (5, 6, 7, 8) else image.size


def _cover_scale(size: tuple[int, int]) -> float:
    """How much wider than the square's side a picture must be to fill the square."""
    return max(1.0, size[0] / size[1])


def _top_width(widths: tuple[int, ...], size: tuple[int, int], cover: bool) -> int:
    """The widest variant: the largest width asked for (for ``cover``, scaled to fill its square),
    never wider than the picture."""
    wanted = max(widths) * (_cover_scale(size) if cover else 1.0)
    return max(1, min(size[0], math.ceil(wanted)))


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
    bytes, and about twice as fast as the thorough method 4 on a face's 48 to 176 px for some
    4 % more (tens of bytes), which the faces on a tenth of the stories made a tenth of a cold
    build; an optimized baseline JPEG is as small as a progressive one, in half the time."""
    out = io.BytesIO()
    if fmt == "JPEG":
        flat = image if image.mode == "RGB" else image.convert("RGB")
        flat.save(out, "JPEG", quality=quality, optimize=True)
    elif fmt == "PNG":
        image.save(out, "PNG", optimize=True)
    else:
        image.save(out, "WEBP", quality=quality, method=2)
    return out.getvalue()
