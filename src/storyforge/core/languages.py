"""A site in several languages (``languages:`` in site.yaml): which language each file is in, each
language's view of the settings, and which pages are translations of each other.

Each language is built as a site of its own — its own entries, catalogs, dates and feeds — by the
same pipeline, from a view of the settings whose ``base_url`` ends in the language's prefix
(``https://example.com/fr/``; the default language stays at the root). Static files are
published once, at the root, for every language (``SiteConfig.asset_url``).

Content in the default language lives where a one-language site keeps it (``content/<type>/``,
or ``content/<default>/<type>/``); content in another language under ``content/<lang>/<type>/``.
Two pages are translations of each other when they are the same built-in page (the home page,
the lists, the policy), the same file name in the same content type's folder of two languages, or
the same ``translation_key:`` in files named differently (about.md and qui-sommes-nous.md) —
except customers' stories: a story exists only in the language its customer wrote it in, so it is
never linked to another story as its translation.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import NamedTuple
from urllib.parse import urlsplit

from storyforge.core.config import SiteConfig
from storyforge.core.entries import Entry, Testimonial
from storyforge.core.model import SiteModel
from storyforge.core.pages import ENTRY_PAGE_KINDS, PageSpec, Paginator

#: built-in pages that are the same page in every language (page 1 of a list, not its later pages)
SHARED_KINDS = frozenset({"home", "section", "events", "alerts", "tags", "info", "notfound"})
#: the files each language makes of its own; any other address with a file name is a static file
LANGUAGE_FILES = ("feed.xml", "atom.xml", "testimonials.json", "card.png", ".ics")


class Alternate(NamedTuple):
    """One language's version of a page, for the switcher and the ``hreflang`` links."""

    tag: str
    name: str  # the language's name in itself
    url: str | None  # the absolute address of the page's translation; None when it has none
    home: str  # the absolute address of the language's home page

    @property
    def link(self) -> str:
        """Where the switcher leads: the translation, else the home page — as a path on this site."""
        return urlsplit(self.url or self.home).path


@dataclass(frozen=True)
class Language:
    """One language of a site: its tag, the settings as its pages see them, and its prefix."""

    tag: str
    config: SiteConfig
    prefix: str  # "" for the default language, else e.g. "fr/"

    @property
    def name(self) -> str:
        return language_name(self.tag)


def prefix_of(tag: str) -> str:
    """The folder of a language's pages: fr → 'fr/', pt-BR → 'pt-br/'."""
    return tag.lower() + "/"


def site_languages(config: SiteConfig) -> list[Language]:
    """Each language of a multilingual site, the default first, with its view of the settings: the
    site's own words (description, tagline, …) in that language where ``translations:`` gives them."""
    views = [Language(config.language, config, "")]
    for tag in config.languages[1:]:
        prefix = prefix_of(tag)
        words = config.translations.get(tag, {})
        business = replace(config.business, **{key: words[key] for key in ("tagline", "what_customers_buy",
                                                                           "opening_hours") if key in words})
        views.append(Language(tag, replace(config, language=tag, base_url=config.base_url + prefix,
                                           site_url=config.base_url, business=business,
                                           description=words.get("description", config.description)), prefix))
    return views


def folder_language(config: SiteConfig, folder: str) -> str | None:
    """The language whose content a top folder of content/ holds (``fr``, ``en-GB``), if it is one."""
    wanted = folder.lower()
    return next((tag for tag in config.languages if tag.lower() == wanted), None)


def language_of(config: SiteConfig, source: str) -> str:
    """The language of a content file: its folder's (content/fr/…), else the default."""
    parts = source.split("/", 3)
    if len(parts) > 2 and parts[0] == "content":
        return folder_language(config, parts[1]) or config.language
    return config.language


def by_language(config: SiteConfig, entries: Sequence[Entry]) -> dict[str, list[Entry]]:
    """The entries of each language, in the order given."""
    split: dict[str, list[Entry]] = {tag: [] for tag in config.languages}
    for entry in entries:
        split[language_of(config, entry.source)].append(entry)
    return split


def is_language_file(path: str) -> bool:
    """Whether an address within the site is one language's own (a page, a feed, a calendar, the
    wall's JSON) rather than a static file published once for all (styles, scripts, images)."""
    name = path.split("?", 1)[0].split("#", 1)[0].rstrip("/").rsplit("/", 1)[-1]
    return path.endswith("/") or "." not in name or name.endswith(LANGUAGE_FILES)


@functools.lru_cache(maxsize=32)
def language_name(tag: str) -> str:
    """The language's name in itself, as a reader looks for it: Français, Deutsch, English."""
    from babel import Locale

    locale = Locale.parse(tag.replace("-", "_"))
    name = locale.get_language_name(locale) or tag
    return name[:1].upper() + name[1:]


def _translation_key(page: PageSpec) -> tuple[str, ...] | None:
    """What a page is the same as in another language; None for a page with no translations."""
    entry = page.context.get("entry")
    if page.kind in ENTRY_PAGE_KINDS and isinstance(entry, Entry):
        if isinstance(entry, Testimonial):
            return None  # a customer's story is in their own language only, never translated
        if entry.translation_key:  # the owner's word for it, whatever the file is called
            return ("entry", entry.content_type, "key", entry.translation_key)
        parts = entry.source.split("/")
        return ("entry", entry.content_type, parts[-1].rsplit(".", 1)[0])
    paginator = page.context.get("paginator")
    if page.kind in SHARED_KINDS and not (isinstance(paginator, Paginator) and paginator.number > 1):
        return ("page", page.url)
    return None


def link_translations(languages: Sequence[Language], models: Sequence[SiteModel]) -> None:
    """Give every page of every language ``alternates``: an ``Alternate`` for each language, in the
    site's order. The theme's switcher and ``hreflang`` links read them; the sitemap lists the same."""
    found: dict[tuple[str, ...], dict[str, str]] = {}
    for language, model in zip(languages, models, strict=True):
        for page in model.pages:
            key = _translation_key(page)
            if key is not None:
                found.setdefault(key, {})[language.tag] = language.config.base_url + page.url.lstrip("/")
    for model in models:
        for page in model.pages:
            key = _translation_key(page)
            versions = found.get(key, {}) if key is not None else {}
            page.context["alternates"] = tuple(
                Alternate(other.tag, other.name, versions.get(other.tag), other.config.base_url) for other in languages)
