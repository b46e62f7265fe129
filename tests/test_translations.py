"""The theme's words in the site's language: gettext catalogs (Babel) through Jinja2's i18n extension,
complete for every shipped language, overridable by the site's own catalog."""

from __future__ import annotations

import shutil
from pathlib import Path

from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from conftest import REPO, SITE_YAML, page_text

THEME = REPO / "themes" / "default"
SOURCES = REPO / "src" / "storyforge"
SHIPPED = ("fr", "de", "es", "he")


def _ids(found: set[str], message: str | tuple[str, ...], context: str | None) -> None:
    for text in [message] if isinstance(message, str) else [m for m in message[:1] if m]:
        found.add(f"{context}\x04{text}" if context else text)


def theme_strings(theme: Path, sources: Path | None = SOURCES) -> set[str]:
    """Every string the theme's templates and storyforge's Python (``_``, ``N_``, ``gettext``…) pass
    through gettext, found as `pybabel extract` finds them (a plural by its singular, a string with a
    context as ``context\\x04string``, as catalogs key them)."""
    with (theme / "babel.cfg").open(encoding="utf-8") as config:
        method_map, options_map = parse_mapping_cfg(config)
    found: set[str] = set()
    for _file, _line, message, _comments, context in extract_from_dir(theme, method_map, options_map):
        _ids(found, message, context)
    if sources is not None:
        keywords = {**DEFAULT_KEYWORDS, "N_": None}
        for file, _line, message, _comments, context in extract_from_dir(
                sources, [("**.py", "python")], {}, keywords=keywords):
            if not file.startswith("desk/"):  # the desk's words are in the desk's own catalogs
                _ids(found, message, context)
    return found


DESK = SOURCES / "desk"


def desk_strings(desk: Path = DESK) -> set[str]:
    """Every string of the moderation desk: its templates' and the titles its Python marks with N_."""
    found: set[str] = set()
    for _file, _line, message, _comments, context in extract_from_dir(
            desk / "templates", [("**.html", "jinja2")], {"**.html": {"extensions": "jinja2.ext.i18n"}}):
        _ids(found, message, context)
    for _file, _line, message, _comments, context in extract_from_dir(
            desk, [("*.py", "python")], {}, keywords={**DEFAULT_KEYWORDS, "N_": None}):
        _ids(found, message, context)
    return found


