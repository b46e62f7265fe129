"""Creating thousands of folders and files at once, with their waits overlapped.

A site of 10,000 stories is 11,000 folders and files (one ``index.html`` per address). On a
virtual disk each ``mkdir`` and ``open`` can wait a millisecond on the host; one at a time, that
wait is most of a cold build. The calls release the interpreter while they wait, so a few
threads issuing them together finish several times sooner (measured on this project's 2-core
machine, alternating: 4,000 folders and pages in 5.2–7.0 s one at a time, 1.2–1.4 s with four
threads; more threads did no better).
What ends up on disk is the same either way; the first error stops the batch and is raised.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeVar

Item = TypeVar("Item")

THREADS = 4
_SMALL = 64  # fewer calls than this are made in the calling thread


def in_threads(function: Callable[[Item], object], items: Iterable[Item]) -> None:
    """``function(item)`` for every item, several at a time; raises the first error."""
    work = list(items)
    if len(work) < _SMALL:
        for item in work:
            function(item)
        return
    from concurrent.futures import ThreadPoolExecutor  # only when there is work: not on a no-op build

    def run(chunk: list[Item]) -> None:
        for item in chunk:
            function(item)

    # a thread pool takes its work one task at a time (``map``'s chunksize is for process pools):
    # slices, not single calls, so that handing out the work costs little beside doing it
    size = max(1, len(work) // (THREADS * 8))
    with ThreadPoolExecutor(THREADS) as pool:
        for _ in pool.map(run, [work[start:start + size] for start in range(0, len(work), size)]):
            pass


def make_folders(root: Path, files: Iterable[str], existing: set[Path]) -> None:
    """Create the folders under ``root`` that hold ``files`` (paths relative to ``root``),
    parents before children; ``existing`` (folders known to exist) is brought up to date."""
    wanted: set[Path] = set()
    for path in files:
        folder = (root / path).parent
        while folder not in existing and folder not in wanted and folder != root:
            wanted.add(folder)
            folder = folder.parent
    by_depth: dict[int, list[Path]] = {}
    for folder in wanted:
        by_depth.setdefault(len(folder.parts), []).append(folder)
    for depth in sorted(by_depth):
        in_threads(_make_folder, sorted(by_depth[depth]))
    existing.update(wanted)


def _make_folder(folder: Path) -> None:
    try:
        os.mkdir(folder)
    except FileExistsError:
        if not folder.is_dir():
            raise
