"""Share cards carry their own fonts: drawn where no system font exists (stock macOS and Windows
have no DejaVu), every character of the card — ★ £ € — and accented letters — has its glyph,
none comes out as the empty .notdef box. The fonts stay out of the built site."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import CliResult
from PIL import Image

from storyforge.render import carddraw
from storyforge.render.sharecards import PALETTE, CardSpec, draw

Run = Callable[..., CliResult]
#: a code point no font has: every font draws its .notdef box for it
NOT_A_CHARACTER = "\U0010fffd"
SPEC = CardSpec(quote="Zoë’s café fixed my gears for £12 — about €14 — and threw in a pint of naïve crème brûlée.",
                author="Łukasz Ø.", rating=4, labels=("Verified customer", "Disclosure: a £5 voucher"),
                business="Spoke & Sprocket — Café", host="spoke.example", colours=tuple(PALETTE.items()))


def _drawn_text(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, Any]]:
    """Every (text, font) the card is drawn with, recorded as it is drawn."""
    drawn: list[tuple[str, Any]] = []
    real = carddraw._put

    def record(card: Image.Image, xy: Any, text: str, font: Any, *args: Any, **kwargs: Any) -> None:
        drawn.append((text, font))
        real(card, xy, text, font, *args, **kwargs)

    monkeypatch.setattr(carddraw, "_put", record)
    monkeypatch.setattr(carddraw, "_FRAMES", {})  # the band is drawn once per process: draw it again here
    with Image.open(io.BytesIO(draw(SPEC))) as card:
        assert card.size == (1200, 630)
    return drawn


def _missing_glyphs(drawn: list[tuple[str, Any]]) -> list[str]:
    """The characters drawn as their font's .notdef box (compared as rendered masks)."""
    def mask(font: Any, character: str) -> tuple[tuple[int, int], bytes]:
        rendered = font.getmask(character)
        return rendered.size, bytes(rendered)

    missing = []
    for text, font in drawn:
        notdef = mask(font, NOT_A_CHARACTER)
        missing += [f"{character} (U+{ord(character):04X}) in {text!r}" for character in sorted(set(text) - {" "})
                    if mask(font, character) == notdef]
    return missing


def test_a_card_drawn_without_system_fonts_has_every_glyph(monkeypatch: pytest.MonkeyPatch) -> None:
    assert carddraw.SHIPPED_FONTS
    monkeypatch.setattr(carddraw, "FONT_DIRS", (carddraw.SHIPPED_FONTS,))  # no system folder at all
    drawn = _drawn_text(monkeypatch)
    assert {text for text, _ in drawn} >= {"★★★★☆", "— Łukasz Ø.", "spoke.example",
                                           "Verified customer · Disclosure: a £5 voucher"}
    assert all(Path(font.path).parent == Path(carddraw.SHIPPED_FONTS) for _, font in drawn)
    assert _missing_glyphs(drawn) == []


def test_without_the_shipped_fonts_glyphs_go_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    # what a machine with no DejaVu drew before: Pillow's own font, with boxes; the check above sees them
    monkeypatch.setattr(carddraw, "FONT_DIRS", ())
    missing = _missing_glyphs(_drawn_text(monkeypatch))
    assert any(line.startswith("★ (U+2605)") for line in missing), missing


def test_the_fonts_are_not_published_with_the_site(make_site: Callable[..., Path], run: Run) -> None:
    site = make_site({"content/testimonials/a.md": "---\ntitle: A\nauthor: Jo\nrating: 5\n---\nGreat £5 fix.\n"})
    assert run("build", "--site", site).code == 0
    assert list((site / "public").rglob("*.png"))  # the card was drawn with them
    assert [p.name for p in (site / "public").rglob("*") if p.suffix == ".ttf" or "LICENSE" in p.name] == []


def test_a_card_wears_the_site_s_own_colours(make_site: Callable[..., Path], run: Run) -> None:
    site = make_site({"content/testimonials/a.md": "---\ntitle: A\nauthor: Jo\n---\nGreat fix.\n"},
                     site_yaml="title: S\nbase_url: https://s.example/\n"
                               "branding:\n  colors: {accent: \"#1f5f8b\", background: \"#ffffff\"}\n")
    assert run("build", "--site", site).code == 0
    [card] = (site / "public").rglob("*.png")
    with Image.open(card) as image:
        rgb = image.convert("RGB")
        assert rgb.getpixel((10, 10)) == (0x1F, 0x5F, 0x8B)  # the accent bar down the left
        assert rgb.getpixel((600, 20)) == (255, 255, 255)  # the background


def test_the_characters_taken_as_drawable_without_reading_a_font_are_in_every_card_font() -> None:
    # a card whose text stays within EVERY_FONT_DRAWS is never checked against the font's table:
    # each of them must really be there, in the shipped faces and in any system DejaVu a card may use
    from fontTools.ttLib import TTFont

    from storyforge.render.glyphs import EVERY_FONT_DRAWS

    checked = 0
    for folder in carddraw.FONT_DIRS:
        for name in ("DejaVuSerif.ttf", "DejaVuSans.ttf", "DejaVuSans-Bold.ttf"):
            if folder and (Path(folder) / name).is_file():
                with TTFont(Path(folder) / name, lazy=True) as font:
                    cmap = font.getBestCmap()
                assert sorted(f"U+{ord(c):04X}" for c in EVERY_FONT_DRAWS
                              if ord(c) not in cmap and not c.isspace()) == [], f"{folder}/{name}"
                checked += 1
    assert checked >= 3
