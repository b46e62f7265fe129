"""site.yaml's ``branding:`` — a business's own colours, fonts, hero image and extra CSS over the theme.

A business should not have to copy the theme's stylesheet to change a colour (and lose every
theme update): the few values a brand needs become CSS custom properties in each page's head,
and one ``custom_css`` file is linked after the theme's. Colours are checked here, when the
settings are read, against WCAG AA (4.5:1 for text) on every background the theme draws text
on, so an unreadable choice stops the build at its line in site.yaml instead of shipping.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from storyforge.errors import ConfigError, SourceLocation

AA_TEXT = 4.5  # WCAG 2 AA, normal-size text
_HEX = re.compile(r"#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})")
#: a CSS font-family list without quotes: names of letters, digits, spaces and hyphens, comma-separated
_FONTS = re.compile(r"[A-Za-z0-9][A-Za-z0-9 -]*(\s*,\s*[A-Za-z0-9][A-Za-z0-9 -]*)*")
_STATIC_PATH = re.compile(r"/?[A-Za-z0-9_-][A-Za-z0-9._/-]*")

#: the default theme's palettes, as its style.css sets them: what a colour left unset stays
THEME_PALETTES: dict[str, dict[str, str]] = {
    "light": {"background": "#fbf7f0", "surface": "#ffffff", "tint": "#f4e6cf", "text": "#2b1d14",
              "muted": "#6b5142", "accent": "#7a3e1d", "star": "#945800"},
    "dark": {"background": "#1c1510", "surface": "#271d16", "tint": "#33261c", "text": "#f4ebdf",
             "muted": "#cdb9a6", "accent": "#f2b77e", "star": "#f2c14e"},
}
SCHEMES = {"light": "colors", "dark": "dark_colors"}


@dataclass(frozen=True)
class Palette:
    """The colours a site sets for one colour scheme; '' leaves the theme's."""

    accent: str = ""  # links, buttons, the current page in the navigation
    background: str = ""
    text: str = ""


@dataclass(frozen=True)
class Branding:
    """The branding: section, checked; ``css`` is what the page head carries."""

    colors: Palette = field(default_factory=Palette)  # the light scheme (and browsers with no preference)
    dark_colors: Palette = field(default_factory=Palette)  # the dark scheme
    font: str = ""  # the body text's font-family list; the system stack when ''
    heading_font: str = ""
    hero_image: str = ""  # a file in static/, e.g. /images/shopfront.jpg, shown in the home page's hero
    custom_css: str = ""  # a file in static/, e.g. /css/site.css, linked after the theme's stylesheet
    css: str = ""  # custom properties for a <style> element in the head; '' when nothing is set


def color(value: Any) -> str:
    """A colour as #rgb or #rrggbb (quoted in YAML, where # starts a comment)."""
    text = str(value).strip() if isinstance(value, str) else ""
    if not _HEX.fullmatch(text):
        raise ValueError(f"expected a colour like \"#1f5f8b\" (in quotes), got {value!r}")
    if len(text) == 4:
        text = "#" + "".join(ch * 2 for ch in text[1:])
    return text.lower()


def fonts(value: Any) -> str:
    """A font-family list such as 'Georgia, Times New Roman, serif' (no quotes needed)."""
    text = str(value).strip() if isinstance(value, str) else ""
    if not _FONTS.fullmatch(text):
        raise ValueError(f"expected font names separated by commas, like Georgia, serif, got {value!r}")
    return re.sub(r"\s*,\s*", ", ", text)


def static_path(value: Any) -> str:
    """A file of the site's static/ folder as its address, e.g. /css/site.css."""
    text = str(value).strip() if isinstance(value, str) else ""
    if not _STATIC_PATH.fullmatch(text) or ".." in text.split("/"):
        raise ValueError(f"expected the address of a file in static/, like /css/site.css, got {value!r}")
    return "/" + text.lstrip("/")


SCHEMA: dict[str, Any] = {
    "colors": dict.fromkeys(("accent", "background", "text"), color),
    "dark_colors": dict.fromkeys(("accent", "background", "text"), color),
    "font": fonts,
    "heading_font": fonts,
    "hero_image": static_path,
    "custom_css": static_path,
}

LineOf = Callable[..., "int | None"]


