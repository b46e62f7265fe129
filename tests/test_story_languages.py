"""A story exists in the language its customer wrote it in: on a site with `languages: [en-GB, fr]`,
a story sent through the French form (or added with `--lang fr`) is approved into
content/fr/testimonials/ and published on the French side only — its page, feeds and wall — and
withdrawal, reply and the desk find it there. A one-language site is exactly as before."""

from __future__ import annotations

import json
import threading
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import SITE_YAML
from moderation_helpers import decisions, front_matter
from test_intake import FORM, start

from storyforge.intake.server import stop_server

BILINGUAL = SITE_YAML.replace("language: en-GB", "languages: [en-GB, fr]")
INTAKE = "moderation:\n  intake_url: https://stories.bakery.test\n"
FRENCH_STORY = "Le cours de levain était formidable. Notre pain a parfaitement levé."


class _Form(HTMLParser):
    """The share-your-story form's fields as a browser would send them untouched: name → value."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}
        self.action = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {key: value or "" for key, value in attrs}
        if tag == "form" and "share-form" in found.get("class", ""):
            self.action = found["action"]
        if tag == "input" and found.get("type") == "hidden":
            self.fields[found["name"]] = found.get("value", "")


def form_of(page: Path) -> _Form:
    parser = _Form()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser


def build(run, site: Path) -> Path:
    result = run("build", "--site", site)
    assert result.code == 0, result.err
    return site / "public"


def titles(feed: Path) -> set[str]:
    return {str(item.findtext("title")) for item in ET.fromstring(feed.read_bytes()).iter("item")}


def wall(public: Path) -> list[str]:
    return [story["title"] for story in json.loads(public.joinpath("testimonials.json").read_bytes())["stories"]]


def assert_french_only(public: Path, title: str, slug: str) -> None:
    """The story is on the French side — its page, the list, both feeds, the wall — and nowhere English."""
    assert (public / "fr/testimonials" / slug / "index.html").is_file()
    assert title in (public / "fr/testimonials/index.html").read_text(encoding="utf-8")
    assert title in titles(public / "fr/feed.xml") and title in titles(public / "fr/testimonials/feed.xml")
    assert title in wall(public / "fr")
    assert not (public / "testimonials" / slug).exists()
    assert title not in (public / "testimonials/index.html").read_text(encoding="utf-8")
    assert title not in titles(public / "feed.xml") and title not in wall(public)


def test_a_story_sent_through_the_french_form_is_published_in_french(make_site, run):
    site = make_site(site_yaml=BILINGUAL + INTAKE)
    public = build(run, site)
    french = form_of(public / "fr/share-your-story/index.html")
    english = form_of(public / "share-your-story/index.html")
    assert french.fields["lang"] == "fr" and english.fields["lang"] == "en-GB"  # each page sends its own language
    assert french.action == "https://stories.bakery.test/submit"
    service, server, thread = start(site)
    try:
        sent = service.post({**FORM, **french.fields, "story": FRENCH_STORY, "title": "Un pain parfait"})
    finally:
        stop_server(server, thread)
    # the customer is thanked in French, on a page the build made
    assert sent.status == 303 and sent.headers["location"] == "https://bakery.test/fr/share-your-story/thanks/"
    assert (public / "fr/share-your-story/thanks/index.html").is_file()
    [data] = service.inbox()
    assert data["lang"] == "fr"
    approved = run("moderate", "approve", data["id"], "--site", site)
    assert approved.code == 0, approved.err
    [story] = (site / "content/fr/testimonials").glob("*.md")
    assert not (site / "content/testimonials").exists()
    assert front_matter(story)["submission"] == data["id"]
    assert_french_only(build(run, site), "Un pain parfait", story.stem)
    # the business replies, then the author withdraws: both find the story in its language's folder
    replied = run("moderate", "reply", story.name, "--text", "Merci Maya !", "--site", site)
    assert replied.code == 0 and f"content/fr/testimonials/{story.name}" in replied.out
    assert front_matter(story)["response"] == "Merci Maya !"
    withdrawn = run("moderate", "withdraw", data["id"][:6], "--site", site)
    assert withdrawn.code == 0, withdrawn.err
    assert not story.exists()
    assert decisions(site)[-1]["story"] == f"content/fr/testimonials/{story.name}"
    public = build(run, site)
    assert not (public / "fr/testimonials" / story.stem).exists()
    assert "Un pain parfait" not in titles(public / "fr/feed.xml") and "Un pain parfait" not in wall(public / "fr")


def test_a_story_added_with_lang_fr_is_published_in_french(make_site, run):
    site = make_site({"content/testimonials/lovely.md": "---\ntitle: Lovely bread\nauthor: Sam P.\ndate: "
                                                       "2026-03-01\n---\nGreat loaf.\n"}, site_yaml=BILINGUAL)
    added = run("submissions", "add", "--site", site, "--story", FRENCH_STORY, "--title", "Le levain",
                "--name", "Claire Dupont", "--consent", "--show-name", "first-initial", "--rating", "5",
                "--lang", "fr")
    assert added.code == 0, added.err
    [path] = (site / "submissions/inbox").glob("*.json")
    sid = json.loads(path.read_bytes())["id"]
    assert json.loads(path.read_bytes())["lang"] == "fr"
    listed = run("moderate", "list", "--site", site)
    assert listed.code == 0 and "Le levain" in listed.out
    assert "(phone, written in fr)" in run("moderate", "show", sid, "--site", site).out
    assert run("moderate", "approve", sid[:5], "--site", site).code == 0
    [story] = (site / "content/fr/testimonials").glob("*.md")
    assert_french_only(build(run, site), "Le levain", story.stem)
    assert wall(site / "public") == ["Lovely bread"]
    # the desk's list of published stories finds both languages' stories
    from storyforge.core.config import load_config
    from storyforge.desk.views import published

    assert sorted(p.path for p in published(load_config(site))) == [
        "content/fr/testimonials/" + story.name, "content/testimonials/lovely.md"]


def test_a_language_the_site_does_not_have_is_refused_in_words(make_site, run):
    site = make_site(site_yaml=BILINGUAL + INTAKE)
    for lang in ("de", "klingon"):
        refused = run("submissions", "add", "--site", site, "--story", FRENCH_STORY, "--name", "Claire",
                      "--consent", "--lang", lang)
        assert refused.code != 0
        assert f"--lang: '{lang}' is not one of this site's languages (en-GB, fr)" in refused.err
    assert not (site / "submissions/inbox").exists()
    service, server, thread = start(site)
    try:
        forged = service.post({**FORM, "lang": "de"}, as_json=True)
        missing = service.post(FORM, as_json=True)  # no language: the site's default
    finally:
        stop_server(server, thread)
    assert forged.status == 400 and forged.json["errors"] == {
        "lang": "lang: 'de' is not one of this site's languages (en-GB, fr) — use one of them"}
    assert missing.status == 200 and missing.json["thanks"] == "https://bakery.test/share-your-story/thanks/"
    [data] = service.inbox()
    assert "lang" not in data  # the default language: filed as a one-language site files it
    assert run("moderate", "approve", data["id"], "--site", site).code == 0
    assert len(list((site / "content/testimonials").glob("*.md"))) == 1


def test_an_export_column_names_each_story_s_language(make_site, run):
    site = make_site(site_yaml=BILINGUAL)
    (site / "stories.csv").write_text(
        "Timestamp,Your name,Your story,May we publish your story?,Language\n"
        f"2026-03-01 09:00,Claire D,{FRENCH_STORY},Oui,Français\n"
        "2026-03-02 09:00,Sam P,The rye is the best in town.,Yes,\n"
        "2026-03-03 09:00,Hans M,Das Brot war wunderbar.,Ja,Deutsch\n", encoding="utf-8")
    imported = run("submissions", "import", site / "stories.csv", "--site", site)
    assert imported.code == 1  # a row was skipped, in words naming the field
    assert ("stories.csv:4: row 3 skipped: lang: 'Deutsch' is not one of this site's languages (en-GB, fr)"
            in imported.err)
    langs = {data["name"]: data.get("lang") for data in
             (json.loads(p.read_bytes()) for p in (site / "submissions/inbox").glob("*.json"))}
    assert langs == {"Claire D": "fr", "Sam P": None}


def test_screening_uses_the_story_s_own_language_and_english(make_site, run):
    site = make_site(site_yaml=SITE_YAML.replace("language: en-GB", "languages: [en-GB, fr, es]"))
    # 'joder' is Spanish strong language; in a story written in French it is screened as French and English
    for lang, story in (("fr", "Le pain, joder, quel pain."), ("", "The bread, joder, what bread."),
                        ("fr", "Quelle merde ce retard, mais le pain est bon.")):
        options = ["--lang", lang] if lang else []
        assert run("submissions", "add", "--site", site, "--story", story, "--name", "A", "--consent",
                   *options).code == 0
    flags = {data["body"]: {flag["code"] for flag in data["flags"]}
             for data in (json.loads(p.read_bytes()) for p in (site / "submissions/inbox").glob("*.json"))}
    assert "profanity" not in flags["Le pain, joder, quel pain."]
    assert "profanity" in flags["The bread, joder, what bread."]  # no language given: every language's list
    assert "profanity" in flags["Quelle merde ce retard, mais le pain est bon."]


def test_the_desk_shows_and_takes_a_story_s_language(make_site, run):
    from desk_helpers import DESK, running_desk

    site = make_site(site_yaml=BILINGUAL)
    with running_desk(site) as desk:
        form = desk.get(DESK + "/add").body
        assert '<option value="fr" lang="fr">Français</option>' in form
        answer = desk.post("/add", {"source": "phone", "story": FRENCH_STORY, "name": "Claire D",
                                    "consent": "1", "lang": "fr"})
        assert answer.status == 303
        inbox = desk.get(DESK + "/").body
    assert "written in Français" in inbox
    [path] = (site / "submissions/inbox").glob("*.json")
    assert json.loads(path.read_bytes())["lang"] == "fr"


def test_a_one_language_site_is_as_before(make_site, run):
    site = make_site(site_yaml=SITE_YAML + INTAKE)
    public = build(run, site)
    page = (public / "share-your-story/index.html").read_text(encoding="utf-8")
    assert 'name="lang"' not in page and "lang" not in form_of(public / "share-your-story/index.html").fields
    when = "--received", "2026-03-01 09:00"
    assert run("submissions", "add", "--site", site, "--story", "Good bread.", "--name", "Sam", "--consent",
               *when).code == 0
    # its only language may be named; any other is refused, and names how to add it
    assert run("submissions", "add", "--site", site, "--story", "Good cake.", "--name", "Sam", "--consent",
               "--lang", "en-gb", *when).code == 0
    refused = run("submissions", "add", "--site", site, "--story", "Bon pain.", "--name", "Sam", "--consent",
                  "--lang", "fr")
    assert refused.code != 0 and "or list it under languages: in site.yaml" in refused.err
    files = {p.name: p.read_bytes() for p in (site / "submissions/inbox").glob("*.json")}
    assert len(files) == 2 and not any(b'"lang"' in data for data in files.values())
    # an export's "Language" column is no column of a one-language site: read as it always was
    (site / "stories.csv").write_text("Your name,Your story,Consent,Language\nAnn,Nice rolls.,yes,English\n")
    dry = run("submissions", "import", site / "stories.csv", "--site", site, "--dry-run")
    assert dry.code == 0 and "Language" in dry.out.split("unused", 1)[-1]
    for sid in (json.loads(data)["id"] for data in files.values()):
        assert run("moderate", "approve", sid, "--site", site).code == 0
    assert sorted(p.parent.as_posix().removeprefix(site.as_posix()) for p in site.rglob("*.md")) == [
        "/content/testimonials", "/content/testimonials"]


def test_moderation_finds_stories_in_every_language_folder(make_site):
    """The index behind every moderation step lists each language's stories, and learns of new ones."""
    from storyforge.core.config import load_config
    from storyforge.moderation.store import Store

    site = make_site({"content/testimonials/a.md": "---\ntitle: A\nauthor: X\ndate: 2026-01-01\n---\nA.\n",
                      "content/fr/testimonials/b.md": "---\ntitle: B\nauthor: X\ndate: 2026-01-01\nsubmission: "
                                                      "abcdef123456\n---\nB.\n"}, site_yaml=BILINGUAL)
    config = load_config(site)
    assert [(s.rel_path, s.submission) for s in Store(config).stories()] == [
        ("content/testimonials/a.md", ""), ("content/fr/testimonials/b.md", "abcdef123456")]
    (site / "content/fr/testimonials/c.md").write_text("---\ntitle: C\nauthor: X\ndate: 2026-01-01\n---\nC.\n")
    assert "content/fr/testimonials/c.md" in {s.rel_path for s in Store(config).stories()}


