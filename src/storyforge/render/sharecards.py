"""Share cards: a 1200×630 PNG per customer story (its og:image), drawn with Pillow.

A card shows what the story page shows, no more: a quote from the story, the author's name as
the customer agreed to show it, the rating (only when given), the disclosure labels, and the
business's name in the theme's colours (read from the theme's ``css/style.css``).

Drawing is the slow part, so each card is cached in ``.storyforge-cache/cards/`` under a hash of
everything drawn on it, and cards not yet cached are drawn in worker processes on large sites.
Cards of stories that are gone are removed from the cache. ``share_cards: false`` in site.yaml
turns them off.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from storyforge.core.config import SiteConfig
from storyforge.core.entries import Testimonial
from storyforge.core.model import SiteModel
from storyforge.core.pages import PageSpec
from storyforge.core.theme import CHECKOUT_THEMES, PACKAGE_THEMES
from storyforge.core.words import translations
from storyforge.publish.atomic import write_atomic
from storyforge.render.outputs import Output, content_hash

if TYPE_CHECKING:
    from PIL import ImageFont

WIDTH, HEIGHT = 1200, 630
CARD_VERSION = "4"  # change when the layout changes, so cached cards are drawn again
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

    def key(self) -> str:
        from PIL import __version__ as pillow

        font = _font_path("DejaVuSerif.ttf")
        size = os.path.getsize(font) if font else 0  # a font updated in place draws a different card
        text = json.dumps([CARD_VERSION, pillow, font, size, asdict(self)], sort_keys=True)
        return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def palette(stylesheet: Path | None) -> tuple[tuple[str, str], ...]:
    """The theme's colours from the first block of ``--name: #hex`` declarations (its light scheme)."""
    found: dict[str, str] = {}
    if stylesheet is not None:
        try:
            css = stylesheet.read_text(encoding="utf-8", errors="replace")
        except OSError:
            css = ""
        for name, value in re.findall(r"--([a-z-]+)\s*:\s*(#[0-9a-fA-F]{6}|#[0-9a-fA-F]{3})\b", css):
            if name in PALETTE and name not in found:
                found[name] = value.lower()
    return tuple((name, found.get(name, default)) for name, default in PALETTE.items())


def branded(colours: tuple[tuple[str, str], ...], config: SiteConfig) -> tuple[tuple[str, str], ...]:
    """The theme's colours with the site's own light-scheme colours (site.yaml's branding) over them."""
    own = config.branding.colors
    chosen = dict(colours)
    for names, value in ((("bg",), own.background), (("text", "heading"), own.text),
                         (("btn-bg", "accent"), own.accent)):
        for name in names if value else ():
            chosen[name] = value
    return tuple(chosen.items())


def card_spec(config: SiteConfig, story: Testimonial, colours: tuple[tuple[str, str], ...],
              _: Callable[[str], str] = str) -> CardSpec:
    """``_``: the site's catalogs' gettext, for the labels in the site's language, as its pages show them."""
    labels = []
    if story.verified:
        labels.append(_("Verified customer"))
    if story.incentive:
        labels.append(_("Disclosure:") + " " + story.incentive)
    if story.relationship:
        labels.append(_("Connection:") + " " + story.relationship)
    return CardSpec(quote=story.summary or story.title, author=story.byline, rating=story.rating,
                    labels=tuple(labels), business=config.business.name,
                    host=urlsplit(config.base_url).netloc, colours=colours)


def card_outputs(config: SiteConfig, model: SiteModel, stylesheet: Path | None, folder: Path | None, trusted: bool,
                 mapper: Callable[[Callable[[CardSpec], str], list[CardSpec]], list[str]]) -> list[Output]:
    """An Output per story page that emits a card; draws (with ``mapper``) only what is not kept in
    ``folder`` (None: nowhere; ``trusted``: whether what is there may be used)."""
    colours = branded(palette(stylesheet), config)
    pages = model.outputs("png")
    words = translations(config).gettext
    specs = [card_spec(config, page.context["entry"], colours, words) for page in pages]
    wanted = {spec.key(): spec for spec in specs}
    missing = [spec for key, spec in wanted.items()
               if not (trusted and folder is not None and (folder / f"{key}.png").is_file())]
    cache = _CardCache(folder)
    if missing:
        mapper(cache.draw_and_store, missing)
    outputs = []
    for page, spec in zip(pages, specs, strict=True):
        data = cache.read(spec)
        outputs.append(Output(page.output_path("png"), content_hash(data), data))
    cache.prune(set(wanted))
    return outputs


