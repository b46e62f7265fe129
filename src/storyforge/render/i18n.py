"""The theme's words in templates: the site's catalogs (``core/words.py``) given to Jinja2's i18n
extension (``{{ _("Home") }}``, ``{% trans %}``), and the direction the language is written in."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any, cast

import jinja2

from storyforge.core.config import SiteConfig
from storyforge.core.theme import catalog_files
from storyforge.core.words import translations


def install_translations(env: jinja2.Environment, config: SiteConfig) -> None:
    """Give ``env`` the site's language: its catalogs (site first, then theme), or none for English."""
    chain = translations(config)
    env.install_gettext_translations(chain, newstyle=True)  # type: ignore[attr-defined]
    env.globals["_"] = env.globals["gettext"] = _remembered(cast("Callable[..., str]", env.globals["gettext"]))
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


def _remembered(gettext: Callable[..., str]) -> Callable[..., str]:
    """Jinja2's newstyle ``gettext`` answering each text without placeholders once per build.
    Most calls are folded into the compiled templates (``compiled_i18n``); what is left asks for
    words chosen at run time, such as ``_(item.kind_label)`` on every story of a list page — the
    same few words thousands of times, each time through the context, the catalogs and ``%``."""
    known: dict[tuple[str, bool], str] = {}

    @jinja2.pass_context
    def remembered(context: jinja2.runtime.Context, message: str, **variables: Any) -> str:
        if variables:
            return gettext(context, message, **variables)
        key = (message, context.eval_ctx.autoescape)
        text = known.get(key)
        if text is None:
            text = known[key] = gettext(context, message)
        return text

    return remembered
