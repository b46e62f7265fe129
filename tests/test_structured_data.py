"""Honest structured data and share cards: what search engines and social sites are told about a page."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from conftest import SITE_YAML, story
from PIL import Image

LD = re.compile(r'<script type="application/ld\+json">(.*?)</script>', re.DOTALL)
BUSINESS = SITE_YAML + "  address: 2 Mill Lane, Eastbridge\n  logo: /images/logo.png\n  tagline: Bread since 2014\n"

STORIES = {
    "content/testimonials/cake.md": story("Best cake ever", author="Ann B.",
                                          extra="rating: 5\nproduct: Birthday cake\n"),
    "content/testimonials/class.md": story("A fun class", extra="product: Sourdough class\n"),  # no rating
    "content/testimonials/general.md": story("Lovely place", extra="rating: 4\n"),  # about the business
    "content/testimonials/sneaky.md": story("Great bakery", extra="rating: 5\nproduct: Test Bakery Ltd\n"),
    "content/testimonials/hostile.md": story("</script><script>alert(1)</script>", author="<b>Eve</b>",
                                             extra="rating: 1\n"
                                                   "product: \"Scones </script><img src=x onerror=alert(2)>\"\n",
                                             body="Tasty & <script>alert(3)</script> fine."),
    "content/events/fair.md": "---\ntitle: Fair\nstart: 2026-06-01 10:00\n---\nFun.\n",
    "content/pages/about.md": "---\ntitle: About\nmenu: true\n---\nHi.\n",
}


@pytest.fixture
def built(make_site, run) -> Path:
    site = make_site(STORIES, site_yaml=BUSINESS)
    result = run("build", "--site", site)
    assert result.code == 0, result.err
    return site / "public"


def blocks(page: Path) -> list[dict]:
    return [json.loads(text) for text in LD.findall(page.read_text())]


def walk(value):
    """Every dict inside a JSON value."""
    if isinstance(value, dict):
        yield value
        for inner in value.values():
            yield from walk(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from walk(inner)


def test_no_page_emits_a_self_serving_rating(built):
    """Search engines ignore — or penalise — ratings a business publishes about itself."""
    found = []
    for page in sorted(built.rglob("*.html")):
        for block in blocks(page):
            for node in walk(block):
                kind = node.get("@type")
                if kind == "AggregateRating" or "aggregateRating" in node:
                    found.append(f"{page.relative_to(built)}: AggregateRating")
                if kind in ("Organization", "LocalBusiness") and ("review" in node or "reviewRating" in node):
                    found.append(f"{page.relative_to(built)}: a review of the business itself")
                if kind == "Review":
                    item = node["itemReviewed"]
                    if item["@type"] not in ("Product", "Service") or item["name"] == "Test Bakery Ltd":
                        found.append(f"{page.relative_to(built)}: a review of {item}")
    assert found == []
    assert "out of 5" in (built / "index.html").read_text()  # the average is shown, but never marked up


def test_a_review_only_where_a_product_is_named_and_a_rating_only_where_shown(built):
    [cake] = blocks(built / "testimonials/cake/index.html")
    assert cake["@type"] == "Review" and cake["author"] == {"@type": "Person", "name": "Ann B."}
    assert cake["itemReviewed"]["@type"] == "Product" and cake["itemReviewed"]["name"] == "Birthday cake"
    assert cake["reviewRating"] == {"@type": "Rating", "ratingValue": 5, "bestRating": 5, "worstRating": 1}
    [lesson] = blocks(built / "testimonials/class/index.html")
    assert lesson["itemReviewed"]["@type"] == "Service" and "reviewRating" not in lesson
    assert blocks(built / "testimonials/general/index.html") == []  # about the business as a whole
    assert blocks(built / "testimonials/sneaky/index.html") == []  # "product" is the business itself


def test_the_business_on_the_home_page(built):
    [business] = blocks(built / "index.html")
    assert business == {"@context": "https://schema.org", "@type": "LocalBusiness", "name": "Test Bakery Ltd",
                        "url": "https://bakery.test/", "description": "Bread since 2014",
                        "logo": "https://bakery.test/images/logo.png", "image": "https://bakery.test/images/logo.png",
                        "address": {"@type": "PostalAddress", "streetAddress": "2 Mill Lane, Eastbridge"}}


def test_customer_text_cannot_close_the_script_element(built):
    page = (built / "testimonials/hostile/index.html").read_text()
    [raw] = LD.findall(page)
    assert "<" not in raw and ">" not in raw and "&" not in raw
    [review] = blocks(built / "testimonials/hostile/index.html")
    assert review["name"] == "</script><script>alert(1)</script>"
    assert review["itemReviewed"]["name"] == "Scones </script><img src=x onerror=alert(2)>"
    assert page.count("<script") == 1  # the JSON-LD block, nothing else


def test_every_page_has_open_graph_and_twitter_tags_and_stories_a_share_card(built):
    for page in sorted(built.rglob("*.html")):
        html = page.read_text()
        for tag in ('property="og:title"', 'property="og:url"', 'property="og:type"', 'name="twitter:card"',
                    'property="og:description"'):
            assert tag in html, (page.relative_to(built), tag)
    html = (built / "testimonials/cake/index.html").read_text()
    assert '<meta property="og:image" content="https://bakery.test/testimonials/cake/card.png">' in html
    assert '<meta name="twitter:card" content="summary_large_image">' in html
    assert '<meta property="og:image" content="https://bakery.test/images/logo.png">' in \
        (built / "index.html").read_text()
    with Image.open(built / "testimonials/cake/card.png") as card:
        assert (card.format, card.size) == ("PNG", (1200, 630))


def test_share_cards_are_cached_and_can_be_switched_off(make_site, run, monkeypatch):
    from storyforge.render import sharecards

    site = make_site(STORIES, site_yaml=BUSINESS)
    drawn = []
    real = sharecards.draw
    monkeypatch.setattr(sharecards, "draw", lambda spec: drawn.append(spec.author) or real(spec))
    run("build", "--site", site)
    assert len(drawn) == 5
    first = (site / "public/testimonials/cake/card.png").read_bytes()
    (site / "content/testimonials/cake.md").write_text(story("Best cake ever", author="Ann B.",
                                                             extra="rating: 4\nproduct: Birthday cake\n"))
    run("build", "--site", site)
    assert drawn[5:] == ["Ann B."]  # only the card whose rating changed is drawn again
    assert (site / "public/testimonials/cake/card.png").read_bytes() != first
    assert len(list((site / ".storyforge-cache/cards").glob("*.png"))) == 5  # the old card is gone

    (site / "site.yaml").write_text(BUSINESS + "share_cards: false\n")
    assert run("build", "--site", site).code == 0
    assert not list((site / "public").rglob("card.png"))
    html = (site / "public/testimonials/cake/index.html").read_text()
    assert "og:image" not in html and '<meta name="twitter:card" content="summary">' in html
    assert "image" not in json.loads((site / "public/testimonials.json").read_text())["stories"][0]


def test_a_card_shows_the_rating_only_when_given_and_the_disclosures(make_site, run):
    from storyforge.core.config import load_config
    from storyforge.core.entries import Testimonial
    from storyforge.render.sharecards import PALETTE, card_spec, draw

    site = make_site(site_yaml=BUSINESS)
    config = load_config(site)
    fields = dict.fromkeys(("role", "company", "location", "product", "avatar", "response", "body"), "")
    story_entry = Testimonial(content_type="testimonial", source="x.md", slug="x", title="T", date=None, draft=False,
                              summary="Lovely.", tags=(), extra={}, body_line=5, author="Ann B.", rating=None,
                              featured=False, consent=True, incentive="A free loaf", relationship="",
                              verified=True, **fields)
    spec = card_spec(config, story_entry, tuple(PALETTE.items()))
    assert spec.rating is None and spec.labels == ("Verified customer", "Disclosure: A free loaf")
    assert spec.business == "Test Bakery Ltd" and spec.author == "Ann B."
    with Image.open(io.BytesIO(draw(spec))) as card:
        assert card.size == (1200, 630)
