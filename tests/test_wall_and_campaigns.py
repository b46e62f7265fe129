"""The wall of stories as data (testimonials.json, embed.js), campaign pages, per-tag feeds."""

from __future__ import annotations

import io
import json
import re

import feedparser
from conftest import REPO, page_text, parse_html, story
from PIL import Image

SITE = {
    "content/testimonials/a.md": story("Alpha", author="Ann B.", extra=(
        "date: 2026-03-05\nrating: 5\ntags: [Cakes, birthdays]\nfeatured: true\nverified: true\n"
        "incentive: A free coffee\nrelationship: Neighbour\nlocation: Eastbridge\navatar: /testimonials/ann.png\n"))
        .replace("date: 2026-03-01\n", ""),
    "content/testimonials/b.md": story("Bravo", author="Bo C.", extra="tags: [bread]\n",
                                       body="Crusty. ![The loaf](loaf.jpg)"),
    "content/testimonials/draft.md": story("Draft one", extra="draft: true\ntags: [cakes]\n"),
    "content/testimonials/private.md": story("Private one", extra="consent: false\n"),
    "content/charity/start.md": "---\ntitle: Under way\ndate: 2026-01-10\ncampaign: Warm Hands!\ngoal: 2000\n"
                                "raised: 400\ncurrency: GBP\nbeneficiary: The Shelter\n"
                                "donate_url: https://give.test/warm\n---\nGo.\n",
    "content/charity/more.md": "---\ntitle: Halfway\ndate: 2026-02-10\ncampaign: Warm Hands!\ngoal: 2000\n"
                               "raised: 1000\ncurrency: GBP\n---\nHalf.\n",
    "content/charity/twin.md": "---\ntitle: Twin\ndate: 2026-02-11\ncampaign: warm hands\nraised: 5\n---\nX.\n",
    "content/charity/done.md": "---\ntitle: Done\ndate: 2026-01-05\ncampaign: Larder\ngoal: 100\nraised: 150\n"
                               "slug: campaigns\n---\nThanks.\n",
}


def build(make_site, run):
    site = make_site(SITE)
    photo = io.BytesIO()
    Image.new("RGB", (120, 90), (200, 160, 90)).save(photo, "PNG")  # Ann's photo, published processed
    (site / "content/testimonials/ann.png").write_bytes(photo.getvalue())
    result = run("build", "--site", site)
    assert result.code == 0, result.err
    return site / "public"


def test_testimonials_json_has_published_stories_with_their_labels_only(make_site, run):
    out = build(make_site, run)
    data = json.loads((out / "testimonials.json").read_text())
    assert data["business"] == {"name": "Test Bakery Ltd", "url": "https://bakery.test/",
                                "policy": "https://bakery.test/reviews-policy/"}
    assert [s["title"] for s in data["stories"]] == ["Alpha", "Bravo"]  # no draft, no story without consent
    alpha = data["stories"][0]
    assert alpha == {
        "url": "https://bakery.test/testimonials/a/", "title": "Alpha", "text": "Great loaf.", "author": "Ann B.",
        "byline": "Ann B., Eastbridge", "rating": 5, "date": "2026-03-05", "product": None,
        "tags": ["cakes", "birthdays"],
        "labels": {"verified": True, "featured": True, "incentive": "A free coffee", "relationship": "Neighbour"},
        "image": "https://bakery.test/testimonials/a/card.png",
        "photo": {"url": "https://bakery.test/testimonials/ann.png", "alt": "", "width": 120, "height": 90,
                  # a face: 48 and 96 px circles, filled by a landscape photo 4/3 as wide (64, 128 → 120)
                  "srcset": "https://bakery.test/testimonials/ann-64w.webp 64w, "
                            "https://bakery.test/testimonials/ann-120w.webp 120w"}}
    assert data["stories"][1]["rating"] is None and data["stories"][1]["labels"]["incentive"] is None


