"""Hostile text in every field of every entrance: one customer's story never stops the site.

Each class of defect a hostile-input audit found has its own cases here: control characters,
giant words, terminal escapes, personal data outside the text, huge numbers and deep nesting,
thousands of tags, off-site addresses, invalid markup, missing disclosures, forged Host headers.
"""

from __future__ import annotations

import json

import pytest
from conftest import HANG_SECONDS, SITE_YAML, story
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


# --- 2 and 3. share cards: linear wrapping, the name and the disclosure always legible ------------


def _spec(**fields):
    from storyforge.render.sharecards import PALETTE, CardSpec

    base = {"quote": "Lovely bread.", "author": "Sam P.", "rating": 5, "labels": (), "business": "Test Bakery",
            "host": "bakery.test", "colours": tuple(PALETTE.items())}
    return CardSpec(**{**base, **fields})


@pytest.mark.parametrize("length", [10_000, 100_000, 1_000_000])
def test_a_giant_word_in_every_card_field_is_drawn_quickly(length):
    import time

    from storyforge.render.carddraw import draw, layout

    word = ("x" * 7 + "é") * (length // 8)
    started = time.monotonic()
    for field in ("quote", "author", "business", "host"):
        draw(_spec(**{field: word}))
    draw(_spec(labels=(f"Disclosure: {word}", f"Connection: {word}")))
    assert time.monotonic() - started < HANG_SECONDS
    lines = layout(_spec(author=word, labels=(f"Disclosure: {word}",)))
    assert lines.author.startswith("— xxxxxxx") and lines.author.endswith(" …")
    assert lines.labels[0].startswith("Disclosure: xxxxxxx")


def test_the_disclosure_and_the_name_stay_on_the_card_however_long_the_quote():
    from storyforge.render.carddraw import layout

    incentive = "a free loaf of bread every week for a year, in return for writing about the bakery on its site"
    lines = layout(_spec(quote="Lovely crust and a soft crumb. " * 40, author="Maria-Fernanda de la Cruz Villanueva",
                         labels=("Verified customer", f"Disclosure: {incentive}", "Connection: the owner's cousin")))
    shown = " ".join(lines.labels)
    assert incentive in shown and "Connection: the owner's cousin" in shown  # all of it, over more lines
    assert lines.author == "— Maria-Fernanda de la Cruz Villanueva"
    assert lines.quote[-1].endswith(" …") and len(lines.quote) < 5  # the quote gave way


def test_characters_the_card_font_lacks_are_marked_not_drawn_as_empty_boxes():
    from storyforge.render.carddraw import _font_path, layout, missing_glyphs

    font = _font_path("DejaVuSerif.ttf")
    if not font:
        pytest.skip("the card font is not installed")
    assert missing_glyphs("美味しいパン bread", font) == set("美味しいパン")
    lines = layout(_spec(quote="美味しいパン — great bread", author="佐藤"))
    assert lines.quote == ["\ufffd" * 6 + " — great bread"]
    assert lines.author == "— \ufffd\ufffd"


def test_a_giant_word_in_a_story_builds_quickly_or_is_refused_at_its_line(make_site, run):
    import time

    word = "x" * 100_000
    site = make_site({"content/testimonials/a.md": story(body=word),
                      "content/testimonials/b.md": story(extra=f"incentive: {word}\n")})
    started = time.monotonic()
    lines = failing(run, site)
    assert lines[0] == ("content/testimonials/b.md:5: incentive: 100,000 characters, over the limit of 1,000 — "
                        "shorten it")
    (site / "content/testimonials/b.md").unlink()
    assert run("build", "--site", site).code == 0
    assert time.monotonic() - started < HANG_SECONDS
    assert (site / "public/testimonials/a/card.png").stat().st_size > 0


def test_a_submitted_name_of_thousands_of_characters_is_refused_with_its_row(make_site, run):
    site = make_site({"stories.csv": HEADER + csv_row("2026-03-01 09:00", "N" * 5000, "Title", "Story.",
                                                       email="n@example.com")}, site_yaml=MODERATED_SITE)
    result = run("submissions", "import", site / "stories.csv", "--site", site)
    assert result.code == 1
    assert result.err.strip().endswith(":2: row 1 skipped: name is 5,000 characters, over the limit of 100")


# --- 6. huge numbers and deep nesting -----------------------------------------------------


@pytest.mark.parametrize("value", ["9" * 5000, "-" + "1" * 4500, "0x" + "f" * 5000])
def test_a_number_too_long_to_read_is_refused_at_its_line(make_site, run, value):
    site = make_site({"content/testimonials/x.md": story(extra=f"rating: {value}\n")})
    lines = failing(run, site)
    assert lines[0].startswith("content/testimonials/x.md:5: rating: a number of"), lines


def test_json_imports_with_huge_numbers_or_deep_nesting_are_clear(make_site, run):
    site = make_site({"big.json": json.dumps([{"story": "Nice.", "consent_publish": "yes", "rating": 1}])
                      .replace("1}", "9" * 5000 + "}"),
                      "deep.json": '[{"story": "Nice.", "extra": ' + "[" * 100_000 + "]" * 100_000 + "}]"},
                     site_yaml=MODERATED_SITE)
    big = run("submissions", "import", site / "big.json", "--site", site)
    assert "Traceback" not in big.err and big.code == 1, big.err
    assert big.err.strip().endswith("item 1 skipped: rating is 5,000 characters, over the limit of 200")
    deep = run("submissions", "import", site / "deep.json", "--site", site)
    assert deep.code == 1 and "Traceback" not in deep.err
    assert deep.err.strip() == f"{(site / 'deep.json').as_posix()}:1: the JSON is nested too deeply to be a form export"


# --- 7. tags ---------------------------------------------------------------------------------


def test_thousands_of_tags_are_refused_quickly_and_duplicates_kept_once(make_site, run):
    import time

    many = ", ".join(f"t{n % 30_000}" for n in range(50_000))
    site = make_site({"content/testimonials/x.md": story(extra=f"tags: [{many}]\n"),
                      "content/testimonials/y.md": story(extra="tags: [cake, Cake, cake, bread, cake]\n")})
    started = time.monotonic()
    lines = failing(run, site)
    assert time.monotonic() - started < HANG_SECONDS
    assert lines[0] == ("content/testimonials/x.md:5: tags: 50,000 tags, over the limit of 50 per entry — keep "
                        "the ones readers would browse by")
    (site / "content/testimonials/x.md").unlink()
    assert run("build", "--site", site).code == 0
    assert "bread" in (site / "public/testimonials/y/index.html").read_text()


# --- 8 and 9. addresses ------------------------------------------------------------------------

OFF_SITE = ["javascript:alert(1)", "JaVaScRiPt:alert(1)", "java\tscript:alert(1)", "data:text/html,x",
            "vbscript:x", "//evil.test/x.png", "/\\evil.test/x.png", "\\\\evil.test/x.png", "\\/evil.test",
            " //evil.test"]


@pytest.mark.parametrize("address", OFF_SITE)
def test_the_logo_gets_the_same_check_as_front_matter_addresses(make_site, run, address):
    site = make_site({"content/pages/about.md": "---\ntitle: About\n---\nHi\n"},
                     site_yaml=SITE_YAML + f"  logo: {json.dumps(address)}\n")
    lines = failing(run, site)
    assert lines[0].startswith("site.yaml:7: business.logo: "), lines


@pytest.mark.parametrize("address", OFF_SITE)
def test_addresses_that_lead_off_site_are_not_site_paths(make_site, run, address):
    site = make_site({"content/testimonials/x.md": story(extra=f"avatar: {json.dumps(address)}\n")})
    lines = failing(run, site)
    assert lines[0].startswith("content/testimonials/x.md:5: avatar: "), lines


@pytest.mark.parametrize("address", ["/images/logo.png", "images/logo.png", "https://cdn.test/logo.png"])
def test_logos_that_are_site_paths_or_web_addresses_still_build(make_site, run, address):
    site = make_site({"content/pages/about.md": "---\ntitle: About\n---\nHi\n"},
                     site_yaml=SITE_YAML + f"  logo: {address}\n")
    assert run("build", "--site", site).code == 0


# --- 4. the moderator's terminal ----------------------------------------------------------------

ESCAPES = ["\x1b[2J\x1b[H", "\x1b]0;owned\x07", "\r\x1b[Kapproved ✓", "\x9b31m", "\u202eevil", "\x08\x08\x08"]


def test_moderate_list_and_show_escape_control_characters_from_stored_submissions(make_site, run):
    site = make_site({"stories.csv": HEADER + csv_row("2026-03-01 09:00", "Jo Bloggs", "Nice cake", "Tasty.")},
                     site_yaml=MODERATED_SITE)
    assert run("submissions", "import", site / "stories.csv", "--site", site).code == 0
    [path] = (site / "submissions/inbox").glob("*.json")
    data = json.loads(path.read_text())  # as a file written by an older version, or by hand, may hold
    data.update(title="Nice" + "".join(ESCAPES), body="Tasty." + "".join(ESCAPES), name="Jo" + ESCAPES[0],
                location="Town" + ESCAPES[1], product=ESCAPES[2], incentive=ESCAPES[3], relationship=ESCAPES[4])
    path.write_text(json.dumps(data))
    for command in (("moderate", "list"), ("moderate", "show", data["id"])):
        result = run(*command, "--site", site)
        shown = result.out + result.err
        assert result.code == 0, shown
        for char in "\x1b\x07\r\x9b\u202e\x08":
            assert char not in shown, (command, char)
        assert "Nice\\x1b[2J\\x1b[H" in shown


# --- 5. personal data outside the title and the text ------------------------------------------


@pytest.mark.parametrize(("field", "value"), [("name", "Jo jo.bloggs@example.com"), ("town", "Ring 07700 900123"),
                                              ("name", "Jo 07700900123"), ("town", "me@mail.example.org")])
def test_personal_data_in_the_name_or_town_is_flagged_and_needs_a_decision(make_site, run, field, value):
    kwargs = {"town": value} if field == "town" else {}
    name = value if field == "name" else "Jo Bloggs"
    row = csv_row("2026-03-01 09:00", name, "Nice cake", "Tasty.", show_name="Full name", email="jo@example.com",
                  **kwargs)
    site = make_site({"stories.csv": HEADER + row}, site_yaml=MODERATED_SITE)
    assert run("submissions", "import", site / "stories.csv", "--site", site).code == 0
    [data] = inbox(site).values()
    [flag] = [f for f in data["flags"] if f["code"] == "personal-data"]
    assert f"in the {field}:" in flag["message"]
    refused = run("moderate", "approve", data["id"], "--site", site)
    assert refused.code == 1 and "--redact" in refused.err
    assert run("moderate", "approve", data["id"], "--redact", "--site", site).code == 0
    assert run("build", "--site", site).code == 0
    published = "".join(p.read_text() for p in (site / "public").rglob("*") if p.suffix in (".html", ".xml", ".json"))
    assert "07700" not in published and "bloggs@example.com" not in published and "me@mail" not in published
    assert "removed]" in (site / "public/testimonials/index.html").read_text()


# --- 11. the disclosure travels with the story everywhere ------------------------------------------


def test_every_place_a_story_appears_carries_its_disclosure(make_site, run):
    import html
    import xml.etree.ElementTree as ET

    from conftest import page_text

    site = make_site({"content/testimonials/x.md": story(
        "Free loaf", extra="incentive: A free loaf\nrelationship: The baker's nephew\ntags: [bread]\nfeatured: true\n",
        body="Lovely crust.")})
    assert run("build", "--site", site).code == 0
    public = site / "public"
    wanted = ("A free loaf", "The baker's nephew")
    rss = ET.parse(public / "testimonials/feed.xml").getroot()
    [item] = rss.iter("item")
    atom_ns = "{http://www.w3.org/2005/Atom}"
    [entry] = ET.parse(public / "atom.xml").getroot().iter(f"{atom_ns}entry")
    places = {
        "rss description": item.findtext("description"),
        "rss content": item.findtext("{http://purl.org/rss/1.0/modules/content/}encoded"),
        "atom summary": entry.findtext(f"{atom_ns}summary"),
        "atom content": entry.findtext(f"{atom_ns}content"),
        "wall": json.dumps(json.loads((public / "testimonials.json").read_text())["stories"][0]["labels"]),
        "home": page_text((public / "index.html").read_bytes()),
        "list": page_text((public / "testimonials/index.html").read_bytes()),
        "tag page": page_text((public / "tags/bread/index.html").read_bytes()),
        "story page": page_text((public / "testimonials/x/index.html").read_bytes()),
    }
    for place, shown in places.items():
        for value in wanted:
            assert value in html.unescape(shown or "").replace("’", "'"), (place, shown)
    assert places["rss description"].startswith("Disclosure: A free loaf. Connection to the business:")


# --- 10. sanitized customer HTML is valid and accessible ----------------------------------------

BROKEN_HTML = """Intro.

<img src="/a.png"> <img src="/b.png" title="Our cake"> <img src="/c.png" alt="A loaf">

<li>stray item</li>

<ul>loose text<p>a paragraph</p><li>real item</li>tail text</ul>

<ol><ol><li>nested</li></ol></ol>

<dl><dd>orphan definition</dd><dt>last term</dt></dl>

<dl><dt>Term</dt><dd>Definition</dd></dl>

<summary>lonely summary</summary><figcaption>lonely caption</figcaption>
<details><p>x</p><summary>late summary</summary></details>
"""


def test_customer_html_is_repaired_to_valid_accessible_markup_without_losing_words(make_site, run):
    from lxml import html as lxml_html

    site = make_site({"content/testimonials/x.md": story(body=BROKEN_HTML)})
    assert run("build", "--site", site).code == 0
    page = lxml_html.fromstring((site / "public/testimonials/x/index.html").read_bytes())
    body = page.find_class("prose")[0] if page.find_class("prose") else page.body
    assert [img.get("alt") for img in body.iter("img")] == ["", "Our cake", "A loaf"]
    for item in body.iter("li"):
        assert item.getparent().tag in ("ul", "ol")
    for listing in body.iter("ul", "ol"):
        assert not (listing.text or "").strip() and all(child.tag == "li" and not (child.tail or "").strip()
                                                          for child in listing)
    for tag, parent in (("summary", "details"), ("figcaption", "figure")):
        assert all(e.getparent().tag == parent for e in body.iter(tag)), tag
    assert [[child.tag for child in dl] for dl in body.iter("dl")] == [["dt", "dd"]]
    text = " ".join(body.text_content().split())
    for words in ("stray item", "loose text", "a paragraph", "real item", "tail text", "nested",
                  "orphan definition", "last term", "Term", "Definition", "lonely summary", "lonely caption",
                  "late summary"):
        assert words in text, words


def test_the_build_says_which_share_cards_lack_glyphs(make_site, run):
    from storyforge.render.carddraw import _font_path

    if not _font_path("DejaVuSerif.ttf"):
        pytest.skip("the card font is not installed")
    site = make_site({"content/testimonials/jp.md": story("美味しいパン", author="佐藤"),
                      "content/testimonials/en.md": story("Good bread")})
    result = run("build", "-v", "--site", site)
    assert result.code == 0
    assert "(1 share card shows � for characters the card font lacks (-v lists them))" in result.out
    assert "content/testimonials/jp.md: its share card shows � for characters the card font cannot draw" in result.err
    assert "en.md" not in result.err


def test_a_business_name_over_two_lines_builds_its_calendars(make_site, run):
    site = make_site({"content/events/fair.md": "---\ntitle: Fair\nstart: 2026-05-01\n---\nCome.\n"},
                     site_yaml=SITE_YAML.replace("name: Test Bakery Ltd", 'name: "Test\\nBakery"').replace(
                         "title: Test Bakery", 'title: "Test\\nBakery"') + "  email: hi@bakery.test\n")
    result = run("build", "--site", site)
    assert result.code == 0, result.err
    calendar = (site / "public/events/calendar.ics").read_text().replace("\n ", "")
    assert 'CN="Test Bakery"' in calendar and "X-WR-CALNAME:Test Bakery" in calendar