def make_branding(values: dict[str, Any], root: Path, line_of: LineOf) -> tuple[Branding, list[ConfigError]]:
    """The checked section and the problems found: a missing file, a colour too faint to read."""
    problems = [ConfigError(f"branding.{key}: no file static{values[key]} — put it in static/ or fix the address",
                            SourceLocation("site.yaml", line_of("branding", key)))
                for key in ("hero_image", "custom_css")
                if key in values and not (root / "static" / values[key].lstrip("/")).is_file()]
    palettes = {scheme: Palette(**values.get(section, {})) for scheme, section in SCHEMES.items()}
    rules: list[str] = []
    for scheme, palette in palettes.items():
        properties, found = _scheme(scheme, palette, line_of)
        problems.extend(found)
        if properties:
            body = "".join(f"{name}:{value};" for name, value in properties.items())
            rules.append(f"@media (prefers-color-scheme:{scheme}){{:root{{{body}}}}}")
    type_faces = {"--sans": values.get("font", ""), "--serif": values.get("heading_font", "")}
    if any(type_faces.values()):
        rules.insert(0, ":root{" + "".join(f"{name}:{value};" for name, value in type_faces.items() if value) + "}")
    branding = Branding(colors=palettes["light"], dark_colors=palettes["dark"], font=values.get("font", ""),
                        heading_font=values.get("heading_font", ""), hero_image=values.get("hero_image", ""),
                        custom_css=values.get("custom_css", ""), css="".join(rules))
    return branding, problems


def _scheme(scheme: str, palette: Palette, line_of: LineOf) -> tuple[dict[str, str], list[ConfigError]]:
    """The custom properties one scheme's palette sets, and every pair of colours too close to read."""
    if not (palette.accent or palette.background or palette.text):
        return {}, []
    theme = THEME_PALETTES[scheme]
    section = SCHEMES[scheme]
    background = palette.background or theme["background"]
    text = palette.text or theme["text"]
    accent = palette.accent or theme["accent"]
    grounds = {"the background": background, "the cards' background": theme["surface"],
               "the highlighted panels' background": theme["tint"]}
    if not palette.background:
        grounds = {}  # the theme's own colours on the theme's own backgrounds were checked by the theme
    problems: list[ConfigError] = []

    def check(key: str, colour: str, on: dict[str, str], fix: str) -> None:
        for where, ground in on.items():
            ratio = contrast(colour, ground)
            if ratio < AA_TEXT:
                problems.append(ConfigError(
                    f"branding.{section}.{key}: {colour} on {where} ({ground}) has a contrast of {ratio:.1f}:1; "
                    f"WCAG AA needs {AA_TEXT}:1 for text — {fix}",
                    SourceLocation("site.yaml", line_of("branding", section, key) or line_of("branding", section))))
                return

    everywhere = {"the background": background, "the cards' background": theme["surface"],
                  "the highlighted panels' background": theme["tint"]}
    darker = "choose a darker colour" if scheme == "light" else "choose a lighter colour"
    if palette.text or palette.background:
        check("text" if palette.text else "background", text, everywhere if palette.text else grounds, darker)
    if palette.accent or palette.background:
        check("accent" if palette.accent else "background", accent, everywhere if palette.accent else grounds, darker)
    button_text = max(("#ffffff", "#111111"), key=lambda candidate: contrast(candidate, accent))
    if palette.accent:
        check("accent", button_text, {"the button text it carries": accent},
              "choose a darker or lighter accent, so white or black text on it can be read")
    properties = {"--bg": palette.background, "--text": palette.text, "--heading": palette.text}
    if palette.accent:
        properties.update({"--link": accent, "--link-hover": text, "--accent": accent, "--btn-bg": accent,
                           "--btn-hover": accent, "--btn-text": button_text})
    if palette.background or palette.text:
        readable = all(contrast(theme["muted"], ground) >= AA_TEXT for ground in everywhere.values())
        properties["--muted"] = theme["muted"] if readable else text
        if palette.background and contrast(theme["star"], background) < AA_TEXT:
            properties["--star"] = text
    return {name: value for name, value in properties.items() if value}, problems


def contrast(first: str, second: str) -> float:
    """The WCAG 2 contrast ratio of two #rrggbb colours, from 1 to 21."""
    lighter, darker = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def _luminance(colour: str) -> float:
    channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
