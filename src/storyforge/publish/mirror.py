"""Writes a deploy folder (``storyforge deploy`` to a folder a web server serves): one file at a time.

Each file is replaced by a new file and a rename, so the web server never sends half a page;
removing a file also removes the folders it leaves empty. Whole-site atomicity is the job of
``publish.output`` for the output folder; a deploy folder is another program's, so it is only
ever changed file by file, in the order the deploy plan chose.
"""

from __future__ import annotations

from pathlib import Path

from storyforge.errors import OutputError
from storyforge.publish.atomic import write_atomic
from storyforge.publish.output import prune_empty_folders, safe_relative


def put_file(root: Path, path: str, data: bytes) -> None:
    try:
        write_atomic(root / safe_relative(path), data, durable=False)
    except OSError as exc:
        raise OutputError(f"cannot write {path} in {root}: {exc.strerror or exc}") from None


def remove_file(root: Path, path: str) -> None:
    target = root / safe_relative(path)
    try:
        target.unlink(missing_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot remove {path} from {root}: {exc.strerror or exc}") from None
    prune_empty_folders(target.parent, root)
