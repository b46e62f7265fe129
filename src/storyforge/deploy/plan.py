"""What a deploy does, decided before anything is sent: the built site against what the target holds.

Every target answers one question — which files does it hold, and with what MD5? — and the plan
follows from the answer: upload what is new or different, keep what is equal, delete what the
site no longer has. MD5 because it is what S3-compatible stores report (a single-part upload's
ETag is the MD5 of its bytes), so a bucket needs no manifest of our own that could drift from
what it really holds, and a deploy killed half-way is repaired by the next one.

Uploads go in an order that never leaves a link to a missing file: images, styles and scripts
first, then pages, then what points at pages (home page, list pages, feeds, sitemap); deletes
come last, once nothing new links to what they remove.
"""

from __future__ import annotations

import hashlib
import mimetypes
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from storyforge.core.build_record import RECORD_FILE, read_record, sources_stamp
from storyforge.core.config import SiteConfig
from storyforge.core.content import discover
from storyforge.core.inputs import gather_inputs
from storyforge.errors import ErrorCollector, StoryforgeError
from storyforge.moderation.policy import folder_state

#: files of the output folder that belong to the build, not to the site (marker, record)
PRIVATE_PREFIX = ".storyforge-"

SHORT = "public, max-age=300, must-revalidate"  # pages and feeds: an edit is seen within minutes
MEDIUM = "public, max-age=86400"  # images, styles and scripts whose names do not change with their bytes
LONG = "public, max-age=31536000, immutable"  # fingerprinted files: a new version has a new name
_FINGERPRINT = re.compile(r"[.-][0-9a-f]{8,}\.[A-Za-z0-9]+$")
_TEXT_TYPES = {"application/json", "application/xml", "application/rss+xml", "application/atom+xml",
               "image/svg+xml", "application/manifest+json"}
_TYPES = {".xml": "application/xml", ".ics": "text/calendar", ".js": "text/javascript",
          ".json": "application/json", ".webmanifest": "application/manifest+json", ".svg": "image/svg+xml",
          ".webp": "image/webp", ".avif": "image/avif", ".woff2": "font/woff2", ".woff": "font/woff",
          ".txt": "text/plain", ".html": "text/html", ".css": "text/css", ".png": "image/png",
          ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif", ".ico": "image/x-icon"}
_FEEDS = {"feed.xml": "application/rss+xml", "atom.xml": "application/atom+xml"}


@dataclass(frozen=True)
class LocalFile:
    path: str  # inside the site, '/'-separated, e.g. 'testimonials/loaf/index.html'
    file: Path | None  # the built file, or None for one a target adds itself (data)
    size: int
    md5: str
    data: bytes | None = None

    def read(self) -> bytes:
        return self.file.read_bytes() if self.file is not None else (self.data or b"")


@dataclass
class DeployPlan:
    upload: list[LocalFile] = field(default_factory=list)  # in a safe order: see the module's docstring
    keep: list[str] = field(default_factory=list)
    delete: list[str] = field(default_factory=list)


def content_type(path: str) -> str:
    """The Content-Type a browser needs, with a charset for every text type (the site is UTF-8)."""
    name = path.rsplit("/", 1)[-1]
    suffix = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    kind = _FEEDS.get(name) or _TYPES.get(suffix) or mimetypes.guess_type(name)[0] or "application/octet-stream"
    return f"{kind}; charset=utf-8" if kind.startswith("text/") or kind in _TEXT_TYPES else kind


def cache_control(path: str) -> str:
    """Short for what changes in place (pages, feeds, data), long only for fingerprinted names."""
    kind = content_type(path)
    if kind.startswith(("text/html", "text/calendar", "text/plain", "application/")):
        return SHORT
    return LONG if _FINGERPRINT.search(path) else MEDIUM


def scan(output_dir: Path) -> dict[str, LocalFile]:
    """Every file of the built site with its MD5; the build's own dot-files are left out."""
    files: dict[str, LocalFile] = {}
    for file in sorted(output_dir.rglob("*")):
        rel = file.relative_to(output_dir).as_posix()
        if not file.is_file() or any(part.startswith(PRIVATE_PREFIX) for part in rel.split("/")):
            continue
        data = file.read_bytes()
        files[rel] = LocalFile(rel, file, len(data), hashlib.md5(data, usedforsecurity=False).hexdigest())
    return files


def make_plan(local: Mapping[str, LocalFile], remote: Mapping[str, str | None], force: bool = False) -> DeployPlan:
    """Compare by MD5 (``None`` on the remote side: unknown, so sent again)."""
    plan = DeployPlan()
    for path, file in local.items():
        if not force and remote.get(path) == file.md5:
            plan.keep.append(path)
        else:
            plan.upload.append(file)
    plan.upload.sort(key=lambda file: (stage_of(file.path), file.path))
    plan.delete = sorted(set(remote) - set(local))
    return plan


def stage_of(path: str) -> int:
    """0: what pages use; 1: pages; 2: what leads to pages (home, lists, feeds, sitemap)."""
    if not path.endswith(".html"):
        return 2 if path.endswith((".xml", ".json", ".txt", ".ics")) else 0
    parts = path.split("/")
    return 2 if len(parts) <= 2 or "page" in parts or "tags" in parts else 1


def refuse_stale(config: SiteConfig, output_dir: Path, shown: str) -> None:
    """Refuse a site that is missing, failed to build, or is older than its sources."""
    if not output_dir.is_dir():
        raise StoryforgeError(f"no built site in {shown}/ — run storyforge build first")
    record = read_record(output_dir)
    if record is None:
        raise StoryforgeError(f"{shown}/ has no {RECORD_FILE} — run storyforge build first (or --force)")
    errors = ErrorCollector()
    sources, assets = discover(config, errors)
    errors.raise_if_any()
    if sources_stamp(config, gather_inputs(config, sources, assets), folder_state(config)) != record.sources:
        raise StoryforgeError(f"{shown}/ is older than the sources (they changed since it was built, or the last "
                              "build failed) — run storyforge build, then deploy (or --force to send it as it is)")
    if record.drafts:
        raise StoryforgeError(f"{shown}/ was built with --drafts — build without it, then deploy (or --force)")
