"""What rendering produces: one ``Output`` per file of the built site, named by its content hash.

Renderers make these and the publisher (``publish.output``) writes them; both import this
module, so nothing under ``render/`` depends on the code that writes the site to disk.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path


@dataclass(slots=True)
class Output:
    """One file of the built site: its bytes, or the file to copy, or neither when unchanged."""

    path: str
    sha: str
    data: bytes | None = None
    source: Path | None = None
    #: a file of the build cache holding these same bytes (a share card's): the cache's store of
    #: the live site links it from there, so a saved cache folder holds the bytes once
    kept_at: Path | None = None


def content_hash(data: bytes) -> str:
    """The hash a file is known by in manifests and the cache: equal hashes, equal bytes."""
    return hashlib.blake2b(data, digest_size=16).hexdigest()
