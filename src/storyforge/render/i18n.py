"""The theme's words in templates: the site's catalogs (``core/words.py``) given to Jinja2's i18n
extension (``{{ _("Home") }}``, ``{% trans %}``), and the direction the language is written in."""

from __future__ import annotations

import hashlib

import jinja2

from storyforge.core.config import SiteConfig
from storyforge.core.theme import catalog_files
from storyforge.core.words import translations


def install_translations(env: jinja2.Environment, config: SiteConfig) -> None:
    """Give ``env`` the site's language: its catalogs (site first, then theme), or none for English."""
    chain = translations(config)
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
