"""``language:`` in site.yaml: a real locale, written the way browsers and screen readers expect.

Babel's locale data (CLDR) decides what a locale is, so `English`, `eng` or `en-XX` are caught when
the file is read rather than shipped as ``<html lang="English">``. Importing Babel costs tens of
milliseconds, so a tag that names one of its locale files exactly (``en``, ``en-GB``, ``fr``) is
accepted by looking for that file, and Babel itself is imported only for anything else.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

#: a plain tag whose locale file can be looked for directly: en, fr, en-GB, en_GB
_PLAIN_TAG = re.compile(r"[a-z]{2,3}(?:[-_][A-Z]{2})?")


@functools.lru_cache(maxsize=1)
def _locale_data() -> Path | None:
    import importlib.util

    spec = importlib.util.find_spec("babel")
    if spec is None or not spec.submodule_search_locations:  # pragma: no cover - Babel is a dependency
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "locale-data"


@functools.lru_cache(maxsize=64)
def bcp47(value: str) -> str:
    """'en_GB' or 'en-gb' → 'en-GB', the form of ``<html lang>``; ValueError with a hint for a
    tag that is no locale (``English`` → did you mean 'en'?)."""
    text = value.strip()
    folder = _locale_data()
    if _PLAIN_TAG.fullmatch(text) and folder is not None and (folder / f"{text.replace('-', '_')}.dat").is_file():
        return text.replace("_", "-")
    from babel import Locale, UnknownLocaleError
    from babel.core import get_locale_identifier

    try:
        locale = Locale.parse(text.replace("-", "_"))
    except (UnknownLocaleError, ValueError, TypeError):
        raise ValueError(f"unknown language {text!r}{_suggestion(text)}; use a language code like en, en-GB, "
                         "fr, de or es") from None
    return get_locale_identifier((locale.language, locale.territory, locale.script, locale.variant), sep="-")


def _suggestion(text: str) -> str:
    """' (did you mean 'en'?)' for a language written by its name in English or in itself, or a near
    miss of a code; only made when there is an error to explain."""
    from babel import Locale
    from babel.localedata import locale_identifiers

    from storyforge.errors import did_you_mean

    wanted = text.casefold()
    english = Locale("en")
    by_name = {name.casefold(): code for code, name in english.languages.items()}
    if wanted in by_name:
        return f" (did you mean '{by_name[wanted].replace('_', '-')}'?)"
    known = sorted(code for code in locale_identifiers() if "_" not in code)
    for code in known:  # a language named in itself: Français, Deutsch, Español, Cymraeg
        name = Locale(code).get_language_name(code)
        if name and name.casefold() == wanted:
            return f" (did you mean '{code}'?)"
    return did_you_mean(text.lower(), known)
