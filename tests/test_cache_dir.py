"""The build cache where a CI service keeps it: ``--cache-dir`` and ``STORYFORGE_CACHE_DIR``, and a
restored cache that stays valid in a fresh clone (new modification times, another folder)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from conftest import copy_example, snapshot, story, write_files

from storyforge.build import BuildOptions, build
from storyforge.core.reading import EntryReader

FILES = {
    **{f"content/testimonials/story-{n}.md": story(f"Story {n}", body=f"Loved *it*, number {n}.\n\n- one\n- two")
       for n in range(6)},
    "content/events/fair.md": "---\ntitle: Spring fair\nstart: 2026-09-01T10:00:00\nlocation: The hall\n---\nCome.\n",
    "content/pages/about.md": "---\ntitle: About us\n---\nWe bake.\n",
    "static/robots-extra.txt": "hello\n",
}


@pytest.fixture(autouse=True)
def _fixed_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1780000000")
    monkeypatch.delenv("STORYFORGE_CACHE_DIR", raising=False)


def fresh_clone(site: Path, dest: Path) -> Path:
    """The sources as a CI runner checks them out: another folder, every file written just now."""
    shutil.copytree(site, dest, ignore=shutil.ignore_patterns("public", ".storyforge-*"), copy_function=shutil.copy)
    later = os.stat(dest / "site.yaml").st_mtime_ns + 5_000_000_000  # surely not the original times
    for folder, _, files in os.walk(dest):
        for name in files:
            os.utime(os.path.join(folder, name), ns=(later, later))
    return dest


def restore(cache: Path, dest: Path) -> None:
    """The cache folder as actions/cache or a build plugin puts it back: same bytes, new times."""
    shutil.copytree(cache, dest, copy_function=shutil.copy)


def count_reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Records every content file parsed and rendered from Markdown (not taken from the cache)."""
    reads: list[str] = []
    original = EntryReader.read

    def recording(self: EntryReader, data: bytes, rel_path: str, content_type: str) -> object:
        reads.append(rel_path)
        return original(self, data, rel_path, content_type)

    monkeypatch.setattr(EntryReader, "read", recording)
    return reads


def cold(site: Path, scratch: Path) -> dict[str, bytes]:
    shutil.copytree(site, scratch, ignore=shutil.ignore_patterns("public", ".storyforge-*"))
    build(BuildOptions(site_dir=scratch, use_cache=False, cache_dir=scratch.parent / f"{scratch.name}-cache"))
    return snapshot(scratch / "public")


def small_site(site: Path) -> None:
    """The stories of FILES and the least site.yaml there is."""
    write_files(site, FILES)
    (site / "site.yaml").write_text("title: Bakery\nbase_url: https://example.com/\n", encoding="utf-8")


def clone_with_cache(site: Path, tmp_path: Path, with_output: bool) -> Path:
    """A fresh clone of ``site`` in tmp_path/second/checkout, with the first build's cache restored
    as a CI service restores it (and, ``with_output``, its public/ too)."""
    clone = fresh_clone(site, tmp_path / "second" / "checkout")
    restore(tmp_path / "first" / "cache", tmp_path / "second" / "cache")
    if with_output:
        restore(site / "public", clone / "public")
    return clone


def test_cache_dir_option_keeps_the_cache_outside_the_site(tmp_path: Path, run) -> None:
    site = tmp_path / "site"
    small_site(site)
    result = run("build", "--site", site, "--cache-dir", tmp_path / "ci-cache")
    assert result.code == 0, result.err
    assert (tmp_path / "ci-cache" / "index.bin").is_file()
    assert not (site / ".storyforge-cache").exists()
    again = run("build", "--site", site, "--cache-dir", tmp_path / "ci-cache")
    assert again.code == 0 and "nothing changed" in again.out


def test_environment_variable_names_the_cache_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, run) -> None:
    site = tmp_path / "site"
    small_site(site)
    monkeypatch.setenv("STORYFORGE_CACHE_DIR", str(tmp_path / "kept"))
    assert run("build", "--site", site).code == 0
    assert (tmp_path / "kept" / "index.bin").is_file()
    assert not (site / ".storyforge-cache").exists()
    # the option wins over the variable
    assert run("build", "--site", site, "--cache-dir", tmp_path / "chosen", "--no-cache").code == 0
    assert (tmp_path / "chosen" / "index.bin").is_file()


def test_restored_cache_in_a_fresh_clone_reuses_every_entry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site = tmp_path / "first" / "site"
    small_site(site)
    build(BuildOptions(site_dir=site, cache_dir=tmp_path / "first" / "cache"))

    clone = clone_with_cache(site, tmp_path, with_output=False)
    reads = count_reads(monkeypatch)
    result = build(BuildOptions(site_dir=clone, cache_dir=tmp_path / "second" / "cache"))
    assert reads == []  # no story parsed or rendered from Markdown again
    assert result.unchanged and result.files_written > 0  # the output folder was put back from the cache
    monkeypatch.undo()
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1780000000")
    assert snapshot(clone / "public") == cold(site, tmp_path / "cold")


@pytest.mark.parametrize("example", [False, True], ids=["small site", "example site"])
def test_restored_cache_and_output_make_a_fresh_clone_a_no_op(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                              example: bool) -> None:
    """The example site has share cards, static files and a moderation queue: all judged by bytes."""
    site = tmp_path / "first" / "site"
    if example:
        copy_example(site)
        shutil.copytree(Path(__file__).parents[1] / "submissions", site / "submissions")
    else:
        small_site(site)
    build(BuildOptions(site_dir=site, cache_dir=tmp_path / "first" / "cache"))

    clone = clone_with_cache(site, tmp_path, with_output=True)
    reads = count_reads(monkeypatch)
    result = build(BuildOptions(site_dir=clone, cache_dir=tmp_path / "second" / "cache"))
    assert result.unchanged and reads == []
    # the new stats were learnt: the next build is a no-op without reading a byte, still correct
    assert build(BuildOptions(site_dir=clone, cache_dir=tmp_path / "second" / "cache")).unchanged
    monkeypatch.undo()
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1780000000")
    assert snapshot(clone / "public") == cold(site, tmp_path / "cold")


def test_an_edit_in_the_fresh_clone_is_seen(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Same size, new bytes, new time: the digest, not the stat, decides — and only that story is read."""
    site = tmp_path / "first" / "site"
    small_site(site)
    build(BuildOptions(site_dir=site, cache_dir=tmp_path / "first" / "cache"))

    clone = clone_with_cache(site, tmp_path, with_output=True)
    edited = clone / "content/testimonials/story-3.md"
    edited.write_text(edited.read_text(encoding="utf-8").replace("number 3", "number 8"), encoding="utf-8")
    reads = count_reads(monkeypatch)
    result = build(BuildOptions(site_dir=clone, cache_dir=tmp_path / "second" / "cache"))
    assert not result.unchanged and reads == ["content/testimonials/story-3.md"]
    monkeypatch.undo()
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1780000000")
    assert snapshot(clone / "public") == cold(clone, tmp_path / "cold")
    assert b"number 8" in (clone / "public/testimonials/story-3/index.html").read_bytes()
