"""Every file storyforge writes that is not part of the published site, written one way.

The built site has its own writer (``publish.output``: a staging folder swapped in whole).
Everything else — submissions and decisions, stories written by moderation or ``storyforge
new``, the build cache, compiled templates, share cards, the link-check cache — goes through
this module, so there is one answer to "what can a reader, a crash or a power cut leave
behind?":

* A file is never changed in place. It is written complete to a temporary file in the same
  folder (``.storyforge-tmp-<name>.<random>``, so two processes never share one), then takes
  the target's name in one step (``os.replace``). A reader sees the old file or the new one,
  never half of one; a failure at any point removes the temporary file and leaves the old file
  as it was. An ``exclusive`` write takes the name with a hard link instead, which fails rather
  than replace a file that is there (and, unlike opening with ``O_EXCL``, still never shows a
  half-written file).
* A line is only ever appended whole (:func:`append_line_durably`): a write that fails midway
  is cut off again, and a line torn by an earlier power cut is ended before the next one.

**The fsync rule**, decided here once for every caller:

* ``durable=True`` — submissions (inbox, rejected, withdrawn), decision lines, and content
  files written by moderation or ``storyforge new``. The data is flushed to the disk before
  it takes its name, and the folder after, so once a command has said "done" a power cut
  cannot take it back: a lost submission is a lost customer's story, and a decision that
  vanishes after its source was removed would lose the submission with it.
* ``durable=False`` — caches. Losing one to a power cut only makes the next build slower, and
  flushing every shard, card and compiled template would make every build slower instead.
  They are still replaced atomically, so a reader never sees half a file.

Errors are ``OSError`` as the system raised them: each caller keeps its own policy (a cache
that cannot be written is skipped; moderation reports a ``ModerationError``).
"""

from __future__ import annotations

import contextlib
import errno
import functools
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import concurrent.futures

TEMP_PREFIX = ".storyforge-tmp-"
#: files :func:`write_atomic_many` flushes at once (each waits on the disk in a thread of its own)
MAX_FLUSHES_AT_ONCE = 16

_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)
#: errors of ``os.link`` that mean "this file system has no hard links", not "the name is taken"
_NO_HARD_LINKS = frozenset({errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.ENOSYS, errno.EMLINK})


def write_atomic(path: Path, data: bytes, *, durable: bool, exclusive: bool = False, mode: int = 0o666,
                 before_replace: Callable[[], None] | None = None, sync_folder: bool = True,
                 temp_folder: Path | None = None) -> None:
    """Give ``path`` the contents ``data``: the old file or the new one, never a mix.

    ``durable``: flush the file and its folder (see the module's fsync rule).
    ``exclusive``: create ``path`` only if it does not exist (``FileExistsError`` otherwise,
    the existing file untouched).
    ``mode``: permissions of the new file, less the umask, as for ``open``; 0o600 keeps a file
    to its owner.
    ``before_replace``: called when the temporary file is complete, just before it takes the
    target's name — where moderation's crash tests stop the process.
    ``sync_folder=False`` (with ``durable``): leave the folder's flush to the caller, who writes
    many files into it and flushes it once (:func:`fsync_dir`) before saying they are saved.
    ``temp_folder``: where the temporary file is made, when it must not appear in ``path``'s own
    folder even for a moment (a folder a web server publishes); it must be on the same file system.
    Missing folders are created (and, when durable, their creation flushed too).
    """
    folder = path.parent
    _make_folders(folder, durable)
    temporary = _write_temporary(temp_folder or folder, path.name, data, durable, mode)
    try:
        if before_replace is not None:
            before_replace()
        if exclusive:
            _link_exclusively(temporary, path, data, durable, mode)
        else:
            os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    if durable and sync_folder:
        fsync_dir(folder)


def write_atomic_many(files: Sequence[tuple[Path, bytes]], *, mode: int = 0o666,
                      before_replace: Callable[[], None] | None = None) -> None:
    """Write several files durably, each as ``write_atomic(path, data, durable=True,
    sync_folder=False)`` would — complete and flushed to the disk before it takes its name — but
    with the flushes of their data overlapping: the system commits them together, where one after
    the other each waits its turn for the disk (``storyforge intake`` writes the stories that
    arrive together this way). Then each takes its name, in order. If any cannot be written, none
    takes its name; the error's ``filename`` is the file that failed. The caller flushes the
    folders (:func:`fsync_dir`) before saying the files are saved."""
    for folder in dict.fromkeys(path.parent for path, _ in files):
        _make_folders(folder, True)
    if len(files) > 1:
        jobs = [_flushers().submit(_write_temporary, path.parent, path.name, data, True, mode) for path, data in files]
        results: list[Path | BaseException] = []
        for job in jobs:
            error = job.exception()
            results.append(error if error is not None else job.result())
    else:
        results = []
        for path, data in files:
            try:
                results.append(_write_temporary(path.parent, path.name, data, True, mode))
            except OSError as exc:
                results.append(exc)
    temporaries = [done for done in results if isinstance(done, Path)]
    try:
        for (path, _), done in zip(files, results, strict=True):
            if isinstance(done, BaseException):
                if isinstance(done, OSError) and done.filename is None:
                    done.filename = os.fspath(path)
                raise done
        for (path, _), temporary in zip(files, list(temporaries), strict=True):
            if before_replace is not None:
                before_replace()
            try:
                os.replace(temporary, path)
            except OSError as exc:
                exc.filename = os.fspath(path)
                raise
            temporaries.remove(temporary)
    finally:
        for temporary in temporaries:  # not in place: none, or those after a failed one
            with contextlib.suppress(OSError):
                os.unlink(temporary)


