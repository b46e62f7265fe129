"""The customer's photo on their story's share card: a circle left of the text.

A card is a palette image (``carddraw``) whose 253 entries are all taken by the text's colour
ramps, so a photo cannot join it: a card with a photo becomes an RGB image once its text is
drawn, the photo is pasted through a smooth circular mask, and it is saved as an RGB PNG with
the cards' fast deflate. That costs
some milliseconds more than a palette card, paid only by the cards that show a photo (the
others keep the palette path). The photo is the one the image stage made at the card's face size
(already upright and without metadata, a few KB to decode, not the phone's megabytes), cropped
to a square around its upper middle, where a portrait's face is.
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
    from PIL import Image

    face = _face(photo, size)
    if face is None:
        return None
    width, height = card.width - 1, card.height
    indexed = Image.frombytes("P", (width, height), card.crop((1, 0, card.width, height)).tobytes())
    indexed.putpalette(palette)
    picture = indexed.convert("RGB")
    picture.paste(face, at, _mask(size))
    return rgb_png(picture.tobytes(), width, height)


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
