"""Where templates and static files come from: the site's own folders, then the theme's."""

from __future__ import annotations

from pathlib import Path

from storyforge.core.config import SiteConfig
from storyforge.errors import ConfigError, SourceLocation

PACKAGE_THEMES = Path(__file__).parents[1] / "themes"
#: a source checkout (editable install) keeps the default theme at the top of the repository
CHECKOUT_THEMES = Path(__file__).resolve().parents[3] / "themes"


def theme_dir(config: SiteConfig) -> Path:
    """The active theme's folder: the site's own themes/, else the one shipped with storyforge."""
    for base in (config.root / "themes", PACKAGE_THEMES, CHECKOUT_THEMES):
        candidate = base / config.theme
        if (candidate / "templates").is_dir():
            return candidate
    raise ConfigError(
        f"theme: no theme '{config.theme}' — expected a folder themes/{config.theme}/templates/",
        SourceLocation("site.yaml"))


def template_dirs(config: SiteConfig) -> list[Path]:
    """Search order: the site's own templates/ first, then the theme's."""
    own = config.root / "templates"
    return [d for d in (own, theme_dir(config) / "templates") if d.is_dir()]


def static_dirs(config: SiteConfig) -> list[Path]:
    """Theme static first, the site's static/ second (later ones override earlier ones)."""
    return [d for d in (theme_dir(config) / "static", config.root / "static") if d.is_dir()]


def catalog_files(config: SiteConfig) -> list[Path]:
    """The gettext catalogs of the site's language, most specific first: the site's own
    ``locale/<lang>/LC_MESSAGES/messages.po``, then the theme's; for ``fr-CA``, fr_CA before fr.
    The theme ships none for English, the language it is written in; a site may have one."""
    parts = config.language.split("-")
    names = ["_".join(parts[:n]) for n in range(len(parts), 0, -1)]
    found = []
    for base in (config.root, theme_dir(config)):
        for name in names:
            path = base / "locale" / name / "LC_MESSAGES" / "messages.po"
            if path.is_file():
                found.append(path)
    return found
