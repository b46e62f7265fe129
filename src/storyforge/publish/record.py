"""Writes the build record (``core.build_record``) into the output folder, beside the site.

The record is written after the site is swapped in, and also after a build that found nothing
to do: its stamp must always say which sources the site in the folder was built from.
"""

from __future__ import annotations

from pathlib import Path

from storyforge.errors import OutputError
from storyforge.publish.atomic import write_atomic


def write_record(output_dir: Path, name: str, data: bytes) -> None:
    """Replace ``output_dir/name`` in one step (a cache-like file: atomic, not flushed)."""
    try:
        write_atomic(output_dir / name, data, durable=False)
    except OSError as exc:
        raise OutputError(f"cannot write {name} in {output_dir}: {exc.strerror or exc}") from None
