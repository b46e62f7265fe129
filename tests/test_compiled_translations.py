"""The theme's words are translated when a template is compiled, not on every page: the pages must
be exactly what Jinja2's own i18n extension makes, and a cached compiled template must never show
another language's words."""

from __future__ import annotations

import gettext
import io
import shutil
from pathlib import Path

import jinja2
import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from conftest import SITE_YAML, page_text

from storyforge.render.compiled_i18n import CompiledTranslations

SNIPPETS = [
    '{{ _("Home") }}',
    '{{ _("Tom & Jerry") }} and {{ gettext("Home") }}',
    '{{ _("Home")|upper }} {{ _("Home") ~ "!" }}',
    '{{ _("Hello %(name)s", name="<b>") }}',
    '{{ _("Hello %(name)s", name=("<a", "b>")|join("-")) }} {{ _("Hello %(name)s", name={"k": [1, (2, 3)]}) }}',
    '{% set who = "<i>Ann</i>"|safe %}{{ _("Hello %(name)s", name=who) }}, {{ _("Hello %(name)s", name=who)|upper }}',
    '{{ _("%(a)s and %(b)s", a="x & y", b=3) }} {{ _("100%% fresh", name="unused") }}',
    '{{ _("Tom & Jerry") ~ _("Hello %(name)s", name="z") }}',
    '{{ x._("Home") if x is defined else "" }}',
    '{{ _("100%% fresh") }}',
    '{{ _("100% broken") if false else "" }}',
    '{% trans %}Home{% endtrans %}',
    '{% trans name="<i>" %}Hello %(name)s{% endtrans %}',
    '{% trans %}100%% fresh{% endtrans %}',
    '{% trans trimmed %}\n   Tom &\n   Jerry\n{% endtrans %}',
    '{% trans count=2 %}One story{% pluralize %}{{ count }} stories{% endtrans %}',
    '{% set items = {"_": 1} %}{{ items._ }}',
]


def _translations() -> gettext.GNUTranslations:
    catalog = Catalog(locale="fr")
    catalog.add("Home", "Accueil")
    catalog.add("Tom & Jerry", "Tom & Jerry <em>fr</em>")
    catalog.add("Hello %(name)s", "Bonjour %(name)s")
    catalog.add("100%% fresh", "100 %% frais")
    catalog.add("%(a)s and %(b)s", "%(b)s et %(a)s")
    catalog.add(("One story", "%(count)s stories"), ("Une histoire", "%(count)s histoires"))
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


def _environment(extension: type | str, translations: gettext.NullTranslations) -> jinja2.Environment:
    env = jinja2.Environment(autoescape=True, extensions=[extension])
    env.install_gettext_translations(translations, newstyle=True)  # type: ignore[attr-defined]
    env.extend(compile_translations=translations)
    return env


@pytest.mark.parametrize("translations", [gettext.NullTranslations(), _translations()], ids=["none", "french"])
@pytest.mark.parametrize("snippet", SNIPPETS)
def test_a_template_reads_as_with_jinjas_own_i18n_extension(snippet, translations):
    expected = _environment("jinja2.ext.i18n", translations).from_string(snippet).render()
    assert _environment(CompiledTranslations, translations).from_string(snippet).render() == expected


def test_translated_strings_are_constants_in_the_compiled_template():
    source = ('{{ _("Home") }} {% trans %}Home{% endtrans %} {{ _("Hello %(name)s", name=page) }} '
              '{% trans name=page %}Hello %(name)s{% endtrans %}')
    code = _environment(CompiledTranslations, _translations()).compile(source, raw=True)
    assert "Accueil" in code and "Bonjour %(name)s" in code and "gettext" not in code


def test_a_cached_build_changes_language_with_site_yaml(make_site, run):
    site = make_site({"content/pages/about.md": "---\ntitle: About\n---\nWe bake.\n"})
    assert run("build", "--site", str(site), "-q").code == 0
    assert "Home" in page_text((site / "public/index.html").read_text(encoding="utf-8"))
    (site / "site.yaml").write_text(SITE_YAML.replace("language: en-GB", "language: fr"), encoding="utf-8")
    assert run("build", "--site", str(site), "-q").code == 0
    cached = {p.relative_to(site / "public"): p.read_bytes() for p in (site / "public").rglob("*")
              if p.is_file() and p.name != ".storyforge-build.json"}
    assert "Accueil" in page_text((site / "public/index.html").read_text(encoding="utf-8"))
    cold = site.parent / "cold"
    shutil.copytree(site, cold, ignore=shutil.ignore_patterns("public", ".storyforge-*"))
    assert run("build", "--site", str(cold), "-q", "--no-cache").code == 0
    assert cached == {p.relative_to(cold / "public"): p.read_bytes() for p in (cold / "public").rglob("*")
                      if p.is_file() and p.name != ".storyforge-build.json"}


def test_a_site_catalog_edit_reaches_a_cached_build(make_site, run):
    site = make_site({"content/pages/about.md": "---\ntitle: About\n---\nWe bake.\n"})
    catalog = site / "locale/en_GB/LC_MESSAGES/messages.po"
    catalog.parent.mkdir(parents=True)
    po = 'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\nmsgid "Home"\nmsgstr "{}"\n'
    catalog.write_text(po.format("Front door"), encoding="utf-8")
    assert run("build", "--site", str(site), "-q").code == 0
    assert "Front door" in page_text((site / "public/index.html").read_text(encoding="utf-8"))
    catalog.write_text(po.format("Way in"), encoding="utf-8")
    assert run("build", "--site", str(site), "-q").code == 0
    text = page_text((site / "public/index.html").read_text(encoding="utf-8"))
    assert "Way in" in text and "Front door" not in text


def test_compiled_templates_of_two_languages_are_kept_apart(tmp_path: Path):
    from storyforge.incremental.compiled_templates import CheckedBytecodeCache

    folder = tmp_path / "compiled"
    folder.mkdir()
    source = '{{ _("Home") }}'
    for translations, salt, expected in ((gettext.NullTranslations(), "en", "Home"),
                                         (_translations(), "fr", "Accueil"),
                                         (gettext.NullTranslations(), "en", "Home")):
        env = _environment(CompiledTranslations, translations)
        env.bytecode_cache = CheckedBytecodeCache(folder, salt)
        env.loader = jinja2.DictLoader({"page.html": source})
        assert env.get_template("page.html").render() == expected
