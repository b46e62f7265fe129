"""The moderation desk, through real requests to a preview started on 127.0.0.1: the same
decisions, refusals and ledger lines as `storyforge moderate`, customer text shown as text,
and every request that is not the desk's own refused without changing anything."""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path

import pytest
from conftest import page_text, snapshot
from desk_helpers import DESK, running_desk, serve_process
from moderation_helpers import HEADER, MODERATED_SITE, csv_row, decisions, front_matter, inbox, places

ROWS = (csv_row("2026-03-01 09:00", "Priya Sharma", "Alpha loaf", "A crackling crust and a soft crumb.")
        + csv_row("2026-03-02 09:00", "Tom Wells", "Bravo cake", "The cake came an hour late. Awful.", rating="1")
        + csv_row("2026-03-03 09:00", "Ann Lee", "Charlie buns", "Sticky buns. Call me on 07700 900123."))
HOSTILE_TITLE = "<script>alert('t')</script> {{ site.title }}"
HOSTILE_STORY = "Nice {{ 7 * 7 }} {% raw %} <img src=x onerror=alert(1)> \x1b[2J\x1b]0;owned\x07 done"


def moderated_site(make_site, run) -> Path:
    site = make_site(site_yaml=MODERATED_SITE)
    (site / "stories.csv").write_text(HEADER + ROWS)
    assert run("submissions", "import", site / "stories.csv", "--site", site).code == 0
    return site


def ids(site: Path) -> dict[str, str]:
    return {title: data["id"] for title, data in inbox(site).items()}


def state(site: Path) -> dict[str, bytes]:
    return {k: v for k, v in snapshot(site).items() if not k.startswith(".storyforge-cache")}


def test_the_inbox_shows_each_story_as_it_would_be_published(make_site, run):
    site = moderated_site(make_site, run)
    with running_desk(site) as desk:
        page = desk.get(DESK + "/")
    assert page.status == 200 and page.headers["content-type"] == "text/html; charset=utf-8"
    text = page_text(page.body)
    assert text.index("Alpha loaf") < text.index("Bravo cake") < text.index("Charlie buns")  # oldest first
    assert "Priya S." in text and "Priya Sharma" not in text  # the name as consented
    story = page.body.split('id="s-')[3].split("</blockquote>")[0]
    assert "Charlie buns" in story and "07700 900123" not in story  # the text as --redact publishes it
    assert "personal-data" in text and "phone number '07700 900123'" in text  # the flag, and what is replaced
    assert "What /reviews-policy/ will show" in text and "Pending 3" in text
    assert page.headers["x-frame-options"] == "DENY" and "frame-ancestors 'none'" in page.headers[
        "content-security-policy"]
    # only the lawful reasons are offered
    offered = re.findall(r'<option value="([a-z-]+)">', page.body.split('name="reason"')[1].split("</select>")[0])
    assert "negative" not in offered and {"unrelated", "fake", "no-consent"} <= set(offered)


def test_a_hostile_submission_shows_as_text(make_site, run):
    site = make_site(site_yaml=MODERATED_SITE)
    sub = {"id": "0123456789ab", "received_at": "2026-03-01T09:00:00+00:00", "source": "phone",
           "title": HOSTILE_TITLE, "body": HOSTILE_STORY, "name": "<b onmouseover=alert(2)>Eve</b>", "rating": 5,
           "consent": {"publish": True, "name": "full", "town": True, "photo": True},
           "location": "{{ config }}", "photo": "javascript:alert(3)", "product": "{% if 1 %}x{% endif %}"}
    (site / "submissions/inbox").mkdir(parents=True)
    (site / "submissions/inbox/0123456789ab.json").write_text(json.dumps(sub))
    with running_desk(site) as desk:
        body = desk.get(DESK + "/").body
    assert "<script>alert" not in body and "&lt;script&gt;alert(&#39;t&#39;)&lt;/script&gt;" in body
    assert "<img src=x" not in body and "&lt;img src=x onerror=alert(1)&gt;" in body
    assert "<b onmouseover" not in body and "&lt;b onmouseover=alert(2)&gt;Eve&lt;/b&gt;" in body
    assert "{{ 7 * 7 }}" in body and "{% raw %}" in body and "{{ site.title }}" in body and "{{ config }}" in body
    assert "\x1b" not in body and "\x07" not in body and "\\x1b[2J" in body  # terminal escapes shown, inert
    assert 'href="javascript:' not in body  # a photo address that is a script is never a link


