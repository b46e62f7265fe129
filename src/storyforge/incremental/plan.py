"""The build cache's answer to the render stage: which pages and files to make again.

A page is rendered again only when its fingerprint changed: its own context and place, plus the
current value of every site-wide collection (``data.*``) its templates read last time — read
through ``RecordingData``, so a theme that lists all stories on every page is tracked as
exactly that. Every other file (feeds, calendars, the sitemap, the wall) is fingerprinted by
what its maker says it is made from. A file is kept when its fingerprint is the one recorded
and the file on disk is the one recorded; then the library that would make it is not even
imported. Everything else a page or maker reads comes from ``site.yaml``, the templates and the
program, which the whole cache is keyed on.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, MutableMapping
from pathlib import Path
from typing import Any

from storyforge.core.entries import Entry
from storyforge.core.model import SiteModel
from storyforge.core.pages import ENTRY_PAGE_KINDS, PageSpec, Paginator
from storyforge.incremental.cache import Index
from storyforge.incremental.entry_store import EntryStore
from storyforge.incremental.fingerprint import Fingerprints, RecordingData
from storyforge.publish.objects import ObjectStore
from storyforge.render.outputs import Output, content_hash

NO_READS: frozenset[str] = frozenset()


class CachedPlan:
    """Keeps what is unchanged since the last build and records what this build made."""

    def __init__(self, model: SiteModel, previous: Index, live: Mapping[str, str] | None, current: Index,
                 store: EntryStore, folder: Path, trusted: bool, objects: ObjectStore | None = None) -> None:
        self.model = model
        self.previous, self.live, self.current = previous, live, current
        self.store = store
        self.folder, self.trusted = folder, trusted
        self.objects = objects  # the last build's published files, by hash
        self.prints = Fingerprints(store.digests)
        self.made: list[str] = []  # site-wide files (not pages) whose bytes were made in this build
        self._own_keys: dict[str, str] = {}  # output path → the page's own fingerprint
        self._data_keys: dict[str, str] = {}
        self._reads_keys: dict[frozenset[str], str] = {}  # each set of collections pages read, hashed once

    # --- pages ---------------------------------------------------------------------------

    def kept_page(self, page: PageSpec) -> Output | None:
        path = page.output_path("html")
        own = self._own_keys[path] = self._page_key(page)
        reads = self.previous.page_reads.get(path, NO_READS)
        key = self._full_key(own, reads)
        kept = self._kept(path, key)
        if kept is not None:
            self.current.record_output(path, key, kept.sha, reads)
        return kept

    def _kept(self, path: str, key: str) -> Output | None:
        """``path`` as the last build made it from ``key``: on disk still (no bytes needed), or
        in the cache's store of published files (the output folder is gone: a fresh clone)."""
        sha = self.previous.unchanged_output(path, key, self.live)
        if sha is not None:
            return Output(path, sha)
        sha = self.previous.made_from(path, key)
        stored = self.objects.usable(sha) if sha is not None and self.objects is not None else None
        return Output(path, sha, source=stored) if sha is not None and stored is not None else None

    def page_data(self, page: PageSpec, model: SiteModel) -> Any:
        return RecordingData(model)

    def data_read(self, data: Any) -> frozenset[str]:
        return frozenset(data.read) if isinstance(data, RecordingData) else NO_READS

    def made_page(self, page: PageSpec, html: bytes, read: frozenset[str]) -> Output:
        path = page.output_path("html")
        sha = content_hash(html)
        self.current.record_output(path, self._full_key(self._own_keys[path], read), sha, read)
        return Output(path, sha, html)

    def _page_key(self, page: PageSpec) -> str:
        """A fingerprint of everything the page itself shows (its own context and place)."""
        entry = page.context.get("entry")
        if len(page.context) == 1 and isinstance(entry, Entry) and page.kind in ENTRY_PAGE_KINDS:
            # most pages: one entry each, whose title, summary and date the page takes from the
            # entry itself (the source's digest covers them)
            return hashlib.blake2b(f"{page.kind}\0{page.template}\0".encode() + self.prints.entry_bytes(entry),
                                   digest_size=16).hexdigest()
        own = [page.kind, page.url, page.template, page.title, page.description,
               page.lastmod.isoformat() if page.lastmod else ""]
        paginator = page.context.get("paginator")
        if isinstance(paginator, Paginator) and page.context.keys() == {"entries", "paginator"}:
            # a page of a list (a thousand of them on a large site): its place and its entries
            digest = hashlib.blake2b(digest_size=16)
            digest.update(repr([*own, paginator.number, paginator.total, paginator.first_url]).encode())
            for listed in page.context["entries"]:
                digest.update(self.prints.entry_bytes(listed))
            return digest.hexdigest()
        return self.prints.of([own, page.context])

    def _full_key(self, own: str, reads: frozenset[str]) -> str:
        """``own`` combined with the current value of every collection the page read last time."""
        if not reads:
            return own
        combined = self._reads_keys.get(reads)
        if combined is None:
            parts = []
            for name in sorted(reads):
                if name not in self._data_keys:
                    self._data_keys[name] = self.prints.of(getattr(self.model, name))
                parts.append(f"{name}={self._data_keys[name]}")
            combined = self._reads_keys[reads] = hashlib.blake2b("\0".join(parts).encode(),
                                                                 digest_size=16).hexdigest()
        return f"{own}+{combined}"

    # --- other files -----------------------------------------------------------------------

    def kept_file(self, path: str, key: str) -> Output | None:
        kept = self._kept(path, key)
        if kept is not None:
            self.current.record_output(path, key, kept.sha)
        return kept

    def made_file(self, path: str, key: str, data: bytes) -> Output:
        sha = content_hash(data)
        self.current.record_output(path, key, sha)
        return Output(path, sha, data)

    def file(self, path: str, made_from: list[Any], make: Callable[[], bytes]) -> Output:
        key = self.prints.of(made_from)
        kept = self.kept_file(path, key)
        if kept is not None:
            return kept
        data = make()
        self.made.append(path)
        return self.made_file(path, key, data)

    def fragments(self, source: str) -> MutableMapping[str, tuple[str, bytes]]:
        return self.store.fragments.setdefault(source, {})

    @property
    def cards_cache(self) -> tuple[Path | None, bool]:
        return self.folder / "cards", self.trusted

    @property
    def templates_folder(self) -> Path | None:
        return self.folder / "templates" if self.trusted else None
