"""The theme's words in the site's language: gettext catalogs read with Babel, used by Jinja2's i18n
extension (``{{ _("Home") }}``, ``{% trans %}``).

Catalogs are the ``.po`` files themselves, compiled in memory when a build needs them: the theme
ships no binary files that could drift from their sources, and an owner who edits the site's own
``locale/<lang>/LC_MESSAGES/messages.po`` sees the change on the next build with no compile step.
A string the site's catalog translates wins over the theme's; one neither translates stays as the
theme wrote it. English needs no catalog, so an English build neither reads one nor imports Babel.
"""

from __future__ import annotations

import gettext
import hashlib
import io
from pathlib import Path

import jinja2

from storyforge.core.config import SiteConfig
from storyforge.core.theme import catalog_files
from storyforge.errors import SourceLocation, TemplateError


def install_translations(env: jinja2.Environment, config: SiteConfig) -> None:
    """Give ``env`` the site's language: its catalogs (site first, then theme), or none for English."""
    chain = gettext.NullTranslations()
    for path in reversed(catalog_files(config)):  # the theme's first, then the site's in front of it
        translations = _read_catalog(path, config.root)
        translations.add_fallback(chain)
        chain = translations
    env.install_gettext_translations(chain, newstyle=True)  # type: ignore[attr-defined]
    env.extend(compile_translations=chain)  # for compiled_i18n: the strings it translates while compiling


def translation_stamp(config: SiteConfig) -> str:
    """Changes whenever a translated string of a compiled template could: the language and its catalogs."""
    digest = hashlib.blake2b(config.language.encode(), digest_size=8)
    for path in catalog_files(config):
        digest.update(b"\0" + path.read_bytes())
    return digest.hexdigest()


def text_direction(config: SiteConfig) -> str:
    """'rtl' for a language written right to left (Arabic, Hebrew), else 'ltr'."""
    if config.language.split("-")[0].lower() == "en":
        return "ltr"
    from babel import Locale

    order = Locale.parse(config.language.replace("-", "_")).character_order
    return "rtl" if order == "right-to-left" else "ltr"


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