def test_approve_writes_the_same_story_and_ledger_line_as_the_command(make_site, run, tmp_path):
    site = moderated_site(make_site, run)
    twin = tmp_path / "twin"
    import shutil

    shutil.copytree(site, twin)
    sid = ids(site)["Charlie buns"]
    assert run("moderate", "approve", sid, "--redact", "--feature", "--site", twin).code == 0
    with running_desk(site) as desk:
        done = desk.post("/approve", {"id": sid, "personal": "redact", "feature": "1"})
        assert done.status == 303 and done.headers["location"].startswith(DESK + "/?notice=")
        shown = page_text(desk.get(done.headers["location"]).body)
        assert f"approved {sid} → content/testimonials/2026-03-03-charlie-buns.md" in shown
        story = desk.wait_for_page("/testimonials/2026-03-03-charlie-buns/", "Charlie buns")
        assert "Moderation: 2 stories wait" in desk.wait_for_page("/", "2 stories wait").body
    assert "07700" not in story.body
    [mine], [theirs] = (list((s / "content/testimonials").glob("*.md")) for s in (site, twin))
    ours, cli = front_matter(mine), front_matter(theirs)
    assert ours.pop("approved") and cli.pop("approved")
    assert (ours, mine.read_text().split("---\n")[2]) == (cli, theirs.read_text().split("---\n")[2])
    [line], [cli_line] = decisions(site)[-1:], decisions(twin)[-1:]
    assert {k: v for k, v in line.items() if k != "when"} == {k: v for k, v in cli_line.items() if k != "when"}
    assert places(site)[sid] == ["content"]


def test_refusals_are_the_commands_words_and_change_nothing(make_site, run):
    site = moderated_site(make_site, run)
    sid = ids(site)["Bravo cake"]
    phone = ids(site)["Charlie buns"]
    refused = run("moderate", "reject", sid, "--reason", "negative", "--site", site)
    assert refused.code != 0
    unredacted = run("moderate", "approve", phone, "--site", site)
    assert unredacted.code != 0
    before = state(site)
    with running_desk(site) as desk:
        forged = desk.post("/reject", {"id": sid, "reason": "negative", "note": "bad review"})
        assert forged.status == 422
        assert refused.err.strip().removeprefix("error: ") in page_text(forged.body).replace("\n", " ") or \
            " ".join(refused.err.split()) in page_text(forged.body)
        plain = desk.post("/approve", {"id": phone, "feature": "0"})  # neither redact nor keep: refused
        assert plain.status == 422 and " ".join(unredacted.err.split()) in page_text(plain.body)
        empty = desk.post("/add", {"story": "  ", "source": "phone"})
        assert empty.status == 422 and "no story" in page_text(empty.body)
    assert state(site) == before


def test_reject_reply_withdraw_and_add(make_site, run):
    site = moderated_site(make_site, run)
    alpha, bravo = ids(site)["Alpha loaf"], ids(site)["Bravo cake"]
    with running_desk(site) as desk:
        assert desk.post("/reject", {"id": bravo, "reason": "unrelated", "note": "advert"}).status == 303
        assert desk.post("/approve", {"id": alpha, "feature": "0"}).status == 303
        answered = desk.post("/reply", {"id": alpha, "text": "Thank you, <b>Priya</b>!\r\nSee you soon."})
        assert answered.status == 303
        story = next((site / "content/testimonials").glob("*.md"))
        assert front_matter(story)["response"] == "Thank you, <b>Priya</b>!\nSee you soon."
        published = desk.get(DESK + "/published").body
        assert "Alpha loaf" in published and "Thank you, &lt;b&gt;Priya&lt;/b&gt;!" in published
        assert desk.post("/withdraw", {"id": alpha, "note": "asked by phone"}).status == 303
        added = desk.post("/add", {"story": "Lovely sourdough, every Saturday.", "name": "Jo Bloggs",
                                   "source": "email", "consent": "1", "show_name": "full", "rating": "5"})
        assert added.status == 303
    assert places(site)[bravo] == ["rejected"] and places(site)[alpha] == ["withdrawn"]
    assert [(d["id"], d["decision"], d.get("code")) for d in decisions(site) if d["decision"] != "updated"] == [
        (bravo, "rejected", "unrelated"), (alpha, "approved", None), (alpha, "withdrawn", "withdrawn-by-author")]
    [new] = [data for data in inbox(site).values() if data["name"] == "Jo Bloggs"]
    assert (new["source"], new["name"], new["consent"]["publish"], new["consent"]["name"]) == \
        ("email", "Jo Bloggs", True, "full")


