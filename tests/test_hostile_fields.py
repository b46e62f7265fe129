"""Hostile text in every field of every entrance: one customer's story never stops the site.

Each class of defect a hostile-input audit found has its own cases here: control characters,
giant words, terminal escapes, personal data outside the text, huge numbers and deep nesting,
thousands of tags, off-site addresses, invalid markup, missing disclosures, forged Host headers.
"""

from __future__ import annotations

import json

import pytest
from conftest import SITE_YAML, story
from moderation_helpers import HEADER, MODERATED_SITE, csv_row, inbox

CONTROLS = ["\x0b", "\x0c", "\x1b", "\x07", "\x01", "\x7f", "\x85", "\x9b", "\ufffe", "\uffff"]
#: a control character the text policy refuses, other than the line breaks it normalises
REFUSED = [c for c in CONTROLS if c != "\x85"]
FIELDS = ["title", "author", "summary", "role", "company", "location", "product", "incentive", "relationship",
          "response"]


def failing(run, site) -> list[str]:
    result = run("build", "--site", site)
    assert result.code == 1, result.out
    assert "Traceback" not in result.err
    return result.err.splitlines()


# --- 1. control characters --------------------------------------------------------------


@pytest.mark.parametrize("char", REFUSED)
def test_a_control_character_written_as_an_escape_is_refused_at_its_field(make_site, run, char):
    field = FIELDS[REFUSED.index(char) % len(FIELDS)]  # each character in another field
    escaped = json.dumps(f"before{char}after")  # a YAML double-quoted string with a \\u escape
    text = f"---\ntitle: Fine\nauthor: Sam\ndate: 2026-03-01\n{field}: {escaped}\n---\nBody.\n"
    if field in ("title", "author"):
        text = text.replace(f"{field}: {'Fine' if field == 'title' else 'Sam'}\n", "", 1)
    site = make_site({"content/testimonials/x.md": text})
    lines = failing(run, site)
    line = text.split("\n").index(f"{field}: {escaped}") + 1
    assert lines[0].startswith(f"content/testimonials/x.md:{line}: {field}: contains the invisible character "
                               f"U+{ord(char):04X}"), lines


@pytest.mark.parametrize("char", REFUSED)
def test_a_raw_control_character_in_front_matter_or_body_is_refused_at_its_line(make_site, run, char):
    site = make_site({"content/testimonials/a.md": story(extra=f"company: Acme{char}Ltd\n"),
                      "content/events/b.md": f"---\ntitle: Fair\nstart: 2026-05-01\n---\nOne.\n\nTwo{char}three.\n"})
    lines = failing(run, site)
    assert lines[0].startswith(f"content/events/b.md:7: body: contains the invisible character U+{ord(char):04X}")
    assert lines[1].startswith("content/testimonials/a.md:5: company: contains the invisible character")


def test_a_control_character_in_site_yaml_is_refused_at_its_line(make_site, run):
    site = make_site({"content/pages/about.md": "---\ntitle: About\n---\nHi\n"},
                     site_yaml=SITE_YAML + 'description: "Bread\\x1b[2J daily"\n')
    lines = failing(run, site)
    assert lines[0].startswith("site.yaml:7: description: contains the invisible character U+001B")


def test_unicode_line_separators_become_newlines_and_text_is_nfc(make_site, run):
    site = make_site({"content/testimonials/x.md": story("Cafe\u0301 bread", body="One.\u2028Two.\x85Three.")})
    assert run("build", "--site", site).code == 0
    page = (site / "public/testimonials/x/index.html").read_text()
    assert "Café bread" in page and "\u2028" not in page and "\x85" not in page


def test_an_imported_row_with_control_characters_is_cleaned_flagged_and_builds(make_site, run):
    row = csv_row("2026-03-01 09:00", "Jo\x1b[2J Bloggs", "Great\x0b cake\uffff", "Lovely\x07 sponge.\x0c Yes.",
                  town="East\x9bbridge", email="jo@example.com")
    site = make_site({"stories.csv": HEADER + row}, site_yaml=MODERATED_SITE)
    result = run("submissions", "import", site / "stories.csv", "--site", site)
    assert result.code == 0, result.err
    [data] = inbox(site).values()
    assert (data["title"], data["name"], data["body"], data["location"]) == (
        "Great cake", "Jo[2J Bloggs", "Lovely sponge. Yes.", "Eastbridge")
    assert any(f["code"] == "cleaned" and f["message"].startswith("6 invisible control characters removed")
               for f in data["flags"])
    assert run("moderate", "approve", data["id"], "--site", site).code == 0
    assert run("build", "--site", site).code == 0
    assert "Lovely sponge. Yes." in (site / "public/testimonials/feed.xml").read_text()


def test_submissions_add_cleans_control_characters_too(make_site, run):
    site = make_site(site_yaml=MODERATED_SITE)
    result = run("submissions", "add", "--site", site, "--story", "Good\x1b]0;pwned\x07 bread.", "--name",
                 "Al\x00ex", "--consent")
    assert result.code == 0, result.err
    [data] = inbox(site).values()
    assert (data["body"], data["name"]) == ("Good]0;pwned bread.", "Alex")


def test_the_render_stage_survives_text_that_slipped_past_every_entrance(make_site, run, monkeypatch):
    import storyforge.core.content as content
    import storyforge.core.yaml_source as yaml_source

    for module in (content, yaml_source):  # as if an entrance forgot the policy
        monkeypatch.setattr(module, "first_forbidden", lambda text: None)
    site = make_site({"content/testimonials/x.md": story('"Bad\\x0btitle"', author='"A\\x1bB"',
                                                         extra="tags: [\"t\\x0c\"]\n", body="a\x0cb \ufffe"),
                      "content/events/e.md": '---\ntitle: "Fair\\x0b"\nstart: 2026-05-01\n---\nx\x07\n'})
    result = run("build", "--site", site)
    assert result.code == 0, result.err
    for feed in ("feed.xml", "atom.xml", "testimonials/feed.xml", "events/feed.xml"):
        data = (site / "public" / feed).read_bytes()
        assert b"\x0b" not in data and b"\x0c" not in data
    assert b"Badtitle" in (site / "public/feed.xml").read_bytes()
