"""An 8-bit palette PNG written from bytes that are already its scanlines: how share cards
(``carddraw.py``) are saved, with a deflate several times faster than the one Pillow uses."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from PIL import Image


def deflate() -> tuple[Callable[[bytes | memoryview, int], bytes], str]:
    """The deflate a card is compressed with, and its name and version (part of a card's key:
    another version may write other bytes for the same pixels)."""
    library, name = _library()
    return library.compress, name


def _library() -> tuple[Any, str]:
    """ISA-L's zlib-compatible module (``isal``), or the standard library's zlib where it is not
    installed, with its name and version."""
    try:
        import isal
        from isal import isal_zlib
    except ImportError:  # isal is a dependency; this is for a platform without its wheel
        import zlib

        return zlib, f"zlib {zlib.ZLIB_RUNTIME_VERSION}"
    return isal_zlib, f"isal {isal.__version__}"


#: rows of an RGB PNG made at a time: a band of a share card is some 400 KB in Pillow and 300 KB
#: of bytes, which the allocator gives back to the next band instead of fresh pages
BAND = 90

#: each thread's buffer for an RGB card's scanlines, kept between cards: a fresh one would be
#: megabytes of fresh pages for every card
_BUFFERS = threading.local()


def rgb_png(band: Callable[[int, int], Image.Image], width: int, height: int) -> bytes:
    """An 8-bit RGB PNG of ``width``×``height`` pixels, with the same fast deflate (a share card with
    a photo: ``cardface.py``), made ``BAND`` rows at a time: ``band(top, bottom)`` gives those rows
    as an RGB image. No filter either: a card is mostly flat colour, which deflate takes as it is,
    and a small photo gains little.

    Each band's bytes are Pillow's raw RGB with a stride one byte longer than a row, which Pillow
    pads with a zero at the row's end: ``row 0``, 0, ``row 1``, 0, … ``row n``, 0. One zero before
    all that and the last one left out, that is every row with its filter byte (0: none) first,
    which is what PNG compresses (spec, 7.2) — with no copy to put the filter bytes in.

    The bands are gathered in one buffer and compressed in one call, as a palette card is: ISA-L's
    streaming compressor, fed a band at a time, now and then wrote other (equally valid) bytes for
    the same pixels, and a card must be the same bytes every time it is drawn."""
    stride = width * 3 + 1
    scanlines = _buffer(stride * height)
    scanlines[0] = 0
    for top in range(0, height, BAND):
        bottom = min(height, top + BAND)
        rows = band(top, bottom).tobytes("raw", "RGB", stride)
        scanlines[1 + top * stride:1 + bottom * stride] = memoryview(rows)[:-1] if bottom == height else rows
    return _png(deflate()[0](scanlines, 1), width, height, 2, b"")


def _buffer(size: int) -> memoryview:
    """This thread's scanline buffer, ``size`` bytes long (its content is whatever was there)."""
    kept = getattr(_BUFFERS, "buffer", None)
    if kept is None or len(kept) < size:
        kept = _BUFFERS.buffer = bytearray(size)
    return memoryview(kept)[:size]


def palette_png(scanlines: bytes, width: int, height: int, palette: bytes) -> bytes:
    """A ``width``×``height`` 8-bit palette PNG of ``scanlines`` (each row its filter byte, then
    one palette entry a pixel).

    Written here, not by Pillow, for its compressor: Pillow deflates with zlib, which took more of
    a card's time than drawing it; ISA-L's deflate (``isal``) does the same job four times faster
    at the same size. The container is four chunks (PNG spec, section 5); the stdlib's zlib stands
    in where ``isal`` is not installed. No filter (type 0) on any row: a palette image's rows gain
    nothing from one (PNG spec, 12.8)."""
    return _png(deflate()[0](scanlines, 1), width, height, 3, palette)


def _png(compressed: bytes, width: int, height: int, colour_type: int, palette: bytes) -> bytes:
    """The container around the compressed scanlines: IHDR, the palette when there is one, IDAT,
    IEND (PNG spec, section 5)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, colour_type, 0, 0, 0)  # 8 bits; 3: palette, 2: RGB
    return b"".join((b"\x89PNG\r\n\x1a\n", chunk(b"IHDR", header), *([chunk(b"PLTE", palette)] if palette else []),
                     chunk(b"IDAT", compressed), chunk(b"IEND", b"")))
