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


def palette_png(scanlines: bytes, width: int, height: int, palette: bytes) -> bytes:
    """A ``width``×``height`` 8-bit palette PNG of ``scanlines`` (each row its filter byte, then
    one palette entry a pixel).

    Written here, not by Pillow, for its compressor: Pillow deflates with zlib, which took more of
    a card's time than drawing it; ISA-L's deflate (``isal``) does the same job four times faster
    at the same size. The container is four chunks (PNG spec, section 5); the stdlib's zlib stands
    in where ``isal`` is not installed. No filter (type 0) on any row: a palette image's rows gain
    nothing from one (PNG spec, 12.8)."""
    import struct
    import zlib

    compress = deflate()[0]

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 3, 0, 0, 0)  # 8 bits, colour type 3: palette
    return b"".join((b"\x89PNG\r\n\x1a\n", chunk(b"IHDR", header), chunk(b"PLTE", palette),
                     chunk(b"IDAT", compress(scanlines, 1)), chunk(b"IEND", b"")))
