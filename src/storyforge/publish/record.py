"""Writes the build record (``core.build_record``) into the output folder, beside the site.

The record is written after the site is swapped in, and also after a build that found nothing
to do: its stamp must always say which sources the site in the folder was built from. Its
temporary file is made beside the output folder, not in it: a build killed at that moment must
leave the published folder as it was, without a stray file a web server would serve (the next
record written removes the leftover).
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

from storyforge.errors import OutputError
from storyforge.publish.atomic import TEMP_PREFIX, write_atomic


def write_record(output_dir: Path, name: str, data: bytes) -> None:
    """Replace ``output_dir/name`` in one step (a cache-like file: atomic, not flushed). Called
    with the output folder's build lock held, so a leftover is never another build's file."""
    remove_record_leftovers(output_dir, name)
    try:
        try:
            write_atomic(output_dir / name, data, durable=False, temp_folder=output_dir.resolve().parent)
        except OSError as exc:
            if exc.errno != errno.EXDEV:
                raise
            write_atomic(output_dir / name, data, durable=False)  # the output folder is a mount point
    except OSError as exc:
        raise OutputError(f"cannot write {name} in {output_dir}: {exc.strerror or exc}") from None


def remove_record_leftovers(output_dir: Path, name: str) -> None:
    """The temporary files of records whose build was killed before it named them."""
    parent = output_dir.resolve().parent
    for leftover in parent.glob(f"{TEMP_PREFIX}{name}.*"):
        try:
            os.unlink(leftover)
        except OSError:
            continue
