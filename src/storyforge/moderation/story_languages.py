"""The language a customer wrote in, and where a story in that language is published.

A story exists in the language its customer wrote it in (never translated), so on a site with
``languages: [en-GB, fr]`` a story sent from the French form is filed as ``lang: fr`` and, once
approved, written to ``content/fr/testimonials/`` — built on the French side only. The default
language keeps ``content/testimonials/`` (where a one-language site has always kept its stories).

A one-language site has nothing to choose: its submissions carry no language and everything is
where it always was. A submission with no language on a multilingual site is in the default one.
Every place that finds a published story (the moderation index, withdrawal, reply, the desk) asks
:func:`story_folders` for every language's folder, so a story is found wherever its language put it.
"""

from __future__ import annotations

import functools
from collections.abc import Collection

from storyforge.core.config import SiteConfig
from storyforge.moderation.answers import RowError
from storyforge.moderation.filing import STORIES, STORY_DIR

#: the submission's field (and the form's, and the export column's default name)
FIELD = "lang"


def is_multilingual(config: SiteConfig) -> bool:
    """Whether stories have a language to choose between (``languages:`` lists two or more)."""
    return len(config.languages) > 1


def site_tags(config: SiteConfig) -> tuple[str, ...]:
    """Every language the site is written in, as site.yaml spells them (``language:`` alone for one)."""
    return config.languages or (config.language,)


def language_problem(config: SiteConfig, given: str) -> str | None:
    """Why ``given`` cannot be a story's language on this site, in words naming the field; None if it can."""
    try:
        story_language(config, given, strict=True)
    except RowError as exc:
        return str(exc)
    return None


def story_language(config: SiteConfig, given: str, *, strict: bool = False) -> str:
    """The language a submission is filed in: one of the site's ``languages`` as site.yaml spells it,
    or '' for the default (nothing given) and on a one-language site, where there is nothing to
    choose — unless ``strict`` (an option the owner typed), when a language the site does not list
    is refused there too. Accepts the tag in any case (``FR``, ``fr_FR`` for ``fr``), or the
    language's name in itself or in English (``Français``, ``French``), as a form export may write
    it. RowError names the field and the languages that are allowed."""
    value = " ".join(given.split())
    if not value or (not is_multilingual(config) and not strict):
        return ""
    tags = site_tags(config)
    found = _match(value, tags)
    if found is None:
        raise RowError(f"{FIELD}: '{value[:40]}' is not one of this site's languages ({', '.join(tags)}) — use one "
                       f"of them{'' if is_multilingual(config) else ', or list it under languages: in site.yaml'}")
    return found if is_multilingual(config) else ""


def _match(value: str, tags: tuple[str, ...]) -> str | None:
    wanted = value.replace("_", "-").casefold()
    for tag in tags:
        if wanted == tag.casefold():
            return tag
    primary = wanted.split("-")[0]
    same = [tag for tag in tags if tag.split("-")[0].casefold() == primary and "-" not in tag]
    if len(same) == 1 and len(primary) in (2, 3):  # fr-FR, fr-CA for a site listing fr
        return same[0]
    named = [tag for tag in tags if wanted in _names(tag)]
    return named[0] if len(named) == 1 else None


@functools.lru_cache(maxsize=32)
def _names(tag: str) -> frozenset[str]:
    """The names a person gives the language: in itself and in English (Français, French)."""
    from babel import Locale, UnknownLocaleError

    try:
        locale = Locale.parse(tag.replace("-", "_"))
    except (ValueError, UnknownLocaleError):
        return frozenset()
    names = {locale.get_language_name(locale), locale.get_language_name("en"), locale.get_display_name(locale),
             locale.get_display_name("en")}
    return frozenset(name.casefold() for name in names if name)


def story_dir(config: SiteConfig, lang: str) -> str:
    """Where an approved story in ``lang`` is written: content/testimonials/ for the default
    language (or none), content/<lang>/testimonials/ for another."""
    if not lang or not is_multilingual(config) or lang.casefold() == config.language.casefold():
        return STORY_DIR
    return f"content/{lang}/testimonials"


def story_folders(config: SiteConfig) -> dict[str, str]:
    """Every folder that can hold published stories, by the name the moderation index gives it: the
    default ``stories`` (content/testimonials/), then ``stories:<lang>`` for content/<lang>/testimonials/
    of each listed language (the default's own folder, content/en-GB/testimonials/, included)."""
    folders = {STORIES: STORY_DIR}
    if is_multilingual(config):
        folders.update({f"{STORIES}:{tag}": f"content/{tag}/testimonials" for tag in config.languages})
    return folders


def story_file(candidate: str, known: Collection[str], config: SiteConfig) -> str:
    """The story a person names by its file (``content/fr/testimonials/x.md``, or just ``x.md``): the
    path as given when it is in a story folder, else the published story of that name — the default
    language's first — else the default folder's (which the caller then says does not exist)."""
    candidate = candidate.replace("\\", "/").removeprefix("./")
    folders = story_folders(config).values()
    if any(candidate.startswith(folder + "/") for folder in folders):
        return candidate
    name = candidate.rsplit("/", 1)[-1]
    for folder in folders:
        if f"{folder}/{name}" in known:
            return f"{folder}/{name}"
    return f"{STORY_DIR}/{name}"
