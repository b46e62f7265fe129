"""Share cards: a 1200×630 PNG per customer story (its og:image), drawn with Pillow.

A card shows what the story page shows, no more: a quote from the story, the author's name as
the customer agreed to show it, the rating (only when given), the disclosure labels, and the
business's name in the theme's colours (read from the theme's ``css/style.css``).

Drawing (``carddraw.py``) costs a few milliseconds a card; each card is cached in
``.storyforge-cache/cards/`` under a hash of everything drawn on it, and cards not yet cached
are drawn in worker processes on large sites. Cards of stories that are gone are removed from
the cache. ``share_cards: false`` in site.yaml turns them off.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

from storyforge.core.config import SiteConfig
from storyforge.core.entries import Testimonial
from storyforge.core.model import SiteModel
from storyforge.core.pages import PageSpec
from storyforge.core.words import translations
from storyforge.publish.atomic import write_atomic
from storyforge.render.carddraw import PALETTE, CardSpec, _font_path, draw
from storyforge.render.glyphs import missing_glyphs
from storyforge.render.outputs import Output

__all__ = ["PALETTE", "CardSpec", "card_outputs", "card_spec", "cards_lacking_glyphs", "draw", "share_image"]


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
              _: Callable[[str], str] = str, photo: tuple[str | bytes, str] = ("", "")) -> CardSpec:
    """``_``: the site's catalogs' gettext, for the labels in the site's language, as its pages
    show them; ``photo``: the file of the customer's photo and its content hash (``card_photo``)."""
    labels = []
    if story.verified:
        labels.append(_("Verified customer"))
    if story.incentive:
        labels.append(_("Disclosure:") + " " + story.incentive)
    if story.relationship:
        labels.append(_("Connection:") + " " + story.relationship)
    return CardSpec(quote=story.summary or story.title, author=story.byline, rating=story.rating,
                    labels=tuple(labels), business=config.business.name,
                    host=urlsplit(config.base_url).netloc, colours=colours, photo=photo[0], photo_hash=photo[1])


def card_photo(story: Testimonial, images: Mapping[str, Output]) -> tuple[str | bytes, str]:
    """The customer's photo for the story's card: its processed file (made at the card's face size
    by the image stage, so a card decodes a few KB, not the phone's photo) as a path or bytes, and
    its content hash; ("", "") for none. ``avatar`` is set only when the customer agreed to show
    their photo."""
    path = story.avatar.lstrip("/") if story.avatar and "://" not in story.avatar else ""
    made = images.get(path) if path else None
    if made is None:
        return "", ""
    return (made.data if made.data is not None else str(made.source)), made.sha


Drawn = tuple[str, bytes | None]  # a card's key, and its bytes when no folder keeps them


class CardPlan(Protocol):
    """What drawing the cards asks of whoever remembers earlier builds (``render.site.Plan``)."""

    @property
    def cards_cache(self) -> tuple[Path | None, bool]: ...

    def kept_file(self, path: str, key: str) -> Output | None: ...

    def made_file(self, path: str, key: str, data: bytes) -> Output: ...


def card_outputs(config: SiteConfig, model: SiteModel, static_files: Mapping[str, Path],
                 images: Mapping[str, Output], plan: CardPlan,
                 mapper: Callable[[Callable[[CardSpec], Drawn], list[CardSpec]], list[Drawn]],
                 shown: set[str] | None = None) -> list[Output]:
    """An Output per story page that emits a card. A card whose key (everything drawn on it) is
    the one its file was last made from is kept as published, its bytes neither read nor hashed;
    the others are read from the card cache (``plan.cards_cache``: a folder, or None, and whether
    what is there may be used), and those not there drawn with ``mapper``. ``static_files``: the
    site's files by output path (the theme's stylesheet); ``images``: each processed image's widest
    file by its path (the customers' photos). Cards no card of the site shows are then removed
    from the cache; for one language of several, ``shown`` gathers this language's, and the caller
    removes the others once every language is drawn (``prune_cards``)."""
    folder, trusted = plan.cards_cache
    colours = branded(palette(static_files.get("css/style.css")), config)
    pages = model.outputs("png")
    words = translations(config).gettext
    specs = [card_spec(config, page.context["entry"], colours, words,
                       card_photo(page.context["entry"], images)) for page in pages]
    keys = [spec.key() for spec in specs]
    paths = [page.output_path("png") for page in pages]
    kept = [plan.kept_file(path, key) for path, key in zip(paths, keys, strict=True)]
    wanted = {key: spec for key, spec, found in zip(keys, specs, kept, strict=True) if found is None}
    missing = [spec for key, spec in wanted.items()
               if not (trusted and folder is not None and (folder / f"{key}.png").is_file())]
    cache = _CardCache(folder)
    if missing:
        cache.memory.update((key, data) for key, data in mapper(cache.draw_and_store, missing) if data is not None)
    outputs = []
    for path, key, spec, found in zip(paths, keys, specs, kept, strict=True):
        if found is not None:
            outputs.append(found)
            continue
        output = plan.made_file(path, key, cache.read(key, spec))
        output.kept_at = None if key in cache.memory or folder is None else folder / f"{key}.png"
        outputs.append(output)
    if shown is None:
        prune_cards(folder, set(keys))  # a kept card's file too: the store links it, and it is drawn once
    else:
        shown.update(keys)
    return outputs


def prune_cards(folder: Path | None, keep: set[str]) -> None:
    """Remove from the card cache every card whose key is not in ``keep``."""
    if folder is None:
        return
    with contextlib.suppress(OSError):
        for path in folder.glob("*.png"):
            if path.stem not in keep:
                path.unlink(missing_ok=True)


class _CardCache:
    """Cards on disk by key; falls back to memory when the cache folder cannot be written."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self.memory: dict[str, bytes] = {}

    def draw_and_store(self, spec: CardSpec) -> Drawn:
        """The card's key, and its bytes when they could not be kept on disk (a worker process
        hands them back, so no card is drawn twice)."""
        data = draw(spec)
        key = spec.key()
        try:
            if self.folder is None:
                raise OSError("no folder to keep cards in")
            write_atomic(self.folder / f"{key}.png", data, durable=False)  # a cache: atomic, not flushed
        except OSError:
            return key, data
        return key, None

    def read(self, key: str, spec: CardSpec) -> bytes:
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
    return config.asset_url(photo)


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
