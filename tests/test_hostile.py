"""Hostile and odd input: every case ends in a correct page or one clear error — never a crash,
a hang, a file outside the output folder or a half-written site."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import HANG_SECONDS, SITE_YAML, snapshot, story, write_files
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from storyforge.build import BuildOptions, build
from storyforge.errors import BuildFailed, SourceLocation, StoryforgeError


def failing(run, site: Path) -> list[str]:
    result = run("build", "--site", site)
    assert result.code == 1, result.out
    assert "Traceback" not in result.err
    return result.err.splitlines()


# --- paths -------------------------------------------------------------------------


@pytest.mark.parametrize("slug", ["../escape", "/etc/passwd", "C:/Windows", "a\\b", "bad\x01slug", "x" * 101,
                                  "Upper-Case", "con", "a--b"])
def test_unsafe_slugs_are_errors(make_site, run, slug):
    site = make_site({"content/testimonials/x.md": story(extra=f"slug: {slug!r}\n".replace("\\\\", "\\"))})
    lines = failing(run, site)
    assert lines[0].startswith("content/testimonials/x.md:5: slug:"), lines
    assert not (site.parent / "escape").exists()


@pytest.mark.parametrize(("name", "expected"), [("../../x.md", None), ("CON.md", "reserved device name"),
                                           ("---.md", "cannot make a web address"),
                                           ("LPT1.md", "reserved device name")])
def test_unsafe_file_names_are_errors_or_made_safe(make_site, run, name, expected):
    site = make_site()
    target = (site / "content/testimonials" / name)
    target.parent.mkdir(parents=True, exist_ok=True)
    if name.startswith(".."):
        # a file that lives outside content/ can only get in through a link
        (site / "outside.md").write_text(story())
        (site / "content/testimonials/link.md").symlink_to(site / "outside.md")
        lines = failing(run, site)
        assert lines[0] == ("content/testimonials/link.md: symbolic link to a file outside content/ — "
                            "copy the file in instead")
        return
    target.write_text(story())
    lines = failing(run, site)
    assert expected in lines[0], lines


def test_control_characters_and_long_names_become_safe_addresses(make_site, run):
    site = make_site({"content/testimonials/tab\there\x7f.md": story("Tabby"),
                      f"content/testimonials/{'long-' * 45}name.md": story("Long")})
    assert run("build", "--site", site).code == 0
    assert (site / "public/testimonials/tab-here/index.html").exists()
    written = [p for p in (site / "public/testimonials").iterdir() if p.name.startswith("long-")]
    assert len(written) == 1 and len(written[0].name) <= 100


def test_unicode_that_normalizes_to_another_address_is_a_clash(make_site, run):
    site = make_site({"content/testimonials/café.md": story("One"), "content/testimonials/cafe.md": story("Two")})
    lines = failing(run, site)
    assert "two sources for one address /testimonials/cafe/" in lines[0]


def test_symlink_loops_fifos_and_outside_links_are_refused_without_hanging(make_site, run, tmp_path):
    site = make_site({"content/testimonials/ok.md": story()})
    folder = site / "content/testimonials"
    (folder / "loop.md").symlink_to(folder / "loop.md")
    os.mkfifo(folder / "pipe.md")
    (folder / "secrets.md").symlink_to("/etc/hostname")
    (site / "content/pages").mkdir()
    (site / "content/pages/elsewhere").symlink_to(tmp_path)
    (site / "static").mkdir()
    (site / "static/passwd.txt").symlink_to("/etc/passwd")
    started = time.monotonic()
    lines = failing(run, site)
    assert time.monotonic() - started < HANG_SECONDS
    for expected in ("content/pages/elsewhere: symbolic link to a folder outside content/",
                     "content/testimonials/loop.md: cannot read:",
                     "content/testimonials/pipe.md: not a regular file (a pipe, socket or device)",
                     "content/testimonials/secrets.md: symbolic link to a file outside content/"):
        assert any(line.startswith(expected) for line in lines), (expected, lines)
    assert lines[-1] == "build failed: 4 errors in 4 files"
    # static files are checked once content is clean
    for bad in ("loop.md", "pipe.md", "secrets.md"):
        (folder / bad).unlink()
    (site / "content/pages/elsewhere").unlink()
    lines = failing(run, site)
    assert lines[0] == ("static/passwd.txt: symbolic link to a file outside the static folder — "
                        "copy the file in instead")


# --- YAML and encodings ----------------------------------------------------------------


def test_billion_laughs_is_refused_quickly(make_site, run):
    bomb = "---\ntitle: Boom\nauthor: A\nextra:\n  a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
        f"  {chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(8)) + "---\nx\n"
    site = make_site({"content/testimonials/bomb.md": bomb})
    started = time.monotonic()
    lines = failing(run, site)
    assert time.monotonic() - started < HANG_SECONDS
    assert lines[0].startswith("content/testimonials/bomb.md:5: YAML anchors and aliases")


@pytest.mark.parametrize(("encoding", "expected"), [
    ("utf-16", "content/testimonials/x.md:1: the file is saved as UTF-16 — save it as UTF-8"),
    ("latin-1", "content/testimonials/x.md:6: not valid UTF-8 text (byte 0xe9) — save the file as UTF-8"),
])
def test_wrong_encodings_are_clear_errors(make_site, run, encoding, expected):
    site = make_site()
    path = site / "content/testimonials/x.md"
    path.parent.mkdir(parents=True)
    path.write_bytes(story(body="Café au lait.").encode(encoding))
    assert failing(run, site)[0] == expected


def test_bom_and_crlf_give_a_correct_page(make_site, run):
    site = make_site()
    path = site / "content/testimonials/x.md"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"\xef\xbb\xbf" + story("Windows story", body="Line one.\r\n\r\nLine two.").replace(
        "\n", "\r\n").encode())
    assert run("build", "--site", site).code == 0
    page = (site / "public/testimonials/x/index.html").read_text()
    assert "Windows story" in page and "<p>Line two.</p>" in page and "\r" not in page


def test_empty_binary_and_oversized_files_are_clear_errors(make_site, run):
    site = make_site(site_yaml=SITE_YAML + "markdown:\n  max_body_bytes: 1000\n")
    folder = site / "content/testimonials"
    folder.mkdir(parents=True)
    (folder / "empty.md").write_text("")
    (folder / "photo.md").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    (folder / "huge.md").write_text(story(body="word " * 400))
    assert failing(run, site)[:3] == [
        "content/testimonials/empty.md:1: the file is empty — it needs front matter between '---' lines and a body",
        ("content/testimonials/huge.md: file is 2,061 bytes, over the limit of 1,000 "
         "(markdown.max_body_bytes in site.yaml)"),
        "content/testimonials/photo.md:3: this is a binary file, not Markdown text — remove it or rename it",
    ]


def test_pathological_markdown_is_refused_within_a_time_bound(make_site, run, monkeypatch):
    import storyforge.core.markup as markup

    monkeypatch.setattr(markup, "RENDER_SECONDS_LIMIT", 0.3)
    monkeypatch.setenv("STORYFORGE_WORKERS", "1")
    site = make_site({"content/testimonials/x.md": story(body="[" * 4000 + "]" * 4000 + "(" * 4000)})
    started = time.monotonic()
    lines = failing(run, site)
    assert time.monotonic() - started < HANG_SECONDS
    assert lines[0].startswith("content/testimonials/x.md:6: the Markdown cannot be rendered: it took more than "
                               "0.3 s to convert")


# --- fault injection: kill -9 at random moments --------------------------------------


def _site_with(root: Path, title: str, count: int = 60) -> Path:
    write_files(root, {f"content/testimonials/s{n:03}.md": story(f"{title} {n}", body="Lovely bread. " * 40)
                       for n in range(count)})
    (root / "site.yaml").write_text(SITE_YAML)
    return root


@pytest.mark.parametrize("mode", ["cold", "incremental"])
def test_kill_9_leaves_the_old_site_or_the_new_one(tmp_path, mode):
    site = _site_with(tmp_path / "site", "Old")
    env = {**os.environ, "STORYFORGE_WORKERS": "1"}
    command = [sys.executable, "-m", "storyforge", "build", "-q", "--site", str(site)]
    if mode == "cold":
        command.append("--no-cache")
    subprocess.run(command, check=True, env=env)
    old = snapshot(site / "public")
    _site_with(site, "New")
    reference = tmp_path / "reference"
    _site_with(reference, "New")
    subprocess.run([sys.executable, "-m", "storyforge", "build", "-q", "--site", str(reference)], check=True, env=env)
    new = snapshot(reference / "public")
    started = time.monotonic()
    subprocess.run(command, check=True, env=env)
    duration = time.monotonic() - started
    for trial in range(20):  # kill at moments spread over a whole build
        title, target = ("New", new) if trial % 2 == 0 else ("Old", old)
        _site_with(site, title)  # alternate, so every trial has work to do
        before = snapshot(site / "public")
        process = subprocess.Popen(command, env=env, stderr=subprocess.DEVNULL)
        time.sleep(duration * (trial + 0.5) / 20)
        process.send_signal(signal.SIGKILL)
        process.wait()
        assert snapshot(site / "public") in (before, target), f"trial {trial}: a mixed site"
        assert subprocess.run(command, env=env).returncode == 0  # and the next build succeeds
        assert snapshot(site / "public") == target


def test_a_build_killed_while_writing_its_record_leaves_no_stray_file_in_the_site(tmp_path):
    """The build record is written after the new site is swapped in; a kill at that moment must
    not leave a half-made temporary file among the published files (a web server would serve
    it), and the next build cleans up after it."""
    site = _site_with(tmp_path / "site", "Old")
    env = {**os.environ, "STORYFORGE_WORKERS": "1"}
    command = ["-m", "storyforge", "build", "-q", "--site", str(site)]
    subprocess.run([sys.executable, *command], check=True, env=env)
    _site_with(site, "New")
    dies_at_the_record = (
        "import os, runpy, sys\n"
        "real = os.replace\n"
        "def replace(source, target, *args, **kwargs):\n"
        "    if str(target).endswith('.storyforge-build.json'):\n"
        "        os._exit(137)  # killed between writing the record and giving it its name\n"
        "    return real(source, target, *args, **kwargs)\n"
        "os.replace = replace\n"
        f"sys.argv = ['storyforge', *{command[2:]!r}]\n"
        "runpy.run_module('storyforge', run_name='__main__')\n")
    killed = subprocess.run([sys.executable, "-c", dies_at_the_record], env=env)
    assert killed.returncode == 137
    assert [p.name for p in (site / "public").iterdir() if p.name.startswith(".storyforge-tmp-")] == []
    assert subprocess.run([sys.executable, *command], env=env).returncode == 0
    assert [p.name for p in site.rglob(".storyforge-tmp-*")] == []


# --- fuzzing ---------------------------------------------------------------------------

FRONT_KEYS = ["title", "author", "rating", "date", "tags", "slug", "draft", "featured", "extra", "start", "ratng",
              "response", "summary", "avatar"]
yaml_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-10, 10), st.text(max_size=20),
              st.sampled_from(["2026-02-30", "2026-05-01", "javascript:x", "{{ 7*7 }}", "<script>", "*a", "&a x"])),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3),
    max_leaves=8)


def _yamlish(value: object) -> str:
    import json
    return json.dumps(value)


#: the suite runs a short fuzz; STORYFORGE_FUZZ_EXAMPLES=5000 runs a long one (see the README)
FUZZ_EXAMPLES = int(os.environ.get("STORYFORGE_FUZZ_EXAMPLES", "40"))


@settings(max_examples=FUZZ_EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(front=st.dictionaries(st.sampled_from(FRONT_KEYS), yaml_values, max_size=6),
       body=st.text(max_size=300) | st.binary(max_size=100).map(lambda b: b.decode("latin-1")),
       raw_tail=st.binary(max_size=20), folder=st.sampled_from(["testimonials", "events", "charity", "pages"]))
def test_fuzzed_files_build_or_fail_with_a_located_error(tmp_path_factory, front, body, raw_tail, folder):
    site = tmp_path_factory.mktemp("fuzz")
    (site / "site.yaml").write_text(SITE_YAML)
    path = site / "content" / folder / "fuzz.md"
    path.parent.mkdir(parents=True)
    head = "".join(f"{key}: {_yamlish(value)}\n" for key, value in front.items())
    path.write_bytes(f"---\n{head}---\n{body}\n".encode("utf-8", "surrogatepass") + raw_tail)
    started = time.monotonic()
    try:
        build(BuildOptions(site_dir=site))
    except BuildFailed as failure:
        assert failure.errors  # noqa: PT017 - the build may succeed too; only a failure must say where
        for error in failure.errors:
            assert error.location is not None and error.location.path, error
    except StoryforgeError as error:
        assert error.location is not None, error  # noqa: PT017 - as above
    assert time.monotonic() - started < HANG_SECONDS


def test_a_copied_file_cannot_replace_one_the_build_writes(make_site, run):
    site = make_site({"content/pages/about.md": "---\ntitle: About\n---\nHi\n", "static/feed.xml": "<rss/>"})
    assert failing(run, site)[0] == ("static/feed.xml: two sources for one address /feed.xml: static/feed.xml and "
                                     "the home page (built in) — rename or remove static/feed.xml")
    (site / "static/feed.xml").unlink()
    (site / "content/sitemap.xml").write_text("<urlset/>")
    assert failing(run, site)[0] == (
        "content/sitemap.xml: two sources for one address /sitemap.xml: content/sitemap.xml and the file the "
        "build writes there itself — rename or remove content/sitemap.xml")
    assert not (site / "public").exists()


# --- fuzzing every entrance: any text in any field ---------------------------------------------

#: texts that broke, or could break, something once: controls, non-characters, line separators,
#: glyphs no card font has, off-site addresses, huge numbers, markup in the wrong place
HOSTILE_TEXTS = ["\x0b", "\x0c", "\x1b[2J", "\x07", "\x00", "\x7f", "\x85", "\x9b", "\ufffe", "\uffff", "\u2028",
                 "\r", "\r\n", "\t", "美味しいパン", "😀" * 40, "\u202eevil", "//evil.test/x.png", "/\\evil.test",
                 "javascript:alert(1)", "9" * 5000, "{{ 7*7 }}", "<img src=x>", "<li>x</li><ul>y</ul>", "&a x",
                 "*a", "---", "- a\n- b", "a: b", "07700 900123", "jo@example.com", ""]
any_text = (st.text(max_size=120) | st.sampled_from(HOSTILE_TEXTS)
            | st.lists(st.sampled_from(HOSTILE_TEXTS), max_size=4).map("word".join)
            | st.integers(10_000, 300_000).map(lambda n: "w" * n))  # a giant word
STORY_FIELDS = ["title", "author", "role", "company", "location", "product", "incentive", "relationship",
                "summary", "response", "avatar", "tags", "slug"]
SETTINGS = ["title", "description", "name", "tagline", "logo"]


def _quoted(text: str, ascii_only: bool) -> str:
    """A YAML double-quoted scalar (JSON's escapes are YAML's), with its characters raw or escaped."""
    import json
    return json.dumps(text, ensure_ascii=ascii_only)


def _build_outcome(site: Path) -> None:
    """Build; a failure must name where, and nothing else may escape."""
    started = time.monotonic()
    try:
        build(BuildOptions(site_dir=site))
    except BuildFailed as failure:
        for error in failure.errors:
            assert error.location is not None and error.location.path, error
    except StoryforgeError as error:
        assert error.location is not None, error  # noqa: PT017 - the build may succeed too
    assert time.monotonic() - started < HANG_SECONDS


@settings(max_examples=FUZZ_EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(fields=st.dictionaries(st.sampled_from(STORY_FIELDS), any_text, max_size=4), body=any_text,
       settings_text=st.dictionaries(st.sampled_from(SETTINGS), any_text, max_size=2), ascii_only=st.booleans())
def test_any_text_in_any_field_or_setting_builds_or_fails_at_a_line(tmp_path_factory, fields, body, settings_text,
                                                                     ascii_only):
    site = tmp_path_factory.mktemp("fields")
    settings_yaml = {"title": "Test Bakery",
                     **{k: v for k, v in settings_text.items() if k in ("title", "description")}}
    business = {"name": "Test Bakery Ltd", **{k: v for k, v in settings_text.items() if k not in settings_yaml}}
    (site / "site.yaml").write_text(
        "".join(f"{k}: {_quoted(v, ascii_only)}\n" for k, v in settings_yaml.items())
        + "base_url: https://bakery.test/\nlanguage: en-GB\ntimezone: Europe/London\nbusiness:\n"
        + "".join(f"  {k}: {_quoted(v, ascii_only)}\n" for k, v in business.items()), encoding="utf-8")
    front = {"title": "Fine", "author": "Sam", **fields}
    head = "".join(f"{key}: {_quoted(value, ascii_only)}\n" for key, value in front.items())
    path = site / "content/testimonials/fuzz.md"
    path.parent.mkdir(parents=True)
    path.write_text(f"---\n{head}date: 2026-03-01\n---\n{body}\n", encoding="utf-8", errors="surrogatepass")
    _build_outcome(site)


#: an import, an approval and a build per example: a shorter default run than the others
INTAKE_EXAMPLES = FUZZ_EXAMPLES if "STORYFORGE_FUZZ_EXAMPLES" in os.environ else 12
IMPORT_FIELDS = ["name", "email", "title", "story", "rating", "product", "town", "photo", "order", "incentive",
                 "relationship", "consent_name", "received_at"]


@settings(max_examples=INTAKE_EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(row=st.dictionaries(st.sampled_from(IMPORT_FIELDS), any_text, max_size=4),
       entrance=st.sampled_from(["csv", "json", "add"]))
def test_any_text_in_any_field_of_a_submission_is_screened_approved_and_built_or_refused(tmp_path_factory, row,
                                                                                          entrance):
    import csv
    import io
    import json
    from datetime import datetime

    from storyforge.core.config import load_config
    from storyforge.moderation.decide import approve
    from storyforge.moderation.intake import admit, import_file

    site = tmp_path_factory.mktemp("intake")
    (site / "site.yaml").write_text(SITE_YAML)
    values = {"story": "Lovely bread.", "consent_publish": "yes", "consent_name": "full", "consent_town": "yes",
              **row}
    config = load_config(site)
    started = time.monotonic()
    try:
        if entrance == "add":
            report = admit(config, [(SourceLocation("(phone)"), "the story", values)], "phone",
                           datetime(2026, 3, 1, tzinfo=config.tz))
        else:
            path = site / f"stories.{entrance}"
            if entrance == "json":
                path.write_text(json.dumps([values]), encoding="utf-8", errors="surrogatepass")
            else:
                buffer = io.StringIO()
                writer = csv.writer(buffer)
                writer.writerows([list(values), list(values.values())])
                path.write_text(buffer.getvalue(), encoding="utf-8", errors="surrogatepass")
            report = import_file(config, path)
    except StoryforgeError as error:
        assert error.location is not None or entrance == "add", error  # noqa: PT017
        return
    for skipped in report.skipped:
        assert skipped.location is not None
    for submission in report.imported:
        # refused with a message (a problem the build's checks found) or approved
        with contextlib.suppress(StoryforgeError):
            approve(config, submission.id, keep_personal_data=True, rating=None)
    assert time.monotonic() - started < HANG_SECONDS
    _build_outcome(site)


@settings(max_examples=FUZZ_EXAMPLES, deadline=None)
@given(quote=any_text, author=any_text, labels=st.lists(any_text, max_size=3), business=any_text, host=any_text,
       rating=st.none() | st.integers(1, 5))
def test_any_text_on_a_share_card_is_drawn_quickly_with_the_name_and_labels(quote, author, labels, business, host,
                                                                            rating):
    from storyforge.render.carddraw import PALETTE, CardSpec, draw, layout

    spec = CardSpec(quote=quote, author=author, rating=rating, labels=tuple(f"Disclosure: {x}" for x in labels),
                    business=business, host=host, colours=tuple(PALETTE.items()))
    started = time.monotonic()
    assert draw(spec).startswith(b"\x89PNG")
    lines = layout(spec)
    assert time.monotonic() - started < HANG_SECONDS
    assert lines.author.startswith("—")
    assert not labels or lines.labels[0].startswith("Disclosure:")
