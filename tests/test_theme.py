"""The default theme serves any small business: no bakery left in it, wording from site.yaml,
the business's own colours (checked for contrast), fonts, hero image and CSS, and a navigation
made of the sections the site really has."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import CliResult, page_text, story

from storyforge.core.branding import contrast

Run = Callable[..., CliResult]
MakeSite = Callable[..., Path]
BAKERY = re.compile(r"bread|cakes?\b|loaf|loaves|bak(e|es|ed|er|ery|ing)\b|sourdough|flour|crumb|pastr", re.IGNORECASE)
SITE = "title: Spoke & Sprocket\nbase_url: https://spoke.example/\n"
EVENT = "---\ntitle: Puncture clinic\nstart: 2026-12-05 10:00\n---\nBring your bike.\n"


def _nav(html: str) -> list[str]:
    block = html.split('aria-label="Main"')[1].split("</nav>")[0]
    return [f"{label} {href}" for href, label in re.findall(r'<a href="([^"]+)"[^>]*>([^<]+)</a>', block)]


def test_a_new_site_has_no_bakery_left_anywhere(tmp_path: Path, run: Run) -> None:
    site = tmp_path / "shop"
    assert run("init", site, "--name", "Spoke & Sprocket", "--url", "https://spoke.example/").code == 0
    assert run("build", "--site", site).code == 0
    found = {path.relative_to(site).as_posix(): BAKERY.findall(path.read_text(encoding="utf-8"))
             for path in (site / "public").rglob("*") if path.suffix in (".html", ".css", ".js", ".svg", ".xml")}
    assert {path: words for path, words in found.items() if words} == {}


def test_the_share_page_uses_what_customers_buy(make_site: MakeSite, run: Run) -> None:
    site = make_site(site_yaml=SITE + "business:\n  name: Spoke & Sprocket\n"
                               "  what_customers_buy: a puncture repair, a service or a new bike\n")
    assert run("build", "--site", site).code == 0
    text = page_text((site / "public/share-your-story/index.html").read_bytes())
    assert "Bought from us, booked with us or came to an event?" in text
    assert "for example a puncture repair, a service or a new bike" in text


def test_the_navigation_shows_the_sections_the_site_has(make_site: MakeSite, run: Run) -> None:
    site = make_site({"content/events/clinic.md": EVENT,
                      "content/pages/repairs.md": "---\ntitle: Repairs\nmenu: true\n---\nPrices.\n"}, site_yaml=SITE)
    assert run("build", "--site", site).code == 0
    assert _nav((site / "public/index.html").read_text()) == ["Home /", "Events /events/", "Repairs /repairs/"]
    assert not (site / "public/charity").exists()
    (site / "content/testimonials").mkdir()
    (site / "content/testimonials/great.md").write_text(story("Great service"))
    assert run("build", "--site", site).code == 0
    assert _nav((site / "public/events/index.html").read_text()) == [
        "Home /", "Stories /testimonials/", "Events /events/", "Repairs /repairs/"]
    assert 'href="/events/" aria-current="page"' in (site / "public/events/index.html").read_text()


def test_an_explicit_menu_in_site_yaml_replaces_the_navigation(make_site: MakeSite, run: Run) -> None:
    site = make_site({"content/events/clinic.md": EVENT}, site_yaml=SITE + (
        "menu:\n  - {title: Workshop, url: /events/}\n  - {title: Share, url: /share-your-story/}\n"))
    assert run("build", "--site", site).code == 0
    assert _nav((site / "public/index.html").read_text()) == ["Workshop /events/", "Share /share-your-story/"]
    bad = make_site(site_yaml=SITE + "menu:\n  - {title: Elsewhere, url: https://elsewhere.example/}\n")
    result = run("build", "--site", bad)
    assert result.code == 1
    assert "site.yaml:3: menu: url: expected a page of this site starting with /" in result.err


def test_brand_colours_fonts_hero_and_css_reach_every_page(make_site: MakeSite, run: Run) -> None:
    site = make_site({"static/css/shop.css": ".hero { border: 2px solid; }\n", "static/images/shop.svg": "<svg/>"},
                     site_yaml=SITE + (
                         "branding:\n  colors:\n    accent: \"#1F5F8B\"\n    background: \"#fff\"\n"
                         "  dark_colors:\n    accent: \"#8cc8ff\"\n"
                         "  font: Atkinson Hyperlegible,  system-ui, sans-serif\n"
                         "  hero_image: /images/shop.svg\n  custom_css: css/shop.css\n"))
    result = run("build", "--site", site)
    assert result.code == 0, result.err
    html = (site / "public/index.html").read_text()
    style = re.search(r"<style>(.*?)</style>", html, re.DOTALL)
    assert style is not None
    assert ":root{--sans:Atkinson Hyperlegible, system-ui, sans-serif;}" in style.group(1)
    assert "@media (prefers-color-scheme:light){:root{--bg:#ffffff;" in style.group(1)
    assert "--link:#1f5f8b;" in style.group(1) and "--btn-text:#ffffff;" in style.group(1)
    assert "@media (prefers-color-scheme:dark){:root{--link:#8cc8ff;" in style.group(1)
    assert "--btn-text:#111111;" in style.group(1).split("dark")[1]  # dark text on a light button
    head = html.split("</head>")[0]
    assert head.index("/css/style.css") < head.index("<style>") < head.index('href="/css/shop.css"')
    assert '<img class="hero-image" src="/images/shop.svg" alt="">' in html
    assert (site / "public/css/shop.css").is_file()


def test_a_colour_too_faint_to_read_stops_the_build_at_its_line(make_site: MakeSite, run: Run) -> None:
    site = make_site(site_yaml=SITE + "branding:\n  colors:\n    accent: \"#f2c14e\"\n    text: \"#777\"\n"
                                      "  custom_css: /css/missing.css\n")
    result = run("build", "--site", site)
    assert result.code == 1
    assert result.err.splitlines() == [
        ("site.yaml:5: branding.colors.accent: #f2c14e on the background (#fbf7f0) has a contrast of 1.6:1; "
         "WCAG AA needs 4.5:1 for text — choose a darker colour"),
        ("site.yaml:6: branding.colors.text: #777777 on the background (#fbf7f0) has a contrast of 4.2:1; "
         "WCAG AA needs 4.5:1 for text — choose a darker colour"),
        "site.yaml:7: branding.custom_css: no file static/css/missing.css — put it in static/ or fix the address",
        "configuration failed: 3 errors in 1 file",
    ]
    assert not (site / "public").exists()


@pytest.mark.parametrize(("value", "message"), [
    ("blue", "expected a colour like \"#1f5f8b\" (in quotes), got 'blue'"),
    ("\"#12345\"", "expected a colour like \"#1f5f8b\" (in quotes), got '#12345'"),
])
def test_a_colour_must_be_written_as_hex(make_site: MakeSite, run: Run, value: str, message: str) -> None:
    site = make_site(site_yaml=SITE + f"branding:\n  colors:\n    accent: {value}\n")
    result = run("build", "--site", site)
    assert result.code == 1 and f"site.yaml:5: branding.colors.accent: {message}" in result.err


def test_contrast_is_the_wcag_ratio() -> None:
    assert round(contrast("#000000", "#ffffff"), 1) == 21.0
    assert round(contrast("#777777", "#ffffff"), 2) == 4.48
    assert contrast("#1f5f8b", "#1f5f8b") == 1.0