def missing_translations(theme: Path, sources: Path | None = SOURCES,
                         wanted: set[str] | None = None) -> dict[str, list[str]]:
    """For each shipped catalog under ``theme/locale``, the strings (the theme's, unless ``wanted``
    says) it leaves untranslated (absent, empty or fuzzy)."""
    wanted = theme_strings(theme, sources) if wanted is None else wanted
    missing = {}
    for language in SHIPPED:
        with (theme / "locale" / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
            catalog = read_po(handle)
        done = {_key(m.id, m.context) for m in catalog if m.id and _complete(m.string) and not m.fuzzy}
        missing[language] = sorted(wanted - done)
    return {language: ids for language, ids in missing.items() if ids}


def _key(message: str | tuple[str, ...], context: str | None) -> str:
    text = message if isinstance(message, str) else message[0]
    return f"{context}\x04{text}" if context else text


def _complete(translation: str | tuple[str, ...]) -> bool:
    """Translated in every form (a plural has one per form the language has)."""
    return bool(translation) and (isinstance(translation, str) or all(translation))


def test_every_theme_string_is_translated_in_every_shipped_catalog():
    assert theme_strings(THEME) >= {"Home", "Skip to content", "Share your story"}
    assert missing_translations(THEME) == {}


def test_a_missing_translation_fails_the_catalog_check(tmp_path):
    theme = tmp_path / "default"
    shutil.copytree(THEME, theme)
    (theme / "templates" / "partials" / "new.html").write_text('<p>{{ _("Brand new words") }}</p>\n')
    path = theme / "locale" / "de" / "LC_MESSAGES" / "messages.po"
    path.write_text(path.read_text(encoding="utf-8").replace('msgstr "Alle Themen"', 'msgstr ""'), encoding="utf-8")
    missing = missing_translations(theme)
    assert missing["de"] == ["All topics", "Brand new words"]
    assert missing["fr"] == missing["es"] == missing["he"] == ["Brand new words"]


def test_every_desk_string_is_translated_in_the_desks_catalogs():
    assert desk_strings() >= {"Inbox", "Approve", "Skip to the desk", "Published stories"}
    assert missing_translations(DESK, wanted=desk_strings()) == {}


def test_a_missing_desk_translation_fails_the_catalog_check(tmp_path):
    desk = tmp_path / "desk"
    shutil.copytree(DESK, desk, ignore=shutil.ignore_patterns("__pycache__"))
    (desk / "templates" / "new.html").write_text('<p>{{ _("Brand new desk words") }}</p>\n')
    path = desk / "locale" / "es" / "LC_MESSAGES" / "messages.po"
    path.write_text(path.read_text(encoding="utf-8").replace('msgstr "Aprobar"', 'msgstr ""'), encoding="utf-8")
    missing = missing_translations(desk, wanted=desk_strings(desk))
    assert missing["es"] == ["Approve", "Brand new desk words"]
    assert missing["fr"] == missing["de"] == missing["he"] == ["Brand new desk words"]


def test_the_desk_speaks_the_sites_language(tmp_path):
    from werkzeug.test import Client

    from storyforge.desk.app import Desk

    for language, words, direction in (("fr", "Boîte de réception", ""), ("de", "Posteingang", ""),
                                       ("es", "Bandeja de entrada", ""), ("he", "דואר נכנס", ' dir="rtl"'),
                                       ("en-GB", "Inbox", "")):
        site = tmp_path / language
        site.mkdir()
        (site / "site.yaml").write_text(SITE_YAML.replace("language: en-GB", f"language: {language}"))
        desk = Desk(site, "127.0.0.1", 8123)
        page = Client(desk).get("/", headers={"Host": "127.0.0.1:8123"})
        html = page.get_data(as_text=True)
        desk.close()
        assert page.status_code == 200 and f'<html lang="{language}"{direction}>' in html
        assert f"<h1>{words}</h1>" in html


def _yaml(language: str) -> str:
    return SITE_YAML.replace("language: en-GB", f"language: {language}")


def test_a_french_site_shows_the_theme_in_french(make_site, run):
    site = make_site(site_yaml=_yaml("fr"))
    assert run("build", "--site", site).code == 0
    html = (site / "public" / "index.html").read_text(encoding="utf-8")
    text = page_text(html)
    assert "Aller au contenu" in text and "Accueil" in text and "Racontez votre expérience" in text
    assert "Skip to content" not in text and 'dir="rtl"' not in html


def test_a_site_catalog_overrides_the_theme_and_a_rebuild_sees_its_edits(make_site, run):
    catalog = ('msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=utf-8\\n"\n\n'
               'msgid "Share your story"\nmsgstr "{}"\n')
    site = make_site({"locale/fr_CA/LC_MESSAGES/messages.po": catalog.format("Partagez votre histoire")},
                     site_yaml=_yaml("fr-CA"))
    assert run("build", "--site", site).code == 0
    text = page_text((site / "public" / "index.html").read_bytes())
    assert "Partagez votre histoire" in text and "Racontez votre expérience" not in text
    assert "Accueil" in text  # what the site's catalog leaves out stays the theme's French
    (site / "locale/fr_CA/LC_MESSAGES/messages.po").write_text(catalog.format("Votre avis"), encoding="utf-8")
    assert run("build", "--site", site).code == 0
    assert "Votre avis" in page_text((site / "public" / "index.html").read_bytes())


def test_an_english_site_can_reword_the_theme_with_its_own_catalog(make_site, run):
    catalog = 'msgid ""\nmsgstr ""\n\nmsgid "Share your story"\nmsgstr "Tell us how it went"\n'
    site = make_site({"locale/en_GB/LC_MESSAGES/messages.po": catalog})
    assert run("build", "--site", site).code == 0
    assert "Tell us how it went" in page_text((site / "public" / "index.html").read_bytes())


def test_a_hebrew_site_is_right_to_left(make_site, run):
    site = make_site(site_yaml=_yaml("he"))
    assert run("build", "--site", site).code == 0
    html = (site / "public" / "index.html").read_text(encoding="utf-8")
    assert '<html lang="he" dir="rtl">' in html
    assert "דף הבית" in page_text(html)


def test_a_broken_site_catalog_is_an_error_naming_the_file(make_site, run):
    broken = 'msgid "Home"\nmsgstr "Accueil"\nthis is not a catalog line\n'
    site = make_site({"locale/fr/LC_MESSAGES/messages.po": broken}, site_yaml=_yaml("fr"))
    built = run("build", "--site", site)
    assert built.code != 0
    assert "locale/fr/LC_MESSAGES/messages.po" in built.err and "cannot read this catalog" in built.err
    assert not (site / "public").exists()
