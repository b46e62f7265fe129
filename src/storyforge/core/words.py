"""The theme's words in the site's language: its gettext catalogs, read with Babel.

Catalogs are the ``.po`` files themselves, compiled in memory when a build needs them: the theme
ships no binary files that could drift from their sources, and an owner who edits the site's own
``locale/<lang>/LC_MESSAGES/messages.po`` sees the change on the next build with no compile step.
A string the site's catalog translates wins over the theme's; one neither translates stays as the
theme wrote it. English needs no catalog, so an English build neither reads one nor imports Babel.

The same catalogs serve the templates (``render/i18n.py`` installs them in Jinja2) and the words
Python puts on pages: the titles of the built-in pages, the navigation, feeds and share cards.
Those are written in English in the code and marked with :func:`N_` where they are defined, so
``pybabel extract`` finds them; they are translated where they are used, with :func:`translations`.
"""

from __future__ import annotations

import functools
import gettext
import io
from pathlib import Path
from typing import TYPE_CHECKING

from storyforge.errors import SourceLocation, TemplateError

if TYPE_CHECKING:  # the entries and content types mark their words here: this module imports no model
    from storyforge.core.config import SiteConfig


def N_(message: str) -> str:  # noqa: N802 - the name gettext's tools look for
    """Mark an English message for the catalogs where it is defined; it is translated where used."""
    return message


#: words shown from a value rather than a literal (an entry's kind on tag pages), for extraction
KIND_LABELS = (N_("Charity"), N_("Alert"), N_("Page"))


def translations(config: SiteConfig) -> gettext.NullTranslations:
    """The site's catalogs chained (site first, then theme), or English as written when it has none."""
    from storyforge.core.theme import catalog_files

    return read_translations(catalog_files(config), config.root)


def read_translations(files: list[Path], root: Path) -> gettext.NullTranslations:
    """Catalogs chained, the first winning (English as written for none); read once per process
    while the files stay the same. ``root``: what their names are shown relative to in an error."""
    if not files:
        return gettext.NullTranslations()
    stamps = tuple((path, path.stat().st_mtime_ns, path.stat().st_size) for path in files)
    return _chain(stamps, root)


@functools.lru_cache(maxsize=8)
def _chain(stamps: tuple[tuple[Path, int, int], ...], root: Path) -> gettext.NullTranslations:
    """Read once per process for the same files (the model, the pages and the feeds all ask)."""
    chain: gettext.NullTranslations | None = None
    for path, _mtime, _size in reversed(stamps):  # the theme's first, then the site's in front of it
        translated = _read_catalog(path, root)
        if chain is not None:
            translated.add_fallback(chain)
        chain = translated
    assert chain is not None
    return chain


def _read_catalog(path: Path, root: Path) -> gettext.GNUTranslations:
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import PoFileError, read_po

    try:
        with path.open("rb") as handle:
            catalog = read_po(handle, abort_invalid=True)
    except (OSError, PoFileError, ValueError) as exc:
        shown = path.relative_to(root).as_posix() if path.is_relative_to(root) else path.as_posix()
        raise TemplateError(f"cannot read this catalog: {exc} — check it with `pybabel compile --check`",
                            SourceLocation(shown)) from None
    compiled = io.BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)  # a fuzzy entry is a guess: the theme's words stay
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)
