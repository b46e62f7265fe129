"""One build of an output folder at a time: a second build (or a second preview server on the
same site) waits for the first instead of both tearing at the same folders.

The lock is an advisory ``flock`` on a small file (the caller says where: the build keeps it in
the site's cache folder, out of the owner's way), released by the system the moment a build
ends, however it ends: a killed build never leaves it held. Where the system has no ``flock``
(Windows), builds are not locked.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

if sys.platform != "win32":
    import fcntl

@contextlib.contextmanager
def output_lock(path: Path, on_wait: Callable[[], None] | None = None) -> Iterator[None]:
    """Hold the lock in the file ``path`` for the duration; ``on_wait()`` is called once if
    another build holds it, before waiting for it."""
    if sys.platform == "win32":  # pragma: no cover - no flock there
        yield
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError:  # no place for the lock (the cache folder cannot be written): build unlocked,
        yield  # as before locking existed; the build says the cache cannot be written
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if on_wait is not None:
                on_wait()
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock
