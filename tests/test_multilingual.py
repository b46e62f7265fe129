"""A site in two languages: `languages:` in site.yaml, content/<lang>/, each language under its own
prefix with its words, dates, feeds and wall, a switcher, and hreflang links in pages and the sitemap."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

from conftest import SITE_YAML, page_text, parse_html, story

BILINGUAL = SITE_YAML.replace("language: en-GB", "languages: [en-GB, fr]")
FILES = {
    "content/testimonials/lovely.md": story("Lovely bread", "Sam P.", extra="rating: 5\n"),
    "content/fr/testimonials/pain.md": "---\ntitle: Le pain du samedi\nauthor: Claire D.\ndate: 2026-11-12\n"
                                       "rating: 4\n---\nUne croûte parfaite.\n",
    "content/pages/about.md": "---\ntitle: About us\nmenu: true\n---\nWe bake.\n",
    "content/fr/pages/about.md": "---\ntitle: Qui sommes-nous\nslug: qui-sommes-nous\nmenu: true\n---\nNous cuisons.\n",
    "content/pages/allergens.md": "---\ntitle: Allergens\n---\nAsk us.\n",
    "content/fr/events/atelier.md": "---\ntitle: Atelier pain\nstart: 2026-12-05 10:00\n---\nVenez.\n",
    "content/fr/charity/collecte.md": "---\ntitle: La collecte\ndate: 2026-11-12\ncampaign: Banque alimentaire\n"
                                      "goal: 1500\nraised: 1234.5\ncurrency: EUR\n---\nMerci.\n",
}


class _Heads(HTMLParser):
    """The page's hreflang links and its language switcher's links (text, href, hreflang)."""

    def __init__(self) -> None:
        super().__init__()
        self.alternates: dict[str, str] = {}
        self.switch: list[tuple[str, str, str]] = []
        self._in_switch = False
        self._link: dict[str, str | None] | None = None
        self.html_attrs: dict[str, str | None] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "html":
            self.html_attrs = found
        if tag == "link" and found.get("rel") == "alternate" and found.get("hreflang"):
            self.alternates[str(found["hreflang"])] = str(found["href"])
        if tag == "nav" and found.get("class") == "language-switch":
            self._in_switch = True
        if tag == "a" and self._in_switch:
            self._link = found

    def handle_data(self, data: str) -> None:
        if self._link is not None and data.strip():
            self.switch.append((data.strip(), str(self._link["href"]), str(self._link["hreflang"])))
            self._link = None

    def handle_endtag(self, tag: str) -> None:
        if tag == "nav":
            self._in_switch = False


def heads(path: Path) -> _Heads:
    parser = _Heads()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def built(make_site, run, files: dict[str, str] | None = None, site_yaml: str = BILINGUAL) -> Path:
    site = make_site(FILES if files is None else files, site_yaml=site_yaml)
    result = run("build", "--site", site)
    assert result.code == 0, result.err
    return site / "public"


def test_each_language_has_its_own_prefix_words_dates_and_direction(make_site, run):
    public = built(make_site, run)
    english, french = public / "index.html", public / "fr" / "index.html"
    assert heads(english).html_attrs["lang"] == "en-GB" and heads(french).html_attrs["lang"] == "fr"
    text = page_text(french.read_bytes())
    assert "Aller au contenu" in text and "Accueil" in text and "Skip to content" not in text
    story_page = (public / "fr" / "testimonials" / "pain" / "index.html").read_text(encoding="utf-8")
    assert "12 novembre 2026" in page_text(story_page)
    campaign = next((public / "fr" / "charity" / "campaigns").glob("*/index.html")).read_text(encoding="utf-8")
    assert "1\u202f234,50\u00a0€" in campaign  # French grouping and the euro after the amount
    assert (public / "fr" / "qui-sommes-nous" / "index.html").is_file()
    assert not (public / "fr" / "testimonials" / "lovely").exists()  # a story stays in its language
    assert not (public / "testimonials" / "pain").exists()
    # static files are published once, at the root, and every language links them there
    assert not (public / "fr" / "css").exists()
    assert ("link", "href", "/css/style.css") in parse_html(french.read_text(encoding="utf-8")).links


def test_the_switcher_leads_to_the_translation_or_else_to_the_languages_home(make_site, run):
    public = built(make_site, run)
    about = heads(public / "about" / "index.html")
    assert about.switch == [("English", "/about/", "en-GB"),
                            ("Français", "/fr/qui-sommes-nous/", "fr")]
    assert about.alternates == {"en-GB": "https://bakery.test/about/",
                                "fr": "https://bakery.test/fr/qui-sommes-nous/",
                                "x-default": "https://bakery.test/about/"}
    # a page with no French version: the switcher goes to the French home, and no hreflang claims one
    allergens = heads(public / "allergens" / "index.html")
    assert ("Français", "/fr/", "fr") in allergens.switch
    assert allergens.alternates == {}
    # a story is never anyone's translation
    french_story = heads(public / "fr" / "testimonials" / "pain" / "index.html")
    assert french_story.switch[0] == ("English", "/", "en-GB")
    assert french_story.alternates == {}
    home = heads(public / "fr" / "index.html")
    assert home.alternates == {"en-GB": "https://bakery.test/", "fr": "https://bakery.test/fr/",
                               "x-default": "https://bakery.test/"}
    assert 'aria-current="true"' in re.search(r'<nav class="language-switch".*?</nav>',
                                              (public / "fr" / "index.html").read_text(), re.DOTALL).group(0)


def test_the_sitemap_lists_every_language_with_its_alternates(make_site, run):
    public = built(make_site, run)
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9", "x": "http://www.w3.org/1999/xhtml"}
    tree = ET.fromstring((public / "sitemap.xml").read_bytes())
    rows = {row.findtext("s:loc", namespaces=ns):
            {link.get("hreflang"): link.get("href") for link in row.findall("x:link", ns)}
            for row in tree.findall("s:url", ns)}
    assert rows["https://bakery.test/fr/qui-sommes-nous/"] == {
        "en-GB": "https://bakery.test/about/", "x-default": "https://bakery.test/about/",
        "fr": "https://bakery.test/fr/qui-sommes-nous/"}
    assert rows["https://bakery.test/fr/testimonials/pain/"] == {}
    assert "https://bakery.test/testimonials/lovely/" in rows
    assert not (public / "fr" / "sitemap.xml").exists() and not (public / "fr" / "robots.txt").exists()


def test_feeds_calendars_and_the_wall_are_per_language(make_site, run):
    public = built(make_site, run)
    french_feed = ET.fromstring((public / "fr" / "feed.xml").read_bytes())
    french_titles = {item.findtext("title") for item in french_feed.iter("item")}
    assert {"Le pain du samedi", "Atelier pain"} <= french_titles and "Lovely bread" not in french_titles
    assert french_feed.find("channel/language").text.lower().startswith("fr")
    english_feed = ET.fromstring((public / "feed.xml").read_bytes())
    assert "Le pain du samedi" not in {item.findtext("title") for item in english_feed.iter("item")}
    french_wall = json.loads((public / "fr" / "testimonials.json").read_bytes())
    english_wall = json.loads((public / "testimonials.json").read_bytes())
    assert [s["url"] for s in french_wall["stories"]] == ["https://bakery.test/fr/testimonials/pain/"]
    assert [s["title"] for s in english_wall["stories"]] == ["Lovely bread"]
    assert b"SUMMARY:Atelier pain" in (public / "fr" / "events" / "calendar.ics").read_bytes()


def test_a_one_language_site_is_as_before_and_a_second_language_only_adds_the_switcher(make_site, run, tmp_path):
    english = {path: text for path, text in FILES.items() if not path.startswith("content/fr/")}
    alone = built(make_site, run, english, site_yaml=SITE_YAML)
    before = {p.relative_to(alone).as_posix(): p.read_bytes() for p in alone.rglob("*") if p.is_file()}
    (tmp_path / "site" / "public").rename(tmp_path / "alone")
    public = built(make_site, run)
    for path in ("index.html", "about/index.html", "testimonials/lovely/index.html", "feed.xml"):
        now = (public / path).read_text(encoding="utf-8")
        without = re.sub(r'<link rel="alternate" hreflang=[^>]*>\n|<style>\n\.language-switch.*?</style>\n'
                         r'|<nav class="language-switch".*?</nav>\n', "", now, flags=re.DOTALL)
        assert without == before[path].decode(), path


def test_the_sites_own_words_come_in_each_language_from_translations(make_site, run):
    translated = BILINGUAL.replace("  name: Test Bakery Ltd\n", """  name: Test Bakery Ltd
  tagline: Bread since 2014
  opening_hours: Tue-Sat 8-16