def test_a_french_story_through_the_bucket_inbox_and_pull_stays_french(make_site, run, request):
    """`moderation.inbox: s3://…`: the intake leaves the story in the bucket (moto's server on
    loopback), `submissions pull` brings it in with its language."""
    pytest.importorskip("boto3")
    pytest.importorskip("moto.server")
    from test_intake import Service

    from storyforge.core.config import load_config
    from storyforge.intake.app import IntakeApp, Limits
    from storyforge.intake.guard import ProofOfWork
    from storyforge.intake.server import make_server
    from storyforge.moderation.bucket import BucketInbox

    endpoint, (_, name) = request.getfixturevalue("s3_endpoint"), request.getfixturevalue("bucket")
    site = make_site(site_yaml=BILINGUAL + INTAKE + f"  inbox: s3://{name}/waiting\n  inbox_endpoint_url: "
                                                    f"{endpoint}\n  inbox_region: us-east-1\n")
    config = load_config(site)
    app = IntakeApp(config, limits=Limits(), proof=ProofOfWork(max_number=2000), bucket=BucketInbox(config))
    server = make_server(app, "127.0.0.1", 0, threads=2, asyncore_loop_timeout=0.05)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        sent = Service(site, server.effective_port, app).post({**FORM, "story": FRENCH_STORY, "lang": "fr"},
                                                              as_json=True)
    finally:
        stop_server(server, thread)
    assert sent.status == 200 and sent.json["thanks"] == "https://bakery.test/fr/share-your-story/thanks/"
    assert not (site / "submissions/inbox").exists()  # in the bucket until pulled
    pulled = run("submissions", "pull", "--site", site)
    assert pulled.code == 0, pulled.err
    [path] = (site / "submissions/inbox").glob("*.json")
    assert json.loads(path.read_bytes())["lang"] == "fr"
    assert run("moderate", "approve", path.stem, "--site", site).code == 0
    assert len(list((site / "content/fr/testimonials").glob("*.md"))) == 1
