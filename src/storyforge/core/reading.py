"""One content file's bytes → a finished Entry: split, validate, render its Markdown.

Each file is independent of the others, so this runs in worker processes on large sites.
Knows nothing of caches: the entry store (``incremental/entry_store.py``) decides which files
need reading at all.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from storyforge.core.config import SiteConfig
from storyforge.core.content import parse_document
from storyforge.core.entries import Entry, Testimonial
from storyforge.errors import (
    ContentError,
    ErrorCollector,
    SourceLocation,
    StoryforgeError,
)

if TYPE_CHECKING:
    from storyforge.core.markup import MarkupRenderer


class EntryReader:
    """Turns content files into entries for one site; site.yaml's defaults are checked once."""

    def __init__(self, config: SiteConfig) -> None:
        self.config = config
        from storyforge.core.schema import (
            Validator,  # the field table: only when entries are read
        )

        self.config_errors = ErrorCollector()  # problems in site.yaml's defaults, found once
        self._validator = Validator(config, self.config_errors)
        self._markup: MarkupRenderer | None = None

    def prepare(self) -> None:
        """Set up the Markdown renderer once, before work is spread over processes (Markdown
        itself is loaded when a text first needs more than plain paragraphs)."""
        if self._markup is None:
            from storyforge.core.markup import (
                MarkupRenderer,  # nh3 and the sanitizer: only with work to do
            )

            self._markup = MarkupRenderer(self.config.allow_raw_html_in_pages, self.config.base_path)

    def read(self, data: bytes, rel_path: str, content_type: str) -> Entry | list[StoryforgeError]:
        """The entry made from a file's bytes, or every problem found in it."""
        try:
            document = parse_document(data, rel_path, content_type, self.config.max_body_bytes)
        except StoryforgeError as exc:
            return [exc]
        self._validator.errors = ErrorCollector()
        entry = self._validator.validate(document)
        if entry is None:
            return self._validator.errors.errors
        from storyforge.core.markup import MarkupTooComplex

        try:
            self._render_markdown(entry)
        except MarkupTooComplex as exc:
            return [ContentError(f"the Markdown cannot be rendered: {exc} — simplify it (for example, "
                                 "thousands of unmatched [ or ( characters)",
                                 SourceLocation(rel_path, document.body_line))]
        return entry

    def _render_markdown(self, entry: Entry) -> None:
        """Fill in the entry's HTML (and summary) before anyone else sees it."""
        from storyforge.core.markup import summarize

        self.prepare()
        assert self._markup is not None
        entry.html = self._markup.render_entry_body(entry.body, entry.content_type)
        entry.summary = entry.summary or summarize(entry.html)
        if isinstance(entry, Testimonial) and entry.response:
            entry.response_html = self._markup.render(entry.response, customer=False)  # the owner's reply
        entry.body = ""  # rendered; the source stays on disk, not in the cache
