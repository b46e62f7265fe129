"""The whole default theme in the site's language: every page, label, form and the words storyforge's
Python puts on pages and in feeds (titles, navigation, disclosures), with plural forms; right to left
for Hebrew. The catalogs' completeness is checked in test_translations.py."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import feedparser
import lxml.html
import pytest
from babel.messages.pofile import read_po
from conftest import SITE_YAML, copy_example, page_text, story
from test_translations import THEME, missing_translations, theme_strings

FRENCH_YAML = SITE_YAML.replace("language: en-GB", "language: fr").replace("Europe/London", "Europe/Paris")
WORD = re.compile(r"[A-Za-z’']+")


def shown_text(path: Path) -> str:
    """What a reader meets on a page: its text, and the labels screen readers and browsers show."""
    root = lxml.html.fromstring(path.read_bytes())
    for element in root.xpath("//script|//style"):
        element.drop_tree()
    labels = root.xpath("//@aria-label|//@title|//@alt|//meta[@name='description']/@content")
    return re.sub(r"[ \t\r\n]+", " ", " ".join([root.text_content(), *labels]))  # no-break spaces kept


def english_fragments() -> set[str]:
    """Runs of three or more words of every English message (placeholders and markup cut out): what
    would show if a string escaped translation."""
    with (THEME / "locale" / "messages.pot").open("rb") as handle:
        template = read_po(handle)
    fragments = set()
    for message in template:
        for text in ([message.id] if isinstance(message.id, str) else list(message.id)):
            for piece in re.split(r"<code>.*?</code>|%\(\w+\)[sd]|<[^>]+>|[“”«»()—:;,.?!*]", text):
                words = WORD.findall(piece)
                if len(words) >= 3:
                    fragments.add(" ".join(words))
    return fragments


def test_a_french_example_site_shows_no_english_theme_words(tmp_path, run):
    site = copy_example(tmp_path / "site")
    shutil.rmtree(site / "content" / "fr")  # the example's French pages: a French site keeps them in content/
    yaml = re.sub(r"\nlanguages: .*", "", (site / "site.yaml").read_text(encoding="utf-8"))
    (site / "site.yaml").write_text(yaml.replace("language: en-GB", "language: fr"), encoding="utf-8")
    assert run("build", "--site", site, "--no-cache").code == 0
    public = site / "public"
    content_words = " ".join(" ".join(WORD.findall(p.read_text(encoding="utf-8")))
                             for p in (site / "content").rglob("*.md"))
    content_words += " " + " ".join(WORD.findall(yaml))
    fragments = {f for f in english_fragments() if f not in content_words}  # the example's own words are English
    assert len(fragments) > 100
    leftovers = {}
    for page in sorted(public.rglob("*.html")):
        text = " ".join(WORD.findall(shown_text(page)))
        found = sorted(f for f in fragments if f in text)
        if found:
            leftovers[page.relative_to(public).as_posix()] = found
    assert leftovers == {}
    home = shown_text(public / "index.html")
    assert "Témoignages de clients" in home or "Témoignages" in home
    assert "Aller au contenu" in home and "Client vérifié" in home


def test_words_python_puts_on_pages_and_feeds_are_french(make_site, run):
    files = {f"content/testimonials/s{n}.md": story(f"Histoire {n}", "Claire D.",
                                                    f"rating: {1 + n % 5}\ntags: [pain]\n") for n in range(12)}
    files["content/testimonials/s0.md"] = story("Un pain superbe", "Claire D.",
                                                "rating: 5\nverified: true\nincentive: Une baguette offerte\n"
                                                "tags: [pain]\n")
    site = make_site(files, site_yaml=FRENCH_YAML + "pagination: {per_page: 10}\n")
    assert run("build", "--site", site).code == 0
    public = site / "public"
    listing = shown_text(public / "testimonials" / "index.html")
    assert "Témoignages de clients" in listing and "Page 1 sur 2" in listing
    assert "Témoignages plus anciens →" in listing
    assert "Témoignages de clients (page 2)" in shown_text(public / "testimonials" / "page" / "2" / "index.html")
    nav = lxml.html.fromstring((public / "index.html").read_bytes()).xpath("//nav[@class='site-nav']//a/text()")
    assert nav == ["Accueil", "Témoignages"]
    tag = shown_text(public / "tags" / "pain" / "index.html")
    assert "Sujet\u00a0: «\u00a0pain\u00a0»" in tag and "Témoignage" in tag
    feed = feedparser.parse((public / "feed.xml").read_bytes())
    item = next(e for e in feed.entries if e.title == "Un pain superbe")
    assert "Client vérifié" in item.content[0].value and "Par Claire D." in item.content[0].value
    assert "Mention\u00a0:" in item.content[0].value and "Noté 5 sur 5" in item.content[0].value
    assert item.summary.startswith("Mention\u00a0: Une baguette offerte.")
    assert "Verified" not in item.content[0].value and "Disclosure" not in item.summary
    assert feedparser.parse((public / "testimonials" / "feed.xml").read_bytes()).feed.title == (
        "Test Bakery — Témoignages de clients")


@pytest.mark.parametrize(("language", "one", "two", "five"), [
    ("en-GB", "1 star", "2 stars", "5 stars"),
    ("fr", "1 étoile", "2 étoiles", "5 étoiles"),
    ("de", "1 Stern", "2 Sterne", "5 Sterne"),
    ("he", "כוכב אחד", "שני כוכבים", "5 כוכבים"),
])
def test_counts_take_the_languages_plural_forms(make_site, run, language, one, two, five):
    files = {"content/testimonials/a.md": story("A", "Ann B.", "rating: 1\n"),
             "content/testimonials/b.md": story("B", "Bo C.", "rating: 2\n")}
    site = make_site(files, site_yaml=SITE_YAML.replace("language: en-GB", f"language: {language}"))
    assert run("build", "--site", site).code == 0
    rows = lxml.html.fromstring((site / "public" / "testimonials" / "index.html").read_bytes()).xpath(
        "//table[@class='distribution']//th/text()")
    assert rows[0] == five and rows[3] == two and rows[4] == one


def test_one_rated_story_is_not_called_all_one_stories(make_site, run):
    site = make_site({"content/testimonials/a.md": story("A", "Ann B.", "rating: 4\n")})
    assert run("build", "--site", site).code == 0
    home = page_text((site / "public" / "index.html").read_bytes())
    assert "the average of the one rated story" in home and "all 1 rated" not in home


def test_a_hebrew_site_mirrors_its_layout_and_an_english_one_carries_none_of_it(make_site, run):
    site = make_site({"content/testimonials/a.md": story("סיפור", "דנה כ.", "rating: 5\nverified: true\n")},
                     site_yaml=SITE_YAML.replace("language: en-GB", "language: he"))
    assert run("build", "--site", site).code == 0
    page = (site / "public" / "index.html").read_text(encoding="utf-8")
    assert '<html lang="he" dir="rtl">' in page and '[dir="rtl"] blockquote.quote' in page
    assert "לקוח מאומת" in page_text(page) and "סיפורי לקוחות" in page_text(page)
    english = make_site({"content/testimonials/a.md": story()})
    assert run("build", "--site", english).code == 0
    assert 'dir="rtl"' not in (english / "public" / "index.html").read_text(encoding="utf-8")


def test_a_python_word_without_a_translation_fails_the_catalog_check(tmp_path):
    sources = tmp_path / "src"
    sources.mkdir()
    (sources / "words.py").write_text('from storyforge.core.words import N_\nTITLE = N_("Brand new title")\n')
    assert "Brand new title" in theme_strings(THEME, sources)
    assert "Customer stories" in theme_strings(THEME)  # marked where the content type is registered
    missing = missing_translations(THEME, sources)
    assert all(ids == ["Brand new title"] for ids in missing.values()) and len(missing) == 4


def test_the_template_catalog_holds_every_string_the_code_and_theme_use():
    with (THEME / "locale" / "messages.pot").open("rb") as handle:
        template = {(m.context + "\x04" if m.context else "") + (m.id if isinstance(m.id, str) else m.id[0])
                    for m in read_po(handle) if m.id}
    assert template == theme_strings(THEME), "run the extraction in README's 'Translating the theme'"


def test_a_postponed_event_is_named_so_in_the_sites_language_in_calendars(make_site, run):
    event = ("---\ntitle: Atelier levain\nstart: 2027-01-14 18:30\nstatus: postponed\nlocation: La boutique\n"
             "---\nVenez.\n")
    site = make_site({"content/events/atelier.md": event}, site_yaml=FRENCH_YAML)
    assert run("build", "--site", site).code == 0
    calendar = (site / "public" / "events" / "calendar.ics").read_text(encoding="utf-8")
    assert "SUMMARY:Reporté\u00a0: Atelier levain" in calendar and "Postponed" not in calendar
    assert "X-WR-CALNAME:Test Bakery — événements" in calendar
    page = shown_text(site / "public" / "events" / "atelier" / "index.html")
    assert "Cet événement est reporté." in page
