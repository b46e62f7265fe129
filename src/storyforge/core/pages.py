"""One page of the site as a record (``PageSpec``): where it goes, how it is drawn, what it shows,
and which files it emits — a table of page kinds × output formats, not code paths."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from storyforge.core.content_types import ENTRY_PAGE_FORMATS
from storyforge.core.entries import Entry

#: what each kind of page emits — feeds are one output format of a list page, a calendar one of an
#: event, a share card one of a story
OUTPUT_FORMATS: dict[str, tuple[str, ...]] = {
    "home": ("html", "rss", "atom"),
    "section": ("html", "rss"),
    "events": ("html", "rss", "ics"),  # the events list: its feed and the site calendar
    "alerts": ("html", "rss"),  # the notices archive
    **ENTRY_PAGE_FORMATS,  # an entry's own page: 'entry', 'event' (with its calendar), 'story' (its share card)
    "campaign": ("html",),
    "tags": ("html",),
    "tag": ("html", "rss"),
    "info": ("html",),  # built-in pages: the reviews policy, share your story, the embed demo
    "notfound": ("html",),
}
FEED_FORMATS = ("rss", "atom")  # only for pages that have feed entries
FILE_NAMES = {"rss": "feed.xml", "atom": "atom.xml", "ics": "event.ics", "png": "card.png"}
ENTRY_PAGE_KINDS = frozenset(ENTRY_PAGE_FORMATS)  # one page per entry, titled and dated by it

@dataclass
class Paginator:
    """Page ``number`` of ``total`` in a list whose first page is ``first_url``."""

    number: int
    total: int
    first_url: str

    def url_of(self, number: int) -> str:
        return self.first_url if number == 1 else f"{self.first_url}page/{number}/"

    @property
    def prev_url(self) -> str | None:
        return self.url_of(self.number - 1) if self.number > 1 else None

    @property
    def next_url(self) -> str | None:
        return self.url_of(self.number + 1) if self.number < self.total else None


@dataclass
class PageSpec:
    """One page of the site: where it goes, how it is drawn, what it shows."""

    kind: str
    url: str
    template: str
    title: str
    source: str  # for messages: a file, or a description of a built-in page
    source_line: int | None = None
    context: dict[str, Any] = field(default_factory=dict)
    feed_entries: list[Entry] | None = None
    description: str = ""
    lastmod: datetime | None = None
    in_sitemap: bool = True
    turned_off: frozenset[str] = frozenset()  # formats site.yaml switches off
    formats: tuple[str, ...] = field(init=False)  # what the page emits, from its kind

    def __post_init__(self) -> None:
        self.formats = _formats(self.kind, self.turned_off, self.feed_entries is not None)

    def output_path(self, fmt: str) -> str:
        """Path of the file inside the output folder, e.g. 'events/index.html'."""
        if self.kind == "notfound":
            return "404.html"
        base = self.url.strip("/")
        prefix = f"{base}/" if base else ""
        if fmt == "html":
            return f"{prefix}index.html"
        if self.kind == "events" and fmt == "ics":
            return f"{prefix}calendar.ics"
        return f"{prefix}{FILE_NAMES[fmt]}"


@functools.cache
def _formats(kind: str, turned_off: frozenset[str], has_feed: bool) -> tuple[str, ...]:
    return tuple(f for f in OUTPUT_FORMATS[kind] if f not in turned_off and (f not in FEED_FORMATS or has_feed))
