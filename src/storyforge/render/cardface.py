"""The customer's photo on their story's share card: a circle left of the text.

A card is a palette image (``carddraw``) whose 253 entries are all taken by the text's colour
ramps, so a photo cannot join it: a card with a photo is saved as an RGB PNG with the cards' fast
deflate (``palette_png.rgb_png``), made a band of rows at a time: each band of the palette card
becomes RGB, the photo is pasted through a smooth circular mask where it crosses the band, and
the band's rows join the card's scanlines (a buffer kept between cards), compressed in one call.
Bands, not the whole card at once, because a whole RGB card is megabytes, and each fresh copy of
megabytes is some thousand page faults: they, not the drawing, made a card with a photo cost 7 ms
more than a palette card; in bands of a few hundred KB, which the allocator hands out again, it
costs about 2 ms more, paid only by the cards that show a photo.
The photo is the one the image stage made at the card's face size (already upright and without
metadata, a few KB to decode, not the phone's megabytes), cropped to a square around its upper
middle, where a portrait's face is.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from storyforge.render.palette_png import rgb_png

if TYPE_CHECKING:
    from PIL import Image

#: the mask is drawn this many times larger and reduced, for a smooth edge
_SMOOTH = 4
_MASKS: dict[int, Image.Image] = {}


def with_face(card: Image.Image, palette: bytes, photo: str | bytes, at: tuple[int, int],
              size: int) -> bytes | None:
    """The card (an "L" image of palette indices, one filter-byte column first) with the photo
    in a circle of ``size`` at ``at``, as PNG bytes; None when the photo cannot be read (the
    card is then drawn without it)."""
    face = _face(photo, size)
    if face is None:
        return None
    mask = _mask(size)

    def band(top: int, bottom: int) -> Image.Image:
        """Rows ``top`` to ``bottom`` of the card in RGB, with the part of the photo they hold."""
        indexed = card.crop((1, top, card.width, bottom))  # without the column of filter bytes
        indexed.putpalette(palette)  # an "L" image given a palette is a "P" image, its pixels in place
        rows = indexed.convert("RGB")
        if top < at[1] + size and at[1] < bottom:
            rows.paste(face, (at[0], at[1] - top), mask)  # Pillow pastes what falls inside the band
        return rows

    return rgb_png(band, card.width - 1, card.height)


def _face(photo: str | bytes, size: int) -> Image.Image | None:
    """The photo (a file, or its bytes) upright, as a ``size`` square RGB image; None when it
    cannot be read."""
    import io

    from PIL import Image, ImageOps

    try:
        with Image.open(io.BytesIO(photo) if isinstance(photo, bytes) else photo) as opened:
            if opened.format == "JPEG":
                opened.draft("RGB", (size, size))  # a phone photo decoded at 1/8 of its size is still larger
            upright = ImageOps.exif_transpose(opened).convert("RGB")
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        return None
    return ImageOps.fit(upright, (size, size), Image.Resampling.LANCZOS, centering=(0.5, 0.4))


def _mask(size: int) -> Image.Image:
    """A filled circle with a smooth edge, drawn once per size and process."""
    if size not in _MASKS:
        from PIL import Image, ImageDraw

        large = Image.new("L", (size * _SMOOTH, size * _SMOOTH), 0)
        ImageDraw.Draw(large).ellipse((0, 0, size * _SMOOTH - 1, size * _SMOOTH - 1), fill=255)
        _MASKS[size] = large.resize((size, size), Image.Resampling.LANCZOS)
    return _MASKS[size]