description: A bakery on Mill Lane.
translations:
  fr:
    description: Une boulangerie rue du Moulin.
    tagline: Du pain depuis 2014
    opening_hours: du mardi au samedi, 8 h - 16 h
""")
    site = make_site(FILES, site_yaml=translated)
    result = run("build", "--site", site)
    assert result.code == 0, result.err
    french = (site / "public" / "fr" / "index.html").read_text(encoding="utf-8")
    english = (site / "public" / "index.html").read_text(encoding="utf-8")
    assert "Une boulangerie rue du Moulin." in page_text(french) and "Du pain depuis 2014" in page_text(french)
    assert "du mardi au samedi, 8 h - 16 h" in page_text(french)
    assert "A bakery on Mill Lane." not in french and "Bread since 2014" not in french
    assert "A bakery on Mill Lane." in page_text(english) and "Bread since 2014" in page_text(english)
    assert "Une boulangerie" not in english


def test_translations_name_other_languages_and_only_the_words_that_can_be_translated(make_site, run):
    site = make_site(FILES, site_yaml=BILINGUAL + "translations:\n  de:\n    tagline: Brot\n")
    result = run("build", "--site", site)
    assert result.code != 0
    assert "site.yaml:7: translations: de is not one of the other languages: [en-GB, fr]" in result.err
    site = make_site(FILES, site_yaml=BILINGUAL + "translations:\n  fr:\n    title: La Boulangerie\n")
    result = run("build", "--site", site)
    assert result.code != 0
    assert "translations: fr: title cannot be translated here — expected description, tagline" in result.err


def test_an_unknown_language_is_an_error_at_its_line(make_site, run):
    site = make_site(FILES, site_yaml=SITE_YAML.replace("language: en-GB", "languages: [en-GB, French]"))
    result = run("build", "--site", site)
    assert result.code != 0
    assert "site.yaml:3: languages: unknown language 'French' (did you mean 'fr'?)" in result.err
    assert not (site / "public").exists()


def test_a_folder_of_a_language_not_listed_is_an_error_naming_it(make_site, run):
    files = {**FILES, "content/de/testimonials/brot.md": story("Gutes Brot", "Jonas")}
    site = make_site(files, site_yaml=BILINGUAL)
    result = run("build", "--site", site)
    assert result.code != 0
    assert "content/de/: a folder for the language de, which site.yaml does not list" in result.err
    assert "languages: [en-GB, fr, de]" in result.err
    assert not (site / "public").exists()


def test_the_default_language_must_be_one_of_the_languages(make_site, run):
    site = make_site(FILES, site_yaml=BILINGUAL + "language: de\n")
    result = run("build", "--site", site)
    assert result.code != 0
    assert "site.yaml:7: language: de is not one of languages: [en-GB, fr]" in result.err


def test_language_picks_the_default_and_the_other_languages_get_prefixes(make_site, run):
    files = {"content/testimonials/pain.md": story("Le pain", "Claire"),
             "content/en-gb/testimonials/bread.md": story("Bread", "Sam")}
    public = built(make_site, run, files, site_yaml=BILINGUAL + "language: fr\n")
    assert heads(public / "index.html").html_attrs["lang"] == "fr"
    assert heads(public / "en-gb" / "index.html").html_attrs["lang"] == "en-GB"
    assert (public / "en-gb" / "testimonials" / "bread" / "index.html").is_file()
    assert (public / "testimonials" / "pain" / "index.html").is_file()


def test_every_link_of_a_two_language_site_resolves_in_its_language(make_site, run):
    site_yaml = BILINGUAL + "moderation:\n  intake_url: https://forms.bakery.test/\n"
    public = built(make_site, run, site_yaml=site_yaml)
    assert (public / "fr" / "share-your-story" / "thanks" / "index.html").is_file()
    broken = []
    for page in sorted(public.rglob("*.html")):
        for _tag, _attribute, value in parse_html(page.read_text(encoding="utf-8")).links:
            if value.startswith("/") and not value.startswith("//"):
                path = value.split("#")[0].split("?")[0]
                target = public / path.lstrip("/")
                if not (target.is_file() or (target / "index.html").is_file()):
                    broken.append(f"{page.relative_to(public)}: {value}")
    assert broken == []


def test_new_with_lang_writes_into_that_languages_folder(make_site, run, monkeypatch):
    site = make_site({}, site_yaml=BILINGUAL)
    monkeypatch.chdir(site)
    made = run("new", "page", "À propos", "--lang", "fr")
    assert made.code == 0, made.err
    assert made.out.strip() == "content/fr/pages/a-propos.md"
    assert run("new", "event", "Open day", "--lang", "en-gb").out.strip() == "content/events/open-day.md"
    built = run("build", "--drafts")
    assert built.code == 0, built.err
    assert (site / "public/fr/a-propos/index.html").is_file() and not (site / "public/a-propos").exists()
    refused = run("new", "page", "Über uns", "--lang", "de")
    assert refused.code != 0 and not (site / "content/de").exists()
    assert ("--lang: 'de' is not one of this site's languages (en-GB, fr) — use one of them, or add it to "
            "languages: in site.yaml") in refused.err


def test_new_with_a_lang_a_one_language_site_lacks_says_how_to_add_it(make_site, run, monkeypatch):
    site = make_site({}, site_yaml=SITE_YAML)
    monkeypatch.chdir(site)
    refused = run("new", "page", "À propos", "--lang", "fr")
    assert refused.code != 0 and not (site / "content/fr").exists()
    assert "e.g. languages: [en-GB, fr]" in refused.err


def test_translation_key_links_pages_whose_file_names_differ(make_site, run):
    files = {**FILES,
             "content/pages/allergens.md": "---\ntitle: Allergens\ntranslation_key: allergy\n---\nAsk us.\n",
             "content/fr/pages/allergenes.md": "---\ntitle: Allergènes\ntranslation_key: allergy\n---\nDemandez.\n",
             "content/fr/pages/horaires.md": "---\ntitle: Horaires\ntranslation_key: hours\n---\nDe 8 h.\n"}
    public = built(make_site, run, files)
    allergens = heads(public / "allergens" / "index.html")
    assert ("Français", "/fr/allergenes/", "fr") in allergens.switch
    assert allergens.alternates == {"en-GB": "https://bakery.test/allergens/",
                                    "fr": "https://bakery.test/fr/allergenes/",
                                    "x-default": "https://bakery.test/allergens/"}
    assert heads(public / "fr" / "allergenes" / "index.html").alternates["en-GB"] == "https://bakery.test/allergens/"
    # a key no other language has links nothing; pages named alike without keys still link by name
    assert heads(public / "fr" / "horaires" / "index.html").alternates == {}
    assert heads(public / "about" / "index.html").alternates["fr"] == "https://bakery.test/fr/qui-sommes-nous/"
    sitemap = (public / "sitemap.xml").read_text(encoding="utf-8")
    assert 'hreflang="fr" href="https://bakery.test/fr/allergenes/"' in sitemap


def test_a_story_cannot_claim_a_translation_key(make_site, run):
    site = make_site({"content/fr/testimonials/pain.md": "---\ntitle: Le pain\nauthor: Claire D.\ndate: 2026-11-12\n"
                                                         "translation_key: bread\n---\nBon.\n"}, site_yaml=BILINGUAL)
    result = run("build", "--site", site)
    assert result.code != 0
    assert ("content/fr/testimonials/pain.md:5: translation_key: a customer's story exists only in the language"
            in result.err)


def test_the_card_cache_keeps_every_languages_cards_from_one_build_to_the_next(make_site, run):
    """Each language's share cards are drawn once and kept: drawing the second language's cards
    must not remove the first's from the cache (they were drawn again at every build)."""
    public = built(make_site, run)
    cache = public.parent / ".storyforge-cache"
    cards = sorted(public.rglob("*.png"))
    assert {c.relative_to(public).parts[0] for c in cards} >= {"fr", "testimonials"}  # both languages have cards
    kept = {p.name: p.stat().st_ino for p in cache.rglob("cards/*.png")}
    assert len(kept) == len({c.read_bytes() for c in cards})
    assert run("build", "--site", public.parent).code == 0
    assert {p.name: p.stat().st_ino for p in cache.rglob("cards/*.png")} == kept  # none drawn again
