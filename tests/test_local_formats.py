"""Dates, times, numbers and money in the site's language (Babel's CLDR data); English as ever."""

from __future__ import annotations

import feedparser
from conftest import SITE_YAML, page_text, story

FRENCH_YAML = SITE_YAML.replace("language: en-GB", "language: fr").replace("Europe/London", "Europe/Paris")
GERMAN_YAML = SITE_YAML.replace("language: en-GB", "language: de-DE").replace("Europe/London", "Europe/Berlin")
NNBSP = "\u202f"  # CLDR's French thousands separator, a narrow no-break space
NBSP = "\xa0"  # and a no-break space before the euro sign

FILES = {
    "content/testimonials/pain.md": story("Un pain superbe", "Claire D.", "rating: 5\n").replace(
        "2026-03-01", "2026-11-12"),
    "content/testimonials/gateau.md": story("Bon gâteau", "Luc M.", "rating: 4\n").replace(
        "2026-03-01", "2026-11-10"),
    "content/events/atelier.md": "---\ntitle: Atelier levain\nstart: 2027-01-14 18:30\nlocation: La boutique\n"
                                 "---\nVenez.\n",
    "content/charity/collecte.md": "---\ntitle: Collecte d'hiver\ndate: 2026-11-12\ncampaign: Manteaux\n"
                                   "goal: 3000\nraised: 1500\ncurrency: EUR\n---\nMerci.\n",
}


def test_a_french_site_writes_dates_and_euros_the_french_way(make_site, run, monkeypatch):
    site = make_site(FILES, site_yaml=FRENCH_YAML)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1795000000")  # 18 November 2026
    built = run("build", "--site", site)
    assert built.code == 0, built.err
    public = site / "public"
    assert "12 novembre 2026" in page_text((public / "testimonials" / "pain" / "index.html").read_bytes())
    event = page_text((public / "events" / "atelier" / "index.html").read_bytes())
    assert "jeudi 14 janvier 2027, 18:30" in event
    campaign = (public / "charity" / "index.html").read_text(encoding="utf-8")  # as written: no-break spaces
    assert f"1{NNBSP}500{NBSP}€" in campaign and f"3{NNBSP}000{NBSP}€" in campaign
    assert "£" not in campaign and "€1,500" not in campaign
    home = page_text((public / "index.html").read_bytes())
    assert "4,5" in home  # the average rating, with a decimal comma
    feed = feedparser.parse((public / "charity" / "feed.xml").read_bytes())
    assert f"1{NNBSP}500{NBSP}€" in feed.entries[0].content[0].value
    events_feed = feedparser.parse((public / "events" / "feed.xml").read_bytes())
    assert "jeudi 14 janvier 2027, 18:30" in events_feed.entries[0].content[0].value


def test_a_german_site_writes_its_own_dates_and_money(make_site, run, monkeypatch):
    site = make_site(FILES, site_yaml=GERMAN_YAML)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1795000000")  # 18 November 2026
    built = run("build", "--site", site)
    assert built.code == 0, built.err
    public = site / "public"
    assert "12. November 2026" in page_text((public / "testimonials" / "pain" / "index.html").read_bytes())
    assert "1.500\xa0€" in (public / "charity" / "index.html").read_text(encoding="utf-8")


def test_an_english_site_keeps_its_dates_and_pounds(make_site, run, monkeypatch):
    files = {**FILES, "content/charity/collecte.md": FILES["content/charity/collecte.md"].replace("EUR", "GBP")}
    site = make_site(files)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1795000000")  # 18 November 2026
    built = run("build", "--site", site)
    assert built.code == 0, built.err
    public = site / "public"
    assert "12 November 2026" in page_text((public / "testimonials" / "pain" / "index.html").read_bytes())
    assert "Thursday 14 January 2027, 18:30" in page_text((public / "events" / "atelier" / "index.html").read_bytes())
    assert "£1,500 raised of £3,000" in page_text((public / "charity" / "index.html").read_bytes())
    assert "4.5" in page_text((public / "index.html").read_bytes())
