"""Every kind of bad input ends in one clear line per problem, exit 1, and the old site untouched."""

from __future__ import annotations

import pytest
from conftest import snapshot, story

CASES = {
    "malformed YAML": (
        "content/testimonials/x.md", "---\ntitle: Bad\nauthor: Sam: the baker\n---\nBody\n",
        "content/testimonials/x.md:3: invalid YAML: mapping values are not allowed",
    ),
    "missing fence": (
        "content/testimonials/x.md", "title: No fence\nauthor: Sam\n\nBody\n",
        "content/testimonials/x.md:1: missing front matter — the file must start with a line '---'",
    ),
    "unclosed fence": (
        "content/testimonials/x.md", "---\ntitle: Open\nauthor: Sam\nBody\n",
        "content/testimonials/x.md:1: front matter is not closed — add a line '---' after the last key",
    ),
    "wrong type": (
        "content/testimonials/x.md", story(extra="featured: maybe\n"),
        "content/testimonials/x.md:5: featured: expected true or false, got 'maybe'",
    ),
    "rating out of range": (
        "content/testimonials/x.md", story(extra="rating: 9\n"),
        "content/testimonials/x.md:5: rating: must be a whole number from 1 to 5, got 9",
    ),
    "impossible date": (
        "content/events/fair.md", "---\ntitle: Fair\nstart: 2025-02-30\n---\nBody\n",
        ("content/events/fair.md:3: start: expected a date like 2025-05-01 or a date and time like "
         "2025-05-01 14:30, got '2025-02-30' (day is out of range for month)"),
    ),
    "date in another format": (
        "content/events/fair.md", "---\ntitle: Fair\nstart: 05/01/25\n---\nBody\n",
        ("content/events/fair.md:3: start: expected a date like 2025-05-01 or a date and time like "
         "2025-05-01 14:30, got '05/01/25'"),
    ),
    "missing required field": (
        "content/testimonials/x.md", "---\ntitle: Nobody wrote this\nrating: 4\n---\nBody\n",
        "content/testimonials/x.md:1: author: required — add 'author: ...'",
    ),
    "unknown key with hint": (
        "content/testimonials/x.md", story(extra="ratng: 4\n"),
        "content/testimonials/x.md:5: ratng: unknown key for a testimonial (did you mean 'rating'?)",
    ),
    "duplicate key": (
        "content/testimonials/x.md", "---\ntitle: One\nauthor: Sam\ntitle: Two\n---\nBody\n",
        "content/testimonials/x.md:4: duplicate key 'title' (first on line 2) — keep only one",
    ),
    "script url": (
        "content/events/fair.md", "---\ntitle: Fair\nstart: 2026-05-01\nsignup_url: javascript:alert(1)\n---\nB\n",
        "content/events/fair.md:4: signup_url: only https://, http://, mailto: and tel: addresses",
    ),
    "end before start": (
        "content/events/fair.md", "---\ntitle: Fair\nstart: 2026-05-01 10:00\nend: 2026-05-01 09:00\n---\nB\n",
        "content/events/fair.md:4: end: is before start",
    ),
    "wrong folder": (
        "content/reviews/x.md", story(),
        "content/reviews/x.md: a story must be in one of the folders content/testimonials/",
    ),
    "python tag": (
        "content/testimonials/x.md", "---\ntitle: !!python/object:os.system x\nauthor: S\n---\nB\n",
        "content/testimonials/x.md:2: invalid YAML: could not determine a constructor for the tag",
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_bad_input_is_one_clear_line_and_exit_1(name, make_site, run):
    rel, text, expected = CASES[name]
    site = make_site({rel: text})
    result = run("build", "--site", site)
    assert result.code == 1
    lines = result.err.strip().splitlines()
    assert lines[0].startswith(expected), result.err
    assert lines[-1] == "build failed: 1 error in 1 file"
    assert "Traceback" not in result.err
    assert not (site / "public").exists()


def test_two_sources_for_one_address_names_both(make_site, run):
    site = make_site({
        "content/pages/about.md": "---\ntitle: About\n---\nHello\n",
        "content/pages/about-us.md": "---\ntitle: About us\nslug: about\n---\nHello\n",
    })
    result = run("build", "--site", site)
    assert result.code == 1
    assert result.err.splitlines()[0] == (
        "content/pages/about-us.md:3: two sources for one address /about/: content/pages/about-us.md "
        "and content/pages/about.md — change the slug of one of them")


def test_a_page_cannot_take_a_built_in_address(make_site, run):
    site = make_site({"content/pages/events.md": "---\ntitle: Events\n---\nHello\n"})
    result = run("build", "--site", site)
    assert result.code == 1
    assert ("content/pages/events.md:1: two sources for one address /events/: content/pages/events.md and "
            "the events list (built in)") in result.err


def test_all_errors_of_a_run_are_reported_together(make_site, run):
    site = make_site({
        "content/testimonials/a.md": story(extra="rating: 0\n"),
        "content/testimonials/b.md": story(extra="ratng: 3\nfeatured: 2\n"),
        "content/events/c.md": "---\ntitle: C\n---\nNo start\n",
    })
    result = run("build", "--site", site)
    assert result.code == 1
    assert result.err.splitlines() == [
        "content/events/c.md:1: start: required — add 'start: ...' (date or date and time, site timezone)",
        "content/testimonials/a.md:5: rating: must be a whole number from 1 to 5, got 0",
        ("content/testimonials/b.md:5: ratng: unknown key for a testimonial (did you mean 'rating'?); "
         "put your own keys under 'extra:'"),
        "content/testimonials/b.md:6: featured: expected true or false, got 2",
        "build failed: 4 errors in 3 files",
    ]


def test_a_failed_build_leaves_the_previous_site_exactly_as_it_was(make_site, run):
    site = make_site({"content/testimonials/a.md": story(title="First version")})
    assert run("build", "--site", site).code == 0
    before = snapshot(site / "public")
    (site / "content/testimonials/a.md").write_text(story(title="Second version", extra="rating: 9\n"))
    (site / "content/testimonials/b.md").write_text(story(title="Another"))
    result = run("build", "--site", site)
    assert result.code == 1
    assert snapshot(site / "public") == before
    assert b"First version" in before["testimonials/a/index.html"]
    assert [p.name for p in site.iterdir() if p.name.startswith(".storyforge-publish")] == []


def test_config_errors_are_collected_with_lines(make_site, run):
    site = make_site(site_yaml="title: T\nbase_url: ftp://x\ntimezone: Mars/Base\nfeeds:\n  itmes: 3\n")
    result = run("build", "--site", site)
    assert result.code == 1
    assert result.err.splitlines() == [
        "site.yaml:2: base_url: expected an absolute http(s) address like https://www.example.com/, got 'ftp://x'",
        "site.yaml:3: timezone: unknown time zone 'Mars/Base'; use a name like Europe/London or America/New_York",
        "site.yaml:5: feeds.itmes: unknown setting (did you mean 'items'?); known here: items",
        "configuration failed: 3 errors in 1 file",
    ]


def test_missing_site_yaml_says_where_to_run(tmp_path, run):
    result = run("build", "--site", tmp_path)
    assert result.code == 1
    assert ("no site.yaml here — run `storyforge init` to start a new site, or run storyforge in your site folder "
            "(or pass --site DIR)") in result.err


def test_template_error_names_template_and_line(make_site, run):
    site = make_site({
        "content/pages/about.md": "---\ntitle: About\n---\nHi\n",
        "templates/page.html": "{% extends 'base.html' %}\n{% block content %}\n{{ entry.no_such_thing }}\n"
                               "{% endblock %}\n",
    })
    result = run("build", "--site", site)
    assert result.code == 1
    assert result.err.splitlines()[0].startswith("templates/page.html:3: while rendering:")
    assert "no_such_thing" in result.err
