"""Web-address names (slugs) made from words, and the names no address may take."""

from __future__ import annotations

import functools
import re
import unicodedata

MAX_SLUG = 100
#: folder names Windows cannot create, so a site with them could not be copied or served there
RESERVED_NAMES = frozenset({"con", "prn", "aux", "nul", *(f"com{n}" for n in range(10)),
                            *(f"lpt{n}" for n in range(10))})


@functools.lru_cache(maxsize=4096)
def slugify(words: str) -> str:
    """'Café  Crème!' → 'cafe-creme' (ASCII only, so every address is safe on every disk)."""
    ascii_text = unicodedata.normalize("NFKD", words).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:MAX_SLUG].strip("-")
