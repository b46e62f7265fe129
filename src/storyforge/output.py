"""The one module that writes the built site to disk, atomically.

Everything is written into a fresh staging folder beside the output folder;
only when it is complete does it replace the output folder in one step
(``renameat2(RENAME_EXCHANGE)`` on Linux). A failed or killed build therefore
leaves the previous site exactly as it was, and readers never see half a site.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from .errors import OutputError, SourceLocation

MARKER = ".storyforge-output"
STAGING_PREFIX = ".storyforge-publish-"


@dataclass(frozen=True)
class Output:
    """A file of the built site: its path inside the output folder and its bytes or source file."""

    path: str
    data: bytes | None = None
    source: Path | None = None


def check_output_dir(output_dir: Path, site_dir: Path) -> None:
    """Refuse output folders that would replace the site's own files or someone else's folder."""
    out = output_dir.resolve()
    site = site_dir.resolve()
    if out == site or site.is_relative_to(out):
        raise OutputError(f"output folder {output_dir} would replace the site itself — choose another, e.g. public")
    for own in ("content", "themes", "templates", "static", "submissions"):
        if out == site / own or out.is_relative_to(site / own):
            raise OutputError(f"output folder {output_dir} is inside the site's {own}/ — choose another, e.g. public")
    if out.exists() and not out.is_dir():
        raise OutputError(f"output folder {output_dir} is a file — remove it or choose another folder")
    if out.is_dir() and any(out.iterdir()) and not (out / MARKER).exists():
        raise OutputError(f"{output_dir} exists and was not made by storyforge — empty it or choose another "
                          "folder with --output")


def safe_relative(path: str) -> PurePosixPath:
    """A path that stays inside the output folder, or an OutputError."""
    pure = PurePosixPath(path)
    if pure.is_absolute() or ".." in pure.parts or not pure.parts or "\\" in path or "\x00" in path:
        raise OutputError(f"refusing to write outside the output folder: {path!r}", SourceLocation(path))
    return pure


def publish(outputs: Iterable[Output], output_dir: Path) -> int:
    """Write ``outputs`` as the complete new content of ``output_dir``; returns files written."""
    parent = output_dir.parent
    parent.mkdir(parents=True, exist_ok=True)
    _remove_leftovers(parent)
    staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=parent))
    try:
        count = _write_all(outputs, staging)
        (staging / MARKER).write_text("This folder is built by storyforge and replaced on every build.\n")
        _swap_into_place(staging, output_dir)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise OutputError(f"cannot write the output folder {output_dir}: {exc.strerror or exc}") from None
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return count


def _write_all(outputs: Iterable[Output], staging: Path) -> int:
    made: set[Path] = {staging}
    count = 0
    for output in outputs:
        target = staging.joinpath(*safe_relative(output.path).parts)
        folder = target.parent
        if folder not in made:
            folder.mkdir(parents=True, exist_ok=True)
            made.add(folder)
        if output.source is not None:
            shutil.copyfile(output.source, target)
        else:
            target.write_bytes(output.data or b"")
        count += 1
    return count


def _swap_into_place(staging: Path, output_dir: Path) -> None:
    if not output_dir.exists():
        os.rename(staging, output_dir)
        return
    if _exchange(staging, output_dir):
        shutil.rmtree(staging, ignore_errors=True)  # staging now holds the old site
        return
    # no atomic exchange on this system: two renames, with the old site kept until the new one is in place
    old = staging.with_name(staging.name + "-old")
    os.rename(output_dir, old)
    try:
        os.rename(staging, output_dir)
    except OSError:
        os.rename(old, output_dir)
        raise
    shutil.rmtree(old, ignore_errors=True)


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two folders (Linux renameat2); False where the system cannot."""
    libc_name = ctypes.util.find_library("c")
    if not libc_name:
        return False
    libc = ctypes.CDLL(libc_name, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
        return False
    result = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if result == 0:
        return True
    errno = ctypes.get_errno()
    if errno in (22, 38, 95):  # EINVAL, ENOSYS, EOPNOTSUPP: not supported here
        return False
    raise OSError(errno, os.strerror(errno))


def _remove_leftovers(parent: Path) -> None:
    """Staging folders of a build that was killed; the output folder itself is never touched."""
    for leftover in parent.glob(STAGING_PREFIX + "*"):
        if leftover.is_dir():
            shutil.rmtree(leftover, ignore_errors=True)
