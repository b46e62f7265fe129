"""Watching a site for `storyforge serve`: what counts as a change, debouncing, real file events."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from storyforge.serve.watch import (
    Change,
    ChangeKind,
    Debouncer,
    Watcher,
    WatchPlan,
    css_only,
    describe,
)


@pytest.fixture
def plan(tmp_path: Path) -> WatchPlan:
    site = tmp_path / "site"
    for folder in ("content/testimonials", "templates", "static/css", "themes/plain/templates",
                   "themes/plain/static/css", "public", ".storyforge-cache/serve"):
        (site / folder).mkdir(parents=True)
    (site / "site.yaml").write_text("title: T\n")
    return WatchPlan(site, site / "themes/plain")


@pytest.mark.parametrize(("rel", "expected"), [
    ("content/testimonials/maya.md", (ChangeKind.CONTENT, "content/testimonials/maya.md")),
    ("content/testimonials/maya.jpg", (ChangeKind.CONTENT, "content/testimonials/maya.jpg")),
    ("content", (ChangeKind.CONTENT, "content")),  # the folder itself made or removed
    ("templates/base.html", (ChangeKind.TEMPLATE, "templates/base.html")),
    ("templates/_card.html", (ChangeKind.TEMPLATE, "templates/_card.html")),
    ("themes/plain/templates/base.html", (ChangeKind.TEMPLATE, "themes/plain/templates/base.html")),
    ("themes/plain/theme-notes.txt", (ChangeKind.TEMPLATE, "themes/plain/theme-notes.txt")),
    ("static/css/site.css", (ChangeKind.STATIC, "static/css/site.css")),
    ("themes/plain/static/css/style.css", (ChangeKind.STATIC, "themes/plain/static/css/style.css")),
    ("site.yaml", (ChangeKind.CONFIG, "site.yaml")),
    ("public/index.html", None),
    (".storyforge-cache/serve/index.html", None),
    (".storyforge-publish-abc/index.html", None),
    (".git/index", None),
    ("README.md", None),
    ("submissions/inbox/new.md", None),
    ("content/testimonials/.maya.md.swp", None),
    ("content/testimonials/maya.md~", None),
    ("content/testimonials/4913", None),
    ("content/testimonials/#maya.md#", None),
    ("content/testimonials/maya.md.tmp", None),
    ("content/.git/HEAD", None),
    ("templates/base.html___jb_tmp___", None),
])
def test_classify(plan, rel, expected):
    change = plan.classify(str(plan.site_dir / rel))
    assert (None if change is None else (change.kind, change.path)) == expected


def test_classify_accepts_bytes_paths(plan):
    change = plan.classify(os.fsencode(plan.site_dir / "site.yaml"))
    assert change == Change(ChangeKind.CONFIG, "site.yaml")


def test_theme_outside_the_site_is_named_by_its_full_path(tmp_path):
    theme = tmp_path / "shared-theme"
    plan = WatchPlan(tmp_path / "site", theme)
    change = plan.classify(theme / "static/css/style.css")
    assert change == Change(ChangeKind.STATIC, (theme / "static/css/style.css").as_posix())
    assert change.is_stylesheet


def test_only_stylesheet_changes_are_css_only():
    css = Change(ChangeKind.STATIC, "static/css/site.css")
    logo = Change(ChangeKind.STATIC, "static/images/logo.svg")
    story = Change(ChangeKind.CONTENT, "content/pages/about.md")
    assert css_only([css]) and css_only([css, Change(ChangeKind.STATIC, "static/PRINT.CSS")])
    assert not css_only([css, logo]) and not css_only([css, story]) and not css_only([])
    assert describe([story]) == "content/pages/about.md"
    assert describe([story, css, logo]) == "content/pages/about.md and 2 more"


def test_folders_watch_the_site_flat_and_existing_sources_deep(plan):
    assert plan.folders() == [(plan.site_dir, False), (plan.site_dir / "content", True),
                              (plan.site_dir / "templates", True), (plan.site_dir / "static", True),
                              (plan.site_dir / "themes/plain", True)]
    (plan.site_dir / "static/css").rmdir()
    (plan.site_dir / "static").rmdir()
    assert (plan.site_dir / "static", True) not in plan.folders()


class Batches:
    """Collects flushed batches; ``wait(n)`` blocks until n have arrived."""

    def __init__(self) -> None:
        self.items: list[list[Change]] = []
        self.cond = threading.Condition()

    def __call__(self, batch: list[Change]) -> None:
        with self.cond:
            self.items.append(batch)
            self.cond.notify_all()

    def wait(self, count: int, timeout: float = 2.0) -> list[list[Change]]:
        with self.cond:
            assert self.cond.wait_for(lambda: len(self.items) >= count, timeout), self.items
            return list(self.items)

    def wait_for(self, change: Change, timeout: float = 2.0) -> None:
        """Block until a batch holds ``change`` (whatever came before it: a save that is two writes
        can be two batches when the machine is busy)."""
        with self.cond:
            assert self.cond.wait_for(lambda: any(change in batch for batch in self.items), timeout), self.items

    def next_with(self, start: int, path: str, timeout: float = 2.0) -> list[Change]:
        """The first batch from the ``start``-th on that holds ``path``, once it has come (a save
        can arrive as two batches on a busy machine, so a batch's place in the list is not fixed)."""
        def found() -> list[Change] | None:
            return next((batch for batch in self.items[start:] if any(c.path == path for c in batch)), None)

        with self.cond:
            assert self.cond.wait_for(lambda: found() is not None, timeout), self.items
            batch = found()
            assert batch is not None
            return batch

    def paths(self) -> set[str]:
        with self.cond:
            return {change.path for batch in self.items for change in batch}


def test_a_burst_of_saves_is_one_batch():
    batches = Batches()
    debouncer = Debouncer(batches, quiet=0.05)
    debouncer.start()
    try:
        started = time.monotonic()
        for n in range(20):
            debouncer.add(Change(ChangeKind.CONTENT, f"content/pages/p{n % 4}.md"))
            time.sleep(0.002)
        [batch] = batches.wait(1)
        assert time.monotonic() - started < 0.5
        assert [c.path for c in batch] == [f"content/pages/p{n}.md" for n in range(4)]  # once each, in order
        time.sleep(0.1)
        assert len(batches.items) == 1
        debouncer.add(Change(ChangeKind.CONFIG, "site.yaml"))  # a later save: a second batch
        assert batches.wait(2)[1] == [Change(ChangeKind.CONFIG, "site.yaml")]
    finally:
        debouncer.stop()


def test_endless_saving_still_rebuilds_after_the_longest_wait():
    batches = Batches()
    debouncer = Debouncer(batches, quiet=0.05, longest=0.15)
    debouncer.start()
    try:
        deadline = time.monotonic() + 0.4
        while time.monotonic() < deadline:
            debouncer.add(Change(ChangeKind.CONTENT, "content/pages/a.md"))
            time.sleep(0.01)
        assert len(batches.wait(2)) >= 2
    finally:
        debouncer.stop()


def test_changes_during_a_rebuild_make_the_next_batch():
    seen = Batches()
    release = threading.Event()

    def slow_rebuild(batch: list[Change]) -> None:
        seen(batch)
        release.wait(2)

    debouncer = Debouncer(slow_rebuild, quiet=0.02)
    debouncer.start()
    try:
        debouncer.add(Change(ChangeKind.CONTENT, "content/pages/a.md"))
        seen.wait(1)
        debouncer.add(Change(ChangeKind.CONTENT, "content/pages/b.md"))
        debouncer.add(Change(ChangeKind.CONTENT, "content/pages/c.md"))
        time.sleep(0.05)
        assert len(seen.items) == 1
        release.set()
        assert [c.path for c in seen.wait(2)[1]] == ["content/pages/b.md", "content/pages/c.md"]
    finally:
        release.set()
        debouncer.stop()


@pytest.fixture(params=[False, True], ids=["native", "poll"])
def watching(request, plan):
    """A started Watcher → Debouncer → Batches on the plan's site; yields (site, batches, watcher)."""
    batches = Batches()
    debouncer = Debouncer(batches, quiet=0.03)
    watcher = Watcher(plan, debouncer.add, poll=request.param, poll_interval=0.05)
    debouncer.start()
    watcher.start()
    time.sleep(0.1)  # the polling observer's first snapshot
    yield plan.site_dir, batches, watcher
    watcher.stop()
    debouncer.stop()


def test_create_modify_delete_and_rename_are_seen(watching):
    site, batches, _ = watching
    story = site / "content/testimonials/maya.md"
    story.write_text("---\ntitle: A\n---\n")
    batches.next_with(0, "content/testimonials/maya.md")
    time.sleep(0.06)  # the polling observer compares mtimes
    seen = len(batches.items)
    story.write_text("---\ntitle: B, longer\n---\n")
    batches.next_with(seen, "content/testimonials/maya.md")
    seen = len(batches.items)
    story.rename(site / "content/testimonials/maya-renamed.md")
    batches.next_with(seen, "content/testimonials/maya-renamed.md")
    time.sleep(0.1)  # the rename's last events
    seen = len(batches.items)
    (site / "content/testimonials/maya-renamed.md").unlink()
    assert [c.path for c in batches.next_with(seen, "content/testimonials/maya-renamed.md")] == [
        "content/testimonials/maya-renamed.md"]


def test_save_through_a_temporary_file_and_rename(watching):
    site, batches, _ = watching
    target = site / "templates/base.html"
    target.write_text("<p>one</p>")
    batches.next_with(0, "templates/base.html")
    time.sleep(0.1)
    seen = len(batches.items)
    temporary = site / "templates/.base.html.tmp-8121"  # how many editors save
    temporary.write_text("<p>two</p>")
    os.replace(temporary, target)
    assert Change(ChangeKind.TEMPLATE, "templates/base.html") in batches.next_with(seen, "templates/base.html")
    time.sleep(0.1)
    assert all(not c.path.endswith("tmp-8121") for batch in batches.items[seen:] for c in batch)


def test_site_yaml_and_new_folders_are_seen_but_not_the_output(watching):
    site, batches, watcher = watching
    (site / "public/index.html").write_text("x")
    (site / ".storyforge-cache/serve/index.html").write_text("x")
    (site / "content/testimonials/.maya.md.swp").write_text("x")
    (site / "notes.txt").write_text("x")
    time.sleep(0.2)
    assert batches.items == []
    (site / "site.yaml").write_text("title: Changed\n")
    assert batches.wait(1)[0] == [Change(ChangeKind.CONFIG, "site.yaml")]
    (site / "themes/other/templates").mkdir(parents=True)
    watcher.sync(WatchPlan(site, site / "themes/other"))  # site.yaml now names another theme
    assert site / "themes/other" in watcher.watched() and site / "themes/plain" not in watcher.watched()
    time.sleep(0.1)
    (site / "themes/other/templates/base.html").write_text("x")
    batches.wait_for(Change(ChangeKind.TEMPLATE, "themes/other/templates/base.html"))


def test_reading_files_is_not_a_change(plan):
    """The build opens and reads every source; that must never look like a save (a rebuild loop)."""
    story = plan.site_dir / "content/testimonials/maya.md"
    story.write_text("---\ntitle: A\n---\n")
    batches = Batches()
    debouncer = Debouncer(batches, quiet=0.02)
    watcher = Watcher(plan, debouncer.add)
    debouncer.start()
    watcher.start()
    try:
        for _ in range(5):
            story.read_bytes()
            (plan.site_dir / "site.yaml").read_text()
        time.sleep(0.15)
        assert batches.items == []
    finally:
        watcher.stop()
        debouncer.stop()


def test_the_moderation_inbox_is_watched_for_the_policy_counts(tmp_path):
    site = tmp_path / "site"
    (site / "submissions").mkdir(parents=True)
    plan = WatchPlan(site, None, site / "submissions")
    change = plan.classify(site / "submissions/decisions.jsonl")
    assert change is not None and change.kind is ChangeKind.CONTENT
    assert (site / "submissions", True) in plan.folders()
