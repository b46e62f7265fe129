"""Compiled templates kept between builds in ``.storyforge-cache/templates/``.

Compiling the theme's templates is a fixed cost of every build that renders a page; Jinja2
can keep the compiled code on disk. That is incremental machinery, like the rest of the cache:
rendering works the same without it, only slower. Like every cache it is written atomically
and not flushed (see ``publish.atomic``), and a file that cannot be written is skipped.
"""

from __future__ import annotations

import hashlib
from contextlib import suppress
from pathlib import Path

import jinja2

from storyforge.publish.atomic import write_atomic


class CheckedBytecodeCache(jinja2.BytecodeCache):
    """Compiled templates kept on disk, each file behind a hash of its contents: Jinja2 checks
    that a compiled template belongs to the template's current text, and this checks that the
    file is whole, so a truncated or damaged one is compiled again rather than run."""

    def __init__(self, folder: Path, salt: str = "") -> None:
        """``salt``: what the compiled code depends on besides the template's text (its translations)."""
        self.folder = folder
        self.salt = salt

    def _file(self, bucket: jinja2.bccache.Bucket) -> Path:
        return self.folder / (f"{bucket.key}-{self.salt}.bin" if self.salt else f"{bucket.key}.bin")

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            blob = self._file(bucket).read_bytes()
        except OSError:
            return
        checksum, payload = blob[:32], blob[32:]
        if hashlib.sha256(payload).digest() == checksum:
            bucket.bytecode_from_string(payload)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        payload = bucket.bytecode_to_string()
        with suppress(OSError):  # a cache that cannot be written only costs time
            write_atomic(self._file(bucket), hashlib.sha256(payload).digest() + payload,
                         durable=False)
