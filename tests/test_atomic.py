"""publish.atomic: what a failed write, a taken name or a power cut can leave behind.

Failures are made real by making the system calls fail (a disk that fills up halfway through
a write, a rename the system refuses); flushes are counted by watching ``os.fsync``.
"""

from __future__ import annotations

import ast
import errno
import os
import stat
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import CliResult
from moderation_helpers import HEADER, MODERATED_SITE, csv_row

import storyforge
from storyforge.incremental.cache import BuildCache, Index
from storyforge.publish.atomic import TEMP_PREFIX, append_line_durably, fsync_dir, write_atomic, write_atomic_many

OLD = b"the old file, whole\n"
NEW = b"the new file " * 1000


def temporaries(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(TEMP_PREFIX))


@pytest.fixture
def disk_fills_up(monkeypatch: pytest.MonkeyPatch) -> None:
    """Writes of more than a few bytes write half their bytes, then fail with ENOSPC."""
    real_write = os.write

    def write(fd: int, data: bytes | memoryview) -> int:
        if len(data) < 64:
            return real_write(fd, data)
        real_write(fd, bytes(data[: len(data) // 2]))
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "write", write)


@pytest.fixture
def fsyncs(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """What each os.fsync flushed: 'file' or 'folder:<name>'."""
    real_fsync = os.fsync
    seen: list[str] = []

    def fsync(fd: int) -> None:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            seen.append("folder:" + Path(os.readlink(f"/proc/self/fd/{fd}")).name)
        else:
            seen.append("file")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    return seen


@pytest.mark.parametrize("durable", [True, False])
def test_a_write_replaces_the_file_and_leaves_nothing_else(tmp_path: Path, durable: bool) -> None:
    target = tmp_path / "data.bin"
    target.write_bytes(OLD)
    write_atomic(target, NEW, durable=durable)
    assert target.read_bytes() == NEW
    assert [p.name for p in tmp_path.iterdir()] == ["data.bin"]


@pytest.mark.parametrize("durable", [True, False])
def test_a_write_that_fails_midway_leaves_the_old_file_and_no_temporary(tmp_path: Path, durable: bool,
                                                                       disk_fills_up: None) -> None:
    target = tmp_path / "data.bin"
    target.write_bytes(OLD)
    with pytest.raises(OSError, match="No space left") as failure:
        write_atomic(target, NEW, durable=durable)
    assert failure.value.errno == errno.ENOSPC
    assert target.read_bytes() == OLD
    assert temporaries(tmp_path) == []


def test_a_refused_rename_leaves_the_old_file_and_no_temporary(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "data.bin"
    target.write_bytes(OLD)

    def refuse(source: object, destination: object) -> None:
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(PermissionError):
        write_atomic(target, NEW, durable=True)
    assert target.read_bytes() == OLD
    assert temporaries(tmp_path) == []


def test_an_interruption_just_before_the_rename_leaves_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "data.bin"
    target.write_bytes(OLD)
    seen: list[bytes] = []

    def interrupt() -> None:
        seen.append(next(tmp_path.glob(TEMP_PREFIX + "*")).read_bytes())  # complete before its rename
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_atomic(target, NEW, durable=True, before_replace=interrupt)
    assert seen == [NEW]
    assert target.read_bytes() == OLD
    assert temporaries(tmp_path) == []


def test_many_files_are_each_flushed_before_any_takes_its_name(tmp_path: Path, fsyncs: list[str],
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "a.json").write_bytes(OLD)
    files = [(tmp_path / f"{name}.json", NEW + name.encode()) for name in "abcde"]
    flushed_at_rename: list[int] = []
    real_replace = os.replace

    def replace(source: str | Path, destination: str | Path) -> None:
        flushed_at_rename.append(fsyncs.count("file"))
        real_replace(source, destination)

    monkeypatch.setattr(os, "replace", replace)
    write_atomic_many(files, mode=0o600)
    assert flushed_at_rename == [5] * 5  # every file's data on the disk before the first takes its name
    assert [(p.read_bytes(), stat.S_IMODE(p.stat().st_mode) & 0o077) for p, _ in files] == [
        (data, 0) for _, data in files]
    assert temporaries(tmp_path) == []


def test_many_files_of_which_one_cannot_be_written_leave_none_in_place(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "a.json").write_bytes(OLD)
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        if TEMP_PREFIX + "c.json." in os.readlink(f"/proc/self/fd/{fd}"):
            raise OSError(errno.EIO, "Input/output error")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    with pytest.raises(OSError, match="Input/output error") as failure:
        write_atomic_many([(tmp_path / f"{name}.json", NEW) for name in "abcd"])
    assert failure.value.filename == str(tmp_path / "c.json")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.json"] and (tmp_path / "a.json").read_bytes() == OLD


def test_exclusive_creates_a_missing_file_with_its_folders(tmp_path: Path) -> None:
    target = tmp_path / "content" / "events" / "fair.md"
    write_atomic(target, NEW, durable=True, exclusive=True)
    assert target.read_bytes() == NEW
    assert temporaries(target.parent) == []


@pytest.mark.parametrize("hard_links", [True, False])
def test_exclusive_never_overwrites(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, hard_links: bool) -> None:
    if not hard_links:  # a file system without them: the O_EXCL path must refuse just the same
        def no_links(source: object, destination: object) -> None:
            raise OSError(errno.EPERM, "Operation not permitted")

        monkeypatch.setattr(os, "link", no_links)
    target = tmp_path / "story.md"
    target.write_bytes(OLD)
    with pytest.raises(FileExistsError):
        write_atomic(target, NEW, durable=True, exclusive=True)
    assert target.read_bytes() == OLD
    assert temporaries(tmp_path) == []
    fresh = tmp_path / "other.md"
    write_atomic(fresh, NEW, durable=True, exclusive=True)
    assert fresh.read_bytes() == NEW
    assert temporaries(tmp_path) == []


def test_exclusive_without_hard_links_leaves_no_half_file_when_the_write_fails(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_links(source: object, destination: object) -> None:
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    real_write, calls = os.write, []

    def second_write_fails(fd: int, data: bytes | memoryview) -> int:
        calls.append(fd)
        if len(calls) == 2:  # the temporary file was written; the file itself fills the disk
            real_write(fd, bytes(data[:10]))
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(fd, data)

    monkeypatch.setattr(os, "write", second_write_fails)
    with pytest.raises(OSError, match="No space left"):
        write_atomic(tmp_path / "story.md", NEW, durable=False, exclusive=True)
    assert list(tmp_path.iterdir()) == []


def test_durable_writes_flush_the_file_and_then_its_folder(tmp_path: Path, fsyncs: list[str]) -> None:
    (tmp_path / "inbox").mkdir()
    write_atomic(tmp_path / "inbox" / "a.json", NEW, durable=True)
    assert fsyncs == ["file", "folder:inbox"]
    fsyncs.clear()
    write_atomic(tmp_path / "inbox" / "b.json", NEW, durable=True, exclusive=True)
    assert fsyncs == ["file", "folder:inbox"]


def test_a_durable_write_into_new_folders_flushes_each_new_name(tmp_path: Path, fsyncs: list[str]) -> None:
    root = tmp_path / "site"
    root.mkdir()
    write_atomic(root / "submissions" / "inbox" / "a.json", NEW, durable=True)
    assert fsyncs == ["folder:site", "folder:submissions", "file", "folder:inbox"]


def test_cache_writes_flush_nothing(tmp_path: Path, fsyncs: list[str]) -> None:
    write_atomic(tmp_path / "cache" / "index.bin", NEW, durable=False)
    write_atomic(tmp_path / "cache" / ".gitignore", b"*\n", durable=False, exclusive=True)
    assert fsyncs == []
    assert (tmp_path / "cache" / "index.bin").read_bytes() == NEW


def test_mode_is_applied_less_the_umask(tmp_path: Path) -> None:
    write_atomic(tmp_path / "private.json", NEW, durable=True, mode=0o600)
    assert stat.S_IMODE((tmp_path / "private.json").stat().st_mode) == 0o600
    previous = os.umask(0o022)
    try:
        write_atomic(tmp_path / "shared.md", NEW, durable=True)
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "shared.md").stat().st_mode) == 0o644


def test_appended_lines_are_whole_and_flushed(tmp_path: Path, fsyncs: list[str]) -> None:
    log = tmp_path / "decisions.jsonl"
    append_line_durably(log, b'{"id": "a"}\n')
    assert fsyncs == ["file", "folder:" + tmp_path.name]  # a new file: its name is flushed too
    fsyncs.clear()
    append_line_durably(log, b'{"id": "b"}\n')
    assert fsyncs == ["file"]
    assert log.read_bytes() == b'{"id": "a"}\n{"id": "b"}\n'


def test_a_line_torn_by_a_power_cut_is_ended_before_the_next(tmp_path: Path) -> None:
    log = tmp_path / "decisions.jsonl"
    log.write_bytes(b'{"id": "a"}\n{"id": "b", "deci')
    append_line_durably(log, b'{"id": "c"}\n')
    assert log.read_bytes().splitlines() == [b'{"id": "a"}', b'{"id": "b", "deci', b'{"id": "c"}']


def test_an_append_that_fails_midway_is_cut_back(tmp_path: Path, disk_fills_up: None) -> None:
    log = tmp_path / "decisions.jsonl"
    log.write_bytes(b'{"id": "a"}\n')
    with pytest.raises(OSError, match="No space left"):
        append_line_durably(log, b'{"id": "b", "note": "' + b"x" * 200 + b'"}\n')
    assert log.read_bytes() == b'{"id": "a"}\n'


@pytest.mark.parametrize("line", [b"no newline", b"two\nlines\n", b"\n\n"])
def test_only_one_line_is_appended_at_a_time(tmp_path: Path, line: bytes) -> None:
    with pytest.raises(ValueError, match="exactly one line"):
        append_line_durably(tmp_path / "decisions.jsonl", line)
    assert not (tmp_path / "decisions.jsonl").exists()


def test_fsync_dir_of_a_missing_folder_is_a_no_op(tmp_path: Path) -> None:
    fsync_dir(tmp_path / "gone")



# --- each caller's policy on failure -----------------------------------------------------------


def refuse_renames(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(source: object, destination: object) -> None:
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(os, "replace", refuse)


def test_a_cache_that_cannot_be_written_is_skipped_without_leftovers(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    refuse_renames(monkeypatch)
    cache = BuildCache(tmp_path)
    cache.save(Index(key="k"), {"content/pages/a.md": "entry"})  # no error: the next build is only slower
    assert sorted(p.name for p in cache.folder.iterdir()) == [".gitignore"]
    assert cache.load_index("k") == Index(key="k")


def test_a_submission_that_cannot_be_written_is_a_moderation_error(make_site: Callable[..., Path],
                                                                   run: Callable[..., CliResult],
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    site = make_site({"stories.csv": HEADER + csv_row("2026-03-01 09:00", "Priya Sharma", "Alpha loaf",
                                                      "A crackling crust.")}, site_yaml=MODERATED_SITE)
    refuse_renames(monkeypatch)
    result = run("submissions", "import", site / "stories.csv", "--site", site)
    assert result.code == 1
    assert "submissions/inbox/" in result.err and "cannot write: Read-only file system" in result.err
    assert list((site / "submissions/inbox").iterdir()) == []


# --- where writing lives -----------------------------------------------------------------------

PACKAGE = Path(storyforge.__file__).parent


def test_only_publish_renames_files_into_place() -> None:
    """Every temp-file-and-rename lives in publish/: one set of rules to check."""
    renames = sorted(p.relative_to(PACKAGE).as_posix() for p in PACKAGE.rglob("*.py")
                     if "os.replace(" in p.read_text(encoding="utf-8"))
    assert renames == ["publish/atomic.py", "publish/output.py"]


def test_renderers_do_not_import_the_site_writer() -> None:
    """Rendering makes bytes in memory; what writes the site is chosen by the build, not by a renderer."""
    importers = []
    for path in sorted((PACKAGE / "render").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):  # also `from storyforge.publish import output`
                names = [f"{node.module}.{alias.name}" for alias in node.names]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            if any(name.startswith("storyforge.publish.output") for name in names):
                importers.append(path.name)
    assert importers == []
