"""Turning one content file into a finished Entry: read, parse, validate, render its Markdown.

Each file is independent of the others, so this runs in worker processes on
large sites; a file whose stat and bytes are unchanged comes from the cache.
"""

from __future__ import annotations

import hashlib

from storyforge.core.config import SiteConfig
from storyforge.core.content import SourceFile, parse_document, read_source
from storyforge.core.entries import Entry, Testimonial
from storyforge.core.markup import MarkupRenderer, MarkupTooComplex, summarize
from storyforge.core.schema import Validator
from storyforge.errors import (
    ContentError,
    ErrorCollector,
    SourceLocation,
    StoryforgeError,
)
from storyforge.incremental.cache import Index, trusted_before


class EntryLoader:
    """Loads entries for one build, reusing cached ones for unchanged files."""

    def __init__(self, config: SiteConfig, index: Index, cached: dict[str, Entry]) -> None:
        self.config = config
        self.index = index
        self.cached = cached
        self._markup: MarkupRenderer | None = None
        self.config_errors = ErrorCollector()  # problems in site.yaml's defaults, found once
        self._validator = Validator(config, self.config_errors)

    def stale(self, sources: list[SourceFile], stats: dict[str, tuple[int, int]]) -> list[SourceFile]:
        """The sources to read: new, changed, not cached, or modified so close to the last save
        that their stat cannot be trusted (``stats``: each source's (mtime, size))."""
        known, cached = self.index.source_stats, self.cached
        limit = trusted_before(self.index.saved_at_ns)
        return [s for s in sources
                if known.get(s.rel_path) != stats[s.rel_path] or s.mtime_ns >= limit or s.rel_path not in cached]

    def load(self, source: SourceFile) -> Entry | list[StoryforgeError]:
        """The entry, or every problem found in the file."""
        try:
            data = read_source(source)
        except StoryforgeError as exc:
            return [exc]
        digest = hashlib.blake2b(data, digest_size=16).hexdigest()
        if self.index.source_digests.get(source.rel_path) == digest and source.rel_path in self.cached:
            return self.cached[source.rel_path]  # touched, not changed
        try:
            document = parse_document(data, source.rel_path, source.content_type or "page",
                                      self.config.max_body_bytes)
        except StoryforgeError as exc:
            return [exc]
        self._validator.errors = ErrorCollector()
        entry = self._validator.validate(document)
        if entry is None:
            return self._validator.errors.errors
        entry.digest = digest
        try:
            self.render_markdown(entry)
        except MarkupTooComplex as exc:
            return [ContentError(f"the Markdown cannot be rendered: {exc} — simplify it (for example, "
                                 "thousands of unmatched [ or ( characters)", SourceLocation(source.rel_path,
                                                                                             document.body_line))]
        return entry

    def prepare(self) -> None:
        """Set up the Markdown renderer once, before work is spread over processes (Markdown
        itself is loaded when a text first needs more than plain paragraphs)."""
        if self._markup is None:
            self._markup = MarkupRenderer(self.config.allow_raw_html_in_pages, self.config.base_path)

    def render_markdown(self, entry: Entry) -> None:
        self.prepare()
        assert self._markup is not None
        entry.html = self._markup.render_entry_body(entry.body, entry.content_type)
        entry.summary = entry.summary or summarize(entry.html)
        if isinstance(entry, Testimonial) and entry.response:
            entry.response_html = self._markup.render(entry.response)
        entry.body = ""  # rendered; the source stays on disk, not in the cache
