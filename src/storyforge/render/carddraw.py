"""Drawing one share card: its lines (``layout``) and its picture (``draw``), cheaply.

A site draws thousands of cards, and they differ only in their text: so what every card of a
site shares — the fonts, the palette, the bar, the band with the business's name and address —
is made once per process and kept (``_frame``), and a card copies its frame and adds its own
lines. The card is a palette PNG: each kind of text (its colour on its background) has a ramp of
``RAMP`` palette entries from the background to the colour, and a glyph's coverage picks the
entry, so antialiased text keeps its smooth edges (within a few levels of 255 of the full-colour
rendering, below what an eye tells apart) while the image holds one byte a pixel, which PNG
compresses several times faster and smaller than three. See ``sharecards.py`` for what is on a
card and when it is drawn.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from storyforge.core.theme import CHECKOUT_THEMES, PACKAGE_THEMES
from storyforge.render.cardface import with_face
from storyforge.render.glyphs import missing_glyphs
from storyforge.render.palette_png import deflate, palette_png

if TYPE_CHECKING:
    from PIL import Image, ImageFont

WIDTH, HEIGHT = 1200, 630
CARD_VERSION = "5"  # change when the layout or the encoding changes, so cached cards are drawn again
#: the fonts shipped with the default theme (Bitstream Vera licence, see its LICENSE.txt): in the
#: installed package, else in a source checkout
SHIPPED_FONTS = next((str(themes / "default" / "fonts") for themes in (PACKAGE_THEMES, CHECKOUT_THEMES)
                      if (themes / "default" / "fonts" / "DejaVuSans.ttf").is_file()), "")
FONT_DIRS = (SHIPPED_FONTS, "/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu", "/usr/share/fonts/TTF",
             "/Library/Fonts", "C:/Windows/Fonts")
#: the theme's custom properties a card uses, with the default theme's values as the fallback
PALETTE = {"bg": "#fbf7f0", "tint": "#f4e6cf", "text": "#2b1d14", "muted": "#6b5142", "heading": "#4a2510",
           "accent": "#4d6b45", "star": "#945800", "btn-bg": "#7a3e1d", "btn-text": "#fbf7f0"}
QUOTE_LINES = 5
#: a line of a card never holds more characters than this (the narrowest glyphs are wider than
#: 1/400 of the card), so no text is measured beyond what could be shown
MAX_LINE_CHARS = 400
LABEL_LINES = 3
BAND_TOP = HEIGHT - 96  # the tinted band with the business's name
FACE, FACE_LEFT = 176, 72  # the customer's photo: a circle this wide, this far from the card's left edge
TEXT_LEFT, TEXT_RIGHT = 120, WIDTH - 96
#: each kind of text as (its colour, the background it is drawn on), in palette order
INKS = (("text", "bg"), ("heading", "bg"), ("muted", "bg"), ("star", "bg"), ("accent", "bg"), ("heading", "tint"),
        ("muted", "tint"))
#: a card is drawn one column to the right of its image's left edge: that column holds each row's
#: PNG filter byte, so the image's bytes are the PNG's scanlines as they are
SCANLINE = 1
RAMP = 36  # palette entries per kind of text: 7 ramps and the bar's colour fit in PNG's 256
BAR = len(INKS) * RAMP  # the palette entry of the bar down the left


@dataclass(frozen=True)
class CardSpec:
    """Everything drawn on one card: two stories with equal specs share one cached image."""

    quote: str
    author: str
    rating: int | None
    labels: tuple[str, ...]
    business: str
    host: str
    colours: tuple[tuple[str, str], ...]
    photo: str | bytes = ""  # the customer's photo (a file, or its bytes), when they agreed to show one
    photo_hash: str = ""  # its content hash: the card's key names the photo by it, not by its folder

    def key(self) -> str:
        """The card's name in the cache: the font files by name and size, not by folder, so a
        cache restored on another machine or in another checkout is still used. The fields are
        listed, not copied with ``asdict`` (which deep-copies each one): a site has thousands."""
        fields: dict[str, object] = {"quote": self.quote, "author": self.author, "rating": self.rating,
                                     "labels": self.labels, "business": self.business, "host": self.host,
                                     "colours": self.colours}
        if self.photo:  # the photo by its hash; a card without a photo keeps the key it always had
            fields["photo_hash"] = self.photo_hash
        text = json.dumps([*_key_setting(), fields], sort_keys=True)
        return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def _key_setting() -> list[object]:
    """What every card's key shares: the layout's version, Pillow's and the deflate's, and the font
    (a font updated in place draws a different card, so its size is read each time)."""
    font = _font_path("DejaVuSerif.ttf")
    if not _KEY_SETTING:
        from PIL import __version__ as pillow

        _KEY_SETTING.extend([CARD_VERSION, pillow, deflate()[1]])
    return [*_KEY_SETTING, os.path.basename(font), os.path.getsize(font) if font else 0]


_KEY_SETTING: list[object] = []


# --- fonts: found and opened once per process -----------------------------------------------------

_FONT_PATHS: dict[tuple[tuple[str, ...], str], str] = {}
_FONTS: dict[tuple[str, int], Any] = {}


def _font_path(name: str) -> str:
    key = (FONT_DIRS, name)
    if key not in _FONT_PATHS:
        _FONT_PATHS[key] = next((os.path.join(folder, name) for folder in FONT_DIRS
                                 if os.path.isfile(os.path.join(folder, name))), "")
    return _FONT_PATHS[key]


def _font(name: str, size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    from PIL import ImageFont

    path = _font_path(name)
    if (path, size) not in _FONTS:
        # Pillow's own scalable font (FreeType), else its bitmap one, where no DejaVu is found
        _FONTS[path, size] = ImageFont.truetype(path, size) if path else ImageFont.load_default(size)
    font: ImageFont.FreeTypeFont | ImageFont.ImageFont = _FONTS[path, size]
    return font


# --- lines: what fits ---------------------------------------------------------------------------


def _fit(text: str, font: ImageFont.FreeTypeFont | ImageFont.ImageFont, width: int) -> int:
    """How many leading characters of ``text`` fit in ``width`` (at least one): a binary search, so
    cutting a word of any length costs a few measurements of one line each."""
    low, high = 1, min(len(text), MAX_LINE_CHARS)
    while low < high:
        middle = (low + high + 1) // 2
        if font.getlength(text[:middle]) <= width:
            low = middle
        else:
            high = middle - 1
    return low


#: how far a line's width can be from the sum of its words' widths, per space between words, as
#: a share of the font's size: the kerning of a word's last letter with the space (0.075 at most
#: in DejaVu; measured, not known, so a line close to full is always measured whole)
KERNING_SLACK = 0.1
_WIDTHS: dict[tuple[Any, ...], float] = {}


def _width(font: ImageFont.FreeTypeFont | ImageFont.ImageFont, piece: str) -> float:
    """``font.getlength(piece)``, kept: the same words recur on card after card."""
    key = (getattr(font, "path", ""), getattr(font, "size", 0), piece)
    if key not in _WIDTHS:
        if len(_WIDTHS) > 100_000:
            _WIDTHS.clear()
        _WIDTHS[key] = font.getlength(piece)
    return _WIDTHS[key]


def _wrap(text: str, font: ImageFont.FreeTypeFont | ImageFont.ImageFont, width: int, max_lines: int) -> list[str]:
    """Greedy wrapping into at most ``max_lines`` lines, the last ending in ' …' when text is left
    over. Linear in what is shown: text beyond what the lines could hold is never measured, and a
    word longer than a line is cut where the line is full.

    A line's width is the sum of its words' (each with the space before it, measured once per
    process), give or take the kerning at each space (``KERNING_SLACK``); only when that leaves
    in doubt whether a word fits is the whole line measured, so the lines are those that
    measuring every trial would give."""
    limit = max_lines * MAX_LINE_CHARS
    cut_short = len(text) > limit
    words = " ".join(text[:limit].split()).split(" ")
    slack = KERNING_SLACK * float(getattr(font, "size", 0))  # 0 for Pillow's bitmap font: always measure
    lines: list[str] = []
    current, current_width, doubt = "", 0.0, 0.0
    for word in words:
        trial = f"{current} {word}" if current else word
        estimate, trial_doubt = (current_width + _width(font, " " + word), doubt + slack) if current \
            else (_width(font, word) if len(word) <= MAX_LINE_CHARS else font.getlength(word), 0.0)
        if current and (not slack or abs(estimate - width) <= trial_doubt):
            estimate, trial_doubt = font.getlength(trial), 0.0
        if estimate <= width:
            current, current_width, doubt = trial, estimate, trial_doubt
            continue
        if len(word) <= MAX_LINE_CHARS and _width(font, word) <= width:
            lines.append(current)  # the word starts the next line
            current, current_width, doubt = word, _width(font, word), 0.0
        else:  # longer than a line: fill this one, then as many as it needs
            current = trial
            while len(lines) <= max_lines and font.getlength(current[:MAX_LINE_CHARS + 1]) > width:
                cut = _fit(current, font, width)
                lines.append(current[:cut])
                current = current[cut:]
            current_width, doubt = font.getlength(current[:MAX_LINE_CHARS + 1]), 0.0
        if len(lines) > max_lines:
            break
    if current and len(lines) <= max_lines:
        lines.append(current)
    if len(lines) > max_lines or cut_short:
        lines = lines[:max_lines]
        last = lines[-1]
        while last and font.getlength(last + " …") > width:
            last = last[:-1]
        lines[-1] = last.rstrip(" ,;:.") + " …"
    return lines or [""]


@dataclass(frozen=True)
class Layout:
    """The lines of text on a card, as drawn: the quote gives way so the name and the disclosure
    labels always have room. The text runs from ``left`` to ``right``: a card with the customer's
    photo would give the photo the space left of it (``text_columns``)."""

    quote: list[str]
    author: str
    labels: list[str]
    business: str
    host: str
    quote_size: int
    left: int = TEXT_LEFT
    right: int = TEXT_RIGHT


def text_columns(spec: CardSpec) -> tuple[int, int]:
    """Where the card's text runs: right of the customer's photo when the card shows one."""
    return (FACE_LEFT + FACE + 100 if spec.photo else TEXT_LEFT), TEXT_RIGHT


def layout(spec: CardSpec) -> Layout:
    """What a card shows, line by line, with every glyph its font lacks replaced (``_drawable``)."""
    left, right = text_columns(spec)
    quote_size = 44 if len(spec.quote) < 160 else 38
    sans, bold = _font_path("DejaVuSans.ttf"), _font_path("DejaVuSans-Bold.ttf")
    labels = _wrap(_drawable(" · ".join(spec.labels), sans), _font("DejaVuSans.ttf", 24), right - left,
                   LABEL_LINES) if spec.labels else []
    rating_height = 78 if spec.rating is not None else 0
    after_quote = 18 + 44 + 40 * len(labels)  # the author line, then the labels
    room = BAND_TOP - 48 - 48 - rating_height - after_quote
    step = int(quote_size * 1.3)
    quote = _wrap(_drawable(spec.quote, _font_path("DejaVuSerif.ttf")), _font("DejaVuSerif.ttf", quote_size),
                  right - left, max(1, min(QUOTE_LINES, room // step)))
    author = _wrap(_drawable(f"— {spec.author}", bold), _font("DejaVuSans-Bold.ttf", 30), right - left, 1)[0]
    business, host = _band_lines(spec.business, spec.host)
    return Layout(quote, author, labels, business, host, quote_size, left, right)


_BANDS: dict[tuple[Any, ...], tuple[str, str]] = {}


def _band_lines(business: str, host: str) -> tuple[str, str]:
    """The business's name and the site's host as the band shows them: the same on every card."""
    sans, bold = _font_path("DejaVuSans.ttf"), _font_path("DejaVuSans-Bold.ttf")
    key = (business, host, sans, bold)
    if key not in _BANDS:
        _BANDS[key] = (_wrap(_drawable(business, bold), _font("DejaVuSans-Bold.ttf", 32), 640, 1)[0],
                       _wrap(_drawable(host, sans), _font("DejaVuSans.ttf", 26), TEXT_RIGHT - TEXT_LEFT, 1)[0])
    return _BANDS[key]


def _drawable(text: str, font_path: str) -> str:
    """``text`` with each character the font has no glyph for made U+FFFD '�', so a missing glyph
    shows as a mark a reader knows instead of an empty box (``missing_glyphs`` lists them)."""
    missing = missing_glyphs(text, font_path)
    return "".join("\ufffd" if char in missing else char for char in text) if missing else text


# --- the picture ----------------------------------------------------------------------------------


_PALETTES: dict[tuple[tuple[str, str], ...], bytes] = {}


def card_palette(colours: tuple[tuple[str, str], ...]) -> bytes:
    """The card's palette: a ramp per kind of text (``INKS``), then the bar's colour."""
    if colours not in _PALETTES:
        _PALETTES[colours] = _make_palette(colours)
    return _PALETTES[colours]


def _make_palette(colours: tuple[tuple[str, str], ...]) -> bytes:
    colour = {name: bytes.fromhex(value.lstrip("#") if len(value) == 7 else "".join(c * 2 for c in value[1:]))
              for name, value in colours}
    entries = bytearray()
    for ink, ground in INKS:
        fore, back = colour[ink], colour[ground]
        for step in range(RAMP):
            entries += bytes(round(b + (f - b) * step / (RAMP - 1)) for f, b in zip(fore, back, strict=True))
    return bytes(entries + colour["btn-bg"])


def _ramp(ink: tuple[str, str]) -> tuple[list[int], list[int]]:
    """A glyph's coverage (0–255) → the palette entry of its kind of text, and → where it is drawn."""
    base = INKS.index(ink) * RAMP
    return [base + (alpha * (RAMP - 1) + 127) // 255 for alpha in range(256)], [0] + [255] * 255


_RAMPS = {ink: _ramp(ink) for ink in INKS}


def _put(card: Image.Image, xy: tuple[float, float], text: str, font: ImageFont.FreeTypeFont | ImageFont.ImageFont,
         ink: tuple[str, str], anchor: str = "la", keep: bool = False) -> None:
    """Draw ``text`` on the card as ``ImageDraw.text`` would, in its kind's ramp: where a glyph
    covers a pixel, the pixel takes the ramp's entry for that coverage (kinds never overlap).
    ``keep``: the text recurs on many cards (the stars, the quotation mark), so keep it drawn."""
    start = (math.modf(xy[0])[0], math.modf(xy[1])[0])
    key = (text, getattr(font, "path", ""), getattr(font, "size", 0), ink, anchor, start)
    drawn = _KEPT.get(key) if keep else None
    if drawn is None:
        drawn = _text_mask(text, font, ink, anchor, start)
        if keep:
            _KEPT[key] = drawn
    if drawn is not None:
        coloured, where, (left, top) = drawn
        x, y = int(xy[0]) + left + SCANLINE, int(xy[1]) + top  # past each row's filter byte
        card.im.paste(coloured, (x, y, x + coloured.size[0], y + coloured.size[1]), where)


_KEPT: dict[tuple[Any, ...], tuple[Any, Any, tuple[int, int]] | None] = {}


def _text_mask(text: str, font: ImageFont.FreeTypeFont | ImageFont.ImageFont, ink: tuple[str, str], anchor: str,
               start: tuple[float, float]) -> tuple[Any, Any, tuple[int, int]] | None:
    """The text in its ramp's palette entries, the mask of where it covers anything, and where
    that goes from the point it is drawn at; None for text that covers nothing."""
    from PIL import ImageFont

    if isinstance(font, ImageFont.FreeTypeFont):
        mask, offset = font.getmask2(text, "L", anchor=anchor, start=start)
    else:  # Pillow's bitmap font: no anchors, so place it by hand
        mask = font.getmask(text, "L")
        offset = (-mask.size[0] if anchor[0] == "r" else 0, -(mask.size[1] // 2) if anchor[1] == "m" else 0)
    if not mask.size[0] or not mask.size[1]:
        return None
    entries, where = _RAMPS[ink]  # (Pillow's core calls: Image.point would copy each table again)
    return mask.point(entries, "L"), mask.point(where, "L"), (int(offset[0]), int(offset[1]))


_FRAMES: dict[tuple[Any, ...], Image.Image] = {}


def _frame(lines: Layout) -> Image.Image:
    """What every card of a site shows, drawn once per process: the background, the bar, the band
    with the business's name and the site's host."""
    from PIL import Image

    key = (lines.business, lines.host, _font_path("DejaVuSans.ttf"), _font_path("DejaVuSans-Bold.ttf"))
    if key not in _FRAMES:
        frame = Image.new("L", (SCANLINE + WIDTH, HEIGHT), INKS.index(("text", "bg")) * RAMP)
        frame.paste(BAR, (SCANLINE, 0, SCANLINE + 29, HEIGHT))  # 29 columns wide, the band's first one tinted
        frame.paste(INKS.index(("heading", "tint")) * RAMP, (SCANLINE + 28, BAND_TOP, SCANLINE + WIDTH, HEIGHT))
        middle = HEIGHT - 48
        _put(frame, (TEXT_LEFT, middle), lines.business, _font("DejaVuSans-Bold.ttf", 32), ("heading", "tint"), "lm")
        _put(frame, (TEXT_RIGHT, middle), lines.host, _font("DejaVuSans.ttf", 26), ("muted", "tint"), "rm")
        _FRAMES[key] = frame
    return _FRAMES[key]


def draw(spec: CardSpec) -> bytes:
    """The card as PNG bytes: the same spec always gives the same bytes."""
    lines = layout(spec)
    card = _frame(lines).copy()
    left = lines.left
    step = int(lines.quote_size * 1.3)
    rating_height = 78 if spec.rating is not None else 0
    height = rating_height + len(lines.quote) * step + 18 + 44 + 40 * len(lines.labels)
    y = 48 + max(0, (BAND_TOP - 96 - height) // 2)  # the block centred above the band

    if spec.rating is not None:
        stars, star_font = "★" * spec.rating + "☆" * (5 - spec.rating), _font("DejaVuSans.ttf", 46)
        _put(card, (left, y), stars, star_font, ("star", "bg"), keep=True)
        _put(card, (left + star_font.getlength(stars) + 24, y + 10), f"{spec.rating} out of 5",
             _font("DejaVuSans.ttf", 30), ("muted", "bg"), keep=True)
        y += rating_height
    _put(card, (left - 68, y - 22), "“", _font("DejaVuSerif-Bold.ttf", 96), ("accent", "bg"), keep=True)
    quote_font = _font("DejaVuSerif.ttf", lines.quote_size)
    for line in lines.quote:
        _put(card, (left, y), line, quote_font, ("text", "bg"))
        y += step
    y += 18
    _put(card, (left, y), lines.author, _font("DejaVuSans-Bold.ttf", 30), ("heading", "bg"))
    y += 44
    for line in lines.labels:
        _put(card, (left, y), line, _font("DejaVuSans.ttf", 24), ("muted", "bg"))
        y += 40

    card.paste(0, (0, 0, SCANLINE, HEIGHT))  # filter type 0 on every row, whatever text ran over the edge
    at = (FACE_LEFT, (BAND_TOP - FACE) // 2)
    drawn = with_face(card, card_palette(spec.colours), spec.photo, at, FACE) if spec.photo else None
    return drawn or palette_png(card.tobytes(), WIDTH, HEIGHT, card_palette(spec.colours))