class _CardCache:
    """Cards on disk by key; falls back to memory when the cache folder cannot be written."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self.memory: dict[str, bytes] = {}

    def draw_and_store(self, spec: CardSpec) -> str:
        data = draw(spec)
        key = spec.key()
        try:
            if self.folder is None:
                raise OSError("no folder to keep cards in")
            write_atomic(self.folder / f"{key}.png", data, durable=False)  # a cache: atomic, not flushed
        except OSError:
            self.memory[key] = data  # only in this process: read() draws it again if a worker made it
        return key

    def read(self, spec: CardSpec) -> bytes:
        key = spec.key()
        if key in self.memory:
            return self.memory[key]
        try:
            if self.folder is None:
                raise OSError("no folder to keep cards in")
            data = (self.folder / f"{key}.png").read_bytes()
            if data.startswith(b"\x89PNG\r\n\x1a\n"):
                return data
        except OSError:
            pass
        self.memory[key] = draw(spec)
        return self.memory[key]

    def prune(self, keep: set[str]) -> None:
        if self.folder is None:
            return
        try:
            for path in self.folder.glob("*.png"):
                if path.stem not in keep:
                    path.unlink(missing_ok=True)
        except OSError:
            pass


def share_image(config: SiteConfig, page: PageSpec) -> str:
    """The absolute address of the page's og:image: a story's card, else its photo; '' for none."""
    if "png" in page.formats:
        return config.base_url + page.output_path("png")
    entry = page.context.get("entry")
    photo = entry.avatar if isinstance(entry, Testimonial) else ""
    if not photo and page.kind == "home" and not config.business.logo.lower().endswith(".svg"):
        photo = config.business.logo  # social sites do not show SVG images
    if not photo:
        return ""
    return photo if "://" in photo else config.base_url + photo.lstrip("/")


# --- drawing ------------------------------------------------------------------------------------


def _font_path(name: str) -> str:
    for folder in FONT_DIRS:
        candidate = os.path.join(folder, name)
        if os.path.isfile(candidate):
            return candidate
    return ""


def _font(name: str, size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    from PIL import ImageFont

    path = _font_path(name)
    if path:
        return ImageFont.truetype(path, size)
    return ImageFont.load_default(size)  # Pillow's own scalable font (FreeType), else its bitmap one


#: a line of a card never holds more characters than this (the narrowest glyphs are wider than
#: 1/400 of the card), so no text is measured beyond what could be shown
MAX_LINE_CHARS = 400
LABEL_LINES = 3


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


def _wrap(text: str, font: ImageFont.FreeTypeFont | ImageFont.ImageFont, width: int, max_lines: int) -> list[str]:
    """Greedy wrapping into at most ``max_lines`` lines, the last ending in ' …' when text is left
    over. Linear in what is shown: text beyond what the lines could hold is never measured, and a
    word longer than a line is cut where the line is full."""
    limit = max_lines * MAX_LINE_CHARS
    cut_short = len(text) > limit
    words = " ".join(text[:limit].split()).split(" ")
    lines: list[str] = []
    current = ""
    for word in words:
        trial = f"{current} {word}" if current else word
        if font.getlength(trial) <= width:
            current = trial
            continue
        if font.getlength(word[:MAX_LINE_CHARS]) <= width and len(word) <= MAX_LINE_CHARS:
            lines.append(current)  # the word starts the next line
            current = word
        else:  # longer than a line: fill this one, then as many as it needs
            current = trial
            while len(lines) <= max_lines and font.getlength(current[:MAX_LINE_CHARS + 1]) > width:
                cut = _fit(current, font, width)
                lines.append(current[:cut])
                current = current[cut:]
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
    labels always have room."""

    quote: list[str]
    author: str
    labels: list[str]
    business: str
    host: str
    quote_size: int