def append_line_durably(path: Path, line: bytes, *, mode: int = 0o666) -> None:
    """Append one line (ending in its only newline) to ``path`` and flush it to the disk.

    The line lands whole or not at all: if the write fails midway the file is cut back to its
    old length. A last line left torn by an earlier power cut is ended first, so ours is never
    glued to it. The folder is flushed too when the file is new."""
    if not line.endswith(b"\n") or b"\n" in line[:-1]:
        raise ValueError("append_line_durably takes exactly one line, ending in a newline")
    created = not path.exists()
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT | getattr(os, "O_BINARY", 0)
                 | getattr(os, "O_CLOEXEC", 0), mode)
    try:
        size = os.fstat(fd).st_size
        if size:
            os.lseek(fd, size - 1, os.SEEK_SET)  # reads only: O_APPEND writes at the end anyway
            if os.read(fd, 1) != b"\n":  # finish a line torn by a power cut before adding ours
                line = b"\n" + line
        try:
            _write_all(fd, line)
            os.fsync(fd)
        except BaseException:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, size)
            raise
    finally:
        os.close(fd)
    if created:
        fsync_dir(path.parent)


def fsync_dir(folder: Path) -> None:
    """Make a rename, creation or removal in ``folder`` durable (a no-op where folders cannot be
    opened, as on Windows, whose renames need no such step)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@functools.cache
def _flushers() -> concurrent.futures.ThreadPoolExecutor:
    """The threads :func:`write_atomic_many` flushes files on: made once, as a service writing a
    batch every few milliseconds spent more on starting threads than on its own work."""
    from concurrent.futures import ThreadPoolExecutor

    return ThreadPoolExecutor(max_workers=MAX_FLUSHES_AT_ONCE, thread_name_prefix="storyforge-flush")


def _write_temporary(folder: Path, name: str, data: bytes, durable: bool, mode: int) -> Path:
    """A new, complete file in ``folder`` under a name no other writer uses."""
    while True:
        temporary = folder / f"{TEMP_PREFIX}{name}.{os.urandom(4).hex()}"
        try:
            fd = os.open(temporary, _CREATE, mode)
        except FileExistsError:  # pragma: no cover - 32 random bits already taken
            continue
        break
    _fill(fd, temporary, data, durable)
    return temporary


def _fill(fd: int, path: Path, data: bytes, durable: bool) -> None:
    """Write ``data`` to the new file ``path`` (open as ``fd``) and close it; on any failure the
    half-written file is removed, so it is gone rather than half there."""
    try:
        try:
            _write_all(fd, data)
            if durable:
                os.fsync(fd)
        finally:
            os.close(fd)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(path)
        raise


def _link_exclusively(temporary: Path, path: Path, data: bytes, durable: bool, mode: int) -> None:
    """Give the complete ``temporary`` the name ``path`` unless that name is taken."""
    try:
        os.link(temporary, path)
    except FileExistsError:
        raise
    except OSError as exc:
        if exc.errno not in _NO_HARD_LINKS:
            raise
        _create_in_place(path, data, durable, mode)  # no hard links here: O_EXCL still never overwrites
    os.unlink(temporary)


def _create_in_place(path: Path, data: bytes, durable: bool, mode: int) -> None:
    _fill(os.open(path, _CREATE, mode), path, data, durable)


def _write_all(fd: int, data: bytes) -> None:
    """``os.write`` until every byte is written (one call may write fewer)."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def make_folders(folder: Path, *, durable: bool) -> None:
    """Create ``folder`` and any missing parents (an empty folder a new site starts with)."""
    _make_folders(folder, durable)


def _make_folders(folder: Path, durable: bool) -> None:
    """Create ``folder`` and any missing parents; when durable, flush each new folder's name."""
    if folder.is_dir():
        return
    missing = []
    probe = folder
    while not probe.exists() and probe != probe.parent:
        missing.append(probe)
        probe = probe.parent
    folder.mkdir(parents=True, exist_ok=True)
    if durable:
        for created in reversed(missing):
            fsync_dir(created.parent)