def test_embed_script_is_small_and_never_builds_html_from_data(make_site, run):
    out = build(make_site, run)
    script = (out / "embed.js").read_text()
    # 8.5 KB since it writes its words in the site's language, 9.4 KB since data-lang picks a language's stories
    assert len(script.encode()) < 10 * 1024
    for forbidden in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "Function(",
                      ".style", "setAttribute(\"style\"", "setTimeout(\""):
        assert forbidden not in script, forbidden
    assert "prefers-reduced-motion" in script and "textContent" in script
    assert (out / "css/embed.css").is_file()
    demo = (out / "embed/index.html").read_text()
    assert '<script src="/embed.js" defer></script>' in demo and "data-storyforge-wall" in demo
    assert "/embed/" in [v for _, _, v in parse_html((out / "testimonials/index.html").read_text()).links]


def test_a_page_per_campaign_with_progress_updates_and_donate_link(make_site, run):
    out = build(make_site, run)
    page = (out / "charity/campaigns/warm-hands/index.html").read_text()
    assert '<progress max="100" value="50" aria-labelledby="progress-warm-hands">50%</progress>' in page
    label = re.search(r'<p id="progress-warm-hands"[^>]*>(.*?)</p>', page, re.DOTALL)
    assert label and "£1,000 raised of £2,000 (50%) as of 10 February 2026" in page_text(label.group(1))
    text = page_text(page)
    assert text.index("Under way") < text.index("Halfway")  # oldest first
    assert '<a class="button" href="https://give.test/warm">Donate' in page
    assert "Raising for The Shelter" in text
    # "warm hands" slugifies like "Warm Hands!": a page of its own, not a clash
    assert "Twin" in page_text((out / "charity/campaigns/warm-hands-2/index.html").read_bytes())
    # an update whose slug is "campaigns" does not clash with the campaign pages
    assert (out / "charity/campaigns/index.html").is_file() and (out / "charity/campaigns/larder/index.html").is_file()
    home = parse_html((out / "index.html").read_text())
    assert "/charity/campaigns/warm-hands/" in [v for _, _, v in home.links]
    assert "/charity/campaigns/larder/" not in [v for _, _, v in home.links]  # reached: not on the home page
    listing = [v for _, _, v in parse_html((out / "charity/index.html").read_text()).links]
    assert {"/charity/campaigns/warm-hands/", "/charity/campaigns/larder/"} <= set(listing)
    assert "/charity/campaigns/warm-hands/" in [v for _, _, v in parse_html(
        (out / "charity/more/index.html").read_text()).links]


def test_per_tag_feeds_with_image_enclosures(make_site, run):
    out = build(make_site, run)
    feed = feedparser.parse((out / "tags/cakes/feed.xml").read_bytes())
    assert not feed.bozo and [e.title for e in feed.entries] == ["Alpha"]
    assert ('<link rel="alternate" type="application/rss+xml" title="Test Bakery — Tagged “Cakes”" '
            'href="/tags/cakes/feed.xml">') in (out / "tags/cakes/index.html").read_text()
    [enclosure] = feed.entries[0].enclosures
    assert (enclosure.href, enclosure.type, enclosure.length) == \
        ("https://bakery.test/testimonials/ann.png", "image/png", str((out / "testimonials/ann.png").stat().st_size))
    bread = feedparser.parse((out / "tags/bread/feed.xml").read_bytes()).entries[0]
    assert bread.enclosures[0].href == "https://bakery.test/testimonials/b/loaf.jpg"  # the first image
    atom = feedparser.parse((out / "atom.xml").read_bytes())
    alpha = next(e for e in atom.entries if e.title == "Alpha")
    assert alpha.link == "https://bakery.test/testimonials/a/"
    assert [e.href for e in alpha.enclosures] == ["https://bakery.test/testimonials/ann.png"]


def test_the_readme_documents_the_new_outputs_and_keys():
    readme = (REPO / "README.md").read_text()
    for thing in ("/events/calendar.ics", "event.ics", "webcal://", "/testimonials.json", "/embed.js",
                  "share_cards", "alerts/*.md", "/alerts/feed.xml", "/tags/<tag>/feed.xml",
                  "/charity/campaigns/<slug>/", "card.png"):
        assert thing in readme, thing
