"""The published files kept in the build cache (``objects/``): a fresh clone with the cache folder
alone restored — what a hosting service keeps — publishes the last build's bytes instead of
rendering, and still writes exactly what a cold build writes."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from conftest import SITE_YAML, snapshot, story, write_files
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_incremental import BASE_FILES, EDITS, cold_copy

from storyforge.build import BuildOptions, build


@pytest.fixture(autouse=True)
def _fixed_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1780000000")
    monkeypatch.delenv("STORYFORGE_CACHE_DIR", raising=False)


def first_build(root: Path) -> Path:
    """A site built once with its cache in ``root/cache`` (as a CI service would keep it)."""
    site = root / "site"
    site.mkdir(parents=True)
    (site / "site.yaml").write_text(SITE_YAML)
    write_files(site, BASE_FILES)
    build(BuildOptions(site_dir=site, cache_dir=root / "cache"))
    return site


def fresh_clone_with_cache(root: Path, name: str) -> tuple[Path, Path]:
    """The sources checked out anew (every file new, no output folder) and the cache folder
    restored beside them, as a copy: nothing shared with the first build's files."""
    clone = root / name / "site"
    shutil.copytree(root / "site", clone, ignore=shutil.ignore_patterns("public", ".storyforge-*"),
                    copy_function=shutil.copy)
    later = os.stat(clone / "site.yaml").st_mtime_ns + 5_000_000_000
    for folder, _, files in os.walk(clone):
        for file_name in files:
            os.utime(os.path.join(folder, file_name), ns=(later, later))
    shutil.copytree(root / "cache", root / name / "cache", copy_function=shutil.copy)
    return clone, root / name / "cache"


def objects_of(cache: Path) -> list[Path]:
    return [p for p in (cache / "objects").rglob("*") if p.is_file()]


def published_files(site: Path) -> dict[Path, bytes]:
    """The site's files in public/, the build's own marker and record aside."""
    return {p: p.read_bytes() for p in (site / "public").rglob("*")
            if p.is_file() and not p.name.startswith(".storyforge-")}


def test_a_fresh_clone_with_the_cache_alone_restores_the_site_without_rendering(tmp_path: Path) -> None:
    site = first_build(tmp_path)
    clone, cache = fresh_clone_with_cache(tmp_path, "ci")
    result = build(BuildOptions(site_dir=clone, cache_dir=cache))
    assert result.unchanged and result.files_written == len(snapshot(site / "public")) - 1  # the marker aside
    assert "restored to" in result.summary()
    assert snapshot(clone / "public") == snapshot(site / "public") == cold_copy(site, tmp_path / "cold")
    # the next build in that clone is a plain no-op
    again = build(BuildOptions(site_dir=clone, cache_dir=cache))
    assert again.unchanged and again.files_written == 0


def test_an_edit_in_a_fresh_clone_renders_only_what_it_touched(tmp_path: Path) -> None:
    site = first_build(tmp_path)
    clone, cache = fresh_clone_with_cache(tmp_path, "ci")
    EDITS["retitle a story"](clone)
    result = build(BuildOptions(site_dir=clone, cache_dir=cache))
    total = sum(result.pages_by_section.values())
    assert not result.unchanged and 0 < result.pages_rendered < total
    assert b"Alpha Prime" in (clone / "public/testimonials/a/index.html").read_bytes()
    assert snapshot(clone / "public") == cold_copy(clone, tmp_path / "cold")
    del site


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(st.sampled_from(sorted(EDITS)), min_size=0, max_size=4))
def test_a_fresh_clone_with_a_restored_cache_equals_a_cold_build(tmp_path_factory: pytest.TempPathFactory,
                                                                 steps: list[str]) -> None:
    """Any edits made in the clone before its first build: byte for byte what a cold build writes."""
    root = tmp_path_factory.mktemp("clone")
    first_build(root)
    clone, cache = fresh_clone_with_cache(root, "ci")
    for step in steps:
        EDITS[step](clone)
    build(BuildOptions(site_dir=clone, cache_dir=cache))
    assert snapshot(clone / "public") == cold_copy(clone, root / "cold"), f"after: {steps}"


def test_a_damaged_or_missing_object_is_never_published(tmp_path: Path) -> None:
    site = first_build(tmp_path)
    clone, cache = fresh_clone_with_cache(tmp_path, "ci")
    objects = sorted(objects_of(cache))
    objects[0].write_bytes(objects[0].read_bytes()[:-1] or b"x")  # truncated
    objects[1].unlink()
    result = build(BuildOptions(site_dir=clone, cache_dir=cache))
    assert not result.unchanged  # not restored as it was: what the store could not give was made again
    assert snapshot(clone / "public") == cold_copy(site, tmp_path / "cold")
    # and the store was mended: the next clone restores again
    shutil.rmtree(clone / "public")
    assert build(BuildOptions(site_dir=clone, cache_dir=cache)).unchanged
    assert snapshot(clone / "public") == cold_copy(site, tmp_path / "cold")


def test_the_store_holds_the_live_site_once(tmp_path: Path) -> None:
    """One object per distinct file of the live site, a hard link to it (no second copy of the
    bytes while the output folder is there); what is no longer published is removed."""
    site = first_build(tmp_path)
    cache = tmp_path / "cache"
    assert len(objects_of(cache)) == len(set(published_files(site).values()))
    page = site / "public/testimonials/a/index.html"
    assert page.stat().st_nlink >= 2 and any(o.stat().st_ino == page.stat().st_ino for o in objects_of(cache))

    old_page = page.read_bytes()
    write_files(site, {"content/testimonials/a.md": story("Alpha Prime", extra="rating: 5\ntags: [bread]\n")})
    build(BuildOptions(site_dir=site, cache_dir=cache))
    kept = {o.read_bytes() for o in objects_of(cache)}
    assert old_page not in kept and page.read_bytes() in kept
    assert kept == set(published_files(site).values())


def test_a_deleted_output_folder_comes_back_from_the_cache(tmp_path: Path) -> None:
    site = first_build(tmp_path)
    before = snapshot(site / "public")
    shutil.rmtree(site / "public")
    result = build(BuildOptions(site_dir=site, cache_dir=tmp_path / "cache"))
    assert result.unchanged and result.pages_rendered == 0
    assert snapshot(site / "public") == before


def test_no_cache_starts_the_store_afresh(tmp_path: Path) -> None:
    site = first_build(tmp_path)
    cache = tmp_path / "cache"
    stray = cache / "objects" / "zz" / "leftover"
    stray.parent.mkdir(parents=True)
    stray.write_bytes(b"from an older cache")
    build(BuildOptions(site_dir=site, cache_dir=cache, use_cache=False))
    assert not stray.exists()
    assert len(objects_of(cache)) == len(set(published_files(site).values()))


def test_a_saved_cache_holds_each_share_card_once(tmp_path: Path) -> None:
    """A CI service saves the cache folder as an archive (tar keeps a hard-linked file once): the
    store's copy of a published share card is the card cache's own file, not a second one."""
    import tarfile

    site = first_build(tmp_path)
    cache = tmp_path / "cache"
    cards = sorted((site / "public").rglob("*.png"))
    assert cards, "the site has share cards"
    archive = tmp_path / "cache.tar"
    with tarfile.open(archive, "w") as tar:
        tar.add(cache, arcname="cache")
    with tarfile.open(archive) as tar:
        stored = [tar.extractfile(member).read() for member in tar.getmembers() if member.isreg()]  # type: ignore[union-attr]
    for card in cards:
        assert stored.count(card.read_bytes()) == 1, card
