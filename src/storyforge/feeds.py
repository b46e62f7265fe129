"""RSS 2.0 and Atom feeds (feedgen), the sitemap and robots.txt.

Feeds carry absolute URLs everywhere, including links and images inside the
content, GUIDs that stay the same from build to build (the entry's address),
and dates taken from the content, never from the clock, so an unchanged site
builds byte-for-byte the same feeds.
"""

from __future__ import annotations

import html
from datetime import UTC, datetime
from xml.sax.saxutils import escape

from feedgen.feed import FeedGenerator

from . import __version__
from .config import SiteConfig
from .entries import CharityUpdate, Entry, Event, Testimonial
from .markup import absolutize
from .model import PageSpec, Site
from .render import format_date, format_money, format_time

EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def feed_bytes(config: SiteConfig, site: Site, page: PageSpec, fmt: str) -> bytes:
    """The RSS ('rss') or Atom ('atom') feed of a list page."""
    entries = (page.feed_entries or [])[: config.feed_items]
    fallback = site.newest or EPOCH
    page_url = config.base_url + page.url.lstrip("/")
    feed_url = config.base_url + page.output_path(fmt)
    title = config.title if page.kind == "home" else f"{config.title} — {page.title}"

    fg = FeedGenerator()
    fg.id(feed_url)
    fg.title(title)
    fg.link(href=page_url, rel="alternate")
    fg.link(href=feed_url, rel="self")
    fg.description(config.description or config.business.tagline or title)
    fg.language(config.language)
    fg.author({"name": config.business.name})
    fg.generator("storyforge", version=__version__)
    newest = max((e.date or fallback for e in entries), default=fallback)
    fg.updated(newest)
    fg.lastBuildDate(newest)
    for entry in entries:
        _add_entry(fg, config, entry, fmt, entry.date or fallback)
    if fmt == "rss":
        return fg.rss_str(pretty=True)
    return fg.atom_str(pretty=True)


def _add_entry(fg: FeedGenerator, config: SiteConfig, entry: Entry, fmt: str, when: datetime) -> None:
    link = config.base_url + entry.url.lstrip("/")
    item = fg.add_entry(order="append")
    item.id(link)
    item.guid(link, permalink=True)
    item.title(entry.title)
    item.link(href=link)
    item.published(when)
    item.updated(when)
    if isinstance(entry, Testimonial):
        item.author({"name": entry.author})
    for tag in entry.tags:
        item.category(term=tag, label=tag)
    body = absolutize(feed_html(entry, config.business.name), link)
    # readers treat an RSS description as HTML: the plain-text summary goes in escaped
    item.summary(html.escape(entry.summary, quote=False), type="html")
    # RSS: escaped HTML in content:encoded; Atom: <content type="html">
    item.content(body, type="html" if fmt == "atom" else None)


def feed_html(entry: Entry, business_name: str) -> str:
    """The entry as a feed reader shows it: labels first, so disclosures travel with the story."""
    lines: list[str] = []
    if isinstance(entry, Testimonial):
        facts = [f"By {entry.byline}"]
        if entry.rating is not None:
            facts.append(f"Rated {entry.rating} out of 5")
        if entry.product:
            facts.append(f"About: {entry.product}")
        if entry.verified:
            facts.append("Verified customer")
        lines.append(f"<p>{html.escape(' · '.join(facts))}</p>")
        if entry.incentive:
            lines.append(f"<p><strong>Disclosure:</strong> {html.escape(entry.incentive)}</p>")
        if entry.relationship:
            lines.append(f"<p><strong>Connection to the business:</strong> {html.escape(entry.relationship)}</p>")
    elif isinstance(entry, Event):
        when = format_date(entry.start, with_weekday=True)
        if not entry.all_day:
            when += f", {format_time(entry.start)}"
        facts = [when] + [x for x in (entry.location, entry.address, entry.cost) if x]
        if entry.status != "scheduled":
            facts.insert(0, entry.status.upper())
        lines.append(f"<p>{html.escape(' · '.join(facts))}</p>")
    elif isinstance(entry, CharityUpdate) and entry.raised is not None:
        progress = f"Raised so far: {format_money(entry.raised, entry.currency)}"
        if entry.goal:
            progress += f" of {format_money(entry.goal, entry.currency)}"
        lines.append(f"<p>{html.escape(progress)}</p>")
    lines.append(entry.html)
    if isinstance(entry, Testimonial) and entry.response_html:
        lines.append(f"<p><strong>Reply from {html.escape(business_name)}:</strong></p>")
        lines.append(entry.response_html)
    return "\n".join(lines)


def sitemap_bytes(config: SiteConfig, site: Site) -> bytes:
    """Every HTML page of the site (not the 404 page), with its date where it has one."""
    rows = ['<?xml version="1.0" encoding="UTF-8"?>',
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">']
    for page in site.pages:
        if not page.in_sitemap:
            continue
        rows.append(f"  <url><loc>{escape(config.base_url + page.url.lstrip('/'))}</loc>"
                    + (f"<lastmod>{page.lastmod.date().isoformat()}</lastmod>" if page.lastmod else "")
                    + "</url>")
    rows.append("</urlset>\n")
    return "\n".join(rows).encode("utf-8")


def robots_bytes(config: SiteConfig) -> bytes:
    return f"User-agent: *\nAllow: /\n\nSitemap: {config.base_url}sitemap.xml\n".encode()
