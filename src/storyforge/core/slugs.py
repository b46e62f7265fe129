"""Web-address names (slugs) made from words in any script, and the names no address may take."""

from __future__ import annotations

import functools
import re
import unicodedata

MAX_SLUG = 100
#: a Unicode slug is also a file name: most disks allow 255 bytes, and stories add a date and a number
MAX_SLUG_BYTES = 180
#: folder names Windows cannot create, so a site with them could not be copied or served there
RESERVED_NAMES = frozenset({"con", "prn", "aux", "nul", *(f"com{n}" for n in range(10)),
                            *(f"lpt{n}" for n in range(10))})
#: the values of ``slugs:`` in site.yaml
SLUG_STYLES = ("ascii", "unicode")


def slug_style(text: str) -> str:
    """The ``slugs:`` setting of site.yaml, checked."""
    if text not in SLUG_STYLES:
        raise ValueError(f"expected ascii (addresses in Latin letters, the default) or unicode (a title's own "
                         f"letters, e.g. /отличный-сервис/), got {text!r}")
    return text


@functools.lru_cache(maxsize=4096)
def slugify(words: str, *, unicode: bool = False) -> str:
    """'Café  Crème!' → 'cafe-creme'; 'Отличный сервис' → 'otlichnyi-servis'; with ``unicode``,
    'Отличный сервис' → 'отличный-сервис' and '自転車修理' stays as it is.

    Words that are Latin letters, digits and accents keep the slug they have always had (so no
    address of an existing site moves); other scripts are transliterated, or kept when ``unicode``
    is set, by python-slugify — one maintained table for every script instead of our own.
    """
    decomposed = unicodedata.normalize("NFKD", words)
    latin = decomposed.isascii() or all(ch.isascii() or unicodedata.combining(ch) for ch in decomposed)
    if latin and (not unicode or words.isascii()):
        ascii_text = decomposed.encode("ascii", "ignore").decode("ascii")
        return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:MAX_SLUG].strip("-")
    from slugify import slugify as library_slugify  # imported only when a title needs it

    # text-unidecode named, not 'auto': the same title makes the same address whatever else is installed;
    # a comma separates words, as it does in the ASCII rule above (the library would join "1,500")
    slug = library_slugify(words, max_length=MAX_SLUG, allow_unicode=unicode, entities=False, decimal=False,
                           hexadecimal=False, replacements=[(",", " ")], replacement_stage="pre",
                           algorithm="modern", backend="text-unidecode")
    while len(slug.encode("utf-8")) > MAX_SLUG_BYTES:
        slug = slug[:-1].rstrip("-")
    return slug
