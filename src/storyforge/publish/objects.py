"""The bytes of the last published site, kept in the build cache by content hash.

A hosting service builds in a fresh clone and keeps only the folders it is told to keep. With
the cache folder alone restored, the build knows every page is unchanged but has no page to
publish; rendering them all again costs as much as a cold build. So the cache keeps the bytes
of every file of the live site too, one file per content hash (``objects/ab/cdef…``): the build
then publishes them instead of rendering, and a build with nothing to do restores the whole
output folder from them.

Not twice on disk: an object is a hard link to the file in the output folder (or to the image
cache's file it was copied from, or to the card cache's file of a share card), so while both
exist they share their blocks; only where the
cache lives on another file system is it a copy. The site's files are never changed in place
(``publish.output`` replaces them, as it already relies on for the shadow copy), so a link
stays a snapshot of what was published. An archive of the cache folder alone (what a CI
service saves) holds the bytes once. The store holds exactly the live site's files: objects no
longer in it are removed when the cache is saved, so it never grows past one site's size.
A missing object or one of the wrong size is never published: the page is rendered instead.
"""

from __future__ import annotations

import errno
import os
import shutil
from collections.abc import Iterable, Mapping
from pathlib import Path

from storyforge.publish.fsbatch import in_threads, make_folders

OBJECTS_DIR = "objects"
#: ``os.link`` errors that mean the two files are on different file systems or links are unavailable
_CANNOT_LINK = frozenset({errno.EXDEV, errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.ENOSYS, errno.EMLINK})


class ObjectStore:
    """Published files by content hash under ``root``; ``held`` maps each hash kept to its size."""

    def __init__(self, root: Path, held: Mapping[str, int]) -> None:
        self.root = root
        self.held = dict(held)
        self.damaged: set[str] = set()  # found missing or of another size: linked anew by ``keep``

    def path_of(self, sha: str) -> Path:
        return self.root / sha[:2] / sha[2:]

    def usable(self, sha: str) -> Path | None:
        """The object for ``sha`` when it is there with the size it was kept with, else None."""
        size = self.held.get(sha)
        if size is None:
            return None
        path = self.path_of(sha)
        try:
            if os.stat(path).st_size == size:
                return path
        except OSError:
            pass
        self.damaged.add(sha)
        return None

    def holds_all(self, shas: Iterable[str]) -> bool:
        """Whether the index says every one of ``shas`` is kept (their files are checked on use)."""
        return all(sha in self.held for sha in shas)

    def materialise(self, tree: str, manifest: Mapping[str, str]) -> None:
        """Fill the empty folder ``tree`` with ``manifest``'s files (path → hash), linked from the
        store. Plain strings and ``os`` calls: a site of 4,000 stories is 12,000 of them, and the
        whole of a build that only restores its output."""
        folders: set[str] = set()
        for path in manifest:
            folder = path.rpartition("/")[0]
            while folder and folder not in folders:
                folders.add(folder)
                folder = folder.rpartition("/")[0]
        by_depth: dict[int, list[str]] = {}
        for folder in folders:
            by_depth.setdefault(folder.count("/"), []).append(folder)
        for depth in sorted(by_depth):
            in_threads(lambda folder: os.mkdir(f"{tree}/{folder}"), by_depth[depth])
        root, sizes = str(self.root), self.held

        def place(item: tuple[str, str]) -> None:
            path, sha = item
            target = f"{tree}/{path}"
            link_or_copy_into(f"{root}/{sha[:2]}/{sha[2:]}", target)
            if os.stat(target).st_size != sizes.get(sha):
                raise OSError(errno.EIO, "a file in the build cache is damaged", target)

        in_threads(place, manifest.items())

    def keep(self, tree: Path, manifest: Mapping[str, str], sources: Mapping[str, Path]) -> dict[str, int]:
        """Bring the store to exactly the files of ``manifest`` (path → hash) published in ``tree``:
        new hashes linked in (from ``sources[path]`` where given, else from the tree), hashes no
        longer published removed. Returns what it holds now (hash → size)."""
        wanted: dict[str, str] = {}
        for path, sha in manifest.items():
            wanted.setdefault(sha, path)
        if not self.held:  # nothing known of what is there (a first or cold build): start empty
            shutil.rmtree(self.root, ignore_errors=True)
        stale = [sha for sha in self.held if sha not in wanted]
        new = [(sha, path) for sha, path in wanted.items() if sha not in self.held or sha in self.damaged]
        self.root.mkdir(parents=True, exist_ok=True)
        make_folders(self.root, [f"{sha[:2]}/x" for sha, _ in new], {self.root})
        sizes: dict[str, int] = {}

        def add(item: tuple[str, str]) -> None:
            sha, path = item
            sizes[sha] = _link_or_copy(sources.get(path) or tree / path, self.path_of(sha))

        in_threads(add, new)
        in_threads(lambda sha: self.path_of(sha).unlink(missing_ok=True), stale)
        self.held = {sha: self.held[sha] for sha in wanted if sha in self.held} | sizes
        self.damaged.clear()
        return self.held


def _link_or_copy(source: Path, target: Path) -> int:
    """``target`` becomes the file ``source`` (a hard link where possible); returns its size. An
    object of that name from an earlier cache is replaced, never trusted. Not atomic, and need not
    be: one build at a time saves a cache folder, and a file a killed build left half made has not
    the size the index records (the index is saved after the store), so it is never published."""
    target.unlink(missing_ok=True)
    link_or_copy_into(source, target)
    return os.stat(target).st_size


def link_or_copy_into(obj: str | Path, target: str | Path) -> None:
    """A published file made from an object: a hard link, or a copy across file systems."""
    try:
        os.link(obj, target)
    except OSError as exc:
        if exc.errno not in _CANNOT_LINK:
            raise
        shutil.copyfile(obj, target)
