"""The build cache: a rebuild after any edit equals a cold build byte for byte, and is never trusted blindly."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import SITE_YAML, snapshot, story, write_files
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from storyforge.build import BuildOptions, build

FIXED_NOW = "1780000000"  # 2026-05-28: which events are upcoming must not depend on the test's day


@pytest.fixture(autouse=True)
def _fixed_clock(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", FIXED_NOW)


def cold_copy(site: Path, scratch: Path) -> dict[str, bytes]:
    """What a cold build of the same sources produces (in a separate folder, no cache)."""
    shutil.rmtree(scratch, ignore_errors=True)
    shutil.copytree(site, scratch, ignore=shutil.ignore_patterns("public", ".storyforge-*"))
    build(BuildOptions(site_dir=scratch, use_cache=False))
    return snapshot(scratch / "public")


def incremental(site: Path) -> dict[str, bytes]:
    build(BuildOptions(site_dir=site))
    return snapshot(site / "public")


def age(path: Path, seconds: int = 60) -> None:
    """Make a file look older than the last build, as files edited minutes ago do."""
    info = path.stat()
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns - seconds * 1_000_000_000))


BASE_FILES = {
    "content/testimonials/a.md": story("Alpha", extra="rating: 5\ntags: [bread]\nfeatured: true\n"),
    "content/testimonials/b.md": story("Bravo", extra="rating: 2\ntags: [cakes]\n"),
    "content/events/fair.md": "---\ntitle: Fair\nstart: 2026-06-01 10:00\ntags: [bread]\n---\nFun.\n",
    "content/charity/c1.md": "---\ntitle: Start\ndate: 2026-01-01\ncampaign: Larder\ngoal: 100\nraised: 10\n---\nGo.\n",
    "content/pages/about.md": "---\ntitle: About\nmenu: true\n---\nHi.\n",
    "content/alerts/closed.md": "---\ntitle: Closed Monday\nstarts: 2026-05-01\nexpires: 2026-06-30\n---\nSorry.\n",
}

EDITS = {
    "retitle a story": lambda s: _replace(s / "content/testimonials/a.md", "Alpha", "Alpha Prime"),
    "change a rating": lambda s: _replace(s / "content/testimonials/b.md", "rating: 2", "rating: 4"),
    "change a tag": lambda s: _replace(s / "content/testimonials/b.md", "[cakes]", "[bread, pies]"),
    "edit a body": lambda s: _append(s / "content/testimonials/a.md", "\nMore words here.\n"),
    "add a story": lambda s: write_files(s, {"content/testimonials/new.md": story("Newcomer", extra="rating: 3\n")}),
    "delete a story": lambda s: (s / "content/testimonials/b.md").unlink(missing_ok=True),
    "rename a story": lambda s: (s / "content/testimonials/a.md").exists() and os.replace(
        s / "content/testimonials/a.md", s / "content/testimonials/renamed.md"),
    "make a draft": lambda s: _replace(s / "content/testimonials/a.md", "rating: 5\n", "rating: 5\ndraft: true\n",
                                       unless="draft:"),
    "menu page title": lambda s: _replace(s / "content/pages/about.md", "title: About", "title: About us"),
    "campaign progress": lambda s: _replace(s / "content/charity/c1.md", "raised: 10", "raised: 60"),
    "edit a template": lambda s: write_files(s, {"templates/page.html": "{% extends 'base.html' %}{% block content %}"
                                                 "<p>Custom {{ entry.title }}</p>{% endblock %}"}),
    "edit site.yaml": lambda s: (s / "site.yaml").write_text(SITE_YAML + "pagination:\n  per_page: 1\n"),
    "cancel the event": lambda s: _replace(s / "content/events/fair.md", "tags: [bread]", "status: cancelled"),
    "expire the alert": lambda s: _replace(s / "content/alerts/closed.md", "2026-06-30", "2026-05-02"),
    "add an alert": lambda s: write_files(s, {"content/alerts/recall.md": "---\ntitle: Recall\nseverity: critical\n"
                                              "starts: 2026-05-20 09:00\n---\nBring it back.\n"}),
    "turn share cards off": lambda s: (s / "site.yaml").write_text(SITE_YAML + "share_cards: false\n"),
    "add a static file": lambda s: write_files(s, {"static/extra.css": "p { margin: 0 }"}),
    "edit a static file": lambda s: write_files(s, {"static/extra.css": "p { margin: 1em }"}),
}


def _replace(path: Path, old: str, new: str, unless: str | None = None) -> None:
    if path.exists() and not (unless and unless in path.read_text()):
        path.write_text(path.read_text().replace(old, new, 1))


def _append(path: Path, text: str) -> None:
    if path.exists():
        path.write_text(path.read_text() + text)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(st.sampled_from(sorted(EDITS)), min_size=1, max_size=5))
def test_any_sequence_of_edits_matches_a_cold_build(tmp_path_factory, steps):
    root = tmp_path_factory.mktemp("inc")
    site = root / "site"
    site.mkdir()
    (site / "site.yaml").write_text(SITE_YAML)
    write_files(site, BASE_FILES)
    assert incremental(site) == cold_copy(site, root / "cold")
    for step in steps:
        EDITS[step](site)
        assert incremental(site) == cold_copy(site, root / "cold"), f"after: {steps}"


def test_each_edit_alone_matches_a_cold_build(tmp_path):
    for name, edit in EDITS.items():
        site = tmp_path / name.replace(" ", "-")
        site.mkdir()
        (site / "site.yaml").write_text(SITE_YAML)
        write_files(site, BASE_FILES)
        incremental(site)
        edit(site)
        assert incremental(site) == cold_copy(site, tmp_path / "cold"), name


#: a site in two languages (``languages:``): English at the root, French under /fr/
BILINGUAL_YAML = SITE_YAML.replace("language: en-GB", "languages: [en-GB, fr]")
BILINGUAL_FILES = {
    **BASE_FILES,
    "content/fr/testimonials/pain.md": story("Le pain du samedi", "Claire D.", extra="rating: 5\ntags: [pain]\n"),
    "content/fr/events/fair.md": "---\ntitle: La foire\nstart: 2026-06-01 10:00\n---\nVenez.\n",
    "content/fr/pages/about.md": "---\ntitle: À propos\nslug: a-propos\nmenu: true\n---\nBonjour.\n",
}
BILINGUAL_EDITS = {
    "retitle an English story": EDITS["retitle a story"],
    "retitle the French story": lambda s: _replace(s / "content/fr/testimonials/pain.md", "Le pain", "Le bon pain"),
    "add a French story": lambda s: write_files(s, {"content/fr/testimonials/neuf.md": story("Une tarte", "Léa")}),
    "delete the French page": lambda s: (s / "content/fr/pages/about.md").unlink(missing_ok=True),
    "delete the English page": lambda s: (s / "content/pages/about.md").unlink(missing_ok=True),
    "rename the French page": lambda s: (s / "content/fr/pages/about.md").exists() and os.replace(
        s / "content/fr/pages/about.md", s / "content/fr/pages/qui.md"),
    "French slug": lambda s: _replace(s / "content/fr/pages/about.md", "slug: a-propos", "slug: qui-sommes-nous"),
    "reword the French theme": lambda s: write_files(s, {"locale/fr/LC_MESSAGES/messages.po":
                                                         'msgid ""\nmsgstr ""\n\nmsgid "Home"\nmsgstr "Maison"\n'}),
    "add German": lambda s: (s / "site.yaml").write_text(BILINGUAL_YAML.replace("fr]", "fr, de]")),
    "one story a page": lambda s: (s / "site.yaml").write_text(BILINGUAL_YAML + "pagination:\n  per_page: 1\n"),
    "expire the alert": EDITS["expire the alert"],
    "add a static file": EDITS["add a static file"],
}


def _bilingual_site(site: Path) -> Path:
    site.mkdir()
    (site / "site.yaml").write_text(BILINGUAL_YAML)
    write_files(site, BILINGUAL_FILES)
    return site


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(st.sampled_from(sorted(BILINGUAL_EDITS)), min_size=1, max_size=3))
def test_any_sequence_of_edits_to_a_two_language_site_matches_a_cold_build(tmp_path_factory, steps):
    root = tmp_path_factory.mktemp("inc2")
    site = _bilingual_site(root / "site")
    assert incremental(site) == cold_copy(site, root / "cold")
    for step in steps:
        BILINGUAL_EDITS[step](site)
        assert incremental(site) == cold_copy(site, root / "cold"), f"after: {steps}"


def test_each_edit_of_a_two_language_site_alone_matches_a_cold_build(tmp_path):
    for name, edit in BILINGUAL_EDITS.items():
        site = _bilingual_site(tmp_path / name.replace(" ", "-"))
        first = incremental(site)
        assert "fr/index.html" in first and "fr/testimonials/pain/index.html" in first
        edit(site)
        assert incremental(site) == cold_copy(site, tmp_path / "cold"), name


def test_nothing_changed_is_a_no_op(make_site, run):
    site = make_site(BASE_FILES)
    assert run("build", "--site", site).code == 0
    for path in [*site.rglob("*.md"), site / "site.yaml"]:
        age(path)
    run("build", "--site", site)  # the cache now trusts the files' dates
    before = {p: p.stat().st_mtime_ns for p in (site / "public").rglob("*")}
    result = run("build", "--site", site)
    assert result.code == 0
    assert result.out.startswith("nothing changed: ")
    assert {p: p.stat().st_mtime_ns for p in (site / "public").rglob("*")} == before


def test_one_edit_rewrites_only_what_shows_it(make_site, run):
    site = make_site(BASE_FILES)
    run("build", "--site", site)
    _append(site / "content/testimonials/a.md", "\nA last line nobody lists.\n")
    result = run("build", "--site", site)
    # the story's page changes; the lists, its share card and testimonials.json show its unchanged first
    # paragraph; the feeds carry the full text: the site's RSS and Atom, the stories' and its tag's
    assert " 5 files written " in result.out, result.out


def test_feeds_calendars_sitemap_and_wall_are_made_again_only_when_what_they_show_changed(make_site):
    site = make_site(BASE_FILES)
    first = build(BuildOptions(site_dir=site))
    assert len(first.site_files_made) == first.site_files
    _append(site / "content/pages/about.md", "\nOpen since 1998.\n")
    made = build(BuildOptions(site_dir=site)).site_files_made
    assert sorted(made) == ["atom.xml", "feed.xml"]  # the site's feeds carry pages too; no list of stories does
    _append(site / "content/testimonials/b.md", "\nThe rye, especially.\n")
    made = build(BuildOptions(site_dir=site)).site_files_made
    assert sorted(made) == ["atom.xml", "feed.xml", "tags/cakes/feed.xml", "testimonials.json",
                            "testimonials/feed.xml"]
    _replace(site / "content/events/fair.md", "title: Fair", "title: Summer fair")
    made = build(BuildOptions(site_dir=site)).site_files_made
    assert sorted(made) == ["atom.xml", "events/calendar.ics", "events/fair/event.ics", "events/feed.xml",
                            "feed.xml", "tags/bread/feed.xml"]


def test_a_corrupted_or_truncated_cache_is_ignored(make_site, tmp_path):
    site = make_site(BASE_FILES)
    build(BuildOptions(site_dir=site))
    expected = cold_copy(site, tmp_path / "cold")
    for damage in (lambda b: b[: len(b) // 2], lambda b: b[:-1] + bytes([b[-1] ^ 1]), lambda b: b"garbage"):
        for cache_file in (site / ".storyforge-cache").rglob("*.bin"):  # the index, entries, compiled templates
            cache_file.write_bytes(damage(cache_file.read_bytes()))
        _replace(site / "content/testimonials/a.md", "Alpha", "Alpha again")
        build(BuildOptions(site_dir=site))
        expected = cold_copy(site, tmp_path / "cold")
        assert snapshot(site / "public") == expected


def test_a_damaged_cache_file_is_written_anew_by_the_next_build(make_site):
    from storyforge.core.config import load_config
    from storyforge.core.content import discover
    from storyforge.core.inputs import gather_inputs
    from storyforge.errors import ErrorCollector
    from storyforge.incremental.cache import BuildCache
    from storyforge.incremental.session import cache_key

    site = make_site(BASE_FILES)
    build(BuildOptions(site_dir=site))
    for shard in (site / ".storyforge-cache").glob("entries-*.bin"):
        shard.write_bytes(shard.read_bytes()[:-1] + b"!")
    # one edit, so the build is not a no-op (which reads no entry shard): every story is read again
    _replace(site / "content/pages/about.md", "Hi.", "Hello.")
    build(BuildOptions(site_dir=site))
    config = load_config(site)
    sources, assets = discover(config, ErrorCollector())
    key = cache_key(config, gather_inputs(config, sources, assets), drafts=False)
    assert set(BuildCache(site).load_entries(key)) == {s.rel_path for s in sources}


def test_deleting_the_cache_is_always_safe(make_site, tmp_path):
    site = make_site(BASE_FILES)
    build(BuildOptions(site_dir=site))
    shutil.rmtree(site / ".storyforge-cache")
    (site / "content/testimonials/b.md").unlink()
    build(BuildOptions(site_dir=site))
    assert snapshot(site / "public") == cold_copy(site, tmp_path / "cold")
    assert not (site / "public/testimonials/b").exists()


def test_a_new_storyforge_version_invalidates_the_cache(make_site, monkeypatch):
    import storyforge.incremental.cache as cache_module

    site = make_site(BASE_FILES)
    build(BuildOptions(site_dir=site))
    monkeypatch.setattr(cache_module, "__version__", "999.0")
    result = build(BuildOptions(site_dir=site))
    assert result.pages_rendered == sum(result.pages_by_section.values())


def test_no_cache_flag_renders_everything(make_site, run):
    site = make_site(BASE_FILES)
    run("build", "--site", site)
    result = run("build", "--site", site, "--no-cache")
    assert result.code == 0 and result.out.startswith("built ")


def test_parallel_and_serial_builds_are_identical(make_site):
    files = {f"content/testimonials/s{n:03}.md": story(f"Story {n}", extra=f"rating: {n % 5 + 1}\ntags: [t{n % 7}]\n")
             for n in range(320)}
    site = make_site(files)
    # each build in a process of its own, as a user runs it: a test process may hold threads (a
    # test's server), and storyforge never forks workers from a process with threads
    for workers, folder in (("1", "serial"), ("2", "parallel")):
        subprocess.run([sys.executable, "-m", "storyforge", "build", "-q", "--no-cache", "--output",
                        str(site / folder)], cwd=site, check=True, env={**os.environ, "STORYFORGE_WORKERS": workers})
    assert snapshot(site / "serial") == snapshot(site / "parallel")


def test_the_cache_key_sees_the_installed_library_versions():
    from importlib import metadata

    from storyforge.incremental.cache import OUTPUT_LIBRARIES, installed_versions

    found = installed_versions()
    assert {name: found.get(name) for name in OUTPUT_LIBRARIES} == \
        {name: metadata.version(name) for name in OUTPUT_LIBRARIES}


def test_the_program_part_of_the_cache_key_is_remembered_by_the_stat_of_the_modules(tmp_path, monkeypatch):
    """The key is worked out from the modules' bytes once; later builds stat them and read the
    memo, and any module whose stat changed makes the key be worked out (and differ) again."""
    import os
    import time

    from storyforge.incremental import cache

    module = tmp_path / "module.py"
    module.write_text("A = 1\n")
    old = time.time() - 60
    os.utime(module, (old, old))
    monkeypatch.setattr(cache, "_MODULES", (str(module),))
    memo = tmp_path / "cache"
    first = cache.environment_key(memo)
    assert first == cache.environment_key(None)  # the memo never changes the answer
    assert (memo / cache.ENVIRONMENT_MEMO).exists()

    module.write_text("A = 2\n")  # same size, same time: judged by its stat, as sources are
    os.utime(module, (old, old))
    assert cache.environment_key(memo) == first

    module.write_text("A = 22\n")
    os.utime(module, (old + 1, old + 1))
    changed = cache.environment_key(memo)
    assert changed != first and changed == cache.environment_key(None)


def test_a_deleted_output_folder_is_built_again_in_full(make_site, tmp_path):
    """Without the cache's copy of the published files (``objects/``) too: every page is rendered."""
    site = make_site(BASE_FILES)
    build(BuildOptions(site_dir=site))
    shutil.rmtree(site / "public")
    shutil.rmtree(site / ".storyforge-cache" / "objects")
    result = build(BuildOptions(site_dir=site))
    assert result.pages_rendered == sum(result.pages_by_section.values())
    assert snapshot(site / "public") == cold_copy(site, tmp_path / "cold")
