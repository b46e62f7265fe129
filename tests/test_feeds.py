"""Feeds parse cleanly with absolute links and stable GUIDs; the sitemap lists exactly the pages."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import feedparser
from conftest import story

SITE = {
    "content/testimonials/old.md": story("Old story", extra="date: 2026-01-05\n").replace("date: 2026-03-01\n", ""),
    "content/testimonials/new.md": story(
        "New story", extra="date: 2026-06-05\nincentive: A free coffee\ntags: [coffee]\n",
        body="See [our menu](/about/) and ![the cake](cake.jpg).").replace("date: 2026-03-01\n", ""),
    "content/events/fair.md": "---\ntitle: Fair\nstart: 2026-05-01 10:00\n---\nFun.\n",
    "content/pages/about.md": "---\ntitle: About\n---\nHi\n",
}


def test_site_rss_and_atom_parse_with_absolute_links_newest_first(make_site, run):
    site = make_site(SITE)
    assert run("build", "--site", site).code == 0
    for name in ("feed.xml", "atom.xml"):
        feed = feedparser.parse((site / "public" / name).read_bytes())
        assert not feed.bozo, (name, feed.get("bozo_exception"))
        titles = [e.title for e in feed.entries]
        assert titles == ["New story", "Fair", "Old story", "About"]
        newest = feed.entries[0]
        assert newest.link == "https://bakery.test/testimonials/new/"
        assert newest.id == "https://bakery.test/testimonials/new/"
        content = newest.content[0].value
        assert 'href="https://bakery.test/about/"' in content
        assert 'src="https://bakery.test/testimonials/new/cake.jpg"' in content
        assert "Disclosure:" in content and "A free coffee" in content
        assert newest.summary.startswith("Disclosure: A free coffee. See our menu")  # it travels with the story


def test_guids_are_stable_across_builds(make_site, run):
    site = make_site(SITE)
    run("build", "--site", site)
    first = (site / "public/feed.xml").read_bytes()
    run("build", "--site", site)
    assert (site / "public/feed.xml").read_bytes() == first


def test_section_feeds_and_item_count(make_site, run):
    files = {f"content/testimonials/s{n}.md": story(f"S{n}", extra=f"date: 2026-02-{n:02}\n")
             .replace("date: 2026-03-01\n", "") for n in range(1, 8)}
    site = make_site(files, site_yaml="title: T\nbase_url: https://t.test/\nfeeds:\n  items: 5\n")
    assert run("build", "--site", site).code == 0
    feed = feedparser.parse((site / "public/testimonials/feed.xml").read_bytes())
    assert not feed.bozo
    assert [e.title for e in feed.entries] == ["S7", "S6", "S5", "S4", "S3"]
    assert feedparser.parse((site / "public/events/feed.xml").read_bytes()).entries == []
    # a business with no charity updates gets no charity page or feed (nor a link to them)
    assert not (site / "public/charity").exists()


def test_sitemap_lists_every_html_page_and_nothing_else(make_site, run):
    site = make_site(SITE)
    run("build", "--site", site)
    out = site / "public"
    tree = ET.parse(out / "sitemap.xml")
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    listed = sorted(loc.text for loc in tree.getroot().findall("s:url/s:loc", ns))
    pages = sorted("https://bakery.test/" + p.relative_to(out).parent.as_posix().replace(".", "").strip("/")
                   + ("/" if p.parent != out else "") for p in out.rglob("index.html"))
    assert listed == pages
    assert all(not url.endswith(".xml") and "404" not in url for url in listed)
    robots = (out / "robots.txt").read_text()
    assert "Sitemap: https://bakery.test/sitemap.xml" in robots


def test_feed_escapes_titles_and_sanitizes_content(make_site, run):
    site = make_site({"content/testimonials/x.md": story(
        'Great <b>"cakes"</b> & more', body="Hi <script>alert(1)</script><img src=x onerror=alert(1)>")})
    assert run("build", "--site", site).code == 0
    for name in ("feed.xml", "atom.xml"):
        raw = (site / "public" / name).read_text()
        feed = feedparser.parse(raw)
        assert not feed.bozo
        assert feed.entries[0].title == 'Great <b>"cakes"</b> & more'
        assert "<script" not in feed.entries[0].content[0].value
        assert "onerror" not in feed.entries[0].content[0].value
