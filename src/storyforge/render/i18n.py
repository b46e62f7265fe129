"""The theme's words in templates: the site's catalogs (``core/words.py``) given to Jinja2's i18n
extension (``{{ _("Home") }}``, ``{% trans %}``), and the direction the language is written in."""

from __future__ import annotations

import jinja2

from storyforge.core.config import SiteConfig
from storyforge.core.words import translations


def install_translations(env: jinja2.Environment, config: SiteConfig) -> None:
    """Give ``env`` the site's language: its catalogs (site first, then theme), or none for English."""
    env.install_gettext_translations(translations(config), newstyle=True)  # type: ignore[attr-defined]


def text_direction(config: SiteConfig) -> str:
    """'rtl' for a language written right to left (Arabic, Hebrew), else 'ltr'."""
    if config.language.split("-")[0].lower() == "en":
        return "ltr"
    from babel import Locale

    order = Locale.parse(config.language.replace("-", "_")).character_order
    return "rtl" if order == "right-to-left" else "ltr"