@pytest.mark.parametrize("held_as", ["a random name", "a name ending in an underscore"])
def test_import_shows_the_mapping_and_writes_only_when_confirmed(make_site, monkeypatch, held_as):
    if held_as == "a name ending in an underscore":  # one temporary name in 37 did, and its upload was lost
        made = tempfile.mkdtemp
        monkeypatch.setattr(tempfile, "mkdtemp", lambda suffix=None, prefix=None, **where: made("_", prefix, **where))
    site = make_site(site_yaml=MODERATED_SITE)
    with running_desk(site) as desk:
        shown = desk.upload("/import", "stories.csv", (HEADER + ROWS).encode())
        assert shown.status == 200
        text = page_text(shown.body)
        assert "Your story" in text and "story" in text and "May we publish your story?" in text
        assert "Would import 3 new" in text
        assert not (site / "submissions/inbox").exists()  # nothing written yet
        upload = re.search(r'name="upload" value="([^"]+)"', shown.body).group(1)
        done = desk.post("/import/confirm", {"upload": upload, "name": "stories.csv"})
        assert done.status == 303, page_text(done.body)  # a refusal says why
        again = desk.post("/import/confirm", {"upload": upload, "name": "stories.csv"})
        assert again.status == 422 and "upload the file again" in page_text(again.body)
        for elsewhere in ("..", "../..", "", str(site)):  # only a folder the desk made is ever looked in
            assert desk.post("/import/confirm", {"upload": elsewhere, "name": "stories.csv"}).status == 422
    assert sorted(inbox(site)) == ["Alpha loaf", "Bravo cake", "Charlie buns"]


FOREIGN = [
    ({"Host": "evil.test:{port}"}, "auto", 421),  # DNS rebinding: a name that resolves to 127.0.0.1
    ({"Host": "localhost:{port}"}, "auto", 421),  # only the address the preview is bound to
    ({"Host": "127.0.0.1:1"}, "auto", 421),
    ({"Origin": "http://evil.test"}, "auto", 403),  # a cross-site form
    ({"Origin": "null"}, "auto", 403),
    ({"Origin": "http://127.0.0.1:1"}, "auto", 403),
    ({"Origin": None, "Referer": "http://evil.test/page"}, "auto", 403),
    ({"Origin": None}, "auto", 403),  # no origin at all
    ({}, None, 403),  # no token
    ({}, "not-the-token", 403),
]


def test_requests_that_are_not_the_desks_own_are_refused_and_change_nothing(make_site, run):
    site = moderated_site(make_site, run)
    sid = ids(site)["Alpha loaf"]
    before = state(site)
    with running_desk(site) as desk:
        for headers, token, status in FOREIGN:
            sent = {k: v.format(port=desk.port) if v else v for k, v in headers.items()}
            for path, fields in (("/approve", {"id": sid, "feature": "0"}),
                                 ("/reject", {"id": sid, "reason": "fake"}), ("/add", {"story": "Spam spam."})):
                answer = desk.post(path, fields, token=token, headers=sent)
                assert answer.status == status, (headers, token, path, answer.body)
        assert desk.get(DESK + "/approve").status == 405  # a GET never acts
        assert desk.get(DESK + "/", Host="evil.test").status == 421  # nor shows the inbox to another name
        assert state(site) == before


def test_the_desk_is_off_unless_the_preview_is_bound_to_loopback(make_site, run):
    from werkzeug.test import Client

    from storyforge.desk.app import Desk

    site = moderated_site(make_site, run)
    before = state(site)
    for bind in ("0.0.0.0", "192.168.1.20", "::"):  # noqa: S104 - never bound: the app alone is asked
        desk = Desk(site, bind, 8000)
        client = Client(desk)
        host = f"[{bind}]:8000" if ":" in bind else f"{bind}:8000"
        page = client.get("/", headers={"Host": host})
        assert page.status_code == 403 and "without --bind" in page.get_data(as_text=True)
        token = desk.token.value
        posted = client.post("/reject", data={"id": ids(site)["Alpha loaf"], "reason": "fake", "token": token},
                             headers={"Host": host, "Origin": f"http://{host}"})
        assert posted.status_code == 403 and desk.pending_count() is None
        desk.close()
    assert state(site) == before


