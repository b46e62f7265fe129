"""An 8-bit palette PNG written from bytes that are already its scanlines: how share cards
(``carddraw.py``) are saved, with a deflate several times faster than the one Pillow uses."""

from __future__ import annotations

from collections.abc import Callable


def deflate() -> tuple[Callable[[bytes, int], bytes], str]:
    """The deflate a card is compressed with, and its name and version (part of a card's key:
    another version may write other bytes for the same pixels)."""
    try:
        import isal
        from isal.isal_zlib import compress
    except ImportError:  # isal is a dependency; this is for a platform without its wheel
        import zlib

        return zlib.compress, f"zlib {zlib.ZLIB_RUNTIME_VERSION}"
    return compress, f"isal {isal.__version__}"


def rgb_png(pixels: bytes, width: int, height: int) -> bytes:
    """A ``width``×``height`` 8-bit RGB PNG of ``pixels`` (three bytes a pixel, row after row),
    with the same fast deflate (a share card with a photo: ``cardface.py``). No filter either: a
    card is mostly flat colour, which deflate takes as it is, and a small photo gains little."""
    stride = width * 3
    scanlines = b"".join(b"\0" + pixels[row * stride:(row + 1) * stride] for row in range(height))
    return _png(scanlines, width, height, 2, b"")


def palette_png(scanlines: bytes, width: int, height: int, palette: bytes) -> bytes:
    """A ``width``×``height`` 8-bit palette PNG of ``scanlines`` (each row its filter byte, then
    one palette entry a pixel).

    Written here, not by Pillow, for its compressor: Pillow deflates with zlib, which took more of
    a card's time than drawing it; ISA-L's deflate (``isal``) does the same job four times faster
    at the same size. The container is four chunks (PNG spec, section 5); the stdlib's zlib stands
    in where ``isal`` is not installed. No filter (type 0) on any row: a palette image's rows gain
    nothing from one (PNG spec, 12.8)."""
    return _png(scanlines, width, height, 3, palette)


def _png(scanlines: bytes, width: int, height: int, colour_type: int, palette: bytes) -> bytes:
    """The container: IHDR, the palette when there is one, IDAT, IEND (PNG spec, section 5)."""
    import struct
    import zlib

    compress = deflate()[0]

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, colour_type, 0, 0, 0)  # 8 bits; 3: palette, 2: RGB
    return b"".join((b"\x89PNG\r\n\x1a\n", chunk(b"IHDR", header), *([chunk(b"PLTE", palette)] if palette else []),
                     chunk(b"IDAT", compress(scanlines, 1)), chunk(b"IEND", b"")))
