"""The desk's words in the site's language: the desk's own gettext catalogs.

The desk is part of storyforge, not of a theme, so its catalogs ship beside its templates
(``desk/locale/<lang>/LC_MESSAGES/messages.po``) and are read the way the theme's are
(``core.words``), as ``.po`` files compiled in memory. The desk follows the site's ``language``;
for ``fr-CA`` it looks for ``fr_CA``, then ``fr``; a language with no catalog sees English.
"""

from __future__ import annotations

import gettext
from pathlib import Path

from storyforge.core.words import N_, read_translations

LOCALE = Path(__file__).parent / "locale"
#: the page titles ``app.py`` gives its templates, translated there with ``_(title)``
TITLES = (N_("Add a story"), N_("Edit"), N_("Edit before approving"), N_("Import"), N_("Inbox"),
          N_("Published stories"), N_("The desk is off"), N_("The site cannot be read"),
          N_("site.yaml cannot be read"))
#: languages written right to left, whose desk pages carry dir="rtl"
RIGHT_TO_LEFT = frozenset({"ar", "fa", "he", "ur", "yi"})


def desk_translations(language: str) -> gettext.NullTranslations:
    """The desk's catalogs for ``language`` (a BCP 47 tag), most specific first."""
    parts = language.split("-")
    names = ["_".join(parts[:n]) for n in range(len(parts), 0, -1)]
    files = [LOCALE / name / "LC_MESSAGES" / "messages.po" for name in names]
    return read_translations([path for path in files if path.is_file()], LOCALE)


def desk_direction(language: str) -> str:
    return "rtl" if language.split("-")[0].lower() in RIGHT_TO_LEFT else "ltr"
