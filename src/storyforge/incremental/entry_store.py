"""Entries for every content file: from the build cache when the file is unchanged, else read.

The one seam between the cache and loading content: the pipeline asks for entries and gets
plain values; what the cache knows of each (its source's digest, pieces of output made from
it alone, such as its JSON on the story wall) stays here, keyed by the source's path.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from storyforge.core.config import SiteConfig
from storyforge.core.content import SourceFile, read_source
from storyforge.core.entries import Entry
from storyforge.core.reading import EntryReader
from storyforge.errors import ErrorCollector, StoryforgeError
from storyforge.incremental.cache import Index, trusted_before
from storyforge.parallel import ordered_map

Report = Callable[[int, int], None]
#: pieces of output made from one entry alone: name → (what else it was made from, its bytes)
Fragments = dict[str, tuple[str, bytes]]
#: what the cache keeps per source: the entry and its fragments
Kept = tuple[Entry, Fragments]
#: one file's outcome: (the entry, or None for the kept one, and the digest of its bytes), or its problems
Loaded = tuple[Entry | None, str] | list[StoryforgeError]


class EntryStore:
    """Loads the entries of one build and remembers, per source, what the cache needs."""

    def __init__(self, config: SiteConfig, index: Index, kept: dict[str, Kept]) -> None:
        self.config = config
        self.index = index
        self.kept = kept
        self.reader = EntryReader(config)
        self.digests: dict[str, str] = {}  # source → hash of its bytes, for every loaded entry
        self.fragments: dict[str, Fragments] = {}  # source → pieces of output made from it

    def load(self, sources: list[SourceFile], stats: dict[str, tuple[int, int]], errors: ErrorCollector,
             report: Report | None = None) -> list[Entry]:
        """The entry of every source, in order; problems go to ``errors``."""
        for error in self.reader.config_errors.errors:
            errors.add(error)
        fresh = self._stale(sources, stats)
        if fresh:
            self.reader.prepare()
        results = dict(zip((s.rel_path for s in fresh), ordered_map(self._load, fresh, report), strict=True))
        entries: list[Entry] = []
        for source in sources:
            path = source.rel_path
            outcome = results.get(path, (None, self.index.source_digests.get(path, "")))
            if isinstance(outcome, list):
                for error in outcome:
                    errors.add(error)
                continue
            entry, self.digests[path] = outcome
            if entry is None:  # unchanged: the kept entry, with what was made from it
                entry, self.fragments[path] = self.kept[path]
            else:
                self.fragments[path] = {}
            entries.append(entry)
        return entries

    def kept_entries(self, sources: list[SourceFile], entries: list[Entry]) -> dict[str, Kept]:
        """What the cache should keep for each source after this build."""
        return {s.rel_path: (e, self.fragments.get(s.rel_path, {})) for s, e in zip(sources, entries, strict=True)}

    def _stale(self, sources: list[SourceFile], stats: dict[str, tuple[int, int]]) -> list[SourceFile]:
        """The sources to read: new, changed, not cached, or modified so close to the last save
        that their stat cannot be trusted (``stats``: each source's (mtime, size))."""
        known, kept = self.index.source_stats, self.kept
        limit = trusted_before(self.index.saved_at_ns)
        return [s for s in sources
                if known.get(s.rel_path) != stats[s.rel_path] or s.mtime_ns >= limit or s.rel_path not in kept
                or s.rel_path not in self.index.source_digests]

    def _load(self, source: SourceFile) -> Loaded:
        try:
            data = read_source(source)
        except StoryforgeError as exc:
            return [exc]
        digest = hashlib.blake2b(data, digest_size=16).hexdigest()
        if self.index.source_digests.get(source.rel_path) == digest and source.rel_path in self.kept:
            return None, digest  # touched, not changed
        outcome = self.reader.read(data, source.rel_path, source.content_type or "page")
        return (outcome, digest) if isinstance(outcome, Entry) else outcome
