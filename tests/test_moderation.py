"""Moderation as a user drives it: intake, screening, decisions, withdrawal, the two built-in pages."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import owner_files, page_text, parse_html, payloads_in_output, snapshot, story
from hypothesis import given, settings
from hypothesis import strategies as st
from moderation_helpers import (
    HEADER,
    MODERATED_SITE,
    csv_row,
    decisions,
    front_matter,
    inbox,
    places,
)

PRIYA = csv_row("2026-03-01 09:12", "Priya Sharma", "The sourdough that converted me",
                "A crackling crust and a soft crumb. We buy two loaves every Saturday.", order="HC-1")
TOM = csv_row("2026-03-02 10:00", "Tom Wells", "Late cake", "The cake came an hour late.", rating="2",
              show_name="Full name", show_town="No")
ANN = csv_row("2026-03-03 11:00", "Ann Lee", "Just for you", "Lovely staff.", consent="No")


def imported(make_site, run, rows: str, site_yaml: str = MODERATED_SITE, files: dict | None = None) -> Path:
    site = make_site({"stories.csv": HEADER + rows, **(files or {})}, site_yaml=site_yaml)
    result = run("submissions", "import", site / "stories.csv", "--site", site)
    assert result.code == 0, result.err
    return site


# --- intake -------------------------------------------------------------------------------


def test_import_reports_bad_rows_by_number_imports_the_rest_and_never_twice(make_site, run):
    rows = PRIYA + csv_row("2026-03-02 10:00", "No Words", "Empty", "") + \
        csv_row("2026-03-02 11:00", "Unsure", "Hmm", "Nice.", consent="maybe") + TOM
    site = make_site({"stories.csv": HEADER + rows}, site_yaml=MODERATED_SITE)
    first = run("submissions", "import", site / "stories.csv", "--site", site)
    assert first.code == 1
    assert first.err.splitlines() == [
        f"{(site / 'stories.csv').as_posix()}:3: row 2 skipped: no story text — the story column is empty",
        (f"{(site / 'stories.csv').as_posix()}:4: row 3 skipped: consent to publish: cannot tell whether "
         "'maybe' means yes or no")]
    assert first.out.startswith("imported 2 new submissions from stories.csv; 2 skipped\n")
    assert sorted(inbox(site)) == ["Late cake", "The sourdough that converted me"]
    before = snapshot(site / "submissions")
    again = run("submissions", "import", site / "stories.csv", "--site", site)
    assert again.out.startswith("imported 0 new submissions from stories.csv; 2 imported before; 2 skipped")
    assert snapshot(site / "submissions") == before


def test_a_submission_file_holds_what_the_issue_lists(make_site, run):
    site = imported(make_site, run, PRIYA)
    data = inbox(site)["The sourdough that converted me"]
    assert data["id"] == re.fullmatch(r"[0-9a-f]{12}", data["id"]).group()
    assert (site / f"submissions/inbox/{data['id']}.json").exists()
    assert data["received_at"] == "2026-03-01T09:12:00+00:00"
    assert (data["source"], data["rating"], data["location"], data["contact_email"]) == \
        ("csv", 5, "Eastbridge", "priya.sharma@example.com")
    assert data["consent"] == {"publish": True, "name": "first-initial", "town": True, "photo": False}
    assert data["verification"] == {"method": "order", "reference": "HC-1", "checked": ""}
    assert {"incentive", "relationship", "product", "flags", "body"} <= set(data)


def test_json_import_and_a_renamed_column_from_site_yaml(make_site, run):
    export = [{"Tell us everything": "Best pies in the county.", "name": "Rob Wilde", "consent": True,
               "show my name as": "full", "rating": "4/5", "Submitted at": "2026-04-01T08:00:00Z"},
              "not an object"]
    site = make_site({"export.json": json.dumps(export)},
                     site_yaml=MODERATED_SITE + "moderation:\n  columns:\n    story: Tell us everything\n")
    result = run("submissions", "import", site / "export.json", "--site", site)
    assert result.code == 1
    assert "item 2 skipped: expected an object with the story's fields" in result.err
    data = inbox(site)["Best pies in the county"]
    assert (data["source"], data["name"], data["rating"], data["consent"]["name"]) == ("json", "Rob Wilde", 4, "full")
    assert data["received_at"] == "2026-04-01T08:00:00+00:00"


def test_moderation_settings_are_a_closed_schema(make_site, run):
    site = make_site(site_yaml=MODERATED_SITE + "moderation:\n  columns:\n    stroy: Story\n"
                                                "  submissions_dir: content/inbox\n")
    result = run("moderate", "list", "--site", site)
    assert result.code == 1
    assert "site.yaml:11: moderation.columns.stroy: unknown setting (did you mean 'story'?)" in result.err
    assert "site.yaml:12: moderation.submissions_dir: submissions must stay outside content/" in result.err


def test_submissions_add_from_flags_and_without_a_story(make_site, run):
    site = make_site(site_yaml=MODERATED_SITE + "moderation:\n  submissions_dir: private/stories\n")
    added = run("submissions", "add", "--site", site, "--story", "Rang to say the cake was perfect.",
                "--name", "Maya Green", "--consent", "--show-name", "first-initial", "--rating", "5",
                "--source", "phone", "--incentive", "10% off her next order")
    assert added.code == 0, added.err
    assert added.out.startswith("added ")
    assert "disclosure: incentive '10% off her next order'" in added.out
    [data] = [json.loads(p.read_text()) for p in (site / "private/stories/inbox").glob("*.json")]
    assert (data["source"], data["title"], data["consent"]["publish"]) == ("phone", ("Rang to say the cake was "
                                                                            "perfect"), True)
    missing = run("submissions", "add", "--site", site, "--name", "X")
    assert missing.code == 2 and "no story — pass --story TEXT" in missing.err
    bad = run("submissions", "add", "--site", site, "--story", "Hi", "--photo", "javascript:alert(1)")
    assert bad.code == 2 and "photo: expected a web address starting https://" in bad.err


# --- screening and decisions -------------------------------------------------------------


def test_show_lists_flags_and_the_redaction_proposal(make_site, run):
    site = imported(make_site, run, csv_row("2026-03-05 09:00", "Hannah Cole", "Saved our party",
                                            "Ring me on 07700 900123 or write to hannah@example.com.",
                                            rating=""))
    sid = inbox(site)["Saved our party"]["id"]
    shown = run("moderate", "show", sid[:6], "--site", site)
    assert shown.code == 0
    assert ("personal-data: personal data in the text: phone number '07700 900123', email address "
            "'hannah@example.com'") in shown.out
    assert "rating: no rating given" in shown.out
    assert "Ring me on [phone number removed] or write to [email address removed]." in shown.out
    refused = run("moderate", "approve", sid, "--site", site)
    assert refused.code == 1 and "--redact" in refused.err
    assert run("moderate", "approve", sid, "--redact", "--site", site).code == 0
    [story_file] = (site / "content/testimonials").glob("*.md")
    assert "07700" not in story_file.read_text() and "[phone number removed]" in story_file.read_text()


def test_approval_writes_only_what_was_consented_and_logs_it(make_site, run):
    site = imported(make_site, run, PRIYA + TOM)
    ids = {title: data["id"] for title, data in inbox(site).items()}
    for title, extra in (("The sourdough that converted me", ["--feature", "--verified"]), ("Late cake", [])):
        result = run("moderate", "approve", ids[title], *extra, "--site", site)
        assert result.code == 0, result.err
    priya = site / "content/testimonials/2026-03-01-the-sourdough-that-converted-me.md"
    assert front_matter(priya) == {
        "title": "The sourdough that converted me", "date": "2026-03-01", "author": "Priya S.",
        "location": "Eastbridge", "rating": 5, "featured": True, "consent": True, "verified": True,
        "submitted": "2026-03-01 09:12", "approved": front_matter(priya)["approved"],
        "submission": ids["The sourdough that converted me"]}
    tom = front_matter(site / "content/testimonials/2026-03-02-late-cake.md")
    assert (tom["author"], tom["verified"], "location" in tom, tom["featured"]) == ("Tom Wells", False, False, False)
    assert "@example.com" not in priya.read_text()
    assert inbox(site) == {}
    log = decisions(site)
    assert [(d["id"], d["decision"], d["code"], d.get("verified")) for d in log] == [
        (ids["The sourdough that converted me"], "approved", None, "by hand"),
        (ids["Late cake"], "approved", None, None)]
    assert all(d["who"] and re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d", d["when"])
               and len(d["sha256"]) == 64 for d in log)
    again = run("moderate", "approve", ids["Late cake"], "--site", site)
    assert (again.code, again.out.strip()) == (0, (f"{ids['Late cake']} is already approved: "
                                                    "content/testimonials/2026-03-02-late-cake.md"))
    assert run("build", "--site", site).code == 0
    page = page_text((site / "public/testimonials/2026-03-01-the-sourdough-that-converted-me/index.html").read_bytes())
    assert "By Priya S., Eastbridge" in page and "Verified customer" in page and "Hand-picked by us" in page


def test_approving_without_consent_fails_and_changes_nothing(make_site, run):
    site = imported(make_site, run, ANN)
    sid = inbox(site)["Just for you"]["id"]
    assert "!no-consent" in run("moderate", "list", "--site", site).out
    before = owner_files(site)
    result = run("moderate", "approve", sid, "--site", site)
    assert result.code == 1
    assert f"submissions/inbox/{sid}.json: cannot approve {sid}: the customer did not agree to publication" \
        in result.err
    assert owner_files(site) == before


@pytest.mark.parametrize("reason", ["negative", "low-rating", "rude", "spammy"])
def test_rejecting_for_a_reason_that_is_not_lawful_fails(make_site, run, reason):
    site = imported(make_site, run, TOM)
    sid = inbox(site)["Late cake"]["id"]
    before = owner_files(site)
    result = run("moderate", "reject", sid, "--reason", reason, "--site", site)
    assert result.code == 1
    assert "16 CFR 465.7" in result.err
    assert "  defamatory" in result.err and "  withdrawn-by-author" in result.err
    if reason in ("negative", "low-rating"):
        assert "forbids hiding reviews because of their rating or because they are negative" in result.err
    assert owner_files(site) == before


def test_rejecting_moves_the_file_and_records_the_reason(make_site, run):
    site = imported(make_site, run, ANN)
    sid = inbox(site)["Just for you"]["id"]
    result = run("moderate", "reject", sid, "--reason", "no-consent", "--note", "said no on the form", "--site", site)
    assert result.code == 0, result.err
    assert places(site) == {sid: ["rejected"]}
    saved = json.loads((site / f"submissions/rejected/{sid}.json").read_text())
    assert (saved["decision"]["code"], saved["decision"]["note"]) == ("no-consent", "said no on the form")
    [line] = decisions(site)
    assert line == saved["decision"]
    assert "1 no-consent" not in run("moderate", "report", "--site", site).out  # formatted as a table
    assert re.search(r"no-consent\s+1\s", run("moderate", "report", "--site", site).out)


HOSTILE_TITLE = "--- {{ site.title }} <script>alert('t')</script>"
HOSTILE_BODY = """Hello <script>alert('body')</script> there.

