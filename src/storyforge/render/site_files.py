"""The site-wide files made from the model: feeds, calendars, the sitemap, robots.txt and the
story wall (``/testimonials.json``) — each made again only when what it shows changed.

Every file gets a fingerprint of exactly what its maker reads: a feed, its page's place and
title and the entries it carries; a calendar, its events; the wall, every published story. When
the fingerprint is the one recorded for the file and the file on disk is the one recorded, the
file is kept as it is, and the library that would make it (feedgen, icalendar) is not even
imported. Everything else a maker reads comes from ``site.yaml`` and the program, which the
whole cache is keyed on.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from html import escape
from typing import Any

from storyforge.core.config import SiteConfig
from storyforge.core.entries import Event
from storyforge.core.model import PageSpec, Site
from storyforge.incremental.cache import Index
from storyforge.incremental.fingerprint import Memo, fingerprint
from storyforge.publish.output import Output, content_hash


class DerivedFiles:
    """Makes (or keeps) the derived files of one build and records their fingerprints."""

    def __init__(self, config: SiteConfig, site: Site, previous: Index, live: Mapping[str, str] | None,
                 current: Index, memo: Memo) -> None:
        self.config, self.site = config, site
        self.previous, self.live, self.current = previous, live or {}, current
        self.memo = memo
        self.made: list[str] = []  # the files whose bytes were made in this build

    def outputs(self, static_sizes: Mapping[str, int]) -> tuple[list[Output], int]:
        """Every derived file, and how many of them are feeds."""
        feeds = self.feeds(static_sizes)
        return [*feeds, *self.calendars(), self.sitemap(), self.robots(), self.wall()], len(feeds)

    def feeds(self, static_sizes: Mapping[str, int]) -> list[Output]:
        sizes_key = fingerprint(dict(static_sizes))  # the lengths of image enclosures
        return [self._feed(page, fmt, static_sizes, sizes_key) for page, fmt in self.site.feeds()]

    def _feed(self, page: PageSpec, fmt: str, static_sizes: Mapping[str, int], sizes_key: str) -> Output:
        entries = (page.feed_entries or [])[: self.config.feed_items]
        undated = any(e.date is None for e in entries)  # such items are dated by the newest entry
        key = ["feed", fmt, page.kind, page.url, page.title, entries, self.site.newest if undated else None, sizes_key]

        def make() -> bytes:
            from storyforge.render.feeds import feed_bytes

            return feed_bytes(self.config, self.site, page, fmt, static_sizes)

        return self._kept_or_made(page.output_path(fmt), key, make)

    def calendars(self) -> list[Output]:
        """The site calendar (every event, for subscribing) and one file per event."""
        outputs = []
        for page in self.site.outputs("ics"):
            entry = page.context.get("entry")
            events = [entry] if isinstance(entry, Event) else self.site.events_upcoming + self.site.events_past
            name = None if isinstance(entry, Event) else f"{self.config.title} — events"

            def make(events: list[Event] = events, name: str | None = name) -> bytes:
                from storyforge.render.ics import calendar_bytes

                return calendar_bytes(self.config, events, name)

            outputs.append(self._kept_or_made(page.output_path("ics"), ["ics", events, name], make))
        return outputs

    def sitemap(self) -> Output:
        listed = "\n".join(f"{p.url} {p.lastmod}" for p in self.site.pages if p.in_sitemap)
        return self._kept_or_made("sitemap.xml", ["sitemap", content_hash(listed.encode())],
                                  lambda: sitemap_bytes(self.config, self.site))

    def robots(self) -> Output:
        return self._kept_or_made("robots.txt", ["robots"], lambda: robots_bytes(self.config))

    def wall(self) -> Output:
        from storyforge.render.wall import WALL_FILE, wall_bytes

        cards = [p.url for p in self.site.outputs("png")]

        return self._kept_or_made(WALL_FILE, ["wall", self.site.testimonials, cards],
                                  lambda: wall_bytes(self.config, self.site))

    def _kept_or_made(self, path: str, key_parts: list[Any], make: Callable[[], bytes]) -> Output:
        key = fingerprint(key_parts, self.memo)
        sha = self.previous.unchanged_output(path, key, self.live)
        if sha is not None:
            self.current.record_output(path, key, sha)
            return Output(path, sha)
        data = make()
        sha = content_hash(data)
        self.current.record_output(path, key, sha)
        self.made.append(path)
        return Output(path, sha, data)


def sitemap_bytes(config: SiteConfig, site: Site) -> bytes:
    """Every HTML page of the site (not the 404 page), with its date where it has one."""
    rows = ['<?xml version="1.0" encoding="UTF-8"?>',
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">']
    for page in site.pages:
        if not page.in_sitemap:
            continue
        rows.append(f"  <url><loc>{escape(config.base_url + page.url.lstrip('/'), quote=False)}</loc>"
                    + (f"<lastmod>{page.lastmod.date().isoformat()}</lastmod>" if page.lastmod else "")
                    + "</url>")
    rows.append("</urlset>\n")
    return "\n".join(rows).encode("utf-8")


def robots_bytes(config: SiteConfig) -> bytes:
    return f"User-agent: *\nAllow: /\n\nSitemap: {config.base_url}sitemap.xml\n".encode()
