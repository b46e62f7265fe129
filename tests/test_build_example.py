"""The example site at the top of the repository: the first thing a new user builds."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import copy_example, page_text, parse_html


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the example site, built once for this module."""
    from storyforge.build import BuildOptions, build

    site = copy_example(tmp_path_factory.mktemp("example"))
    build(BuildOptions(site_dir=site))
    return site / "public"


def test_example_builds_cleanly_with_a_summary_line(tmp_path, run):
    site = copy_example(tmp_path)
    result = run("build", "--site", site)
    assert result.code == 0, result.err
    assert result.err == ""
    summary = result.out.strip().splitlines()
    assert len(summary) == 1
    assert summary[0].startswith("built ") and " feeds, " in summary[0] and " files written to " in summary[0]


def test_example_has_the_promised_content(example):
    stories = [p for p in (example / "testimonials").iterdir() if (p / "index.html").exists() and p.name != "page"]
    assert len(stories) >= 12
    events = [p for p in (example / "events").iterdir() if p.is_dir()]
    assert len(events) >= 4
    assert len([p for p in (example / "charity").iterdir() if p.is_dir()]) >= 4
    assert (example / "about/index.html").exists()
    text = page_text((example / "testimonials").joinpath("index.html").read_bytes())
    assert "Disclosure:" in page_text(b"".join((p / "index.html").read_bytes() for p in stories))
    assert "out of 5" in text


def test_example_is_in_english_and_french(example):
    """The second language: its pages, an event and stories French-speaking customers wrote."""
    french = example / "fr"
    assert 'lang="fr"' in (french / "index.html").read_text(encoding="utf-8")
    stories = [p for p in (french / "testimonials").iterdir() if (p / "index.html").exists() and p.name != "page"]
    assert len(stories) >= 2
    assert [p for p in (french / "events").iterdir() if (p / "index.html").exists()]
    about = (french / "qui-sommes-nous" / "index.html").read_text(encoding="utf-8")
    assert 'hreflang="en-GB" href="https://hearthandcrumb.example/about/"' in about
    assert '<a href="/about/" hreflang="en-GB" lang="en-GB">English</a>' in about
    assert "Racontez votre expérience" in page_text(about)
    english_stories = {p.name for p in (example / "testimonials").iterdir()}
    assert not english_stories & {p.name for p in stories}  # each story in the language it was written in


def test_every_internal_link_in_the_example_resolves(example):
    problems = []
    for page in sorted(example.rglob("*.html")):
        parsed = parse_html(page.read_bytes())
        for tag, attribute, value in parsed.links:
            parts = urlsplit(value)
            if parts.scheme or value.startswith("//"):
                continue
            path = parts.path
            if not path:  # a same-page #anchor
                if parts.fragment and parts.fragment not in parsed.ids:
                    problems.append(f"{page.relative_to(example)}: {tag} {attribute}={value} (no such id)")
                continue
            target = example / path.lstrip("/")
            if path.endswith("/"):
                target = target / "index.html"
            if not target.is_file():
                problems.append(f"{page.relative_to(example)}: {tag} {attribute}={value}")
            elif parts.fragment and target.suffix == ".html" and parts.fragment not in parse_html(
                    target.read_bytes()).ids:
                problems.append(f"{page.relative_to(example)}: {value} (no such id)")
    assert problems == []


def test_every_page_is_reachable_from_the_home_page(example):
    seen: set[Path] = set()
    queue = [example / "index.html"]
    while queue:
        page = queue.pop()
        if page in seen:
            continue
        seen.add(page)
        for tag, _, value in parse_html(page.read_bytes()).links:
            parts = urlsplit(value)
            if tag != "a" or parts.scheme or not parts.path.startswith("/"):
                continue
            target = example / parts.path.lstrip("/")
            target = target / "index.html" if parts.path.endswith("/") else target
            if target.suffix == ".html" and target.is_file():
                queue.append(target)
    every_page = {p for p in example.rglob("*.html") if p.name != "404.html"}
    assert sorted(str(p.relative_to(example)) for p in every_page - seen) == []
