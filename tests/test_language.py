"""`language:` in site.yaml is a real locale (Babel's CLDR data), written as BCP 47 in the pages."""

from __future__ import annotations

import pytest
from conftest import SITE_YAML


@pytest.mark.parametrize(("written", "tag"), [("en-GB", "en-GB"), ("en_GB", "en-GB"), ("fr", "fr"),
                                              ("pt-br", "pt-BR"), ("zh_Hant_TW", "zh-Hant-TW")])
def test_a_locale_is_written_in_bcp47_form(make_site, run, written, tag):
    site = make_site(site_yaml=SITE_YAML.replace("language: en-GB", f"language: {written}"))
    built = run("build", "--site", site)
    assert built.code == 0, built.err
    assert f'<html lang="{tag}"' in (site / "public" / "index.html").read_text(encoding="utf-8")


@pytest.mark.parametrize(("written", "hint"), [("English", " (did you mean 'en'?)"),
                                               ("Français", " (did you mean 'fr'?)"),
                                               ("en-XX", ""), ("Klingon", " (did you mean 'tlh'?)"), ("qqqq", "")])
def test_a_language_that_is_no_locale_is_an_error_at_its_line(make_site, run, written, hint):
    site = make_site(site_yaml=SITE_YAML.replace("language: en-GB", f"language: {written}"))
    built = run("build", "--site", site)
    assert built.code != 0
    assert (f"site.yaml:3: language: unknown language '{written}'{hint}; use a language code like en, en-GB, "
            "fr, de or es") in built.err
    assert not (site / "public").exists()