---
title: hacked
---

[click me](javascript:alert('md')) <a href="javascript:alert(1)">x</a> <img src=x onerror="alert(2)">
{{ 7 * 7 }} {% raw %}raw{% endraw %} <iframe src="https://evil.test/"></iframe>
"""


def test_a_hostile_submission_is_published_inert(make_site, run):
    site = make_site(site_yaml=MODERATED_SITE)
    added = run("submissions", "add", "--site", site, "--story", HOSTILE_BODY, "--title", HOSTILE_TITLE,
                "--name", "<img src=x onerror=alert('name')>", "--consent", "--show-name", "full",
                "--product", "{{ 7 * 7 }}", "--town", "<b>Town</b>", "--show-town", "--rating", "5")
    assert added.code == 0, added.err
    assert "spam: likely spam: link" in added.out  # the javascript: links are flagged
    sid = added.out.split()[1]
    assert run("moderate", "approve", sid, "--site", site).code == 0
    [story_file] = (site / "content/testimonials").glob("*.md")
    front = front_matter(story_file)
    assert (front["title"], front["author"], front["product"]) == \
        (HOSTILE_TITLE, "<img src=x onerror=alert('name')>", "{{ 7 * 7 }}")
    assert run("build", "--site", site).code == 0
    assert payloads_in_output(site / "public") == []
    page = (site / "public/testimonials" / story_file.stem / "index.html").read_text()
    assert "{{ 7 * 7 }}" in page and "49" not in page and "{{ site.title }}" in page
    assert "&lt;script&gt;alert(&#39;t&#39;)&lt;/script&gt;" in page
    assert "title: hacked" in page_text(page)  # the body's own '---' lines are just text and rules


def test_edit_is_skipped_without_a_terminal_and_an_editor_can_change_the_story(make_site, run, monkeypatch):
    from storyforge.core.config import load_config
    from storyforge.errors import StoryforgeError
    from storyforge.moderation.decide import approve

    site = imported(make_site, run, PRIYA + TOM)
    ids = {title: data["id"] for title, data in inbox(site).items()}
    monkeypatch.setenv("EDITOR", "true")
    skipped = run("moderate", "approve", ids["Late cake"], "--edit", "--site", site)
    assert skipped.code == 0
    assert "note: --edit skipped (not a terminal, or no $EDITOR set)" in skipped.err

    def breaks_the_id(path: Path) -> None:
        path.write_text(re.sub(r"submission: .*", "submission: other", path.read_text()))

    config = load_config(site)
    with pytest.raises(StoryforgeError) as failure:
        approve(config, ids["The sourdough that converted me"], editor=breaks_the_id)
    assert "submission: must stay" in str(failure.value)
    assert "The sourdough that converted me" in inbox(site)

    def retitles(path: Path) -> None:
        path.write_text(path.read_text().replace("title: The sourdough that converted me", "title: Two loaves a week"))

    approve(config, ids["The sourdough that converted me"], editor=retitles)
    written = site / "content/testimonials/2026-03-01-the-sourdough-that-converted-me.md"
    assert front_matter(written)["title"] == "Two loaves a week"
    assert not list((site / "submissions").glob(".storyforge-edit-*"))


def test_withdrawal_removes_a_story_from_every_page_feed_and_list(make_site, run):
    site = imported(make_site, run, PRIYA,
                    files={"content/testimonials/older.md": story("An older story", "Kim L.", "tags: [bread]\n")})
    sid = inbox(site)["The sourdough that converted me"]["id"]
    assert run("moderate", "approve", sid, "--feature", "--site", site).code == 0
    assert run("build", "--site", site).code == 0
    slug = "2026-03-01-the-sourdough-that-converted-me"

    def mentions(needle: str) -> list[str]:
        return sorted(p for p, data in snapshot(site / "public").items() if needle.encode() in data)

    assert {"index.html", "feed.xml", "atom.xml", "sitemap.xml", "testimonials/index.html",
            "testimonials/feed.xml", f"testimonials/{slug}/index.html"} <= set(mentions(slug))
    result = run("moderate", "withdraw", sid[:5], "--note", "asked by phone", "--site", site)
    assert result.code == 0, result.err
    assert places(site) == {sid: ["withdrawn"]}
    assert run("build", "--site", site).code == 0
    assert mentions(slug) == [] and mentions("converted me") == []
    legacy = run("moderate", "withdraw", "content/testimonials/older.md", "--site", site)
    assert legacy.code == 0, legacy.err
    assert run("build", "--site", site).code == 0
    assert mentions("An older story") == [] and not (site / "public/tags/bread").exists()
    assert [(d["decision"], d["code"]) for d in decisions(site)] == [
        ("approved", None), ("withdrawn", "withdrawn-by-author"), ("withdrawn", "withdrawn-by-author")]
    report = run("moderate", "report", "--site", site).out
    assert re.search(r"withdrawn-by-author\s+2\s", report) and re.search(r"published\s+0\s", report)


def test_a_broken_submission_file_is_reported_never_skipped(make_site, run):
    site = imported(make_site, run, TOM)
    (site / "submissions/inbox/0123456789ab.json").write_text("{not json")
    listed = run("moderate", "list", "--site", site)
    assert listed.code == 1 and "submissions/inbox/0123456789ab.json:1: not valid JSON" in listed.err
    assert "Late cake" in listed.out
    built = run("build", "--site", site)
    assert built.code == 1
    assert "submissions/inbox/0123456789ab.json: cannot read this submission" in built.err


# --- the two built-in pages -----------------------------------------------------------------


def test_share_page_has_a_labelled_form_with_consent_choices_and_a_honeypot(make_site, run):
    site = make_site(site_yaml=MODERATED_SITE + "moderation:\n  form_endpoint: https://forms.example/f/abc\n")
    assert run("build", "--site", site).code == 0
    html = (site / "public/share-your-story/index.html").read_text()
    assert '<form class="share-form" method="post" action="https://forms.example/f/abc"' in html
    ids = set(re.findall(r'<(?:input|textarea) id="([^"]+)"', html))
    labelled = set(re.findall(r'<label for="([^"]+)"', html))
    assert ids and ids <= labelled
    assert 'name="website" type="text" tabindex="-1"' in html and 'class="hp" aria-hidden="true"' in html
    assert '<input type="checkbox" name="consent_publish" value="yes" required>' in html
    for choice in ("full", "first-initial", "anonymous"):
        assert f'name="consent_name" value="{choice}"' in html
    assert 'name="consent_town"' in html and 'name="consent_photo"' in html
    plain = make_site(site_yaml=MODERATED_SITE)
    assert run("build", "--site", plain).code == 0
    html = (plain / "public/share-your-story/index.html").read_text()
    assert "<form" not in html and 'href="mailto:hello@bakery.test?subject=My%20story%20for%20Test%20Bakery%20Ltd"' \
        in html and 'href="tel:01632960000"' in html
    footer_links = [v for _, a, v in parse_html((plain / "public/index.html").read_text()).links]
    assert "/share-your-story/" in footer_links and "/reviews-policy/" in footer_links
    listing = [v for _, a, v in parse_html((plain / "public/testimonials/index.html").read_text()).links]
    assert "/share-your-story/" in listing and "/reviews-policy/" in listing


def test_nothing_under_submissions_is_ever_published(make_site, run):
    site = imported(make_site, run, PRIYA + ANN)
    assert run("build", "--site", site).code == 0
    published = snapshot(site / "public")
    # the one data file published is the wall of approved stories (none here); submissions are <id>.json
    assert not any("submissions" in path or (path.endswith(".json") and path != "testimonials.json")
                   for path in published)
    assert json.loads(published["testimonials.json"])["stories"] == []
    assert not any(b"priya.sharma@example.com" in data or b"Just for you" in data for data in published.values())


def test_the_example_site_has_valid_pending_submissions_to_try(tmp_path, run):
    import shutil

    from conftest import REPO, copy_example

    site = copy_example(tmp_path / "example")
    shutil.copytree(REPO / "submissions", site / "submissions")
    listed = run("moderate", "list", "--site", site)
    assert listed.code == 0, listed.err
    assert "3 waiting; 1 cannot be approved as they are" in listed.out
    assert run("build", "--site", site).code == 0
    assert "Waiting to be read 3" in page_text((site / "public/reviews-policy/index.html").read_bytes())
    for data in inbox(site).values():
        if data["consent"]["publish"]:
            result = run("moderate", "approve", data["id"], "--redact", "--site", site)
        else:
            result = run("moderate", "reject", data["id"], "--reason", "no-consent", "--site", site)
        assert result.code == 0, result.err
    built = run("build", "--site", site)
    assert built.code == 0, built.err
    assert "Stories received 19 Published 18 Waiting to be read 0 Withheld 1" in \
        page_text((site / "public/reviews-policy/index.html").read_bytes())


def test_the_policy_page_follows_every_decision_even_when_no_content_changed(make_site, run):
    site = imported(make_site, run, PRIYA + TOM + ANN)
    ids = {title: data["id"] for title, data in inbox(site).items()}

    def numbers() -> str:
        assert run("build", "--site", site).code == 0
        text = page_text((site / "public/reviews-policy/index.html").read_bytes())
        return text[text.index("Stories received"):text.index("Average rating")].strip()

    assert numbers() == "Stories received 3 Published 0 Waiting to be read 3 Withheld 0"
    assert run("moderate", "reject", ids["Just for you"], "--reason", "no-consent", "--site", site).code == 0
    assert numbers() == "Stories received 3 Published 0 Waiting to be read 2 Withheld 1"
    assert run("moderate", "approve", ids["Late cake"], "--site", site).code == 0
    assert numbers() == "Stories received 3 Published 1 Waiting to be read 1 Withheld 1"
    policy = page_text((site / "public/reviews-policy/index.html").read_bytes())
    assert "published stories: 2.0 out of 5 (from 1 rated)" in policy
    assert "published or not: 4.0 out of 5 (from 3 rated)" in policy


def test_submissions_add_asks_for_each_value_in_a_terminal(make_site, run, monkeypatch):
    import io

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    answers = ["Rang to say the wedding cake was perfect.", "The tiers stood up all night.", "",  # story
               "Maya Green", "", "", "5", "Wedding cake", "Eastbridge", "yes", "first-initial", "no", "no",
               "", "", "", "BK-77"]
    monkeypatch.setattr("sys.stdin", Terminal("\n".join(answers) + "\n"))
    site = make_site(site_yaml=MODERATED_SITE)
    added = run("submissions", "add", "--site", site, "--source", "phone")
    assert added.code == 0, added.err
    assert "May we publish it? yes/no: " in added.out and "Show the name as: full / first-initial / anonymous" \
        in added.out
    [data] = inbox(site).values()
    assert data["body"] == "Rang to say the wedding cake was perfect.\nThe tiers stood up all night."
    assert (data["name"], data["rating"], data["location"], data["source"]) == ("Maya Green", 5, "Eastbridge", "phone")
    assert data["consent"] == {"publish": True, "name": "first-initial", "town": False, "photo": False}
    assert data["verification"] == {"method": "booking", "reference": "BK-77", "checked": ""}


def test_texts_with_too_few_digits_for_any_number_skip_the_phone_matcher_and_no_number_is_missed() -> None:
    # the shortcut (fewer decimal digits than FEWEST_PHONE_DIGITS: no number) must hold for every
    # country phonenumbers knows, and the shortest numbers there are still found
    import phonenumbers

    from storyforge.moderation.checks import FEWEST_PHONE_DIGITS, phone_spans

    shortest = {region: min(n for n in phonenumbers.PhoneMetadata.metadata_for_region(region).general_desc
                            .possible_length if n > 0) for region in phonenumbers.SUPPORTED_REGIONS}
    assert min(shortest.values()) >= FEWEST_PHONE_DIGITS
    assert phone_spans("Call Mele on 4002 after five.", "NU") == [(13, 17)]  # Niue: four-digit numbers
    assert phone_spans("Call +683 4002 after five.", "GB") == [(5, 14)]
    assert phone_spans("Table 12 at 7 was lovely.", "GB") == []
    assert phone_spans("Visit 123: table 12.\nVisit 123: lovely.", "GB") == []  # four digits, on two lines
    assert phone_spans("Visit 123: call\n07700 900123.", "GB") == [(16, 28)]


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="0123456789 -+()./x\n", min_size=4, max_size=40),
       st.sampled_from(["GB", "US", "NU", "DE", "IN"]))
def test_the_phone_matcher_never_finds_a_number_across_a_line_break(text, region) -> None:
    """The premise of phone_spans' shortcut (a text none of whose lines has four digits holds no
    number it keeps: a valid one, or a possible one of nine digits or more), checked against the
    matcher itself."""
    import phonenumbers

    for leniency in (phonenumbers.Leniency.POSSIBLE, phonenumbers.Leniency.STRICT_GROUPING):
        for match in phonenumbers.PhoneNumberMatcher(text, region, leniency=leniency):
            assert "\n" not in match.raw_string
            if leniency == phonenumbers.Leniency.STRICT_GROUPING:
                assert sum(c.isdecimal() for c in match.raw_string) >= 4