def layout(spec: CardSpec) -> Layout:
    """What a card shows, line by line, with every glyph its font lacks replaced (``_drawable``)."""
    left, right = 120, WIDTH - 96
    quote_size = 44 if len(spec.quote) < 160 else 38
    quote_font = _font("DejaVuSerif.ttf", quote_size)
    sans, bold = _font_path("DejaVuSans.ttf"), _font_path("DejaVuSans-Bold.ttf")
    labels = _wrap(_drawable(" · ".join(spec.labels), sans), _font("DejaVuSans.ttf", 24), right - left,
                   LABEL_LINES) if spec.labels else []
    band_top = HEIGHT - 96
    rating_height = 78 if spec.rating is not None else 0
    after_quote = 18 + 44 + 40 * len(labels)  # the author line, then the labels
    room = band_top - 48 - 48 - rating_height - after_quote
    step = int(quote_size * 1.3)
    quote = _wrap(_drawable(spec.quote, _font_path("DejaVuSerif.ttf")), quote_font, right - left,
                  max(1, min(QUOTE_LINES, room // step)))
    author = _wrap(_drawable(f"— {spec.author}", bold), _font("DejaVuSans-Bold.ttf", 30), right - left, 1)[0]
    business = _wrap(_drawable(spec.business, bold), _font("DejaVuSans-Bold.ttf", 32), 640, 1)[0]
    host = _wrap(_drawable(spec.host, sans), _font("DejaVuSans.ttf", 26), right - left, 1)[0]
    return Layout(quote, author, labels, business, host, quote_size)


def cards_lacking_glyphs(config: SiteConfig, model: SiteModel) -> list[str]:
    """The source files of stories whose share card shows '�' for characters its fonts cannot
    draw (CJK or emoji in a name, say): the build says so, as the card alone would not."""
    fonts = {"quote": _font_path("DejaVuSerif.ttf"), "author": _font_path("DejaVuSans-Bold.ttf"),
             "labels": _font_path("DejaVuSans.ttf")}
    lacking = []
    words = translations(config).gettext
    for page in model.outputs("png"):
        spec = card_spec(config, page.context["entry"], (), words)
        texts = {"quote": spec.quote, "author": spec.author, "labels": " ".join(spec.labels)}
        if any(missing_glyphs(texts[name], path) for name, path in fonts.items()):
            lacking.append(page.context["entry"].source)
    return lacking


def _drawable(text: str, font_path: str) -> str:
    """``text`` with each character the font has no glyph for made U+FFFD '�', so a missing glyph
    shows as a mark a reader knows instead of an empty box (``missing_glyphs`` lists them)."""
    missing = missing_glyphs(text, font_path)
    return "".join("\ufffd" if char in missing else char for char in text) if missing else text


def missing_glyphs(text: str, font_path: str) -> set[str]:
    """The characters of ``text`` (other than spaces) the font at ``font_path`` cannot draw."""
    covered = _coverage(font_path)
    if covered is None:
        return set()
    return {char for char in set(text) if ord(char) not in covered and not char.isspace()}


_COVERAGE: dict[str, frozenset[int] | None] = {}


def _coverage(font_path: str) -> frozenset[int] | None:
    """The code points a font file has glyphs for (its cmap, read with fontTools); None when unknown
    (Pillow's own font, or an unreadable file)."""
    if font_path not in _COVERAGE:
        _COVERAGE[font_path] = None
        if font_path:
            from fontTools.ttLib import TTFont, TTLibError

            try:
                with TTFont(font_path, lazy=True, fontNumber=0) as font:
                    _COVERAGE[font_path] = frozenset(font.getBestCmap() or {})
            except (OSError, TTLibError):
                pass
    return _COVERAGE[font_path]


def draw(spec: CardSpec) -> bytes:
    """The card as PNG bytes: the same spec always gives the same bytes."""
    from PIL import Image, ImageDraw

    colour = dict(spec.colours)
    image = Image.new("RGB", (WIDTH, HEIGHT), colour["bg"])
    pen = ImageDraw.Draw(image)
    band_top = HEIGHT - 96
    pen.rectangle((0, 0, 28, HEIGHT), fill=colour["btn-bg"])
    pen.rectangle((28, band_top, WIDTH, HEIGHT), fill=colour["tint"])
    left, right = 120, WIDTH - 96
    lines = layout(spec)

    star_font, small_font = _font("DejaVuSans.ttf", 46), _font("DejaVuSans.ttf", 30)
    author_font, label_font = _font("DejaVuSans-Bold.ttf", 30), _font("DejaVuSans.ttf", 24)
    quote_font = _font("DejaVuSerif.ttf", lines.quote_size)
    step = int(lines.quote_size * 1.3)
    rating_height = 78 if spec.rating is not None else 0
    after_quote = 18 + 44 + 40 * len(lines.labels)
    height = rating_height + len(lines.quote) * step + after_quote
    y = 48 + max(0, (band_top - 96 - height) // 2)  # the block centred above the band

    if spec.rating is not None:
        stars = "★" * spec.rating + "☆" * (5 - spec.rating)
        pen.text((left, y), stars, font=star_font, fill=colour["star"])
        pen.text((left + star_font.getlength(stars) + 24, y + 10), f"{spec.rating} out of 5", font=small_font,
                 fill=colour["muted"])
        y += rating_height
    pen.text((left - 68, y - 22), "“", font=_font("DejaVuSerif-Bold.ttf", 96), fill=colour["accent"])
    for line in lines.quote:
        pen.text((left, y), line, font=quote_font, fill=colour["text"])
        y += step
    y += 18
    pen.text((left, y), lines.author, font=author_font, fill=colour["heading"])
    y += 44
    for line in lines.labels:
        pen.text((left, y), line, font=label_font, fill=colour["muted"])
        y += 40

    band_middle = HEIGHT - 48
    pen.text((left, band_middle), lines.business, font=_font("DejaVuSans-Bold.ttf", 32), fill=colour["heading"],
             anchor="lm")
    pen.text((right, band_middle), lines.host, font=_font("DejaVuSans.ttf", 26), fill=colour["muted"], anchor="rm")

    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=False, compress_level=6)
    return buffer.getvalue()