def test_the_badge_is_on_previewed_pages_only(make_site, run):
    site = moderated_site(make_site, run)
    with running_desk(site) as desk:
        page = desk.get("/")
        served = (site / ".storyforge-cache/serve/index.html").read_text()
    assert 'id="storyforge-desk"' in page.body and "Moderation: 3 stories wait" in page.body
    assert "storyforge-desk" not in served
    assert run("build", "--site", site).code == 0
    assert not [p for p in (site / "public").rglob("*.html") if "storyforge-desk" in p.read_text()]


def test_serve_killed_in_the_middle_of_a_desk_approval_loses_nothing(make_site, run, tmp_path):
    """The story is written, its decision not yet logged: the worst moment (the moderation
    core's own crash tests cover every other point, for every command)."""
    site = moderated_site(make_site, run)
    sid = ids(site)["Alpha loaf"]
    everyone = set(places(site))
    with serve_process(site, tmp_path, STORYFORGE_FAULT="approve:after-story-written") as (process, desk):
        with pytest.raises((ConnectionError, OSError)):  # http.client's RemoteDisconnected is one
            desk.post("/approve", {"id": sid, "feature": "0"})
        assert process.wait(timeout=10) == 137  # dead, as after kill -9
    where = places(site)
    assert set(where) == everyone and sorted(where[sid]) == ["content", "inbox"]  # in both for a moment, never lost
    with running_desk(site) as desk:  # the next look at the desk finishes the approval
        page = page_text(desk.get(DESK + "/").body)
        assert "Alpha loaf" not in page and "Bravo cake" in page
    assert places(site)[sid] == ["content"]
    assert [(d["id"], d["decision"]) for d in decisions(site)] == [(sid, "approved")]


def test_edit_before_approving_goes_through_the_builds_checks(make_site, run):
    site = moderated_site(make_site, run)
    sid = ids(site)["Bravo cake"]
    with running_desk(site) as desk:
        form = desk.get(f"{DESK}/edit/{sid}").body
        assert "The cake came an hour late. Awful." in form and 'name="title"' in form
        bad = desk.post("/approve", {"id": sid, "edited": "1", "title": "Bravo cake", "body": "Fine.",
                                     "rating": "7"})
        assert bad.status == 422 and "expected a whole number from 1 to 5 or 'none', got '7'" in page_text(bad.body)
        done = desk.post("/approve", {"id": sid, "edited": "1", "title": "Late, but a good cake",
                                      "body": "The cake came an hour late.\r\n\r\nIt was good.", "rating": "2"})
        assert done.status == 303
    [story] = (site / "content/testimonials").glob("*.md")
    front = front_matter(story)
    assert (front["title"], front["rating"], front["submission"]) == ("Late, but a good cake", 2, sid)
    assert story.read_text().endswith("---\nThe cake came an hour late.\n\nIt was good.\n")


def test_reply_is_one_function_for_the_command_and_the_desk(make_site, run):
    site = moderated_site(make_site, run)
    sid = ids(site)["Alpha loaf"]
    assert run("moderate", "reply", sid, "--text", "Thanks!", "--site", site).code == 1  # not published yet
    assert run("moderate", "approve", sid, "--site", site).code == 0
    replied = run("moderate", "reply", sid, "--text", "Thank you, **Priya**.", "--site", site)
    assert replied.code == 0 and "replied to content/testimonials/2026-03-01-alpha-loaf.md" in replied.out
    assert run("build", "--site", site).code == 0
    page = (site / "public/testimonials/2026-03-01-alpha-loaf/index.html").read_text()
    assert "Reply from Test Bakery Ltd" in page and "<strong>Priya</strong>" in page
    assert run("moderate", "reply", sid, "--text", "", "--site", site).code == 0
    assert "response" not in front_matter(site / "content/testimonials/2026-03-01-alpha-loaf.md")


def test_a_broken_site_yaml_is_said_on_the_desk_not_a_crash(make_site, run):
    site = moderated_site(make_site, run)
    with running_desk(site) as desk:
        (site / "site.yaml").write_text("title: [unclosed\n")
        page = desk.get(DESK + "/")
    assert page.status == 500 and "site.yaml" in page_text(page.body)
