"""Which characters a share card's fonts can draw: a card shows '\ufffd' for the others (``carddraw``),
and the build names the stories whose card does (``sharecards.cards_lacking_glyphs``)."""

from __future__ import annotations


def missing_glyphs(text: str, font_path: str) -> set[str]:
    """The characters of ``text`` (other than spaces) the font at ``font_path`` cannot draw."""
    if EVERY_FONT_DRAWS.issuperset(text):  # most cards: no need to read the font's table
        return set()
    covered = _coverage(font_path)
    if covered is None:
        return set()
    return {char for char in set(text) if ord(char) not in covered and not char.isspace()}


#: characters every DejaVu face a card uses can draw (a test checks the shipped fonts): printable
#: ASCII, Latin-1 and Latin Extended-A, and the dashes, quotes and marks smart punctuation makes.
#: Reading a font's table of glyphs (fontTools) costs a tenth of a second a font, in every process
#: that draws cards; a site whose stories stay within these never pays it.
EVERY_FONT_DRAWS = frozenset(chr(code) for code in (
    0x09, 0x0A, *range(0x20, 0x7F), *range(0xA0, 0x180), 0x2009, *range(0x2010, 0x2027), 0x202F, 0x2030, 0x2032,
    0x2033, 0x2039, 0x203A, 0x20AC, 0x2122))
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
