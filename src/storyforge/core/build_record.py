"""The build record: what a built site was built with, kept beside it in the output folder.

`storyforge check` needs the address the site was built for (a ``--base-url`` sub-path build
links to ``/spoke/...``, which site.yaml alone does not say), and `storyforge deploy` must not
publish a site that is older than its sources (a build that failed leaves the last good site
in place, and nothing else on disk says it is stale). One small JSON file answers both. Its
name starts with a dot, so it is neither a page of the site nor served nor deployed.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from storyforge.core.config import CONFIG_FILE, SiteConfig
from storyforge.core.inputs import SiteInputs
from storyforge.core.theme import catalog_files

RECORD_FILE = ".storyforge-build.json"


@dataclass(frozen=True)
class BuildRecord:
    base_url: str  # the address the site was built for (site.yaml's, or --base-url)
    base_path: str  # its path part, '/' or '/spoke/'
    built_at: str  # the build's 'now', ISO 8601 (SOURCE_DATE_EPOCH when set)
    sources: str  # a stamp of every file the build read: see sources_stamp
    drafts: bool = False

    def to_bytes(self) -> bytes:
        import json  # only a build that writes: json is not imported by one with nothing to do

        return (json.dumps({"base_url": self.base_url, "base_path": self.base_path, "built_at": self.built_at,
                            "sources": self.sources, "drafts": self.drafts}, indent=1) + "\n").encode()


def sources_stamp(config: SiteConfig, inputs: SiteInputs, submissions: str) -> str:
    """A digest of what the build read — content, static files, templates, site.yaml and the
    submissions folder's state (a withdrawn story leaves the site) — by
    name, size and modification time (templates and site.yaml by their bytes). Any edit, added or
    removed file changes it; reading it again costs a walk of the folders, not a build."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(f"submissions\0{submissions}\n".encode())
    for name, table in (("content", inputs.source_stats), ("static", inputs.static_stats)):
        for path in sorted(table):
            mtime, size = table[path]
            digest.update(f"{name}\0{path}\0{mtime}\0{size}\n".encode())
    for path in sorted(inputs.templates):
        digest.update(f"template\0{path}\0".encode() + hashlib.blake2b(inputs.templates[path]).digest())
    for catalog in catalog_files(config):
        digest.update(f"catalog\0{catalog}\0".encode() + hashlib.blake2b(catalog.read_bytes()).digest())
    try:
        digest.update(b"config\0" + (config.root / CONFIG_FILE).read_bytes())
    except OSError:
        digest.update(b"config\0missing")
    return digest.hexdigest()


def read_record(output_dir: Path) -> BuildRecord | None:
    """The record of the site in ``output_dir``, or None for a site built before records existed."""
    try:
        import json

        data = json.loads((output_dir / RECORD_FILE).read_text(encoding="utf-8"))
        return BuildRecord(base_url=str(data["base_url"]), base_path=str(data["base_path"]),
                           built_at=str(data["built_at"]), sources=str(data["sources"]),
                           drafts=bool(data.get("drafts", False)))
    except (OSError, ValueError, KeyError, TypeError):
        return None
